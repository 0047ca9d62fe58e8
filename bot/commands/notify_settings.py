"""The words after ``settings notifications``, read into one preference change.

settings notifications                               show them
settings notifications email off [publishing …]      per type or category; none = all
settings notifications chat on comments
settings notifications digest [8]                    one daily email, at 08:00 by default 9
settings notifications immediate                     each email as it happens
settings notifications away-only on|off              email only when I'm away
settings notifications post_created on               a type (or category) on or off in chat
"""

import re
from collections.abc import Sequence

from bot.commands.errors import ParseError
from core.notifications.model import EmailMode
from core.notifications.types import types_named
from core.usecases.notifications import PreferenceChange

_SWITCH = {"on": True, "off": False}
_LIKE = "`settings notifications email off publishing`"


def read_change(words: Sequence[str]) -> PreferenceChange | None:
    """None means "show my notification settings"."""
    if not words:
        return None
    head, *rest = [w.lower() for w in words]
    if head in ("email", "chat"):
        if not rest or rest[0] not in _SWITCH:
            raise ParseError(f"Say on or off after {head}, like {_LIKE}.")
        enabled, topics = _SWITCH[rest[0]], rest[1:]
        if head == "email":
            return PreferenceChange(channel="email", enabled=enabled, topics=topics)
        return PreferenceChange(channel="chat", enabled=enabled, topics=topics)
    if head == "digest":
        # [0-9] and not str.isdigit: "²" is a digit to Python but not a number to int().
        if len(rest) > 1 or (rest and not re.fullmatch(r"[0-9]{1,2}", rest[0])):
            raise ParseError(
                "Give the digest hour as a number from 0 to 23, like "
                "`settings notifications digest 8`."
            )
        hour = int(rest[0]) if rest else None
        return PreferenceChange(email_mode=EmailMode.DIGEST, digest_hour=hour)
    if head == "immediate" and not rest:
        return PreferenceChange(email_mode=EmailMode.IMMEDIATE)
    if head in ("away-only", "away") and len(rest) == 1 and rest[0] in _SWITCH:
        return PreferenceChange(email_only_when_away=_SWITCH[rest[0]])
    if types_named(head) and len(rest) == 1 and rest[0] in _SWITCH:
        # The short form: a type's DM on or off (its email keeps following the defaults).
        return PreferenceChange(channel="chat", enabled=_SWITCH[rest[0]], topics=[head])
    raise ParseError(
        f"I can't read “{' '.join(words)}”; try {_LIKE}, `settings notifications digest 8`, "
        "`settings notifications immediate` or `settings notifications away-only on`."
    )
