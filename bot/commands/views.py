"""Domain objects → neutral replies. Wording lives here, once for every surface."""

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.commands.comment_views import ShowMember, comment_line, review_lines
from bot.commands.mentions import at_name
from core.accounts import PLATFORMS, AccountStatus, SocialAccount
from core.labels import Label
from core.media import media_label
from core.messages import Button, Field, Reply, Tone
from core.posts import PlatformEntry, Post
from core.states import EntryStatus, PostStatus, ReviewState
from core.timeparse import in_zone, show_time
from core.usecases.queries import CalendarView, CalendarWindow, PostDetails, PostList

STATUS_ICON = {
    PostStatus.DRAFT: "📝",
    PostStatus.SCHEDULED: "🕒",
    PostStatus.PUBLISHING: "⏳",
    PostStatus.PUBLISHED: "✅",
    PostStatus.PARTIALLY_PUBLISHED: "⚠️",
    PostStatus.FAILED: "❌",
}
ENTRY_ICON = {
    EntryStatus.PENDING: "⏳",
    EntryStatus.PUBLISHING: "⏳",
    EntryStatus.PUBLISHED: "✅",
    EntryStatus.FAILED: "❌",
}


def said(status: PostStatus) -> str:
    return status.value.replace("_", " ")


def excerpt(text: str, width: int = 48) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def post_line(post: Post, zone: str) -> str:
    """One line per post, for lists and calendars."""
    when = post.scheduled_at or post.finished_at
    moment = f" · {show_time(when, zone)}" if when else ""
    platforms = ", ".join(sorted({e.platform for e in post.enabled_entries})) or "no account"
    labels = f" · {' '.join('#' + n for n in post.labels)}" if post.labels else ""
    return (
        f"#{post.number} {STATUS_ICON[post.status]} {said(post.status)}{moment} · "
        f"{platforms} · “{excerpt(post.text)}”{labels}"
    )


def entry_line(entry: PlatformEntry, accounts: dict[int, SocialAccount], zone: str) -> str:
    account = accounts.get(entry.account_id)
    name = (
        f"{account.name} ({entry.platform})" if account else f"removed account ({entry.platform})"
    )
    if entry.status is EntryStatus.PUBLISHED:
        return f"{ENTRY_ICON[entry.status]} {name}: {entry.platform_url}"
    if entry.status is EntryStatus.FAILED:
        return f"{ENTRY_ICON[entry.status]} {name}: {entry.error_message}"
    if entry.status is EntryStatus.PENDING and entry.not_before is not None:
        label = PLATFORMS[entry.platform].label
        waits = f"waiting for {label}'s rate limit until {show_time(entry.not_before, zone)}"
        return f"{ENTRY_ICON[entry.status]} {name}: {waits}"
    return f"{ENTRY_ICON[entry.status]} {name}: {entry.status.value}"


def post_buttons(post: Post) -> tuple[Button, ...]:
    n = str(post.number)
    if post.status in (PostStatus.FAILED, PostStatus.PARTIALLY_PUBLISHED):
        return (Button("Retry", "retry", n), Button("Duplicate", "duplicate", n))
    if post.status is PostStatus.SCHEDULED:
        return (Button("Unschedule", "unschedule", n), Button("Duplicate", "duplicate", n))
    if post.status is PostStatus.PUBLISHED:
        return (Button("Duplicate", "duplicate", n),)
    if post.review_state is ReviewState.PENDING_REVIEW:
        return (
            Button("Approve", "approve", n),
            Button("Request changes", "changes", n),
            Button("Comment", "comment", n),
        )
    if post.status is PostStatus.DRAFT:
        return (Button("Duplicate", "duplicate", n), Button("Delete", "delete", n, danger=True))
    return ()


REVIEW_SAID = {
    ReviewState.PENDING_REVIEW: "⏳ waiting for review",
    ReviewState.APPROVED: "👍 approved",
    ReviewState.CHANGES_REQUESTED: "✏️ changes requested",
}


def post_details(
    details: PostDetails, headline: str | None = None, show_member: ShowMember = at_name
) -> Reply:
    post, zone = details.post, details.timezone
    fields = [Field("Status", f"{STATUS_ICON[post.status]} {said(post.status)}")]
    if post.scheduled_at:
        fields.append(Field("When", show_time(post.scheduled_at, zone)))
    if post.finished_at and post.status.final:
        fields.append(Field("Finished", show_time(post.finished_at, zone)))
    if post.labels:
        fields.append(Field("Labels", " ".join("#" + n for n in post.labels)))
    if post.media:
        fields.append(Field("Media", ", ".join(media_label(item) for item in post.media)))
    if post.review_state is not ReviewState.NONE:
        fields.append(Field("Review", REVIEW_SAID[post.review_state]))
    items = [entry_line(e, details.accounts, zone) for e in post.enabled_entries]
    if details.review is not None:
        items += review_lines(details.review, zone)
    if details.comments is not None:
        items += [f"💬 {comment_line(c, details.comments, show_member)}"
                  for c in details.comments.comments]  # fmt: skip
    tone = {
        PostStatus.PUBLISHED: Tone.SUCCESS,
        PostStatus.PARTIALLY_PUBLISHED: Tone.WARNING,
        PostStatus.FAILED: Tone.ERROR,
    }.get(post.status, Tone.INFO)
    return Reply(
        title=headline or f"Post {post.number} {said(post.status)}",
        text=post.text,
        tone=tone,
        fields=tuple(fields),
        items=tuple(items),
        buttons=post_buttons(post),
    )


def post_list(listing: PostList, scope: str) -> Reply:
    if not listing.posts:
        return Reply(text=f'No posts ({scope}). Start one with `schedule "text" at tomorrow 9am`.')
    return Reply(
        title=f"Posts ({scope}): {len(listing.posts)}",
        items=tuple(post_line(p, listing.timezone) for p in listing.posts),
    )


def calendar_reply(window: CalendarWindow) -> Reply:
    zone = ZoneInfo(window.timezone)
    by_day: dict[date, list[Post]] = {d: [] for d in window.days}
    for post in window.posts:
        moment = post.scheduled_at or post.finished_at or post.created_at
        if moment is not None:
            by_day.setdefault(in_zone(moment, zone).date(), []).append(post)
    first, last = window.days[0], window.days[-1]
    title = {
        CalendarView.DAY: f"{first:%A %d %B %Y}",
        CalendarView.WEEK: f"Week of {first:%d %b} – {last:%d %b %Y}",
        CalendarView.MONTH: f"{first:%B %Y}",
    }[window.view]
    grid = _month_grid(window.days, by_day) if window.view is CalendarView.MONTH else None
    lines = _day_rows(window.days, by_day, zone, skip_empty=window.view is CalendarView.MONTH)
    return Reply(
        title=f"{title} ({window.timezone})",
        block="\n".join(filter(None, [grid, lines])),
        footer=f"{len(window.posts)} post(s)",
    )


def _day_rows(
    days: Sequence[date], by_day: dict[date, list[Post]], zone: ZoneInfo, *, skip_empty: bool
) -> str:
    rows = []
    for day in days:
        posts = by_day.get(day, [])
        if skip_empty and not posts:
            continue
        cells = [_cell(p, zone) for p in posts] or ["·"]
        rows.append(f"{day:%a %d %b} │ " + "  ".join(cells))
    return "\n".join(rows)


def _cell(post: Post, zone: ZoneInfo) -> str:
    moment = post.scheduled_at or post.finished_at or post.created_at
    hhmm = in_zone(moment, zone).strftime("%H:%M") if isinstance(moment, datetime) else "--:--"
    return f"{hhmm} {STATUS_ICON[post.status]} #{post.number} {excerpt(post.text, 24)}"


def _month_grid(days: Sequence[date], by_day: dict[date, list[Post]]) -> str:
    header = " ".join(f"{name:>5}" for name in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))
    cells = ["     "] * days[0].weekday()
    for day in days:
        count = len(by_day.get(day, []))
        cells.append(f"{day.day:>2}{'•' + str(count) if count else '':<3}")
    weeks = [" ".join(cells[i : i + 7]) for i in range(0, len(cells), 7)]
    return "\n".join([header, *weeks])


def accounts_reply(accounts: Sequence[SocialAccount]) -> Reply:
    if not accounts:
        return Reply(text="No accounts yet. Try `accounts add sandbox brand` to start.")
    return Reply(
        title=f"Accounts: {len(accounts)}",
        items=tuple(
            f"{'🟢' if a.status is AccountStatus.CONNECTED else '🔴'} {a.name} · "
            f"{a.spec.label} {a.handle} · {a.status.value}" + _mode(a)
            for a in accounts
        ),
    )


def _mode(account: SocialAccount) -> str:
    mode = account.credentials.get("mode") if account.platform == "sandbox" else None
    return f" · mode {mode}" if mode and mode != "ok" else ""


def labels_reply(labels: Sequence[Label]) -> Reply:
    if not labels:
        return Reply(text="No labels yet. `labels add launch` makes one.")
    return Reply(title="Labels", text=" ".join("#" + label.name for label in labels))


def publish_progress(post: Post, names: dict[int, str], verb: str) -> Reply:
    """A publish in flight, one line per platform (⏳ sending, ✅ live, ❌ refused)."""
    lines = []
    for entry in post.enabled_entries:
        who = f"{names.get(entry.account_id, 'removed account')} ({entry.platform})"
        detail = entry.platform_url if entry.platform_url else entry.error_message or "sending…"
        lines.append(f"{ENTRY_ICON[entry.status]} {who}: {detail}")
    return Reply(title=f"⏳ {verb} post {post.number}", items=tuple(lines))
