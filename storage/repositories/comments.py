"""Comments with their reactions, and each post's review history."""

from collections import defaultdict
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.comments import Comment
from core.reviews import ReviewStep
from storage.mapping import comment_from_row, comment_values, review_step_from_row
from storage.repositories._common import NO_SYNC, fresh_row, fresh_rows, insert_with_conflicts
from storage.tables import CommentReactionRow, CommentRow, ReviewStepRow


class SqlCommentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, comment: Comment) -> Comment:
        stmt = insert(CommentRow).values(**comment_values(comment)).returning(CommentRow.id)
        comment.id = (await self._session.execute(stmt)).scalar_one()
        return comment

    async def by_number(self, workspace_id: int, number: int) -> Comment | None:
        stmt = select(CommentRow).where(
            CommentRow.workspace_id == workspace_id, CommentRow.number == number
        )
        row = await fresh_row(self._session, stmt)
        if row is None:
            return None
        return comment_from_row(row, (await self._reactions([row.id]))[row.id])

    async def update(self, comment: Comment) -> None:
        await self._session.execute(
            update(CommentRow)
            .where(CommentRow.id == comment.id)
            .values(body=comment.body, edited_at=comment.edited_at)
            .execution_options(**NO_SYNC)
        )

    async def remove(self, comment_id: int) -> None:
        await self._session.execute(
            delete(CommentRow).where(CommentRow.id == comment_id).execution_options(**NO_SYNC)
        )

    async def of_post(self, post_id: int) -> list[Comment]:
        stmt = select(CommentRow).where(CommentRow.post_id == post_id).order_by(CommentRow.id)
        rows = await fresh_rows(self._session, stmt)
        reactions = await self._reactions([row.id for row in rows])
        return [comment_from_row(row, reactions[row.id]) for row in rows]

    async def toggle_reaction(
        self, comment_id: int, member_id: int, emoji: str, at: datetime
    ) -> bool:
        removed = await self._session.execute(
            delete(CommentReactionRow)
            .where(
                CommentReactionRow.comment_id == comment_id,
                CommentReactionRow.member_id == member_id,
                CommentReactionRow.emoji == emoji,
            )
            .returning(CommentReactionRow.comment_id)
            .execution_options(**NO_SYNC)
        )
        if removed.first() is not None:
            return False
        # A second click racing the first finds the row there: it is then one reaction.
        stmt = insert_with_conflicts(self._session, CommentReactionRow).values(
            comment_id=comment_id, member_id=member_id, emoji=emoji, reacted_at=at
        )
        await self._session.execute(stmt.on_conflict_do_nothing())
        return True

    async def _reactions(self, comment_ids: list[int]) -> dict[int, dict[str, list[int]]]:
        found: dict[int, dict[str, list[int]]] = defaultdict(dict)
        if not comment_ids:
            return found
        stmt = (
            select(CommentReactionRow)
            .where(CommentReactionRow.comment_id.in_(comment_ids))
            .order_by(CommentReactionRow.reacted_at, CommentReactionRow.member_id)
        )
        for row in await fresh_rows(self._session, stmt):
            found[row.comment_id].setdefault(row.emoji, []).append(row.member_id)
        return found


class SqlReviewRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, step: ReviewStep) -> ReviewStep:
        stmt = (
            insert(ReviewStepRow)
            .values(
                workspace_id=step.workspace_id,
                post_id=step.post_id,
                member_id=step.member_id,
                decision=step.decision.value,
                feedback=step.feedback,
                at=step.at,
            )
            .returning(ReviewStepRow.id)
        )
        step.id = (await self._session.execute(stmt)).scalar_one()
        return step

    async def of_post(self, post_id: int) -> list[ReviewStep]:
        stmt = select(ReviewStepRow).where(ReviewStepRow.post_id == post_id)
        rows = await fresh_rows(self._session, stmt.order_by(ReviewStepRow.id))
        return [review_step_from_row(row) for row in rows]
