"""Typed requests: what a command line means, before anyone acts on it.

The grammar turns text into one of these frozen dataclasses and the dispatcher turns
them into core use-case calls, so neither side reads the other's strings. Times stay
raw (``when``, ``start``, ``end``, ``since``, ``date``): the core parses them with
dateparser in the member's own time zone, which the grammar does not know.
"""

from dataclasses import dataclass
from typing import Literal, TypeAlias

Scope: TypeAlias = Literal["drafts", "scheduled", "published", "failed", "all"]
View: TypeAlias = Literal["day", "week", "month"]
InboxStatus: TypeAlias = Literal["unread", "read", "archived"]
Target: TypeAlias = int | Literal["all"]
AccountAction: TypeAlias = Literal["list", "add", "connect", "reconnect", "remove", "mode"]
LabelAction: TypeAlias = Literal["list", "add", "remove"]
MemberAction: TypeAlias = Literal["list", "invite", "role", "remove", "accept", "decline"]


@dataclass(frozen=True)
class Help:
    """``help [command]``: the overview, or one command in detail."""

    topic: str | None = None


@dataclass(frozen=True)
class Schedule:
    """``schedule "text" at <when> …``; ``text`` None opens the composer.

    The composer is prefilled with whatever options were given. When ``text`` is set,
    ``when`` is set too (the grammar refuses text without a time).
    """

    text: str | None = None
    when: str | None = None
    accounts: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    media: tuple[str, ...] = ()
    # Descriptions of the media, in order (``alt "…"``), for the platforms' alt text.
    alts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Now:
    """``now "text" [on <accounts>]``: publish at once."""

    text: str
    accounts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Draft:
    """``draft "text" [on <accounts>] [label <labels>]``: keep a post without a time."""

    text: str
    accounts: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class ListPosts:
    """``list [scope] [label X] [from <when>] [to <when>]``; the scope defaults to all."""

    scope: Scope = "all"
    label: str | None = None
    start: str | None = None
    end: str | None = None


@dataclass(frozen=True)
class Calendar:
    """``calendar [day|week|month] [<date>]``; ``date`` None means around today."""

    view: View = "week"
    date: str | None = None


@dataclass(frozen=True)
class Show:
    post: int


@dataclass(frozen=True)
class Edit:
    post: int
    text: str


@dataclass(frozen=True)
class Reschedule:
    post: int
    when: str


@dataclass(frozen=True)
class Unschedule:
    post: int


@dataclass(frozen=True)
class Duplicate:
    post: int


@dataclass(frozen=True)
class Delete:
    """``delete <post> [confirm]``: unconfirmed asks first, confirmed deletes."""

    post: int
    confirmed: bool = False


@dataclass(frozen=True)
class Retry:
    post: int


@dataclass(frozen=True)
class Submit:
    post: int


@dataclass(frozen=True)
class Approve:
    post: int


@dataclass(frozen=True)
class RequestChanges:
    """``changes <post> "feedback"``."""

    post: int
    feedback: str


@dataclass(frozen=True)
class Comment:
    """``comment <post> "text"`` or ``comment <post> reply <comment> "text"``.

    ``text`` is raw: @mentions are resolved by the surface and the core.
    """

    post: int
    text: str
    reply_to: int | None = None


@dataclass(frozen=True)
class CommentEdit:
    """``comment edit <comment> "text"``: authors change their own words."""

    comment: int
    text: str


@dataclass(frozen=True)
class CommentDelete:
    """``comment delete <comment>``."""

    comment: int


@dataclass(frozen=True)
class Comments:
    post: int


@dataclass(frozen=True)
class React:
    """``react <comment> <emoji>``; the emoji is kept as typed (``:tada:`` or 🎉)."""

    comment: int
    emoji: str


@dataclass(frozen=True)
class Accounts:
    """``accounts [list | add <platform> <name> | connect <platform> | remove <name>
    | mode <name> <mode>]``.

    ``platform`` is lower-cased; which platforms may be added by name is the core's call.
    ``mode`` (sandbox accounts only) makes an account succeed, fail or be slow on purpose.
    """

    action: AccountAction = "list"
    platform: str | None = None
    name: str | None = None
    mode: str | None = None
    # ``accounts add webhook <name> <URL> [secret <secret>]``; for ``connect``: the
    # Mastodon instance or Bluesky PDS (``url``), the access token or app password
    # (``secret``) and the Bluesky handle (``name``).
    url: str | None = None
    secret: str | None = None


@dataclass(frozen=True)
class Labels:
    """``labels [list | add <label> | remove <label>]``: the workspace's labels."""

    action: LabelAction = "list"
    name: str | None = None


@dataclass(frozen=True)
class LabelPost:
    """``label <post> <labels>``: attach one or more labels to a post."""

    post: int
    labels: tuple[str, ...]


@dataclass(frozen=True)
class UnlabelPost:
    post: int
    label: str


@dataclass(frozen=True)
class Inbox:
    """``inbox [unread|read|archived] [<category>] [since <when>]``; None = no filter."""

    status: InboxStatus | None = None
    category: str | None = None
    since: str | None = None


@dataclass(frozen=True)
class Read:
    """``read <n>|all``: mark one notification, or all, as read."""

    target: Target


@dataclass(frozen=True)
class Archive:
    """``archive <n>|all``."""

    target: Target


@dataclass(frozen=True)
class Settings:
    """``settings [timezone <zone>] [email <address>|off] [approvals on|off] [notifications …]``.

    A field left None was not mentioned; all None means "show the settings".
    ``notifications`` keeps the raw words after the keyword (``()`` = show them) until
    its own sub-grammar exists.
    """

    timezone: str | None = None
    approvals: bool | None = None
    notifications: tuple[str, ...] | None = None
    # The plan's monthly post cap: a number, or "off" for none.
    limit: int | Literal["off"] | None = None
    # A new address as typed (the core checks it), or "off" to have none.
    email: str | None = None


@dataclass(frozen=True)
class Members:
    """``members [list | invite <user> <role> | role <user> <role> | remove <user>]``.

    ``user`` is kept as typed (``@alice``, ``<@U123>``, an email, or a Discord role
    ``<@&123>`` for ``role`` and ``remove``): surfaces resolve it.
    ``role`` is one of the core's role names, lower-cased.
    """

    action: MemberAction = "list"
    user: str | None = None
    role: str | None = None


Request: TypeAlias = (
    Help
    | Schedule
    | Now
    | Draft
    | ListPosts
    | Calendar
    | Show
    | Edit
    | Reschedule
    | Unschedule
    | Duplicate
    | Delete
    | Retry
    | Submit
    | Approve
    | RequestChanges
    | Comment
    | CommentEdit
    | CommentDelete
    | Comments
    | React
    | Accounts
    | Labels
    | LabelPost
    | UnlabelPost
    | Inbox
    | Read
    | Archive
    | Settings
    | Members
)
