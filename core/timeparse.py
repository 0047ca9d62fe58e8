"""Reading times people type, in their own time zone, and showing them back.

Text falls into one of these kinds:

- an amount from now ("in 2 hours", "90 minutes from now", "3 days ago", "now"):
  minutes and hours are added to the UTC instant, so a DST change does not stretch or
  shrink them; days and weeks keep the local wall-clock time.
- a clock time alone ("9am", "noon", "17:30"): today in the member's zone.
- a weekday, with or without a time ("friday 17:30", "monday"): the most recent such
  day in the member's zone, today included.
- any other wall-clock text ("tomorrow 9am", "next monday 9am", "dec 3 10am",
  "2026-12-01 14:30"): read by dateparser as naive local time, relative to the
  member's local now.
- text with its own offset ("2026-12-01T14:30Z", "2026-12-01 14:30 +01:00"): kept.

Local wall-clock times get the offset valid on *their* date, not today's. A time that
does not exist (skipped by a spring-forward) moves forward by the gap; a time that
happens twice (autumn fall-back) is the first of the two.

``parse_when`` is for scheduling and wants the future: a clock time at or before now is
tomorrow's, a weekday in the past is next week's. Dates are never moved: a past date is
refused by ``require_future``. ``parse_moment`` is for reading ranges and moves nothing;
a date without a time is the start of that day (or its end, for the end of a range).

Both read only times within reach: at most 5 years ahead of now (further is almost always
a typo, and a year like 9999 cannot even be shown in every zone) and at most 20 years
back. Anything else, and numbers written with other digits than 0-9 ("①", "²", which
``str.isdigit`` accepts but ``int`` does not), is refused with a sentence, never an
``OverflowError``. ``show_time`` and ``in_zone`` never fail, even on a stored date at the
very edge of ``datetime``: past that edge they fall back to UTC.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import Enum, auto
from typing import Any
from zoneinfo import ZoneInfo

from dateparser.date import DateDataParser

from core.errors import ValidationFailed

EXAMPLES = '"tomorrow 9am", "in 2 hours", "friday 17:30", "2026-12-01 14:30"'
YEARS_AHEAD = 5
YEARS_BEHIND = 20
# Even with a simulated clock near datetime's ends, the window stays where every zone's
# local time, and a calendar month or year around it, can still be represented.
_FIRST = datetime(2, 1, 1, tzinfo=UTC)
_LAST = datetime(9998, 12, 31, tzinfo=UTC)
_LONGEST_TEXT = 200  # dateparser is slow on a novel, and no time takes this many letters
_MOST_DIGITS = 9  # a count with more digits is far beyond any window anyway
_ASCII_DIGITS = frozenset("0123456789")


class _Kind(Enum):
    AMOUNT = auto()  # an amount from now; the instant is final
    CLOCK = auto()  # a time of day alone, placed today
    WEEKDAY = auto()  # a weekday name, placed on its most recent day
    DATED = auto()  # other wall-clock text, as dateparser read it
    FIXED = auto()  # the text carried its own offset; the instant is final


@dataclass(frozen=True)
class _Reading:
    kind: _Kind
    instant: datetime  # aware, UTC, not yet truncated
    local: datetime | None  # naive wall-clock time in the member's zone (not AMOUNT/FIXED)
    period: str  # "time" when a time of day was given, else "day", "week", "month", "year"


_TIME = (
    r"noon|midday|midnight"
    r"|(?:1[0-2]|0?[1-9])(?:[:.][0-5][0-9])?\s*(?:am|pm|a\.m\.|p\.m\.)"
    r"|(?:[01]?[0-9]|2[0-3]):[0-5][0-9]"
)
_WEEKDAY_NAME = (
    r"mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?"
    r"|fri(?:day)?|sat(?:urday)?|sun(?:day)?"
)
_WEEKDAY_NUMBER = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_CLOCK_ALONE = re.compile(rf"(?:at )?(?P<time>{_TIME})")
_WEEKDAY = re.compile(
    rf"(?:(?:at )?(?P<before>{_TIME}) )?(?:on )?(?P<day>{_WEEKDAY_NAME})"
    rf"(?: (?:at )?(?P<after>{_TIME}))?"
)
_UNIT = r"minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|wks?|w"
_AMOUNT = rf"(?:[0-9]+|an?|one) ?(?:{_UNIT})"
_AMOUNTS = rf"{_AMOUNT}(?: ?{_AMOUNT})*"
_FROM_NOW = re.compile(
    rf"in (?P<ahead>{_AMOUNTS})|(?P<later>{_AMOUNTS}) (?:from now|later)"
    rf"|(?P<ago>{_AMOUNTS}) ago|(?P<now>(?:right )?now)"
)
_ONE_AMOUNT = re.compile(rf"(?P<count>[0-9]+|an?|one) ?(?P<unit>{_UNIT})")
# dateparser's own relative phrases ("in 2 months", "a year ago") are not dates to round.
_RELATIVE_WORDS = re.compile(r"^in |\bago$|\bfrom now$|\blater$")
_DATE_PERIODS = ("day", "week", "month", "year")


class _Beyond(Exception):
    """Date arithmetic left ``datetime``'s range; ``ahead`` says on which side."""

    def __init__(self, ahead: bool) -> None:
        super().__init__("ahead" if ahead else "behind")
        self.ahead = ahead


def parse_when(text: str, timezone: str, now: datetime) -> datetime:
    """Read ``text`` as a time to schedule at; return UTC, to the minute.

    A clock time at or before now is tomorrow's; a weekday already past is next week's.
    Dates are never moved (``require_future`` refuses a past one).
    """
    zone = ZoneInfo(timezone)
    reading = _read(text, zone, now)
    if reading.local is None or reading.kind not in (_Kind.CLOCK, _Kind.WEEKDAY):
        return _minute(reading.instant)
    # Safe arithmetic from here: the reading is within reach, at most a week is added.
    step = timedelta(days=1) if reading.kind is _Kind.CLOCK else timedelta(weeks=1)
    local = reading.local
    when = _minute(_aware(local, zone))
    while when <= _minute(now):
        local += step
        when = _minute(_aware(local, zone))
    return when


def parse_moment(text: str, timezone: str, now: datetime, *, end_of_day: bool = False) -> datetime:
    """Read ``text`` as one end of a range (``list from … to …``, a calendar day); UTC.

    Nothing is moved to the future: a weekday is its most recent day (today included),
    a clock time is today's. A date without a time is the start of that day, or with
    ``end_of_day`` the next local midnight, so a range ending on a date includes it.
    "last week", "december", "2026" likewise mean the start (or end) of that period.
    """
    zone = ZoneInfo(timezone)
    reading = _read(text, zone, now)
    if reading.local is None or reading.period not in _DATE_PERIODS:
        return _minute(reading.instant)
    # The period's end may pass the window by up to a year: still far from datetime's end.
    start, following = _period_bounds(reading.local.date(), reading.period)
    return _minute(_aware(datetime.combine(following if end_of_day else start, time()), zone))


def require_future(when: datetime, now: datetime, timezone: str) -> datetime:
    """Refuse a time that has already passed, naming it in both zones."""
    if when <= now.replace(second=0, microsecond=0):
        raise ValidationFailed(
            f"{show_time(when, timezone)} is in the past; pick a time after "
            f"{show_time(now, timezone)}."
        )
    return when


def reach(now: datetime) -> tuple[datetime, datetime]:
    """The earliest and latest times anyone may give: 20 years back, 5 years ahead.

    To the minute, as times are kept: 5 years from 14:07:33 is 14:07 that day.
    """
    minute = _minute(now)
    return (
        max(_years_from(minute, -YEARS_BEHIND), _FIRST),
        min(_years_from(minute, YEARS_AHEAD), _LAST),
    )


def within_reach(when: datetime, now: datetime, timezone: str, typed: str) -> datetime:
    """``when`` itself, or a refusal naming the limit it passed (``typed`` is quoted)."""
    earliest, latest = reach(now)
    if when > latest:
        raise _out_of_reach(typed, now, timezone, ahead=True)
    if when < earliest:
        raise _out_of_reach(typed, now, timezone, ahead=False)
    return when


def show_time(when: datetime, timezone: str) -> str:
    """Local time first (what the reader thinks in), then UTC.

    A stored time so near ``datetime``'s ends that the reader's zone cannot express it
    is shown in UTC alone rather than failing the whole reply.
    """
    local = _local(when, ZoneInfo(timezone))
    utc = f"{_stamp(in_zone(when, UTC))} UTC"
    if timezone == "UTC" or local is None:
        return utc
    return f"{local:%a} {_stamp(local)} {local.tzname()} ({utc})"


def _stamp(when: datetime) -> str:
    # Not strftime("%Y"), which writes year 1 as "1" on Linux: always four digits.
    return f"{when.year:04d}-{when:%m-%d %H:%M}"


def in_zone(when: datetime, zone: tzinfo) -> datetime:
    """``when`` in ``zone``, or unchanged where ``zone`` cannot express it (year 1 or 9999)."""
    local = _local(when, zone)
    return when if local is None else local


def _local(when: datetime, zone: tzinfo) -> datetime | None:
    try:
        return when.astimezone(zone)
    except (OverflowError, ValueError):
        return None


def _read(text: str, zone: ZoneInfo, now: datetime) -> _Reading:
    """Classify and place ``text``; refuse it unless it is within reach of ``now``."""
    _check_typed(text)
    try:
        reading = _place(text, zone, now)
    except _Beyond as beyond:
        raise _out_of_reach(text, now, zone.key, ahead=beyond.ahead) from None
    within_reach(reading.instant, now, zone.key, text)
    return reading


def _check_typed(text: str) -> None:
    """Refuse what no time looks like before any parser sees it."""
    if len(text) > _LONGEST_TEXT:
        raise ValidationFailed(
            f"That is too long for a time ({len(text)} characters); try {EXAMPLES}."
        )
    # "①" and "²" pass str.isdigit but not int(), and dateparser reads "①" as a month:
    # only 0-9 are digits here, as everywhere else in a command.
    odd = next((c for c in text if c.isnumeric() and c not in _ASCII_DIGITS), None)
    if odd is not None:
        raise ValidationFailed(
            f"{_quoted(text)} has “{odd}”: write numbers in times with the digits 0-9, "
            f"like {EXAMPLES}."
        )


def _place(text: str, zone: ZoneInfo, now: datetime) -> _Reading:
    """Classify and place ``text`` without moving it to the future or the past."""
    typed = " ".join(text.strip().lower().replace(",", " ").split())
    if not typed:
        raise _unreadable(text)
    now = now.astimezone(UTC)
    local_now = _wall(now, zone)

    amount = _FROM_NOW.fullmatch(typed.replace(" and ", " ").replace("half an hour", "30m"))
    if amount is not None:
        return _Reading(_Kind.AMOUNT, _from_now(amount, zone, now), None, "time")

    clock = _CLOCK_ALONE.fullmatch(typed)
    if clock is not None:
        local = datetime.combine(local_now.date(), _clock(clock["time"]))
        return _Reading(_Kind.CLOCK, _aware(local, zone), local, "time")

    weekday = _WEEKDAY.fullmatch(typed)
    if weekday is not None and not (weekday["before"] and weekday["after"]):
        wanted = _WEEKDAY_NUMBER[weekday["day"][:3]]
        day = local_now.date() - timedelta(days=(local_now.weekday() - wanted) % 7)
        given = weekday["before"] or weekday["after"]
        local = datetime.combine(day, _clock(given) if given else time())
        return _Reading(_Kind.WEEKDAY, _aware(local, zone), local, "time" if given else "day")

    settings = {"RELATIVE_BASE": local_now, "RETURN_TIME_AS_PERIOD": True}
    parser = DateDataParser(languages=["en"], settings=settings)
    try:
        data: Any = parser.get_date_data(" ".join(text.split()))
    except Exception:
        # dateparser is a heuristic over free text: whatever trips it inside (an overflow
        # on "in 10**20 months", a ValueError on an odd date), we could not read the text.
        raise _unreadable(text) from None
    parsed: datetime | None = data.date_obj
    period: str = data.period or "day"
    if parsed is None:
        raise _unreadable(text)
    if parsed.tzinfo is not None:
        return _Reading(_Kind.FIXED, _utc(parsed), None, "time")
    if _RELATIVE_WORDS.search(typed):
        period = "time"
    elif period not in _DATE_PERIODS:
        period = "time"  # "time", or a part of the day such as "tonight"
    return _Reading(_Kind.DATED, _aware(parsed, zone), parsed, period)


def _from_now(amount: re.Match[str], zone: ZoneInfo, now: datetime) -> datetime:
    """Days and weeks on the local wall clock, then minutes and hours on the UTC instant."""
    if amount["now"]:
        return now
    sign = -1 if amount["ago"] else 1
    days = minutes = 0
    for part in _ONE_AMOUNT.finditer(amount["ahead"] or amount["later"] or amount["ago"]):
        digits = part["count"]
        if len(digits) > _MOST_DIGITS:  # also keeps int() off a 5,000-digit string
            raise _Beyond(ahead=sign > 0)
        count = int(digits) if digits[0] in _ASCII_DIGITS else 1
        unit = part["unit"][0]
        if unit == "w":
            days += 7 * count
        elif unit == "d":
            days += count
        elif unit == "h":
            minutes += 60 * count
        else:
            minutes += count
    # Plain ints so far: refuse an amount past any window before timedelta overflows.
    if days + minutes // (24 * 60) > 366 * (YEARS_BEHIND + 1):
        raise _Beyond(ahead=sign > 0)
    moved = now
    try:
        if days:
            moved = _aware(_wall(now, zone) + timedelta(days=sign * days), zone)
        return moved + timedelta(minutes=sign * minutes)
    except OverflowError:  # only with a clock already near datetime's ends
        raise _Beyond(ahead=sign > 0) from None


def _clock(typed: str) -> time:
    """A time of day from text that ``_TIME`` matched."""
    if typed in ("noon", "midday"):
        return time(12)
    if typed == "midnight":
        return time(0)
    numbers = re.findall(r"[0-9]+", typed)
    hour, minute = int(numbers[0]), int(numbers[1]) if len(numbers) > 1 else 0
    if "p" in typed and hour != 12:
        hour += 12
    elif "a" in typed and hour == 12:
        hour = 0
    return time(hour, minute)


def _aware(local: datetime, zone: ZoneInfo) -> datetime:
    """Give a naive local time the offset valid on its date; return it in UTC.

    With fold=0 a repeated time is its first occurrence, and a skipped time takes the
    offset from before the change, which lands it past the gap by the gap's length
    (02:30 on a spring-forward night at 02:00 becomes 03:30).
    """
    return _utc(local.replace(tzinfo=zone, fold=0))


def _utc(when: datetime) -> datetime:
    """``when`` in UTC; a local 9999-12-31 west of UTC (or 0001-01-01 east) has no UTC."""
    try:
        return when.astimezone(UTC)
    except (OverflowError, ValueError):
        raise _Beyond(ahead=when.year > 5000) from None


def _wall(now: datetime, zone: ZoneInfo) -> datetime:
    """The naive local wall-clock time of ``now`` in ``zone``."""
    try:
        return now.astimezone(zone).replace(tzinfo=None, fold=0)
    except (OverflowError, ValueError):
        raise _Beyond(ahead=now.year > 5000) from None


def _years_from(when: datetime, years: int) -> datetime:
    """The same moment ``years`` later (earlier if negative); 29 February becomes the 28th."""
    try:
        return when.replace(year=when.year + years)
    except ValueError:
        if 1 <= when.year + years <= 9999:
            return when.replace(year=when.year + years, day=28)
        return _LAST if years > 0 else _FIRST


def _period_bounds(day: date, period: str) -> tuple[date, date]:
    """The first day of the day/week/month/year containing ``day``, and of the next."""
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(weeks=1)
    if period == "month":
        start = day.replace(day=1)
        return start, (start + timedelta(days=32)).replace(day=1)
    if period == "year":
        return date(day.year, 1, 1), date(day.year + 1, 1, 1)
    return day, day + timedelta(days=1)


def _minute(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(second=0, microsecond=0)


def _quoted(text: str, limit: int = 40) -> str:
    """The text as typed, on one line and short, so a refusal never echoes a novel."""
    flat = " ".join(text.split())
    return f"“{flat if len(flat) <= limit else flat[: limit - 1].rstrip() + '…'}”"


def _unreadable(text: str) -> ValidationFailed:
    return ValidationFailed(f"I could not read {_quoted(text)} as a time. Try {EXAMPLES}.")


def _out_of_reach(typed: str, now: datetime, timezone: str, *, ahead: bool) -> ValidationFailed:
    earliest, latest = reach(now)
    if ahead:
        return ValidationFailed(
            f"{_quoted(typed)} is more than {YEARS_AHEAD} years ahead, which looks like a "
            f"mistake; I take times up to {show_time(latest, timezone)}."
        )
    return ValidationFailed(
        f"{_quoted(typed)} is more than {YEARS_BEHIND} years ago; I take times from "
        f"{show_time(earliest, timezone)} on."
    )
