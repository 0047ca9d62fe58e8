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
refused by ``require_future``. ``parse_moment`` reads one end of a window (a calendar day,
``inbox since``) and moves nothing; a date without a time is the start of that
day (or its end, for the end of a range).

``parse_range`` reads ``list … from … to …``, leaning the way the list looks (``prefer``):
"future" for scheduled posts, "past" for published or failed ones. A text that leaves
something out (a weekday, a clock time, "dec 3", "march") then names the nearest such day,
time or period that is not wholly on the other side of now: "friday" on a Wednesday is the
coming one for scheduled posts and the past one for published posts, and today (or this
month) still counts both ways. Text that names its date ("2026-12-04", "tomorrow", "next
week") is never moved. A bare date covers whole local days (``from`` its first minute,
``to`` its last, inclusive); a time is exact, and a ``to`` time includes its own minute.

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
from typing import Any, Literal
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
_MINUTE = timedelta(minutes=1)

# Which side of now a text that leaves its day (or year) out is read on; None: today's
# rule (a weekday is its most recent day, a clock time today's, dateparser's current period).
Prefer = Literal["future", "past"]


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


def parse_range(
    start: str | None,
    end: str | None,
    timezone: str,
    now: datetime,
    *,
    prefer: Prefer | None = None,
) -> tuple[datetime | None, datetime | None]:
    """Read ``from <start> to <end>`` as UTC bounds: ``start <= t < end``.

    ``prefer`` is the side of now a text without its own date leans to (see the module
    docstring). A bare date or period covers whole local days; a time is exact and the
    ``to`` time's own minute is included (times are kept to the minute). A ``to`` weekday
    or clock time is the first one on or after the start ("from monday to friday" on a
    Wednesday is never an empty week), and a range that still ends before it starts is
    refused rather than answered with an empty list.
    """
    zone = ZoneInfo(timezone)
    lower = _lower(_read(start, zone, now, prefer), zone) if start else None
    upper = None
    if end:
        reading = _read(end, zone, now, prefer)
        if lower is not None:
            reading = _not_before(reading, lower, zone, now, end)
        upper = _upper(reading, zone)
    if lower is not None and upper is not None and upper <= lower:
        raise ValidationFailed(
            f"That range ends before it starts: from {show_time(lower, timezone)} to "
            f"{show_time(upper - _MINUTE, timezone)}. Put the earlier time after `from`, "
            "like `list from monday to friday`."
        )
    return lower, upper


def _lower(reading: _Reading, zone: ZoneInfo) -> datetime:
    """The first minute a reading covers: a period's start, or the time itself."""
    return _span(reading, zone)[0]


def _upper(reading: _Reading, zone: ZoneInfo) -> datetime:
    """Just past the last minute a reading covers: a period's end, or a time's next minute."""
    return _span(reading, zone)[1]


def _span(reading: _Reading, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A reading's period as UTC bounds ``[first, following)``; a time is its one minute."""
    if reading.local is None or reading.period not in _DATE_PERIODS:
        start = _minute(reading.instant)
        return start, start + _MINUTE
    first, following = _period_bounds(reading.local.date(), reading.period)
    return _aware(datetime.combine(first, time()), zone), _aware(
        datetime.combine(following, time()), zone
    )


def _not_before(
    reading: _Reading, lower: datetime, zone: ZoneInfo, now: datetime, typed: str
) -> _Reading:
    """A ``to`` weekday or clock time moved to its first occurrence ending after ``lower``.

    Only those kinds name no date of their own; anything else is left for the caller to
    refuse if it ends before the range starts.
    """
    if reading.local is None or reading.kind not in (_Kind.CLOCK, _Kind.WEEKDAY):
        return reading
    step = timedelta(days=1) if reading.kind is _Kind.CLOCK else timedelta(weeks=1)
    local = reading.local
    try:
        # Jump most of the way at once ("from december to friday"), then step.
        behind = (in_zone(lower, zone).date() - local.date()).days
        if behind > step.days:
            local = _shift(local, step * (behind // step.days - 1))
        moved = reading
        for _ in range(3):
            moved = _Reading(reading.kind, _aware(local, zone), local, reading.period)
            if _upper(moved, zone) > lower:
                break
            local = _shift(local, step)
    except _Beyond as beyond:
        raise _out_of_reach(typed, now, zone.key, ahead=beyond.ahead) from None
    within_reach(moved.instant, now, zone.key, typed)
    return moved


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


def _read(text: str, zone: ZoneInfo, now: datetime, prefer: Prefer | None = None) -> _Reading:
    """Classify and place ``text``; refuse it unless it is within reach of ``now``."""
    _check_typed(text)
    try:
        reading = _place(text, zone, now, prefer)
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


def _place(text: str, zone: ZoneInfo, now: datetime, prefer: Prefer | None) -> _Reading:
    """Classify and place ``text``: on ``prefer``'s side of now when it leaves that open."""
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
        reading = _Reading(_Kind.CLOCK, _aware(local, zone), local, "time")
        return _lean(reading, prefer, zone, now, timedelta(days=1))

    weekday = _WEEKDAY.fullmatch(typed)
    if weekday is not None and not (weekday["before"] and weekday["after"]):
        wanted = _WEEKDAY_NUMBER[weekday["day"][:3]]
        day = local_now.date() - timedelta(days=(local_now.weekday() - wanted) % 7)
        given = weekday["before"] or weekday["after"]
        local = datetime.combine(day, _clock(given) if given else time())
        reading = _Reading(_Kind.WEEKDAY, _aware(local, zone), local, "time" if given else "day")
        return _lean(reading, prefer, zone, now, timedelta(weeks=1))

    current = _dated(text, typed, zone, local_now, "current_period")
    if current is None:
        raise _unreadable(text)
    if prefer is None or current.local is None or _RELATIVE_WORDS.search(typed):
        return current
    earliest, latest = reach(now)
    if not earliest <= current.instant <= latest:
        return current  # refused by the caller, before any period arithmetic near year 9999
    if not _wrong_side(current, prefer, zone, now):
        return current
    # dateparser moves what the text left out ("dec 3": the year) to the side asked for;
    # its own "future" would also skip today and this month, which is why it is asked
    # only once the current period's reading lies wholly on the other side of now.
    leaning = _dated(text, typed, zone, local_now, prefer)
    if leaning is None or leaning.local is None or _wrong_side(leaning, prefer, zone, now):
        return current
    return leaning


def _dated(
    text: str, typed: str, zone: ZoneInfo, local_now: datetime, prefer: str
) -> _Reading | None:
    """Wall-clock or offset text read by dateparser (``prefer``: its PREFER_DATES_FROM)."""
    settings = {
        "RELATIVE_BASE": local_now,
        "RETURN_TIME_AS_PERIOD": True,
        "PREFER_DATES_FROM": prefer,
    }
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
        return None
    if parsed.tzinfo is not None:
        return _Reading(_Kind.FIXED, _utc(parsed), None, "time")
    if _RELATIVE_WORDS.search(typed):
        period = "time"
    elif period not in _DATE_PERIODS:
        period = "time"  # "time", or a part of the day such as "tonight"
    return _Reading(_Kind.DATED, _aware(parsed, zone), parsed, period)


def _wrong_side(reading: _Reading, prefer: Prefer, zone: ZoneInfo, now: datetime) -> bool:
    """Whether all of ``reading`` lies on the other side of now from ``prefer``.

    A day or a month that contains now is on both sides: "friday" on a Friday is today
    whichever way a list leans.
    """
    first, following = _span(reading, zone)
    if prefer == "future":
        return following <= _minute(now)
    return first > _minute(now)


def _lean(
    reading: _Reading, prefer: Prefer | None, zone: ZoneInfo, now: datetime, step: timedelta
) -> _Reading:
    """A weekday or clock time moved one ``step`` to ``prefer``'s side of now, if needed.

    It starts at most one step from now (the most recent such weekday, today's clock
    time), so one step is always enough.
    """
    if prefer is None or reading.local is None or not _wrong_side(reading, prefer, zone, now):
        return reading
    local = _shift(reading.local, step if prefer == "future" else -step)
    return _Reading(reading.kind, _aware(local, zone), local, reading.period)


def _shift(local: datetime, step: timedelta) -> datetime:
    """``local`` moved by ``step`` on the wall clock; past ``datetime``'s ends, refused."""
    try:
        return local + step
    except OverflowError:
        raise _Beyond(ahead=step > timedelta(0)) from None


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
