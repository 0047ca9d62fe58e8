"""The command grammar (DESIGN §4): one line of text in, one typed request out.

Every surface (Slack, Discord, the console) calls ``parse`` and gets either a request
from ``bot.commands.requests`` or a ``ParseError`` whose message can be shown as-is.
Nothing here acts, checks roles or reads times: the dispatcher and the core do that,
so a line means the same thing wherever it was typed.
"""

from collections.abc import Callable, Mapping

from bot.commands.arguments import (
    Args,
    Kind,
    example,
    items,
    option_items,
    option_paths,
    option_words,
    read_number,
    suggestion,
    words,
)
from bot.commands.errors import ParseError, quoted
from bot.commands.requests import (
    Approve,
    Archive,
    Calendar,
    Comment,
    CommentDelete,
    CommentEdit,
    Comments,
    Delete,
    Draft,
    Duplicate,
    Edit,
    Help,
    LabelPost,
    ListPosts,
    Now,
    React,
    Read,
    Request,
    RequestChanges,
    Reschedule,
    Retry,
    Schedule,
    Scope,
    Show,
    Submit,
    Target,
    UnlabelPost,
    Unschedule,
    View,
)
from bot.commands.tokens import Token, tokenize
from bot.commands.workspace import accounts, inbox, labels, members, settings

__all__ = ["VERBS", "ParseError", "parse"]

PREFIX = "/trypost"
CONSOLE_LINES = (":as", ":role", ":presence", ":clock", ":advance", ":tick", ":quit")

_SCHEDULE: dict[str, Kind] = {
    "at": "when",
    "on": "many",
    "label": "many",
    "with": "many",
    "alt": "many",
}
_NOW: dict[str, Kind] = {"on": "many"}
_DRAFT: dict[str, Kind] = {"on": "many", "label": "many"}
_LIST: dict[str, Kind] = {"label": "one", "from": "when", "to": "when"}
_SCOPES: dict[str, Scope] = {
    "drafts": "drafts",
    "scheduled": "scheduled",
    "published": "published",
    "failed": "failed",
    "all": "all",
    "draft": "drafts",
}
_VIEWS: dict[str, View] = {"day": "day", "week": "week", "month": "month"}
_CONFIRM = ("confirm", "yes", "confirmed")
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse(line: str) -> Request:
    """Read one command line; raise ``ParseError`` (and nothing else) if it makes no sense.

    A leading ``/trypost`` is optional. A blank line is a request for help, which is
    what Slack sends for a bare ``/trypost``.
    """
    tokens = tokenize(line)
    if tokens and tokens[0].is_word(PREFIX):
        tokens = tokens[1:]
    if not tokens:
        return Help()
    verb = tokens[0].text.strip().lower()
    parser = _PARSERS.get(verb)
    if parser is None:
        raise ParseError(_unknown(verb, tokens[0].text))
    return parser(Args(verb, line, tokens[1:]))


def _unknown(verb: str, typed: str) -> str:
    if verb in CONSOLE_LINES:
        return f"`{verb}` works only in the console (`trypost console`), not in chat."
    if verb.startswith(":"):
        lines = ", ".join(f"`{c}`" for c in CONSOLE_LINES)
        return f"{quoted(typed)} is not a console line; the console knows {lines}."
    return f"I don't know {quoted(typed)}.{suggestion(verb, VERBS)} Try `help`."


def _help(args: Args) -> Request:
    rest = [t for t in args.rest() if not t.is_word(PREFIX)]
    topic = rest[0].text.strip().lower() if rest else ""
    return Help(topic or None)


def _schedule(args: Args) -> Request:
    text = args.text(frozenset(_SCHEDULE))
    found = args.options(_SCHEDULE)
    when = option_words(found, "at")
    if text is not None and when is None:
        raise ParseError(
            'When should it go out? Add `at <when>`, like `schedule "Hello" at tomorrow 9am`, '
            "or keep it with `draft`."
        )
    media = option_paths(found, "with")
    alts = _descriptions(found.get("alt", []))
    if len(alts) > len(media):
        raise ParseError(
            f"There {'is' if len(alts) == 1 else 'are'} {len(alts)} `alt` description(s) but "
            f"{len(media)} file(s) after `with`; give one description per image, in order."
        )
    return Schedule(text, when, _accounts(found), option_items(found, "label"), media, alts)


def _descriptions(tokens: list[Token]) -> tuple[str, ...]:
    """Each quoted text after ``alt`` is one description; bare words run together."""
    found: list[str] = []
    loose: list[str] = []
    for token in tokens:
        if token.quoted:
            if loose:
                found.append(" ".join(loose))
                loose = []
            found.append(token.text.strip())
        else:
            loose.append(token.text.strip())
    if loose:
        found.append(" ".join(loose))
    return tuple(d for d in found if d)


def _now(args: Args) -> Request:
    text = _need_text(args, frozenset(_NOW))
    return Now(text, _accounts(args.options(_NOW)))


def _draft(args: Args) -> Request:
    text = _need_text(args, frozenset(_DRAFT))
    found = args.options(_DRAFT)
    return Draft(text, _accounts(found), option_items(found, "label"))


def _list(args: Args) -> Request:
    scope: Scope = "all"
    first = args.peek()
    if first is not None and not first.is_word(*_LIST):
        args.take()
        if first.text.lower() not in _SCOPES:
            raise ParseError(
                f"{quoted(first.text)} is not something I can list; try `drafts`, `scheduled`, "
                f"`published`, `failed`, `all`, or `label`, `from`, `to`."
                f"{suggestion(first.text, [*_SCOPES, *_LIST])}"
            )
        scope = _SCOPES[first.text.lower()]
    found = args.options(_LIST)
    label = option_items(found, "label")
    if len(label) > 1:
        raise ParseError("`list` filters by one label at a time, like `list label launch`.")
    return ListPosts(
        scope,
        label[0] if label else None,
        option_words(found, "from"),
        option_words(found, "to"),
    )


def _calendar(args: Args) -> Request:
    view: View = "week"
    first = args.peek()
    if first is not None and first.is_word(*_VIEWS):
        view = _VIEWS[first.text.lower()]
        args.take()
    return Calendar(view, words(args.rest()) or None)


def _just_post(make: Callable[[int], Request]) -> Callable[[Args], Request]:
    """Parser of a command whose only argument is a post number."""

    def parse_post(args: Args) -> Request:
        post = args.number()
        args.end("only a post number")
        return make(post)

    return parse_post


def _edit(args: Args) -> Request:
    post = args.number()
    text = _need_text(args, what="the new text")
    args.end("a post number and the new text in quotes")
    return Edit(post, text)


def _reschedule(args: Args) -> Request:
    post = args.number()
    rest = args.rest()
    if rest and rest[0].is_word("at", "to", "for"):
        rest = rest[1:]
    when = words(rest)
    if not when:
        raise ParseError(f"`reschedule` needs the new time, like `{example('reschedule')}`.")
    return Reschedule(post, when)


def _delete(args: Args) -> Request:
    post = args.number()
    token = args.peek()
    confirmed = token is not None and token.is_word(*_CONFIRM)
    if confirmed:
        args.take()
    args.end("a post number, then `confirm` to skip the question", "delete 42 confirm")
    return Delete(post, confirmed)


def _changes(args: Args) -> Request:
    post = args.number()
    feedback = _need_text(args, what="your feedback")
    args.end("a post number and the feedback in quotes")
    return RequestChanges(post, feedback)


def _comment(args: Args) -> Request:
    token = args.peek()
    if token is not None and token.is_word("edit", "delete"):
        args.take()
        action = token.text.lower()
        args.name = f"comment {action}"
        number = args.number("comment")
        if action == "delete":
            args.end("a comment number", "comment delete 7")
            return CommentDelete(number)
        text = _need_text(args, what="the new text of the comment")
        args.end("a comment number and the new text in quotes", 'comment edit 7 "Fixed"')
        return CommentEdit(number, text)
    post = args.number()
    reply_to = None
    token = args.peek()
    if token is not None and token.is_word("reply"):
        args.take()
        token = args.need("the comment to reply to", 'comment 42 reply 7 "Fixed, thanks"')
        reply_to = read_number(token, "comment")
    text = _need_text(args, what="the text of the comment")
    args.end("a post number and the comment in quotes")
    return Comment(post, text, reply_to)


def _react(args: Args) -> Request:
    comment = args.number("comment")
    emoji = args.need("an emoji").text.strip()
    if not emoji:
        raise ParseError(f"`react` needs an emoji, like `{example('react')}`.")
    args.end("a comment number and one emoji")
    return React(comment, emoji)


def _label(args: Args) -> Request:
    post = args.number()
    names = items(args.rest())
    if not names:
        raise ParseError(f"`label` needs at least one label, like `{example('label')}`.")
    return LabelPost(post, names)


def _unlabel(args: Args) -> Request:
    post = args.number()
    names = items([args.need("the label to take off")])
    args.end("a post number and one label")
    if len(names) != 1:
        raise ParseError(f"`unlabel` takes one label at a time, like `{example('unlabel')}`.")
    return UnlabelPost(post, names[0])


def _target(args: Args) -> Target:
    """``<n>`` or ``all``, for ``read`` and ``archive``."""
    token = args.need("a notification number or `all`")
    args.end("a notification number or `all`")
    return "all" if token.is_word("all") else read_number(token, "notification")


def _need_text(args: Args, keywords: frozenset[str] = frozenset(), what: str = "") -> str:
    text = args.text(keywords)
    if text is None:
        needed = what or "the text of the post"
        raise ParseError(f"`{args.verb}` needs {needed}, like `{example(args.verb)}`.")
    return text


def _accounts(found: Mapping[str, list[Token]]) -> tuple[str, ...]:
    """Accounts after ``on``; a weekday there is a time in the wrong place."""
    names = option_items(found, "on")
    for name in names:
        if name.lower() in _DAYS:
            raise ParseError(
                f"{quoted(name)} after `on` looks like a day, but `on` names accounts; "
                f"put the day after `at`, like `at {name.lower()} 9am`."
            )
    return names


_PARSERS: dict[str, Callable[[Args], Request]] = {
    "help": _help,
    "schedule": _schedule,
    "now": _now,
    "draft": _draft,
    "list": _list,
    "calendar": _calendar,
    "show": _just_post(Show),
    "edit": _edit,
    "reschedule": _reschedule,
    "unschedule": _just_post(Unschedule),
    "duplicate": _just_post(Duplicate),
    "delete": _delete,
    "retry": _just_post(Retry),
    "submit": _just_post(Submit),
    "approve": _just_post(Approve),
    "changes": _changes,
    "comment": _comment,
    "comments": _just_post(Comments),
    "react": _react,
    "accounts": accounts,
    "labels": labels,
    "label": _label,
    "unlabel": _unlabel,
    "inbox": inbox,
    "read": lambda args: Read(_target(args)),
    "archive": lambda args: Archive(_target(args)),
    "settings": settings,
    "members": members,
}

VERBS: tuple[str, ...] = tuple(_PARSERS)
