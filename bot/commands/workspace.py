"""Parsers of the workspace commands: accounts, labels, inbox, settings and members.

Split from ``grammar`` to keep modules small; each function reads the words after its
verb and returns the typed request (DESIGN §4).
"""

import difflib
import re
import zoneinfo
from functools import cache
from typing import Literal

from bot.commands.arguments import Args, option_words, read_choice, suggestion
from bot.commands.errors import ParseError, quoted
from bot.commands.requests import (
    AccountAction,
    Accounts,
    Inbox,
    InboxStatus,
    LabelAction,
    Labels,
    MemberAction,
    Members,
    Request,
    Settings,
)
from bot.commands.tokens import Token
from core.roles import Role

_ACCOUNT_ACTIONS: dict[str, AccountAction] = {
    "list": "list",
    "add": "add",
    "connect": "connect",
    "reconnect": "reconnect",
    "mode": "mode",
    "remove": "remove",
}
_LABEL_ACTIONS: dict[str, LabelAction] = {"list": "list", "add": "add", "remove": "remove"}
_MEMBER_ACTIONS: dict[str, MemberAction] = {
    "list": "list",
    "invite": "invite",
    "role": "role",
    "remove": "remove",
    "accept": "accept",
    "decline": "decline",
}
_ROLES: dict[str, str] = {role.value: role.value for role in Role}
_INBOX_STATUSES: dict[str, InboxStatus] = {
    "unread": "unread",
    "read": "read",
    "archived": "archived",
}
# The notification categories of DESIGN §3, with the plurals people type.
_CATEGORIES = {
    "publishing": "publishing",
    "approval": "approval",
    "comments": "comments",
    "team": "team",
    "system": "system",
    "ai": "ai",
    "approvals": "approval",
    "comment": "comments",
}
_SETTINGS = {
    "show": "show",
    "timezone": "timezone",
    "approvals": "approvals",
    "notifications": "notifications",
    "limit": "limit",
    "email": "email",
}
_ON_OFF = {"on": True, "off": False}


def accounts(args: Args) -> Request:
    """``accounts [list | add … | connect … | remove … | mode <account> <mode>]``."""
    if args.peek() is None:
        return Accounts()
    action = args.choice(_ACCOUNT_ACTIONS, "something I do with accounts")
    args.name = f"accounts {action}"
    if action == "add":
        like = "accounts add sandbox brand"
        platform = args.need("a platform and a name", like).text.strip().lower()
        if platform == "webhook":
            return _webhook(args)
        name = args.need("a name for the account", like).text.strip()
        args.end("a platform and one name (quote a name with spaces)", like)
        return Accounts("add", platform, name)
    if action == "connect":
        return _connect(args)
    if action == "reconnect":
        name = args.need("the account to reconnect", "accounts reconnect brand").text.strip()
        args.end("one account", "accounts reconnect brand")
        return Accounts("reconnect", name=name)
    if action == "remove":
        name = args.need("the account to remove", "accounts remove brand").text.strip()
        args.end("one account (quote a name with spaces)", "accounts remove brand")
        return Accounts("remove", name=name)
    if action == "mode":
        like = "accounts mode brand fail"
        name = args.need("a sandbox account and a mode", like).text.strip()
        mode = args.need("a mode: ok, fail, auth-fail, flaky or slow", like).text.strip().lower()
        args.end("an account and one mode", like)
        return Accounts("mode", name=name, mode=mode)
    args.end("nothing more", "accounts list")
    return Accounts()


def _webhook(args: Args) -> Request:
    """``accounts add webhook <name> <URL> [secret <secret>]``."""
    like = "accounts add webhook zapier https://hooks.example.org/trypost secret whsec_…"
    name = args.need("a name and a URL", like).text.strip()
    url = args.need("the URL to post to", like).text.strip()
    secret = None
    if args.peek() is not None:
        if not args.need("`secret <secret>`", like).is_word("secret"):
            raise ParseError(f"After the URL only `secret <secret>` may follow, like `{like}`.")
        secret = args.need("the secret after `secret`", like).text.strip()
    args.end("a name, a URL and at most a secret", like)
    return Accounts("add", "webhook", name, url=url, secret=secret)


_MASTODON = "accounts connect mastodon https://mastodon.social [token <access token>]"
_BLUESKY = "accounts connect bluesky alice.bsky.social <app password> [at https://bsky.social]"


def _connect(args: Args) -> Request:
    """``connect mastodon <URL> [token <t>]`` · ``connect bluesky [<handle> <app password>
    [at <PDS URL>]]`` · ``connect <platform>``."""
    platform = args.need("a platform", "accounts connect mastodon").text.strip().lower()
    if platform == "mastodon":
        url = args.need("the instance's address", _MASTODON).text.strip()
        token = _after(args, "token", _MASTODON)
        args.end("an instance and at most `token <access token>`", _MASTODON)
        return Accounts("connect", platform, url=url, secret=token)
    if platform == "bluesky" and args.peek() is not None:
        handle = args.need("a handle", _BLUESKY).text.strip().lstrip("@")
        password = args.need("the app password after the handle", _BLUESKY).text.strip()
        pds = _after(args, "at", _BLUESKY)
        args.end("a handle, an app password and at most `at <PDS URL>`", _BLUESKY)
        return Accounts("connect", platform, handle, url=pds, secret=password)
    args.end("one platform", "accounts connect mastodon https://mastodon.social")
    return Accounts("connect", platform)


def _after(args: Args, word: str, like: str) -> str | None:
    """The value of an optional ``<word> <value>`` at the end of the line."""
    if args.peek() is None:
        return None
    if not args.need(f"`{word} <…>`", like).is_word(word):
        raise ParseError(f"Only `{word} <…>` may follow here, like `{like}`.")
    return args.need(f"a value after `{word}`", like).text.strip()


def labels(args: Args) -> Request:
    """``labels [list | add <label> | remove <label>]``."""
    if args.peek() is None:
        return Labels()
    action = args.choice(_LABEL_ACTIONS, "something I do with labels")
    args.name = f"labels {action}"
    if action == "list":
        args.end("nothing more", "labels list")
        return Labels()
    like = f"labels {action} launch"
    name = args.need("a label", like).text.strip()
    args.end("one label at a time", like)
    return Labels(action, name)


def inbox(args: Args) -> Request:
    """``inbox [unread|read|archived] [<category>] [since <when>]``, filters in any order."""
    status: InboxStatus | None = None
    category: str | None = None
    while (token := args.peek()) is not None and not token.is_word("since"):
        args.take()
        word = token.text.strip().lower()
        if word in _INBOX_STATUSES and status is None:
            status = _INBOX_STATUSES[word]
        elif word in _CATEGORIES and category is None:
            category = _CATEGORIES[word]
        elif word in _INBOX_STATUSES or word in _CATEGORIES:
            raise ParseError(
                "You gave two filters of one kind; `inbox` takes at most one status and "
                "one category, like `inbox unread approval`."
            )
        else:
            known = [*_INBOX_STATUSES, *dict.fromkeys(_CATEGORIES.values())]
            raise ParseError(
                f"{quoted(token.text)} is not an inbox filter; try "
                f"{', '.join(f'`{k}`' for k in known)}, or `since <when>`."
                f"{suggestion(word, known)}"
            )
    since = option_words(args.options({"since": "when"}), "since")
    return Inbox(status, category, since)


def settings(args: Args) -> Request:
    """``settings [timezone <zone>] [email <address>|off] [approvals on|off]
    [notifications …]``, combinable."""
    timezone: str | None = None
    email: str | None = None
    approvals: bool | None = None
    notifications: tuple[str, ...] | None = None
    limit: int | Literal["off"] | None = None
    seen: set[str] = set()
    while (token := args.take()) is not None:
        key = read_choice(token, _SETTINGS, "a setting")
        if key in seen:
            raise ParseError(f"You gave `{key}` twice; say each setting once.")
        seen.add(key)
        if key == "timezone":
            timezone = _zone(args.need("a time zone", "settings timezone Europe/Paris"))
        elif key == "approvals":
            switch = args.need("`on` or `off`", "settings approvals on")
            approvals = _ON_OFF.get(switch.text.lower())
            if approvals is None:
                raise ParseError(
                    f"Approvals are on or off, not {quoted(switch.text)}; say "
                    "`settings approvals on` or `settings approvals off`."
                )
        elif key == "limit":
            limit = _limit(args.need("a number of posts or `off`", "settings limit 100"))
        elif key == "email":
            email = _email(args.need("an email address or `off`", "settings email you@example.org"))
        elif key == "notifications":
            # Read by bot/commands/notify_settings.py: keep the words as typed.
            notifications = tuple(t.text for t in args.rest())
    return Settings(timezone, approvals, notifications, limit, email)


# Slack writes a typed address as a link: <mailto:a@b.org|a@b.org>.
_MAILTO = re.compile(r"<mailto:([^|>]*)(?:\|[^>]*)?>", re.IGNORECASE)


def _email(token: Token) -> str:
    """An address as typed (the core decides whether it is one), or "off"."""
    word = token.text.strip()
    if word.lower() in ("off", "none"):
        return "off"
    unwrapped = _MAILTO.fullmatch(word)
    if unwrapped:
        word = unwrapped.group(1)
    elif word.lower().startswith("mailto:"):
        word = word[len("mailto:") :]
    return word.strip().strip("<>")


def _limit(token: Token) -> int | Literal["off"]:
    word = token.text.strip().lower()
    if word in ("off", "none", "unlimited"):
        return "off"
    # [0-9] and not str.isdigit: "²" is a digit to Python but not a number to int().
    if re.fullmatch(r"[0-9]{1,7}", word) and int(word) > 0:
        return int(word)
    raise ParseError(
        f"A monthly limit is a number of posts or `off`, not {quoted(token.text)}; "
        "say `settings limit 100`."
    )


def members(args: Args) -> Request:
    """``members [list | invite <user> <role> | role <user> <role> | remove <user> |
    accept | decline]`` (the last two answer one's own invitation)."""
    if args.peek() is None:
        return Members()
    action = args.choice(_MEMBER_ACTIONS, "something I do with members")
    args.name = f"members {action}"
    if action in ("list", "accept", "decline"):
        args.end("nothing more", f"members {action}")
        return Members(action)
    like = f"members {action} @dana" + ("" if action == "remove" else " editor")
    user = args.need("a member", like).text.strip()
    if not user:
        raise ParseError(f"`members {action}` needs a member, like `{like}`.")
    if action == "remove":
        args.end("one member", like)
        return Members("remove", user)
    role = read_choice(args.need("a role", like), _ROLES, "a role")
    args.end("a member and a role", like)
    return Members(action, user, role)


def _zone(token: Token) -> str:
    """An IANA zone name, spelt as the tz database spells it (``europe/paris`` works)."""
    name = token.text.strip()
    zones = _zones()
    if not zones:  # no tz database on this machine: let the core decide
        return name
    canonical = zones.get(name.lower())
    if canonical is None:
        close = difflib.get_close_matches(name.lower(), zones, n=1)
        hint = f" Did you mean `{zones[close[0]]}`?" if close else ""
        raise ParseError(
            f"{quoted(name)} is not a time zone I know; use an IANA name like "
            f"`Europe/Paris` or `America/New_York`.{hint}"
        )
    return canonical


@cache
def _zones() -> dict[str, str]:
    """Known zone names by their lower-case spelling."""
    try:
        names = zoneinfo.available_timezones()
    except OSError:
        return {}
    return {name.lower(): name for name in names} | ({"utc": "UTC"} if names else {})
