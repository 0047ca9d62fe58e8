"""token lifecycle (renewable, renewal end, warnings, refresh lease), PKCE verifiers,
entries waiting out a rate limit

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch rebuild on SQLite would drop the tables' AUTOINCREMENT.
    op.add_column(
        "social_accounts",
        sa.Column("token_renewable", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("social_accounts", sa.Column("token_renew_until", sa.DateTime(timezone=True)))
    op.add_column("social_accounts", sa.Column("expiry_warned_days", sa.Integer()))
    op.add_column("social_accounts", sa.Column("refresh_lease_until", sa.DateTime(timezone=True)))
    op.add_column("social_accounts", sa.Column("refresh_lease_owner", sa.String(length=32)))
    op.add_column("connect_states", sa.Column("secret_encrypted", sa.Text()))
    op.add_column("platform_entries", sa.Column("not_before", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("platform_entries", "not_before")
    op.drop_column("connect_states", "secret_encrypted")
    for column in (
        "refresh_lease_owner",
        "refresh_lease_until",
        "expiry_warned_days",
        "token_renew_until",
    ):
        op.drop_column("social_accounts", column)
    op.drop_column("social_accounts", "token_renewable")
