"""ids never reused; a random idempotency stem per entry; lease owners

SQLite hands a deleted row's id to the next insert unless the table is declared
AUTOINCREMENT, and a reused member, post or entry id let one workspace's notices and
idempotency keys reach another's rows. SQLite cannot add AUTOINCREMENT to a table, so
each table is rebuilt (batch mode, rows kept; ``storage.migrate`` turns foreign keys
off meanwhile so the rebuild cascades nothing). PostgreSQL's sequences never go back;
there only the new column is added.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 01:10:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Parents before children, so each rebuilt child's foreign keys meet a rebuilt parent.
TABLES = (
    "workspaces",
    "members",
    "social_accounts",
    "labels",
    "posts",
    "platform_entries",
    "notifications",
    "deliveries",
)


def upgrade() -> None:
    bind = op.get_bind()
    # Live processes and the holder of each lease, so a crashed worker's entries are
    # recovered at the next start instead of when their lease ends.
    op.create_table(
        "processes",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processes")),
    )
    op.add_column("platform_entries", sa.Column("lease_owner", sa.String(length=32), nullable=True))
    op.add_column("platform_entries", sa.Column("key", sa.String(length=32), nullable=True))
    entries = sa.table(
        "platform_entries", sa.column("id", sa.Integer), sa.column("status", sa.String),
        sa.column("key", sa.String),
    )  # fmt: skip
    for entry_id, status in bind.execute(sa.select(entries.c.id, entries.c.status)).all():
        # An entry caught mid-send keeps the key it was sent with, so crash recovery's
        # re-send is still recognised as the same request; every other entry gets a
        # fresh random stem.
        key = f"entry-{entry_id}" if status == "publishing" else secrets.token_hex(12)
        bind.execute(entries.update().where(entries.c.id == entry_id).values(key=key))
    sqlite = bind.dialect.name == "sqlite"
    for table in TABLES:
        with op.batch_alter_table(
            table,
            recreate="always" if sqlite else "auto",
            table_kwargs={"sqlite_autoincrement": True},
        ) as batch_op:
            if table == "platform_entries":
                batch_op.alter_column("key", existing_type=sa.String(length=32), nullable=False)
                batch_op.create_unique_constraint(batch_op.f("uq_platform_entries_key"), ["key"])


def downgrade() -> None:
    with op.batch_alter_table("platform_entries") as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_platform_entries_key"), type_="unique")
        batch_op.drop_column("key")
        batch_op.drop_column("lease_owner")
    op.drop_table("processes")
