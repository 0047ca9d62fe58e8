"""Posts whose time came while they still waited for review: never published unapproved.

The scheduler claims only scheduled posts, so such a post simply stays in review; this
tells its author and the approvers, once.
"""

from datetime import datetime

from core.events import DomainEvent, EventKind
from core.ports import UnitOfWork


async def note_overdue_reviews(uow: UnitOfWork, now: datetime, limit: int = 100) -> int:
    """Mark the overdue reviews and record one event each; return how many."""
    told = 0
    for post in await uow.posts.overdue_reviews(now, limit):
        post.review_overdue_noted = True
        post.updated_at = now
        if not await uow.posts.compare_and_set(post):
            continue
        await uow.events.add(
            DomainEvent(
                EventKind.REVIEW_OVERDUE,
                post.workspace_id,
                now,
                post_id=post.id,
                payload=post.snapshot(),
            )
        )
        told += 1
    return told
