"""Neutral replies drawn as Slack Block Kit: messages, DMs and the App Home tab.

Everything the core says goes through :func:`to_blocks`; the ``text`` of a message
(what notifications and screen readers show) comes from :func:`fallback_text`.
Slack's limits are kept here, so a long list or calendar never makes Slack refuse a
message: long texts are split over several sections, buttons over several actions
blocks, and a message that would pass 50 blocks is cut with a note saying so.

Button action ids are ``trypost:<action>#<index>`` (``trypost:retry#0``): the prefix lets
one bolt listener take every button (:data:`ACTION_ID_PATTERN`), the index keeps ids
unique within a block as Slack requires, and :func:`parse_action_id` gives the action
back. The button's ``value`` is its target (``"42"``), absent when the target is empty.
"""

import re
from collections.abc import Iterable, Sequence
from typing import Any

from core.messages import Button, Field, Reply, Tone

Block = dict[str, Any]

MAX_MESSAGE_BLOCKS = 50
MAX_HOME_BLOCKS = 100
MAX_TEXT = 3000  # a section's text, a context element
MAX_FIELDS = 10  # fields per section
MAX_FIELD_TEXT = 2000
MAX_HEADER = 150
MAX_ACTIONS = 25  # elements per actions block
MAX_BUTTON_TEXT = 75
MAX_FALLBACK = 3000

ACTION_PREFIX = "trypost:"
# Matches every action id this module makes: ``app.action(ACTION_ID_PATTERN)`` in bolt.
ACTION_ID_PATTERN = re.compile(r"^trypost:.+#\d+$")

_EMOJI = {
    Tone.INFO: "",
    Tone.SUCCESS: ":white_check_mark:",
    Tone.WARNING: ":warning:",
    Tone.ERROR: ":x:",
}
# The fallback text shows in OS notifications, where shortcodes may stay as text.
_GLYPH = {Tone.INFO: "", Tone.SUCCESS: "✅", Tone.WARNING: "⚠️", Tone.ERROR: "❌"}
_ELLIPSIS = "…"
# What escaping works on: a user mention as one piece (never cut, never escaped), or
# any single character.
_USER_MENTION = r"<@[UW][A-Z0-9]+(?:\|[^<>&|]*)?>"
_TOKENS = re.compile(rf"{_USER_MENTION}|.", re.DOTALL)


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn reserves for links and mentions, but
    keep user mentions (``<@U123>``): they are how Slack shows a person. Everything else
    in angle brackets — ``<!channel>``, ``<!here>``, ``<#C1>``, links — is shown as
    typed and never pings or links."""
    return "".join(_escaped(token) for token in _TOKENS.findall(text))


def _escaped(token: str) -> str:
    if len(token) > 1:  # a user mention, kept whole
        return token
    return token.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def action_id(action: str, index: int) -> str:
    """The action id of the ``index``-th button of a reply doing ``action``."""
    return f"{ACTION_PREFIX}{action}#{index}"


def parse_action_id(action_id: str) -> str:
    """``trypost:retry#0`` → ``retry``; raise ValueError for an id we did not make."""
    if not action_id.startswith(ACTION_PREFIX):
        raise ValueError(f"not a trypost action id: {action_id!r}")
    action, _, index = action_id[len(ACTION_PREFIX) :].rpartition("#")
    if not action or not index.isdigit():
        raise ValueError(f"not a trypost action id: {action_id!r}")
    return action


def to_blocks(reply: Reply, *, timezone_note: str | None = None) -> list[Block]:
    """The reply as message blocks (at most 50); ``timezone_note`` joins the footer."""
    return _cap(_render(reply, timezone_note, title_as_header=True), MAX_MESSAGE_BLOCKS)


def fallback_text(reply: Reply) -> str:
    """The plain summary Slack shows in notifications and where blocks cannot be drawn."""
    lines: list[str] = []
    glyph = _GLYPH[reply.tone]
    if reply.title:
        lines.append(_join(glyph, reply.title))
        glyph = ""
    if reply.text:
        lines.append(_join(glyph, reply.text))
        glyph = ""
    lines += [f"{field.name}: {field.value}" for field in reply.fields]
    lines += [f"• {item}" for item in reply.items]
    if not lines and reply.block:
        lines.append(reply.block)
    if not lines and reply.footer:
        lines.append(reply.footer)
    if not lines:
        lines.append(_join(glyph, " · ".join(b.label for b in reply.buttons)) or "trypost")
    elif glyph and lines:
        lines[0] = _join(glyph, lines[0])
    return _clip("\n".join(lines), MAX_FALLBACK)


def home_view(sections: Sequence[tuple[str, Reply]]) -> dict[str, Any]:
    """An App Home view: a header per section, a divider between sections."""
    blocks: list[Block] = []
    for index, (heading, reply) in enumerate(sections):
        if index:
            blocks.append({"type": "divider"})
        blocks.append(_header(heading))
        blocks += _render(reply, None, title_as_header=False)
    return {"type": "home", "blocks": _cap(blocks, MAX_HOME_BLOCKS)}


def _render(reply: Reply, timezone_note: str | None, *, title_as_header: bool) -> list[Block]:
    body: list[Block] = []
    emoji = _EMOJI[reply.tone]
    if reply.title:
        if title_as_header and len(_join(emoji, reply.title)) <= MAX_HEADER:
            body.append(_header(_join(emoji, reply.title)))
        else:
            title = _clip(reply.title, MAX_TEXT - len(emoji) - 3)
            body.append(_section(_join(emoji, f"*{title}*")))
        emoji = ""
    if reply.text:
        chunks = _chunks(reply.text, MAX_TEXT - len(emoji) - 1)
        chunks[0] = _join(emoji, chunks[0])
        body += [_section(chunk) for chunk in chunks]
        emoji = ""
    body += _fields(reply.fields)
    body += [_section(chunk) for chunk in _bullets(reply.items)]
    if reply.block:
        body += [_section(f"```\n{chunk}\n```") for chunk in _chunks(reply.block, MAX_TEXT - 8)]
    tail: list[Block] = []
    notes = [note for note in (reply.footer, timezone_note) if note]
    if notes:
        tail.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": _clip(note, MAX_TEXT)} for note in notes],
            }
        )
    tail += _actions(reply.buttons)
    return body + tail if len(body) + len(tail) <= MAX_MESSAGE_BLOCKS else _cut(body, tail)


def _cut(body: list[Block], tail: list[Block]) -> list[Block]:
    """Keep the footer and buttons; drop what does not fit of the body, and say so."""
    room = max(MAX_MESSAGE_BLOCKS - len(tail) - 1, 0)
    return [*body[:room], _more(len(body) - room), *tail][:MAX_MESSAGE_BLOCKS]


def _cap(blocks: list[Block], limit: int) -> list[Block]:
    if len(blocks) <= limit:
        return blocks
    return [*blocks[: limit - 1], _more(len(blocks) - limit + 1)]


def _more(dropped: int) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"_{dropped} more block(s) not shown_"}],
    }


def _header(text: str) -> Block:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": _truncate(text, MAX_HEADER), "emoji": True},
    }


def _section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn}}


def _fields(fields: Sequence[Field]) -> list[Block]:
    texts = [{"type": "mrkdwn", "text": _field_text(field)} for field in fields]
    return [
        {"type": "section", "fields": texts[start : start + MAX_FIELDS]}
        for start in range(0, len(texts), MAX_FIELDS)
    ]


def _field_text(field: Field) -> str:
    name = f"*{_clip(field.name, 200)}*"
    return f"{name}\n{_clip(field.value, MAX_FIELD_TEXT - len(name) - 1)}"


def _bullets(items: Sequence[str]) -> list[str]:
    """The items as ``• item`` lines, packed into as few sections as fit."""
    lines: list[str] = []
    for item in items:
        first, *rest = _chunks(item, MAX_TEXT - 2)
        lines.append(f"• {first}")
        lines += rest
    return _pack(lines, MAX_TEXT)


def _actions(buttons: Sequence[Button]) -> list[Block]:
    elements = [_button(button, index) for index, button in enumerate(buttons)]
    return [
        {"type": "actions", "elements": elements[start : start + MAX_ACTIONS]}
        for start in range(0, len(elements), MAX_ACTIONS)
    ]


def _button(button: Button, index: int) -> Block:
    element: Block = {
        "type": "button",
        "text": {
            "type": "plain_text",
            "text": _truncate(button.label or button.command, MAX_BUTTON_TEXT),
            "emoji": True,
        },
        "action_id": action_id(button.action, index),
    }
    if button.target:
        element["value"] = button.target
    if button.url:
        element["url"] = button.url
    if button.danger:
        element["style"] = "danger"
    return element


def _chunks(raw: str, limit: int) -> list[str]:
    """``raw`` escaped and split into pieces of at most ``limit`` characters, at line
    breaks where possible; an entity such as ``&amp;`` or a mention is never cut in two."""
    lines: list[str] = []
    for line in raw.split("\n"):
        lines += _split_line(line, limit)
    return _pack(lines, limit) or [""]


def _split_line(line: str, limit: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for token in _TOKENS.findall(line):
        piece = _escaped(token)
        if len(current) + len(piece) > limit:
            pieces.append(current)
            current = ""
        current += piece
    pieces.append(current)
    return pieces


def _pack(lines: Iterable[str], limit: int) -> list[str]:
    """Join lines (each at most ``limit`` long) into as few ``limit``-long texts as fit."""
    packed: list[str] = []
    current: str | None = None
    for line in lines:
        if current is None:
            current = line
        elif len(current) + 1 + len(line) <= limit:
            current = f"{current}\n{line}"
        else:
            packed.append(current)
            current = line
    if current is not None:
        packed.append(current)
    return packed


def _join(emoji: str, text: str) -> str:
    return f"{emoji} {text}" if emoji and text else emoji or text


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + _ELLIPSIS


def _clip(raw: str, limit: int) -> str:
    """``raw`` escaped, cut to ``limit`` characters with an ellipsis, entities kept whole."""
    escaped = escape(raw)
    if len(escaped) <= limit:
        return escaped
    return _split_line(raw, limit - 1)[0] + _ELLIPSIS
