"""discord role grants: trypost roles for Discord roles, and what each member was given

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch rebuild on SQLite would drop the table's AUTOINCREMENT.
    op.add_column("members", sa.Column("granted_roles", sa.Text(), nullable=True))
    op.create_table(
        "discord_role_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("discord_role_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_discord_role_grants_workspace_id_workspaces"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discord_role_grants")),
        sa.UniqueConstraint("workspace_id", "discord_role_id",
                            name=op.f("uq_discord_role_grants_workspace_id_discord_role_id")),
        sqlite_autoincrement=True,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("discord_role_grants")
    # SQLite (3.35+) drops an unindexed column in place, keeping AUTOINCREMENT; a batch
    # rebuild would not.
    op.drop_column("members", "granted_roles")
