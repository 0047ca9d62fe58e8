"""slack incoming webhook URL encrypted

The incoming webhook URL of a Slack installation is a credential (whoever holds it can
post to the channel), so it is now sealed like the tokens (bot/slack/installations.py);
sealed, it outgrows slack_sdk's String(200). No data changes here: the key is not the
migration's to read, and a URL written in plain text before is still read as it is
(it is sealed the next time the installation is saved, on a reinstall).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("slack_installations", schema=None) as batch_op:
        batch_op.alter_column(
            "incoming_webhook_url",
            existing_type=sa.String(length=200),
            type_=sa.Text(),
            existing_nullable=True,
        )


def downgrade() -> None:
    # A sealed URL does not fit the old column: back to plain slack_sdk means reinstalling.
    op.execute("UPDATE slack_installations SET incoming_webhook_url = NULL")
    with op.batch_alter_table("slack_installations", schema=None) as batch_op:
        batch_op.alter_column(
            "incoming_webhook_url",
            existing_type=sa.Text(),
            type_=sa.String(length=200),
            existing_nullable=True,
        )
