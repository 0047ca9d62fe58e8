"""Durations typed at the console: "2h", "90m", "1h30m", "3 days", "10 minutes".

Only the digits 0-9 count ("①" and "²" pass ``str.isdigit`` but not ``int``), and the
sum is added up in whole seconds before any ``timedelta`` exists, so "1000000000 days"
is a number to refuse (``duration_seconds``), never an ``OverflowError``.
"""

import re
from datetime import timedelta

_PART = re.compile(r"([0-9]+)\s*(weeks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)")
_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
# More digits than this is beyond any clock (and keeps int() off a 5,000-digit string).
_MOST_DIGITS = 15
_BEYOND = 10**_MOST_DIGITS


def duration_seconds(text: str) -> int | None:
    """The duration in seconds (any size), or None when the text is not one."""
    compact = text.strip().lower().replace(",", " ").replace(" and ", " ")
    parts = list(_PART.finditer(compact))
    if not parts or _PART.sub("", compact).strip():
        return None
    total = 0
    for number, unit in (m.groups() for m in parts):
        key = "m" if unit.startswith("mi") or unit == "m" else unit[0]
        count = _BEYOND if len(number) > _MOST_DIGITS else int(number)
        total += count * _SECONDS[key]
    return total


def parse_duration(text: str) -> timedelta | None:
    """The duration, or None when the text is not one or is too long for a ``timedelta``."""
    seconds = duration_seconds(text)
    if seconds is None or seconds > timedelta.max.total_seconds():
        return None
    return timedelta(seconds=seconds)
