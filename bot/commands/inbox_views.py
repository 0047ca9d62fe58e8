"""Inbox and notification settings as neutral replies."""

from core.messages import Button, Field, Reply
from core.notifications.model import EmailMode, Notification, Preferences
from core.notifications.render import render
from core.notifications.types import TYPES, Category, EmailDefault
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


def preferences_reply(prefs: Preferences) -> Reply:
    rows = []
    for category in Category:
        types = [t for t, spec in TYPES.items() if spec.category is category]
        chat = "on" if all(prefs.wants_chat(t) for t in types) else "partly"
        chat = "off" if not any(prefs.wants_chat(t) for t in types) else chat
        email_types = [t for t in types if TYPES[t].email is not EmailDefault.NEVER]
        wanted = [prefs.wants_email(t) for t in email_types]
        email = (
            "never"
            if not email_types
            else "on"
            if all(wanted)
            else "off"
            if not any(wanted)
            else "partly"
        )
        if email_types and TYPES[email_types[0]].email is EmailDefault.PRESENCE and email == "on":
            email = "when away"
        rows.append(f"{category.value}: chat {chat}, email {email}")
    mode = (
        f"one daily digest at {prefs.digest_hour:02d}:00"
        if prefs.email_mode is EmailMode.DIGEST
        else "immediately"
    )
    return Reply(
        title="Your notifications",
        items=tuple(rows),
        fields=(
            Field("Email", mode),
            Field("Only when away", "yes" if prefs.email_only_when_away else "no"),
        ),
        footer="Change with `settings notifications email off publishing`, "
        "`settings notifications digest 8` or `settings notifications away-only on`.",
    )
