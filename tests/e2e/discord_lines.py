"""A scenario line as a person would enter it in Discord: ``/trypost`` with a subcommand
(or a group and a subcommand) and typed options.

The line is read by our grammar first, so the request is the one the console and Slack
run; this module then picks the options Discord's form would have held. People are
mentions (``<@id>``): a USER option carries the id, and the interaction's ``resolved``
data describes the person, as Discord sends it.
"""

import re
from dataclasses import dataclass, field
from typing import Any

from bot.commands import requests as rq
from bot.commands.grammar import parse

STRING, INTEGER, BOOLEAN, USER, MENTIONABLE = 3, 4, 5, 6, 9
_USER = re.compile(r"^<@!?(\d+)>$")


@dataclass
class Typed:
    """``/trypost <path…>`` with these options (name → (Discord type, value))."""

    path: tuple[str, ...]
    options: dict[str, tuple[int, Any]] = field(default_factory=dict)

    def add(self, name: str, kind: int, value: Any) -> "Typed":
        if value not in (None, "", ()):
            self.options[name] = (kind, value)
        return self

    def text(self, name: str, value: str | None) -> "Typed":
        return self.add(name, STRING, value)

    def number(self, name: str, value: int | None) -> "Typed":
        return self.add(name, INTEGER, value)

    def user_ids(self) -> list[str]:
        return [str(v) for kind, v in self.options.values() if kind in (USER, MENTIONABLE)]

    def discord_options(self) -> list[dict[str, Any]]:
        """The nested options of the interaction's ``data`` (subcommand, group)."""
        leaf: list[dict[str, Any]] = [
            {"name": name, "type": kind, "value": value}
            for name, (kind, value) in self.options.items()
        ]
        nested: dict[str, Any] = {"name": self.path[-1], "type": 1, "options": leaf}
        if len(self.path) == 2:
            nested = {"name": self.path[0], "type": 2, "options": [nested]}
        return [nested]


def typed(line: str) -> Typed:
    """The Discord form of a line; ValueError for one Discord cannot express."""
    return _typed(parse(line))


def _joined(items: tuple[str, ...]) -> str | None:
    return ", ".join(items) or None


def _typed(r: rq.Request) -> Typed:  # noqa: PLR0911, PLR0912 - one branch per request kind
    match r:
        case rq.Schedule():
            return (
                Typed(("schedule",))
                .text("text", r.text)
                .text("when", r.when)
                .text("on", _joined(r.accounts))
                .text("label", _joined(r.labels))
                .text("link", _joined(r.media))
            )
        case rq.Now():
            return Typed(("now",)).text("text", r.text).text("on", _joined(r.accounts))
        case rq.Draft():
            return (
                Typed(("draft",))
                .text("text", r.text)
                .text("on", _joined(r.accounts))
                .text("label", _joined(r.labels))
            )
        case rq.ListPosts():
            return (
                Typed(("list",))
                .text("status", r.scope if r.scope != "all" else None)
                .text("label", r.label)
                .text("from", r.start)
                .text("to", r.end)
            )
        case rq.Calendar():
            return Typed(("calendar",)).text("view", r.view).text("date", r.date)
        case rq.Show() | rq.Unschedule() | rq.Duplicate() | rq.Retry() | rq.Submit() | rq.Approve():
            return Typed((type(r).__name__.lower(),)).number("post", r.post)
        case rq.Edit():
            return Typed(("edit",)).number("post", r.post).text("text", r.text)
        case rq.Reschedule():
            return Typed(("reschedule",)).number("post", r.post).text("when", r.when)
        case rq.Delete():
            return Typed(("delete",)).number("post", r.post).add("confirm", BOOLEAN, r.confirmed)
        case rq.RequestChanges():
            return Typed(("changes",)).number("post", r.post).text("feedback", r.feedback)
        case rq.LabelPost():
            return Typed(("label",)).number("post", r.post).text("labels", _joined(r.labels))
        case rq.UnlabelPost():
            return Typed(("unlabel",)).number("post", r.post).text("label", r.label)
        case rq.Comment() if r.reply_to is None:
            return Typed(("comment", "add")).number("post", r.post).text("text", r.text)
        case rq.Comment():
            return (
                Typed(("comment", "reply"))
                .number("post", r.post)
                .number("comment", r.reply_to)
                .text("text", r.text)
            )
        case rq.Comments():
            return Typed(("comment", "list")).number("post", r.post)
        case rq.CommentEdit():
            return Typed(("comment", "edit")).number("comment", r.comment).text("text", r.text)
        case rq.CommentDelete():
            return Typed(("comment", "delete")).number("comment", r.comment)
        case rq.React():
            return Typed(("comment", "react")).number("comment", r.comment).text("emoji", r.emoji)
        case rq.Inbox():
            return (
                Typed(("inbox", "show"))
                .text("status", r.status)
                .text("category", r.category)
                .text("since", r.since)
            )
        case rq.Read() | rq.Archive():
            return Typed(("inbox", type(r).__name__.lower())).text("which", str(r.target))
        case rq.Accounts():
            return (
                Typed(("accounts", r.action))
                .text("platform", r.platform)
                .text("name", r.name)
                .text("mode", r.mode)
            )
        case rq.Labels():
            return Typed(("labels", r.action)).text("name", r.name)
        case rq.Settings() if r.email is not None:
            return Typed(("settings", "email")).text("address", r.email)
        case rq.Settings() if r.approvals is not None:
            return Typed(("settings", "approvals")).text("state", "on" if r.approvals else "off")
        case rq.Settings() if r.timezone is not None:
            return Typed(("settings", "timezone")).text("zone", r.timezone)
        case rq.Settings() if r.limit is not None:
            return Typed(("settings", "limit")).text("posts", str(r.limit))
        case rq.Settings() if r.notifications is not None:
            return Typed(("settings", "notifications")).text("change", " ".join(r.notifications))
        case rq.Settings():
            return Typed(("settings", "show"))
        case rq.Members() if r.action in ("invite", "role", "remove"):
            found = _USER.match(r.user or "")
            assert found, f"a person on Discord is a mention: {r.user!r}"
            name = "user" if r.action == "invite" else "who"
            kind = USER if r.action == "invite" else MENTIONABLE
            return Typed(("members", r.action)).add(name, kind, found[1]).text("role", r.role)
        case rq.Members():
            return Typed(("members", r.action))
        case rq.Help():
            return Typed(("help",)).text("command", r.topic)
    raise ValueError(f"no Discord form for {r!r}")
