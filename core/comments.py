"""Comments on posts: one level of replies, @mentions of members, emoji reactions.

A comment's text keeps each mention as a neutral marker (``<@m:12>`` for member 12),
whatever surface it was typed on, so every surface renders it its own way: ``<@U123>``
in Slack, ``<@123>`` in Discord, ``@alice`` on the console and in email.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from core.errors import ValidationFailed

MAX_COMMENT = 4000
_MARKER = re.compile(r"<@m:(\d+)>")


def marker(member_id: int) -> str:
    return f"<@m:{member_id}>"


def mentioned_ids(text: str) -> list[int]:
    """Members a neutral text mentions, in order, each once."""
    return list(dict.fromkeys(int(found) for found in _MARKER.findall(text)))


def render_mentions(text: str, show: Callable[[int], str]) -> str:
    """The text with each marker replaced by ``show(member_id)``."""
    return _MARKER.sub(lambda m: show(int(m.group(1))), text)


def as_names(text: str, names: Mapping[int, str]) -> str:
    """Markers as ``@name`` (``@someone`` for a member removed since)."""
    return render_mentions(text, lambda member_id: f"@{names.get(member_id, 'someone')}")


def check_body(text: str) -> str:
    body = text.strip()
    if not body:
        raise ValidationFailed('A comment needs some text: `comment 4 "Looks good!"`.')
    if len(body) > MAX_COMMENT:
        raise ValidationFailed(f"A comment holds at most {MAX_COMMENT} characters.")
    return body


@dataclass
class Comment:
    workspace_id: int
    post_id: int
    author_id: int
    body: str
    created_at: datetime
    id: int = 0
    # Short and per workspace, like post numbers: what people type.
    number: int = 0
    parent_id: int | None = None
    edited_at: datetime | None = None
    # emoji → the members who reacted with it, in the order they did.
    reactions: dict[str, list[int]] = field(default_factory=dict)

    @property
    def mentions(self) -> list[int]:
        return mentioned_ids(self.body)

    def toggle(self, emoji: str, member_id: int) -> bool:
        """Add the member's reaction, or take it back; True when it is now there."""
        who = self.reactions.setdefault(emoji, [])
        if member_id in who:
            who.remove(member_id)
            if not who:
                del self.reactions[emoji]
            return False
        who.append(member_id)
        return True
