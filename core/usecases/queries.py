"""Use cases that read posts: show one, list with filters, a calendar window."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from core.accounts import SocialAccount
from core.errors import ValidationFailed
from core.ports import PostFilter
from core.posts import Post
from core.roles import Action
from core.states import PostStatus
from core.timeparse import Prefer, parse_moment, parse_range
from core.usecases.comments import Thread
from core.usecases.context import Actor, Services, find_post, load_actor
from core.usecases.reviews import Review, review_of

P = PostStatus
SCOPES: dict[str, frozenset[PostStatus]] = {
    "all": frozenset(),
    "drafts": frozenset({P.DRAFT}),
    "scheduled": frozenset({P.SCHEDULED, P.PUBLISHING}),
    "published": frozenset({P.PUBLISHED, P.PARTIALLY_PUBLISHED}),
    # A partial publish needs attention as much as a failure does.
    "failed": frozenset({P.FAILED, P.PARTIALLY_PUBLISHED}),
}
# Which way ``from``/``to`` lean when the text leaves the day open ("to friday"): what is
# scheduled lies ahead, what was published or failed lies behind, and a draft is dated by
# its creation, which is always behind. "all" mixes both, so it keeps the neutral reading
# (a weekday is the most recent one, a clock time today's).
LEANS: dict[str, Prefer | None] = {
    "all": None,
    "drafts": "past",
    "scheduled": "future",
    "published": "past",
    "failed": "past",
}


class CalendarView(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


# ``show`` lists this many of a post's latest comments; ``comments`` lists them all.
LATEST_COMMENTS = 3


@dataclass(frozen=True)
class PostDetails:
    post: Post
    accounts: dict[int, SocialAccount]
    timezone: str
    review: Review | None = None
    # The latest comments, oldest first, and who wrote them.
    comments: Thread | None = None


@dataclass(frozen=True)
class PostList:
    posts: list[Post]
    timezone: str


@dataclass(frozen=True)
class CalendarWindow:
    view: CalendarView
    days: list[date]
    posts: list[Post]
    timezone: str


async def show_post(svc: Services, actor: Actor, number: int) -> PostDetails:
    async with svc.uow() as uow:
        workspace, member = await load_actor(uow, actor, Action.READ)
        post = await find_post(uow, actor.workspace_id, number)
        accounts = {a.id: a for a in await uow.accounts.list(workspace.id)}
        review = await review_of(uow, post)
        said = await uow.comments.of_post(post.id)
        members = {m.id: m for m in await uow.members.list(workspace.id)} if said else {}
    zone = member.zone(workspace)
    thread = Thread(post, said[-LATEST_COMMENTS:], members, zone) if said else None
    return PostDetails(post, accounts, zone, review if review.steps else None, thread)


async def list_posts(
    svc: Services,
    actor: Actor,
    scope: str = "all",
    label: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> PostList:
    if scope not in SCOPES:
        raise ValidationFailed(f"“{scope}” is not a list I keep; try {', '.join(SCOPES)}.")
    async with svc.uow(read_only=True) as uow:
        workspace, member = await load_actor(uow, actor, Action.READ)
        zone = member.zone(workspace)
        lower, upper = parse_range(start, end, zone, svc.clock.now(), prefer=LEANS[scope])
        query = PostFilter(
            statuses=SCOPES[scope],
            label=label.lower().lstrip("#") if label else None,
            start=lower,
            end=upper,
        )
        posts = await uow.posts.list(workspace.id, query)
    return PostList(posts, zone)


async def calendar(
    svc: Services, actor: Actor, view: str = "week", day: str | None = None
) -> CalendarWindow:
    """Posts of the day, week (Monday first) or month around ``day``, in local time."""
    try:
        chosen = CalendarView(view)
    except ValueError:
        raise ValidationFailed("A calendar shows a day, a week or a month.") from None
    async with svc.uow() as uow:
        workspace, member = await load_actor(uow, actor, Action.READ)
        zone = member.zone(workspace)
        now = svc.clock.now()
        anchor = parse_moment(day, zone, now) if day else now
        days = window_days(chosen, anchor.astimezone(ZoneInfo(zone)).date())
        start, end = _utc_bounds(days, zone)
        posts = await uow.posts.list(workspace.id, PostFilter(start=start, end=end, limit=1000))
    return CalendarWindow(chosen, days, posts, zone)


def window_days(view: CalendarView, anchor: date) -> list[date]:
    if view is CalendarView.DAY:
        return [anchor]
    if view is CalendarView.WEEK:
        monday = anchor - timedelta(days=anchor.weekday())
        return [monday + timedelta(days=i) for i in range(7)]
    first = anchor.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return [first + timedelta(days=i) for i in range((following - first).days)]


def _utc_bounds(days: list[date], zone: str) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    start = datetime.combine(days[0], time(), tz).astimezone(UTC)
    end = datetime.combine(days[-1] + timedelta(days=1), time(), tz).astimezone(UTC)
    return start, end


async def post_for_link(svc: Services, workspace_id: int, number: int) -> PostDetails:
    """A post as a signed email link shows it: the signature is the reader's authority."""
    async with svc.uow() as uow:
        workspace = await uow.workspaces.get(workspace_id)
        if workspace is None:
            raise ValidationFailed("This link points to a workspace that no longer exists.")
        post = await find_post(uow, workspace_id, number)
        accounts = {a.id: a for a in await uow.accounts.list(workspace_id)}
    return PostDetails(post, accounts, workspace.timezone)


async def member_zone(svc: Services, actor: Actor) -> str:
    """The zone the member's times are read and shown in (theirs, else the workspace's)."""
    async with svc.uow() as uow:
        workspace, member = await load_actor(uow, actor, Action.READ)
    return member.zone(workspace)
