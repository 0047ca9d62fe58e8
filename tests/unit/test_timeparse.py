"""Times are read in the member's zone, kept in UTC to the minute, never in the past."""

from datetime import UTC, datetime

import pytest

from core.errors import ValidationFailed
from core.timeparse import parse_when, require_future, show_time

NOW = datetime(2026, 11, 25, 14, 7, 33, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("tomorrow 9am", "Europe/Paris", datetime(2026, 11, 26, 8, 0, tzinfo=UTC)),
        ("in 2 hours", "Europe/Paris", datetime(2026, 11, 25, 16, 7, tzinfo=UTC)),
        ("friday 17:30", "America/New_York", datetime(2026, 11, 27, 22, 30, tzinfo=UTC)),
        ("2026-12-01 14:30", "Asia/Tokyo", datetime(2026, 12, 1, 5, 30, tzinfo=UTC)),
        ("2026-12-01T14:30Z", "Asia/Tokyo", datetime(2026, 12, 1, 14, 30, tzinfo=UTC)),
        ("2026-12-01 14:30", "UTC", datetime(2026, 12, 1, 14, 30, tzinfo=UTC)),
    ],
)
def test_times_are_read_in_the_members_zone(text: str, zone: str, expected: datetime) -> None:
    assert parse_when(text, zone, NOW) == expected


def test_a_dst_change_moves_the_utc_offset() -> None:
    # Paris leaves winter time on 2026-03-29: 09:00 local is 08:00 UTC before, 07:00 after.
    assert parse_when("2026-03-28 09:00", "Europe/Paris", NOW) == datetime(
        2026, 3, 28, 8, 0, tzinfo=UTC
    )
    assert parse_when("2026-03-29 09:00", "Europe/Paris", NOW) == datetime(
        2026, 3, 29, 7, 0, tzinfo=UTC
    )


@pytest.mark.parametrize("text", ["blah", "", "the day after never", "32/13/2026"])
def test_an_unreadable_time_is_refused_with_examples(text: str) -> None:
    with pytest.raises(ValidationFailed, match="tomorrow 9am") as caught:
        parse_when(text, "UTC", NOW)
    assert "could not read" in caught.value.message


def test_a_past_time_is_refused_naming_both_zones() -> None:
    past = parse_when("2026-11-25 09:00", "Europe/Paris", NOW)
    with pytest.raises(ValidationFailed, match="in the past") as caught:
        require_future(past, NOW, "Europe/Paris")
    assert "CET" in caught.value.message and "UTC" in caught.value.message


def test_the_current_minute_counts_as_past() -> None:
    with pytest.raises(ValidationFailed):
        require_future(NOW.replace(second=0), NOW, "UTC")


def test_show_time_gives_local_then_utc() -> None:
    shown = show_time(datetime(2026, 12, 1, 13, 30, tzinfo=UTC), "Europe/Paris")
    assert shown == "Tue 2026-12-01 14:30 CET (2026-12-01 13:30 UTC)"
