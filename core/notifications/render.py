"""A notification as a neutral message: what the DM, the inbox and the email show."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from core.messages import Button, Reply, Tone
from core.notifications.model import Notification
from core.notifications.types import NoticeType
from core.timeparse import show_time

_ENTRY_ICON = {"published": "✅", "failed": "❌"}


def render(notification: Notification, timezone: str = "UTC") -> Reply:
    p = notification.payload
    kind = notification.type
    number = p.get("post_number")
    if kind is NoticeType.POST_PUBLISHED:
        return Reply(
            title=f"✅ Post {number} published{_about(p)}",
            text=_rest(p),
            tone=Tone.SUCCESS,
            items=_entries(p),
            buttons=(Button("Open post", "show", str(number)),),
        )
    if kind is NoticeType.POST_FAILED:
        partial = p.get("status") == "partially_published"
        return Reply(
            title=f"{'⚠️' if partial else '❌'} Post {number} "
            f"{'partially published' if partial else 'failed'}{_about(p)}",
            text=p.get("reason") or _rest(p),
            tone=Tone.WARNING if partial else Tone.ERROR,
            items=_entries(p),
            buttons=(
                Button("Retry", "retry", str(number)),
                Button("Open post", "show", str(number)),
            ),
        )
    if kind is NoticeType.POST_SCHEDULED:
        when = _when(p.get("scheduled_at"), timezone)
        return Reply(
            title=f"🕒 Post {number} scheduled{f' for {when}' if when else ''}{_about(p)}",
            text=_rest(p),
            buttons=(Button("Open post", "show", str(number)),),
        )
    if kind is NoticeType.POST_RETRY:
        return Reply(
            title=f"🔁 Post {number} is being retried{_about(p)}",
            text=_rest(p),
            buttons=(Button("Open post", "show", str(number)),),
        )
    if kind in _COLLABORATION:
        return _COLLABORATION[kind](p, str(number), timezone)
    if kind is NoticeType.ACCOUNT_DISCONNECTED:
        account = p.get("account", "An account")
        return Reply(
            title=f"🔴 {account} was disconnected",
            text=f"{p.get('reason') or 'Its token no longer works'}. Posts to it will fail "
            "until it is reconnected.",
            tone=Tone.ERROR,
            buttons=(_reconnect(p),),
        )
    if kind is NoticeType.TOKEN_EXPIRING:
        account = p.get("account", "An account")
        when = _when(p.get("expires_at"), timezone)
        return Reply(
            title=f"⏳ {account} needs reconnecting{f' by {when}' if when else ' soon'}",
            text=f"{p.get('reason') or 'Its sign-in cannot be renewed automatically'}. "
            "Reconnect it before then, or posts to it will fail.",
            tone=Tone.WARNING,
            buttons=(_reconnect(p),),
        )
    if kind is NoticeType.STORAGE_LIMIT:
        return Reply(
            title=f"💾 Media storage {p.get('percent')} % full",
            text=f"{_megabytes(p.get('used'))} of {_megabytes(p.get('quota'))} used. Past 100 % "
            "new media is refused.",
            tone=Tone.WARNING,
        )
    if kind is NoticeType.PLAN_LIMITS:
        used, cap = p.get("used"), p.get("cap")
        reached = used is not None and cap is not None and used >= cap
        return Reply(
            title="📈 Monthly post limit reached" if reached else "📈 Nearing the monthly limit",
            text=f"{used} of {cap} posts this month."
            + (" New posts cannot be scheduled until next month." if reached else ""),
            tone=Tone.WARNING,
        )
    if kind is NoticeType.MEMBER_JOINED:
        return Reply(title=f"👋 @{p.get('name')} joined as {p.get('role')}")
    if kind is NoticeType.MEMBER_REMOVED:
        return Reply(title=f"@{p.get('name')} was removed from the workspace")
    if kind is NoticeType.INVITE_RECEIVED:
        return Reply(
            title=f"You were invited to trypost as {p.get('role')}",
            text="Accept to join the team's posts, reviews and comments.",
            buttons=(
                Button("Accept", "members", "accept"),
                Button("Decline", "members", "decline", danger=True),
            ),
        )
    if kind is NoticeType.INVITE_DECLINED:
        return Reply(title=f"@{p.get('name')} declined your invitation")
    if kind is NoticeType.ROLE_CHANGED:
        return Reply(title=f"Your role is now {p.get('role')}", text=f"Changed by @{p.get('by')}.")
    if kind is NoticeType.EMAIL_CONFIRMATION:
        until = _when(p.get("expires_at"), timezone)
        return Reply(
            title=f"📧 Confirm {p.get('address')} for your email",
            text=f"I sent a link to {p.get('address')}"
            + (f"; it works until {until}." if until else ".")
            + " Until you open it, email goes where it went before.",
        )
    return Reply(title=kind.value.replace("_", " ").capitalize(), text=_quote(p) or None)


def _open(number: str) -> Button:
    return Button("Open post", "show", number)


def _approval_requested(p: dict[str, Any], number: str, zone: str) -> Reply:
    when = _when(p.get("scheduled_at"), zone)
    return Reply(
        title=f"📝 @{p.get('by')} asks you to review post {number}{_about(p)}",
        text=_quote(p) + (f"\nIt goes out {when} once approved." if when else ""),
        buttons=(
            Button("Approve", "approve", number),
            Button("Request changes", "changes", number),
            _open(number),
        ),
    )


def _approved(p: dict[str, Any], number: str, zone: str) -> Reply:
    when = _when(p.get("scheduled_at"), zone)
    if p.get("due_passed"):
        text = "Its time passed while it waited, so it is a draft again: `reschedule` it."
    else:
        text = f"It goes out {when}." if when else "Schedule it when you are ready."
    return Reply(
        title=f"👍 @{p.get('by')} approved post {number}{_about(p)}",
        text=text,
        tone=Tone.SUCCESS,
        buttons=(_open(number),),
    )


def _changes_requested(p: dict[str, Any], number: str, zone: str) -> Reply:
    return Reply(
        title=f"✏️ @{p.get('by')} asks for changes to post {number}{_about(p)}",
        text=f"“{p.get('feedback')}”\nEdit it, then `submit {number}` for the next round.",
        tone=Tone.WARNING,
        buttons=(_open(number),),
    )


def _overdue(p: dict[str, Any], number: str, zone: str) -> Reply:
    return Reply(
        title=f"⏰ Post {number} is due but not approved{_about(p)}",
        text="It was not published and waits for review; once approved, reschedule it.",
        tone=Tone.WARNING,
        buttons=(Button("Approve", "approve", number), _open(number)),
    )


_COMMENT_HEADS = {
    NoticeType.MENTIONED_IN_COMMENT: "💬 @{by} mentioned you on post {number}",
    NoticeType.COMMENT_ON_YOUR_POST: "💬 @{by} commented on your post {number}",
    NoticeType.COMMENT_REPLY: "💬 @{by} replied to your comment on post {number}",
    NoticeType.APPROVAL_FEEDBACK: "💬 @{by} commented on post {number}, in review",
}


def _commented(kind: NoticeType) -> Callable[[dict[str, Any], str, str], Reply]:
    def comment_notice(p: dict[str, Any], number: str, zone: str) -> Reply:
        head = _COMMENT_HEADS[kind].format(by=p.get("by"), number=number)
        return Reply(
            title=head + _about(p),
            text=f"“{p.get('comment')}”",
            buttons=(
                Button("Reply", "comment", f"{number} reply {p.get('comment_number')}"),
                Button("Comments", "comments", number),
            ),
        )

    return comment_notice


def _created(p: dict[str, Any], number: str, zone: str) -> Reply:
    return Reply(
        title=f"🆕 @{p.get('by')} created post {number}{_about(p)}",
        text=_quote(p),
        buttons=(_open(number),),
    )


def _reconnect(p: dict[str, Any]) -> Button:
    """Real platforms reconnect through a fresh sign-in link; a sandbox account by its mode."""
    if p.get("platform") == "sandbox":
        return Button("Reconnect", "accounts", f"mode {p.get('account')} ok")
    return Button("Reconnect", "accounts", f"reconnect {p.get('account', '')}".strip())


def _megabytes(value: Any) -> str:
    return f"{int(value or 0) / 1_000_000:.1f} MB"


_COLLABORATION: dict[NoticeType, Callable[[dict[str, Any], str, str], Reply]] = {
    NoticeType.APPROVAL_REQUESTED: _approval_requested,
    NoticeType.POST_APPROVED: _approved,
    NoticeType.CHANGES_REQUESTED: _changes_requested,
    NoticeType.REVIEW_OVERDUE: _overdue,
    NoticeType.POST_CREATED: _created,
    **{kind: _commented(kind) for kind in _COMMENT_HEADS},
}


def subject_of(notification: Notification) -> str:
    """A one-line email subject: the message title without its icon."""
    title = render(notification).title or "trypost"
    return title.split(" ", 1)[1] if title[:1] and not title[0].isalnum() else title


# Headlines name the post by its first words, so a list of "Post published" lines can
# be told apart; the message body quotes more only when there is more.
HEADLINE_WORDS = 6


def _about(p: dict[str, Any]) -> str:
    words = str(p.get("text") or "").split()
    if not words:
        return ""
    shown = " ".join(words[:HEADLINE_WORDS])
    if len(shown) > 48:
        shown = shown[:47].rstrip()
        return f" · “{shown}…”"
    return f" · “{shown}{'…' if len(words) > HEADLINE_WORDS else ''}”"


def _rest(p: dict[str, Any]) -> str:
    """The quote, unless the headline already holds the whole text."""
    whole = " ".join(str(p.get("text") or "").split())
    return "" if _about(p) == (f" · “{whole}”" if whole else "") else _quote(p)


def _quote(p: dict[str, Any]) -> str:
    text = " ".join(str(p.get("text") or "").split())
    return f"“{text[:120]}{'…' if len(text) > 120 else ''}”" if text else ""


def _entries(p: dict[str, Any]) -> tuple[str, ...]:
    lines = []
    for entry in p.get("entries") or []:
        icon = _ENTRY_ICON.get(entry.get("status"), "⏳")
        detail = entry.get("url") if entry.get("status") == "published" else entry.get("error")
        where = (
            f"{entry['account']} ({entry.get('platform')})"
            if entry.get("account")
            else (entry.get("platform"))
        )
        lines.append(f"{icon} {where}: {detail or entry.get('status')}")
    return tuple(lines)


def _when(iso: str | None, timezone: str) -> str | None:
    return show_time(datetime.fromisoformat(iso), timezone) if iso else None
