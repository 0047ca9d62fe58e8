"""The optional monthly post cap of a workspace's plan."""

from datetime import UTC, datetime

from core.errors import ValidationFailed
from core.events import DomainEvent, EventKind
from core.ports import PostFilter, UnitOfWork
from core.posts import Post
from core.roles import Action
from core.states import PostStatus
from core.usecases.context import Actor, Services, load_actor
from core.workspace import Workspace

COUNTED = frozenset(PostStatus) - {PostStatus.DRAFT}
WARN_AT = 0.8


def _month(now: datetime) -> tuple[datetime, datetime]:
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else (start.replace(month=start.month + 1))
    )
    return start, following


async def posts_this_month(uow: UnitOfWork, workspace_id: int, now: datetime) -> int:
    start, end = _month(now)
    return await uow.posts.count(workspace_id, PostFilter(statuses=COUNTED, start=start, end=end))


def counted_in(post: Post, month_of: datetime) -> bool:
    """Whether the post already uses up a place in the month of ``month_of``."""
    when = post.scheduled_at or post.finished_at or post.created_at
    return post.status in COUNTED and when is not None and _month(when) == _month(month_of)


async def check_cap(
    uow: UnitOfWork, workspace: Workspace, month_of: datetime, moving: Post | None = None
) -> None:
    """Refuse a post beyond the cap of the month it goes out in; call before a post
    leaves draft, and before one moves into another month (``moving``)."""
    cap = workspace.monthly_post_cap
    if cap is None or (moving is not None and counted_in(moving, month_of)):
        return
    if await posts_this_month(uow, workspace.id, month_of) >= cap:
        raise ValidationFailed(
            f"This workspace's plan allows {cap} posts a month and they are used up; "
            "drafts are still fine, or ask an owner to raise the limit."
        )


async def note_usage(
    uow: UnitOfWork, workspace: Workspace, month_of: datetime, now: datetime
) -> None:
    """After a post is counted: tell the owners on reaching 80 % and 100 %, once each."""
    cap = workspace.monthly_post_cap
    if cap is None:
        return
    used = await posts_this_month(uow, workspace.id, month_of)
    crossed = [mark for mark in (max(1, round(cap * WARN_AT)), cap) if used == mark]
    if crossed:
        await uow.events.add(
            DomainEvent(
                EventKind.PLAN_LIMIT,
                workspace.id,
                now,
                payload={"used": used, "cap": cap, "month": f"{month_of:%Y-%m}"},
            )
        )


async def set_monthly_cap(svc: Services, actor: Actor, cap: int | None) -> Workspace:
    if cap is not None and cap < 1:
        raise ValidationFailed("A monthly limit is a whole number of posts, 1 or more.")
    async with svc.uow() as uow:
        workspace, _ = await load_actor(uow, actor, Action.MANAGE_SETTINGS)
        workspace.monthly_post_cap = cap
        await uow.workspaces.update(workspace)
        await uow.commit()
    return workspace
