"""`list … from … to …` reads time ranges the way people mean them (issue 8, point 8).

Scheduled posts lie ahead, so a weekday or a date without its year leans to the future;
published and failed posts lie behind, so it leans to the past. A bare date covers whole
days in the member's zone (``from`` its first minute, ``to`` its last); a time is exact
and a ``to`` time includes its own minute. The bounds are what the use case hands the
repository, as ``start <= moment < end``.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from core.errors import ValidationFailed
from core.ports import PostFilter
from core.states import PostStatus
from core.timeparse import parse_range
from core.usecases import members
from core.usecases import posts as cases
from core.usecases.notifications import inbox
from core.usecases.posts import NewPost
from core.usecases.queries import calendar, list_posts
from tests.fakes import FakePosts
from tests.unit.conftest import World


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


WED = utc(2026, 11, 25, 14, 7, 33)  # Wednesday 25 November 2026
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@dataclass
class Seen:
    queries: list[PostFilter]


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> Seen:
    """Every filter ``list`` asks the repository for, so the bounds themselves are checked."""
    record = Seen([])
    real = FakePosts.list

    async def spy(self: FakePosts, workspace_id: int, query: PostFilter) -> object:
        record.queries.append(query)
        return await real(self, workspace_id, query)

    monkeypatch.setattr(FakePosts, "list", spy)
    return record


async def bounds(
    world: World,
    seen: Seen,
    scope: str,
    zone: str,
    now: datetime,
    start: str | None = None,
    end: str | None = None,
) -> tuple[datetime | None, datetime | None]:
    await members.set_my_timezone(world.svc, world.owner, zone)
    world.clock.set(now)
    await list_posts(world.svc, world.owner, scope, start=start, end=end)
    query = seen.queries[-1]
    return query.start, query.end


# --- one table: scope × zone × now × text → the bound -----------------------------------

PARIS_BEFORE_AUTUMN = utc(2026, 10, 23, 12)  # Fri; Paris goes back to CET on Sun 25 Oct
PARIS_AFTER_AUTUMN = utc(2026, 10, 27, 12)  # Tue after it
PARIS_BEFORE_SPRING = utc(2026, 3, 27, 12)  # Fri; Paris goes to CEST on Sun 29 Mar 02:00
NY_BEFORE_AUTUMN = utc(2026, 10, 29, 16)  # Thu; New York goes back to EST on Sun 1 Nov
NY_BEFORE_SPRING = utc(2026, 3, 5, 17)  # Thu; New York goes to EDT on Sun 8 Mar 02:00
NY_AFTER_SPRING = utc(2026, 3, 10, 14)  # Tue after it
TOKYO_THURSDAY = utc(2026, 11, 25, 20)  # Wed in UTC, already Thu 26 05:00 in Tokyo
PAGO_TUESDAY = utc(2026, 11, 25, 8)  # Wed in UTC, still Tue 24 21:00 in Pago Pago
DEC10 = utc(2026, 12, 10, 12)

FROM_ROWS = [
    # scope, zone, now, text, start
    ("scheduled", "UTC", WED, "monday", utc(2026, 11, 30)),
    ("published", "UTC", WED, "monday", utc(2026, 11, 23)),
    ("failed", "UTC", WED, "monday", utc(2026, 11, 23)),
    ("all", "UTC", WED, "monday", utc(2026, 11, 23)),  # as before: the most recent
    ("scheduled", "UTC", WED, "wednesday", utc(2026, 11, 25)),  # today counts both ways
    ("published", "UTC", WED, "wednesday", utc(2026, 11, 25)),
    ("scheduled", "Europe/Paris", WED, "tomorrow", utc(2026, 11, 25, 23)),
    ("published", "Europe/Paris", WED, "tomorrow", utc(2026, 11, 25, 23)),  # never moved
    ("scheduled", "UTC", WED, "next week", utc(2026, 11, 30)),
    ("published", "UTC", WED, "next week", utc(2026, 11, 30)),
    ("scheduled", "Europe/Paris", WED, "2026-12-04", utc(2026, 12, 3, 23)),
    ("published", "Europe/Paris", WED, "2026-11-04", utc(2026, 11, 3, 23)),
    ("scheduled", "Europe/Paris", WED, "2026-12-04 17:00", utc(2026, 12, 4, 16)),
    ("published", "UTC", WED, "17:00", utc(2026, 11, 24, 17)),  # today's is still ahead
    ("scheduled", "UTC", WED, "17:00", utc(2026, 11, 25, 17)),
    ("scheduled", "UTC", DEC10, "dec 3", utc(2027, 12, 3)),  # this year's has gone
    ("published", "UTC", DEC10, "dec 3", utc(2026, 12, 3)),
    ("published", "UTC", WED, "december", utc(2025, 12, 1)),  # this year's is to come
    ("scheduled", "UTC", WED, "november", utc(2026, 11, 1)),  # this month counts
    # A 25-hour Sunday in Paris: from its first minute (still CEST) ...
    ("scheduled", "Europe/Paris", PARIS_BEFORE_AUTUMN, "sunday", utc(2026, 10, 24, 22)),
    ("published", "Europe/Paris", PARIS_AFTER_AUTUMN, "sunday", utc(2026, 10, 24, 22)),
    ("published", "Europe/Paris", PARIS_AFTER_AUTUMN, "monday", utc(2026, 10, 25, 23)),
    ("scheduled", "America/New_York", NY_BEFORE_AUTUMN, "sunday", utc(2026, 11, 1, 4)),
    ("published", "America/New_York", NY_AFTER_SPRING, "sunday", utc(2026, 3, 8, 5)),
    # The member's own date decides which day is which.
    ("scheduled", "Asia/Tokyo", TOKYO_THURSDAY, "thursday", utc(2026, 11, 25, 15)),
    ("scheduled", "Asia/Tokyo", TOKYO_THURSDAY, "wednesday", utc(2026, 12, 1, 15)),
    ("published", "Asia/Tokyo", TOKYO_THURSDAY, "wednesday", utc(2026, 11, 24, 15)),
    ("scheduled", "Pacific/Pago_Pago", PAGO_TUESDAY, "tuesday", utc(2026, 11, 24, 11)),
    ("published", "Pacific/Pago_Pago", PAGO_TUESDAY, "wednesday", utc(2026, 11, 18, 11)),
    ("scheduled", "Pacific/Pago_Pago", PAGO_TUESDAY, "wednesday", utc(2026, 11, 25, 11)),
    ("published", "Pacific/Pago_Pago", PAGO_TUESDAY, "9am", utc(2026, 11, 24, 20)),
]

TO_ROWS = [
    # scope, zone, now, text, end (exclusive)
    ("scheduled", "UTC", WED, "friday", utc(2026, 11, 28)),  # the coming Friday, all of it
    ("published", "UTC", WED, "friday", utc(2026, 11, 21)),  # the past one
    ("failed", "UTC", WED, "friday", utc(2026, 11, 21)),
    ("all", "UTC", WED, "friday", utc(2026, 11, 21)),  # as before
    ("drafts", "UTC", WED, "friday", utc(2026, 11, 21)),  # drafts are dated by creation
    ("scheduled", "UTC", WED, "wednesday", utc(2026, 11, 26)),
    ("published", "UTC", WED, "wednesday", utc(2026, 11, 26)),
    ("scheduled", "Europe/Paris", WED, "tomorrow", utc(2026, 11, 26, 23)),
    ("scheduled", "UTC", WED, "next week", utc(2026, 12, 7)),
    ("scheduled", "Europe/Paris", WED, "2026-12-04", utc(2026, 12, 4, 23)),
    ("published", "Europe/Paris", WED, "2026-11-04", utc(2026, 11, 4, 23)),
    ("all", "Europe/Paris", WED, "2026-12-04", utc(2026, 12, 4, 23)),
    # A time is exact, and its own minute is in the range.
    ("scheduled", "Europe/Paris", WED, "friday 17:00", utc(2026, 11, 27, 16, 1)),
    ("published", "Europe/Paris", WED, "friday 17:00", utc(2026, 11, 20, 16, 1)),
    ("scheduled", "Europe/Paris", WED, "2026-12-04 17:00", utc(2026, 12, 4, 16, 1)),
    ("published", "UTC", WED, "2026-11-20T09:30Z", utc(2026, 11, 20, 9, 31)),
    ("scheduled", "UTC", WED, "9am", utc(2026, 11, 26, 9, 1)),  # today's 9am has passed
    ("published", "UTC", WED, "9am", utc(2026, 11, 25, 9, 1)),
    # ... to its last (already CET): 25 hours later.
    ("scheduled", "Europe/Paris", PARIS_BEFORE_AUTUMN, "sunday", utc(2026, 10, 25, 23)),
    ("published", "Europe/Paris", PARIS_AFTER_AUTUMN, "sunday", utc(2026, 10, 25, 23)),
    # A 23-hour Sunday in spring; 02:30 does not exist that night and moves past the gap.
    ("scheduled", "Europe/Paris", PARIS_BEFORE_SPRING, "sunday", utc(2026, 3, 29, 22)),
    ("scheduled", "Europe/Paris", PARIS_BEFORE_SPRING, "sunday 02:30", utc(2026, 3, 29, 1, 31)),
    ("scheduled", "America/New_York", NY_BEFORE_AUTUMN, "sunday", utc(2026, 11, 2, 5)),
    ("scheduled", "America/New_York", NY_BEFORE_SPRING, "friday 17:00", utc(2026, 3, 6, 22, 1)),
    ("scheduled", "America/New_York", NY_BEFORE_SPRING, "tuesday 9am", utc(2026, 3, 10, 13, 1)),
    ("published", "America/New_York", NY_AFTER_SPRING, "sunday", utc(2026, 3, 9, 4)),
    ("scheduled", "Asia/Tokyo", TOKYO_THURSDAY, "wednesday", utc(2026, 12, 2, 15)),
    ("published", "Asia/Tokyo", TOKYO_THURSDAY, "wednesday", utc(2026, 11, 25, 15)),
    ("scheduled", "Asia/Tokyo", TOKYO_THURSDAY, "tomorrow", utc(2026, 11, 27, 15)),
    ("scheduled", "Pacific/Pago_Pago", PAGO_TUESDAY, "wednesday", utc(2026, 11, 26, 11)),
    ("published", "Pacific/Pago_Pago", PAGO_TUESDAY, "wednesday", utc(2026, 11, 19, 11)),
    ("scheduled", "Pacific/Pago_Pago", PAGO_TUESDAY, "9am", utc(2026, 11, 25, 20, 1)),
]


@pytest.mark.parametrize(("scope", "zone", "now", "text", "expected"), FROM_ROWS)
async def test_from_reads_the_way_the_list_leans(
    world: World, seen: Seen, scope: str, zone: str, now: datetime, text: str, expected: datetime
) -> None:
    assert await bounds(world, seen, scope, zone, now, start=text) == (expected, None)


@pytest.mark.parametrize(("scope", "zone", "now", "text", "expected"), TO_ROWS)
async def test_to_reads_the_way_the_list_leans(
    world: World, seen: Seen, scope: str, zone: str, now: datetime, text: str, expected: datetime
) -> None:
    assert await bounds(world, seen, scope, zone, now, end=text) == (None, expected)


# --- every weekday name on every weekday --------------------------------------------------

WEEK = [utc(2026, 11, 23 + i, 12) for i in range(7)]  # Monday 23 … Sunday 29, at noon


@pytest.mark.parametrize("now", WEEK, ids=lambda d: f"{d:%a}")
@pytest.mark.parametrize("name", DAYS)
@pytest.mark.parametrize("scope", ["scheduled", "published", "failed"])
async def test_each_weekday_name_on_each_weekday(
    world: World, seen: Seen, scope: str, name: str, now: datetime
) -> None:
    today, wanted = now.date(), DAYS.index(name)
    # Scheduled: this one or one of the next six days; published/failed: one of the last six.
    ahead = [today + timedelta(days=i) for i in range(7)]
    behind = [today - timedelta(days=i) for i in range(7)]
    day = next(d for d in (ahead if scope == "scheduled" else behind) if d.weekday() == wanted)
    start, end = await bounds(world, seen, scope, "UTC", now, start=name, end=name)
    assert (start, end) == (midnight(day), midnight(day + timedelta(days=1)))


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


# --- both ends together ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "start", "end", "expected"),
    [
        # On a Wednesday: never an empty range because Friday came before Monday.
        ("all", "monday", "friday", (utc(2026, 11, 23), utc(2026, 11, 28))),
        ("published", "monday", "friday", (utc(2026, 11, 23), utc(2026, 11, 28))),
        ("scheduled", "monday", "friday", (utc(2026, 11, 30), utc(2026, 12, 5))),
        ("scheduled", "friday", "monday", (utc(2026, 11, 27), utc(2026, 12, 1))),
        ("published", "friday", "monday", (utc(2026, 11, 20), utc(2026, 11, 24))),
        ("scheduled", "tomorrow 9am", "17:00", (utc(2026, 11, 26, 9), utc(2026, 11, 26, 17, 1))),
        ("all", "2026-12-01", "2026-12-01", (utc(2026, 12, 1), utc(2026, 12, 2))),
    ],
)
async def test_a_to_weekday_or_time_comes_after_the_from(
    world: World,
    seen: Seen,
    scope: str,
    start: str,
    end: str,
    expected: tuple[datetime, datetime],
) -> None:
    assert await bounds(world, seen, scope, "UTC", WED, start, end) == expected


async def test_a_range_that_ends_before_it_starts_is_refused(world: World, seen: Seen) -> None:
    with pytest.raises(ValidationFailed, match="ends before it starts") as caught:
        await bounds(world, seen, "all", "Europe/Paris", WED, "2026-12-05", "2026-12-01")
    assert "Sat 2026-12-05 00:00 CET" in caught.value.message
    assert "Tue 2026-12-01 23:59 CET" in caught.value.message


async def test_the_window_still_holds_for_range_ends(world: World, seen: Seen) -> None:
    # The colleague's guarantees (issue 14) apply whichever way a list leans.
    for scope in ("scheduled", "published"):
        with pytest.raises(ValidationFailed, match="more than 5 years ahead"):
            await bounds(world, seen, scope, "Asia/Tokyo", WED, end="in 6 years")
        with pytest.raises(ValidationFailed, match="more than 20 years ago"):
            await bounds(world, seen, scope, "Pacific/Pago_Pago", WED, start="0001-01-01")
        with pytest.raises(ValidationFailed, match="digits 0-9"):
            await bounds(world, seen, scope, "UTC", WED, start="friday ①pm")


# --- what the member sees ---------------------------------------------------------------------


async def test_list_scheduled_to_friday_on_a_wednesday_shows_this_weeks_posts(
    world: World,
) -> None:
    await members.set_my_timezone(world.svc, world.owner, "Europe/Paris")
    world.clock.set(WED)
    wanted = []
    for when in ("2026-11-26 10:00", "2026-11-27 17:00", "2026-11-27 23:59"):
        post = await cases.schedule_post(world.svc, world.owner, NewPost(when, when=when))
        wanted.append(post.number)
    await cases.schedule_post(world.svc, world.owner, NewPost("sat", when="2026-11-28 00:00"))
    listed = await list_posts(world.svc, world.owner, "scheduled", end="friday")
    assert [p.number for p in listed.posts] == wanted
    until_five = await list_posts(world.svc, world.owner, "scheduled", end="friday 17:00")
    assert [p.number for p in until_five.posts] == wanted[:2]  # 17:00 itself included


async def test_list_published_to_friday_on_a_wednesday_shows_last_weeks_posts(
    world: World,
) -> None:
    world.clock.set(utc(2026, 11, 19, 8))
    old = await cases.schedule_post(world.svc, world.owner, NewPost("old", when="2026-11-20 9am"))
    world.clock.set(utc(2026, 11, 20, 9, 1))
    await world.ticker.tick()
    world.clock.set(WED)
    published = await list_posts(world.svc, world.owner, "published")
    assert [p.status for p in published.posts] == [PostStatus.PUBLISHED]
    listed = await list_posts(world.svc, world.owner, "published", end="friday")
    assert [p.number for p in listed.posts] == [old.number]


async def test_calendar_and_inbox_since_keep_their_readings(world: World) -> None:
    # Left as they were: a calendar date is the most recent such day, `since` the past.
    world.clock.set(WED)
    window = await calendar(world.svc, world.owner, "day", "friday")
    assert window.days == [date(2026, 11, 20)]
    box = await inbox(world.svc, world.owner, since="friday")
    assert box.notifications == [] or all(
        n.created_at >= utc(2026, 11, 20) for n in box.notifications
    )


@pytest.mark.parametrize("prefer", [None, "past", "future"])
def test_a_range_end_far_beyond_reach_is_refused_in_words(prefer: str | None) -> None:
    # Found by the console fuzz: "list draft from tomorrow m to year9999".
    with pytest.raises(ValidationFailed, match="more than 5 years ahead"):
        parse_range(
            "tomorrow m",
            "year9999",
            "UTC",
            datetime(2026, 11, 25, 10, tzinfo=UTC),
            prefer=prefer,  # type: ignore[arg-type]
        )
