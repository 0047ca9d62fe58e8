"""Inbox and notification settings as neutral replies."""

from core.messages import Button, Field, Reply
from core.notifications.model import EmailMode, Notification, Preferences
from core.notifications.render import render
from core.notifications.types import TYPES, Category, EmailDefault, NoticeType, chosen_types
from core.timeparse import show_time
from core.usecases.notifications import Inbox


def inbox_reply(box: Inbox, status: str | None) -> Reply:
    if not box.notifications:
        shown = status or "open"
        return Reply(text=f"No {shown} notifications. 📭 {box.unread} unread.")
    ordered = sorted(box.notifications, key=lambda n: (n.category.value, -n.id))
    items = [f"{n.category.value} · {line(n, box.timezone)}" for n in ordered]
    unread = [n for n in box.notifications if n.read_at is None][:5]
    return Reply(
        title=f"Inbox: {box.unread} unread",
        items=tuple(items),
        buttons=tuple(Button(f"Open #{n.id}", "read", str(n.id)) for n in unread),
    )


def line(n: Notification, zone: str) -> str:
    """When, what, and who or which account was involved."""
    shown = render(n, zone)
    mark = "🔵 " if n.read_at is None else ""
    who = n.payload.get("account") or n.payload.get("name")
    involved = f" · {who}" if who else ""
    return f"{mark}#{n.id} {show_time(n.created_at, zone)} · {shown.title}{involved}"


def opened(n: Notification, zone: str, post: Reply | None) -> Reply:
    shown = render(n, zone)
    if post is None:
        return shown
    return Reply(
        title=shown.title,
        text=shown.text,
        tone=shown.tone,
        fields=post.fields,
        items=post.items or shown.items,
        buttons=post.buttons or shown.buttons,
    )


# What each type is called in settings; the type name stays beside it because commands
# take it (`settings notifications email off post_scheduled`). Keyed by the type's value so
# a type added to core without a label here still shows, under its own name.
NOTICE_LABELS: dict[str, str] = {
    "post_published": "Post published",
    "post_failed": "Post failed or partly published",
    "post_scheduled": "Post scheduled",
    "post_retry": "Post retried",
    "post_ready": "AI post ready",
    "account_disconnected": "Account disconnected",
    "token_expiring": "Account token expiring",
    "storage_limit": "Storage limit",
    "plan_limits": "Monthly post limit",
    "approval_requested": "Review requested",
    "post_approved": "Post approved",
    "changes_requested": "Changes requested",
    "approval_feedback": "Review feedback",
    "review_overdue": "Review overdue",
    "post_created": "New post created",
    "mentioned_in_comment": "Mentioned in a comment",
    "comment_on_your_post": "Comment on your post",
    "comment_reply": "Reply to your comment",
    "invite_received": "Invitation received",
    "invite_declined": "Invitation declined",
    "member_joined": "Member joined",
    "member_removed": "Member removed",
    "role_changed": "Role changed",
}
CATEGORY_LABELS: dict[Category, str] = {Category.AI: "AI"}
CHANGE_HINT = (
    "Change with `settings notifications email off <type or category>` (none: all), "
    "`settings notifications chat on <type or category>`, `settings notifications digest 8`, "
    "`settings notifications immediate` or `settings notifications away-only on|off`."
)


def notice_label(notice: NoticeType) -> str:
    """``Post published (post_published)``: a name to read and the name to type."""
    name = NOTICE_LABELS.get(notice.value) or notice.value.replace("_", " ").capitalize()
    return f"{name} ({notice.value})"


def preferences_reply(prefs: Preferences, zone: str, address: str | None = None) -> Reply:
    """Every type under its category with what chat and email will really do.

    The per-type lines are the reply's text, one short line each under a category
    heading: on Slack that is one section (well under 3,000 characters even for every
    type), on the console indented lines; fields would squeeze them into two columns.
    """
    lines: list[str] = []
    for category in Category:
        # An address confirmation is no one's choice: not listed.
        types = [t for t in chosen_types() if TYPES[t].category is category]
        if not types:
            continue
        if lines:
            lines.append("")
        lines.append(CATEGORY_LABELS.get(category, category.value.capitalize()))
        lines += [
            f"• {notice_label(t)}: chat {'on' if prefs.wants_chat(t) else 'off'} · "
            f"{_email_state(t, prefs)}"
            for t in types
        ]
    hour = f"{prefs.digest_hour:02d}:00 {zone}"
    digest = prefs.email_mode is EmailMode.DIGEST
    return Reply(
        title="Your notifications",
        text="\n".join(lines),
        fields=(
            Field("Email", f"one daily digest at {hour}" if digest else "immediately, one by one"),
            Field("Digest hour", hour if digest else f"{hour} (used with `digest`)"),
            Field("Email only when I'm away", "on" if prefs.email_only_when_away else "off"),
            Field("Email address", address or "none, so no email is sent"),
        ),
        footer=CHANGE_HINT,
    )


def _email_state(notice: NoticeType, prefs: Preferences) -> str:
    """What email does for this type, all rules applied (DESIGN §3)."""
    if TYPES[notice].email is EmailDefault.NEVER:
        return "email never"  # chat-only: no choice turns it on
    if not prefs.wants_email(notice):
        return "email off"
    if TYPES[notice].email is EmailDefault.PRESENCE or prefs.email_only_when_away:
        return "email only when away"
    return "email on"
