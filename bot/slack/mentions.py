"""People as Slack writes them: ``<@U123>`` in text, ``user`` elements in rich text.

A comment typed on Slack names people the Slack way; the command layer turns each into
the core's neutral marker (``bot.commands.mentions``), and a member is shown back as a
Slack mention when we know their Slack id, so Slack draws their name (and it follows
renames). Nothing here ever produces a broadcast (``<!channel>``, ``<!here>``) or a
user-group mention: those stay as plain words.
"""

import re
from collections.abc import Iterable
from typing import Any

from core.workspace import Member

# A Slack user in text: ``<@U123>``, ``<@U123|alice>``; ``W…`` ids are Enterprise Grid's.
SLACK_USER = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^<>|]*)?>")


def show_member(member: Member) -> str:
    """How a member appears in a Slack message: a mention Slack renders by name."""
    return f"<@{member.slack_user_id}>" if member.slack_user_id else f"@{member.name}"


def rich_text_to_text(value: object) -> str:
    """A ``rich_text_input``'s value as the text a person would have typed, with each
    ``user`` element as ``<@U…>`` (what the command layer reads as a mention).

    Broadcasts, user groups and channels become plain words, never Slack's pinging
    forms: a comment must not alert a whole channel.
    """
    if not isinstance(value, dict):
        return ""
    lines = [_block(element) for element in _objects(value.get("elements"))]
    return "\n".join(line for line in lines if line is not None).strip()


def _block(block: dict[str, Any]) -> str | None:
    kind = block.get("type")
    if kind == "rich_text_section":
        return _inline(_objects(block.get("elements")))
    if kind == "rich_text_list":
        ordered = block.get("style") == "ordered"
        items = [_block(item) or "" for item in _objects(block.get("elements"))]
        return "\n".join(
            f"{n}. {item}" if ordered else f"• {item}" for n, item in enumerate(items, 1)
        )
    if kind == "rich_text_quote":
        quoted = _inline(_objects(block.get("elements")))
        return "\n".join(f"> {line}" for line in quoted.split("\n"))
    if kind == "rich_text_preformatted":
        return "```\n" + _inline(_objects(block.get("elements"))) + "\n```"
    return None


def _inline(elements: Iterable[dict[str, Any]]) -> str:
    parts: list[str] = []
    for element in elements:
        kind = element.get("type")
        if kind == "text":
            parts.append(_text(element.get("text")))
        elif kind == "user" and isinstance(element.get("user_id"), str):
            parts.append(f"<@{element['user_id']}>")
        elif kind == "link":
            url, text = _text(element.get("url")), _text(element.get("text"))
            parts.append(f"{text} ({url})" if text and text != url else url)
        elif kind == "emoji":
            parts.append(f":{_text(element.get('name'))}:")
        elif kind == "broadcast":
            parts.append(f"@{_text(element.get('range')) or 'channel'}")
        elif kind == "usergroup":
            parts.append("@group")
        elif kind == "channel":
            parts.append(f"#{_text(element.get('channel_id'))}")
        elif kind == "date":
            parts.append(_text(element.get("fallback")))
        elif kind == "color":
            parts.append(_text(element.get("value")))
    return "".join(parts)


def _objects(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
