"""collaboration: comments, reactions, review history, invitations

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch rebuild on SQLite would drop the tables' AUTOINCREMENT.
    op.add_column(
        "workspaces",
        sa.Column("next_comment_number", sa.Integer(), server_default=sa.text("1"),
                  nullable=False),
    )  # fmt: skip
    op.add_column(
        "members",
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
    )
    op.add_column("members", sa.Column("invited_by_id", sa.Integer(), nullable=True))
    op.add_column(
        "posts",
        sa.Column("review_overdue_noted", sa.Boolean(), server_default=sa.false(),
                  nullable=False),
    )  # fmt: skip
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_comments_post_id_posts"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_comments_workspace_id_workspaces"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
        sa.UniqueConstraint("workspace_id", "number", name=op.f("uq_comments_workspace_id_number")),
        sqlite_autoincrement=True,
    )  # fmt: skip
    op.create_index(op.f("ix_comments_post_id_id"), "comments", ["post_id", "id"])
    op.create_table(
        "comment_reactions",
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("emoji", sa.String(length=64), nullable=False),
        sa.Column("reacted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"],
                                name=op.f("fk_comment_reactions_comment_id_comments"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("comment_id", "member_id", "emoji",
                                name=op.f("pk_comment_reactions")),
    )  # fmt: skip
    op.create_table(
        "review_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=32), nullable=False),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"],
                                name=op.f("fk_review_steps_post_id_posts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"],
                                name=op.f("fk_review_steps_workspace_id_workspaces"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_steps")),
        sqlite_autoincrement=True,
    )  # fmt: skip
    op.create_index(op.f("ix_review_steps_post_id_id"), "review_steps", ["post_id", "id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_review_steps_post_id_id"), table_name="review_steps")
    op.drop_table("review_steps")
    op.drop_table("comment_reactions")
    op.drop_index(op.f("ix_comments_post_id_id"), table_name="comments")
    op.drop_table("comments")
    with op.batch_alter_table("posts") as batch_op:
        batch_op.drop_column("review_overdue_noted")
    with op.batch_alter_table("members") as batch_op:
        batch_op.drop_column("invited_by_id")
        batch_op.drop_column("status")
    with op.batch_alter_table("workspaces") as batch_op:
        batch_op.drop_column("next_comment_number")
