"""Durations typed at the console: "2h", "90m", "1h30m", "3 days", "10 minutes"."""

import re
from datetime import timedelta

_PART = re.compile(r"(\d+)\s*(weeks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)")
_UNIT = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_duration(text: str) -> timedelta | None:
    """The duration, or None when the text is not one."""
    compact = text.strip().lower().replace(",", " ").replace(" and ", " ")
    parts = list(_PART.finditer(compact))
    if not parts or _PART.sub("", compact).strip():
        return None
    total = timedelta()
    for number, unit in (m.groups() for m in parts):
        key = "m" if unit.startswith("mi") or unit == "m" else unit[0]
        total += timedelta(**{_UNIT[key]: int(number)})
    return total
