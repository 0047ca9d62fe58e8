"""Notifications: inbox, outbox of deliveries, preferences; processed events; a post cap.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 15:08:42.968269
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_preferences",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("chat", sa.JSON(), nullable=False),
        sa.Column("email", sa.JSON(), nullable=False),
        sa.Column("email_mode", sa.String(length=16), nullable=False),
        sa.Column("digest_hour", sa.Integer(), server_default=sa.text("9"), nullable=False),
        sa.Column("email_only_when_away", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("last_digest_on", sa.String(length=10), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_notification_preferences_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_notification_preferences")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["members.id"],
            name=op.f("fk_notifications_recipient_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_notifications_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "event_id",
            "type",
            "recipient_id",
            name=op.f("uq_notifications_event_id_type_recipient_id"),
        ),
    )
    op.create_index(
        op.f("ix_notifications_recipient_id_archived_at_read_at_created_at"),
        "notifications",
        ["recipient_id", "archived_at", "read_at", "created_at"],
        unique=False,
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_deliveries_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
    )
    op.create_index(
        op.f("ix_deliveries_notification_id"), "deliveries", ["notification_id"], unique=False
    )
    op.create_index(
        op.f("ix_deliveries_recipient_id_status_digest"),
        "deliveries",
        ["recipient_id", "status", "digest"],
        unique=False,
    )
    op.create_index(
        op.f("ix_deliveries_status_digest_next_attempt_at"),
        "deliveries",
        ["status", "digest", "next_attempt_at"],
        unique=False,
    )

    # Batch mode on SQLite; keep AUTOINCREMENT should the table ever be rebuilt.
    with op.batch_alter_table(
        "domain_events", table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.add_column(sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_domain_events_processed_at_id"), ["processed_at", "id"], unique=False
        )
    # Events written before notifications existed were never meant to notify anyone:
    # without this the first projector run would announce the whole history.
    op.execute(
        sa.text("UPDATE domain_events SET processed_at = occurred_at WHERE processed_at IS NULL")
    )

    with op.batch_alter_table("workspaces") as batch_op:
        batch_op.add_column(sa.Column("monthly_post_cap", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workspaces") as batch_op:
        batch_op.drop_column("monthly_post_cap")

    with op.batch_alter_table(
        "domain_events", table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_index(batch_op.f("ix_domain_events_processed_at_id"))
        batch_op.drop_column("processed_at")

    op.drop_index(op.f("ix_deliveries_status_digest_next_attempt_at"), table_name="deliveries")
    op.drop_index(op.f("ix_deliveries_recipient_id_status_digest"), table_name="deliveries")
    op.drop_index(op.f("ix_deliveries_notification_id"), table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index(
        op.f("ix_notifications_recipient_id_archived_at_read_at_created_at"),
        table_name="notifications",
    )
    op.drop_table("notifications")
    op.drop_table("notification_preferences")
