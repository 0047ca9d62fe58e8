"""How long a platform told us to wait, from its rate-limit headers; never negative."""

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def retry_after(value: str, now: datetime) -> float | None:
    """``Retry-After``: seconds, or an HTTP date."""
    told = value.strip()
    if not told:
        return None
    try:
        return max(0.0, float(told))
    except ValueError:
        pass
    try:
        return until(parsedate_to_datetime(told), now)
    except (TypeError, ValueError):
        return None


def until(moment: datetime, now: datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())
