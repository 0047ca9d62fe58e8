"""Reading times people type, in their own time zone, and showing them back."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import dateparser

from core.errors import ValidationFailed

EXAMPLES = '"tomorrow 9am", "in 2 hours", "friday 17:30", "2026-12-01 14:30"'


def parse_when(text: str, timezone: str, now: datetime) -> datetime:
    """Parse ``text`` in ``timezone`` relative to ``now``; return UTC, to the minute."""
    zone = ZoneInfo(timezone)
    local_now = now.astimezone(zone).replace(tzinfo=None)
    parsed: datetime | None = dateparser.parse(
        text.strip(),
        languages=["en"],
        settings={
            "TIMEZONE": timezone,
            "TO_TIMEZONE": "UTC",
            "RETURN_AS_TIMEZONE_AWARE": True,
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": local_now,
        },
    )
    if parsed is None or not text.strip():
        raise ValidationFailed(f"I could not read “{text}” as a time. Try {EXAMPLES}.")
    return parsed.astimezone(UTC).replace(second=0, microsecond=0)


def require_future(when: datetime, now: datetime, timezone: str) -> datetime:
    """Refuse a time that has already passed, naming it in both zones."""
    if when <= now.replace(second=0, microsecond=0):
        raise ValidationFailed(
            f"{show_time(when, timezone)} is in the past; pick a time after "
            f"{show_time(now, timezone)}."
        )
    return when


def show_time(when: datetime, timezone: str) -> str:
    """Local time first (what the reader thinks in), then UTC."""
    local = when.astimezone(ZoneInfo(timezone))
    utc = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if timezone == "UTC":
        return utc
    return f"{local:%a %Y-%m-%d %H:%M} {local.tzname()} ({utc})"
