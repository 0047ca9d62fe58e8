"""No line kills the console or reaches "something went wrong" (issue 14, point 3).

Everything here drives the real ``ConsoleSession.handle`` on SQLite, as
``trypost console --simulated-clock`` runs it (``tests/console_fuzzing.py``).
"""

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.console import session as console_session
from bot.console.runner import keep_tracebacks_off_the_terminal
from bot.logs import configure_logging
from tests.console_fuzzing import (
    DURATIONS,
    NAMES,
    NUMBERS,
    QUOTED,
    SCOPES,
    TIMES,
    VIEWS,
    WORDS,
    ZONES,
    ConsoleUnderTest,
    Outcome,
    console,
)


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    # One loop for the module: hypothesis runs a sync body hundreds of times and every
    # example reuses the console built on it (building one takes a migration).
    running = asyncio.new_event_loop()
    yield running
    running.close()


@pytest.fixture(scope="module")
def shared(loop: asyncio.AbstractEventLoop) -> Iterator[ConsoleUnderTest]:
    opened = console()
    under = loop.run_until_complete(opened.__aenter__())
    yield under
    loop.run_until_complete(opened.__aexit__(None, None, None))


@pytest.fixture(scope="module")
def calm(loop: asyncio.AbstractEventLoop) -> Iterator[ConsoleUnderTest]:
    """A console that only ever sees refused lines: its three setup posts stay three."""
    opened = console()
    under = loop.run_until_complete(opened.__aenter__())
    yield under
    loop.run_until_complete(opened.__aexit__(None, None, None))


def run_lines(
    loop: asyncio.AbstractEventLoop, under: ConsoleUnderTest, lines: list[str]
) -> list[Outcome]:
    async def run_all() -> list[Outcome]:
        return [await under.run(line) for line in lines]

    return loop.run_until_complete(run_all())


async def fresh_console_lines(lines: list[str]) -> list[Outcome]:
    async with console() as under:
        return [await under.run(line) for line in lines]


def answered_in_words(outcome: Outcome) -> None:
    assert outcome.crashed is None, f"{outcome.line!r} escaped: {outcome.crashed!r}"
    assert outcome.tracebacks == 0, f"{outcome.line!r} logged a traceback"
    assert not outcome.internal_error, f"{outcome.line!r}: {outcome.said}"
    assert outcome.said.strip(), f"{outcome.line!r} got no answer"


# --- the fuzz ------------------------------------------------------------------------------

pieces = st.sampled_from
number = st.one_of(pieces(NUMBERS), st.integers(-(10**30), 10**30).map(str))
when = st.one_of(
    pieces(TIMES),
    st.builds(
        lambda n, unit, ago: f"{n} {unit} ago" if ago else f"in {n} {unit}",
        st.integers(0, 10**25),
        pieces(["minutes", "hours", "days", "weeks", "months", "years"]),
        st.booleans(),
    ),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
        lambda moment: moment.strftime("%Y-%m-%dT%H:%MZ")
    ),
)
duration = st.one_of(
    pieces(DURATIONS),
    st.builds(lambda n, unit: f"{n}{unit}", st.integers(0, 10**20), pieces(["m", "h", "d", "w"])),
)
quoted = st.one_of(pieces(QUOTED), st.text(max_size=20).map(lambda text: f'"{text}"'))
command = st.one_of(
    st.builds(lambda q, w: f"schedule {q} at {w}", quoted, when),
    st.builds(lambda n, w: f"reschedule {n} {w}", number, when),
    st.builds(lambda s, a, b: f"list {s} from {a} to {b}", pieces(["", *SCOPES]), when, when),
    st.builds(lambda v, w: f"calendar {v} {w}", pieces(["", *VIEWS]), when),
    st.builds(lambda w: f"inbox since {w}", when),
    st.builds(lambda v, n: f"{v} {n}", pieces(["show", "retry", "delete", "comments"]), number),
    st.builds(lambda n: f"settings limit {n}", number),
    st.builds(lambda n: f"settings notifications digest {n}", number),
    st.builds(lambda z: f"settings timezone {z}", pieces(ZONES)),
    st.builds(lambda w: f":clock {w}", when),
    st.builds(lambda d: f":advance {d}", duration),
    st.builds(lambda n, p: f":presence {n} {p}", pieces(NAMES), pieces(["present", "away"])),
    st.just(":tick"),
    st.lists(st.one_of(pieces(WORDS), number, quoted), min_size=1, max_size=8).map(" ".join),
    st.text(max_size=60),
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(lines=st.lists(command, min_size=1, max_size=4))
def test_no_console_line_escapes_or_reaches_an_internal_error(
    loop: asyncio.AbstractEventLoop, shared: ConsoleUnderTest, lines: list[str]
) -> None:
    for line in lines:
        outcome = loop.run_until_complete(shared.run(line))
        if line.strip() and not line.strip().startswith("#"):
            answered_in_words(outcome)
        else:
            assert outcome.crashed is None and outcome.tracebacks == 0


# --- each cause the fuzz of issue 14 found --------------------------------------------------

HUGE_RELATIVE = [
    'schedule "x" at in 999999999 weeks',
    'schedule "x" at in 1000000000 days',
    'schedule "x" at 99999999999999999999 minutes from now',
    'schedule "x" at in ' + "9" * 5000 + " hours",
    "reschedule 1 in 999999999 weeks",
    "list from 1000000000 days ago",
    "list to in 999999999 weeks",
    "calendar week in 1000000000 days",
    "inbox since 1000000000 days ago",
    ":clock in 999999999 weeks",
    ":advance 1000000000 days",
    ":advance 999999999 weeks",
    ":advance " + "9" * 40 + "s",
]
CALENDAR_EDGES = [
    'schedule "x" at 9999-12-31T23:59Z',
    'schedule "x" at 9999-12-31 23:59',
    'schedule "x" at 0001-01-01 00:00 +14:00',
    "reschedule 1 9999-12-31T23:59-12:00",
    "list from 0001-01-01",
    "list from 0001-01-01T00:00Z to 9999-12-31",
    "calendar month 9999-12-31",
    "calendar day 0001-01-01",
    "calendar year 9999",
    "inbox since 0001-01-01",
    ":clock 9999-12-31T23:59Z",
    ":clock 0001-01-01",
]
UNICODE_DIGITS = [
    "settings limit ²",
    "settings limit ①",
    "settings notifications digest ²",
    "show ①",
    "reschedule ① tomorrow 9am",
    'schedule "x" at ① hours',
    'schedule "x" at in ² days',
    'schedule "x" at ①',
    "list from ①",
    "calendar week ②",
    ":clock ①",
    ":advance ①h",
    ":advance ²m",
]
ZONES_EAST_AND_WEST = ["Asia/Tokyo", "Pacific/Kiritimati", "America/New_York", "Pacific/Pago_Pago"]


@pytest.mark.parametrize("zone", ["UTC", *ZONES_EAST_AND_WEST])
@pytest.mark.parametrize("cause", ["huge relative", "calendar edges", "unicode digits"])
def test_each_cause_gets_a_one_line_refusal(
    loop: asyncio.AbstractEventLoop, calm: ConsoleUnderTest, cause: str, zone: str
) -> None:
    lines = {
        "huge relative": HUGE_RELATIVE,
        "calendar edges": CALENDAR_EDGES,
        "unicode digits": UNICODE_DIGITS,
    }[cause]
    outcomes = run_lines(loop, calm, [f"settings timezone {zone}", *lines, "list"])
    for outcome in outcomes[1:-1]:
        answered_in_words(outcome)
        first, *rest = outcome.said.splitlines()
        assert first.startswith("✖"), outcome.said
        assert all(line.startswith("  📬") for line in rest), outcome.said  # only the footer
    answered_in_words(outcomes[-1])
    assert "Posts (all): 3" in outcomes[-1].said, "no refused line saved a post"


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('schedule "x" at 9999-12-31T23:59Z', "more than 5 years ahead"),
        ('schedule "x" at in 6 years', "more than 5 years ahead"),
        ("list from 0001-01-01", "more than 20 years ago"),
        ("calendar week in 1000000000 days", "I take times up to"),
        (":advance 1000000000 days", "at most 5 years at a time"),
        (":advance ²m", "digits 0-9"),
        ('schedule "x" at ① hours', "digits 0-9"),
        ("settings limit ²", "number of posts"),
        ("settings notifications digest ²", "number from 0 to 23"),
    ],
)
def test_a_refusal_says_what_is_accepted(
    loop: asyncio.AbstractEventLoop, calm: ConsoleUnderTest, line: str, says: str
) -> None:
    _, outcome = run_lines(loop, calm, ["settings timezone UTC", line])
    answered_in_words(outcome)
    assert says in outcome.said, outcome.said


async def test_up_to_five_years_ahead_is_accepted() -> None:
    outcomes = await fresh_console_lines(
        [
            'schedule "Far" at 2031-11-25T10:00Z',
            'schedule "Too far" at 2031-11-25T10:01Z',
            "calendar month 2031-11-25",
            ":advance 1826 days",
        ]
    )
    assert "Scheduled post 4" in outcomes[0].said
    assert "more than 5 years ahead" in outcomes[1].said
    assert "#4" in outcomes[2].said
    assert "It is now 2031-11-25 10:00 UTC" in outcomes[3].said


@pytest.mark.parametrize(
    "stored", [datetime(9999, 12, 31, 23, 59, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC)]
)
async def test_a_stored_extreme_date_renders_in_every_zone(stored: datetime) -> None:
    # Posts saved before the window existed (the 9999-12-31T23:59Z of the issue).
    async with console() as under:
        async with under.app.uow() as uow:
            post = await uow.posts.by_number(1, 1)  # the scheduled seed post
            assert post is not None
            post.scheduled_at = stored
            assert await uow.posts.save(post)
            await uow.commit()
        shown = f"{stored.year:04d}-{stored:%m-%d %H:%M} UTC"
        for zone in ZONES_EAST_AND_WEST:
            answered_in_words(await under.run(f"settings timezone {zone}"))
            for line in ["list", "show 1", "list scheduled"]:
                outcome = await under.run(line)
                answered_in_words(outcome)
                assert shown in outcome.said, outcome.said
            for line in ["calendar", "calendar month", "inbox"]:
                answered_in_words(await under.run(line))


# --- what nobody foresaw ---------------------------------------------------------------------


async def test_an_unexpected_failure_is_answered_logged_and_the_console_goes_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("a bug nobody foresaw")

    async def broken_dispatch(*_: object) -> None:
        broken()

    async with console() as under:
        with monkeypatch.context() as patch:
            patch.setattr(console_session, "dispatch", broken_dispatch)
            patch.setattr(console_session, "parse_when", broken)
            with caplog.at_level(logging.ERROR):
                command = await under.run("list")
                clock = await under.run(":clock tomorrow 9am")
        for outcome in (command, clock):
            assert outcome.crashed is None, "the console carries on"
            assert outcome.tracebacks == 1, "logged, with its traceback"
            assert outcome.said.startswith("✖ Something went wrong on my side (ref ")
            assert "\n" not in outcome.said and "Traceback" not in outcome.said
            ref = outcome.said.split("(ref ", 1)[1][:8]
            assert [r for r in caplog.records if getattr(r, "ref", None) == ref]
        assert "Posts (all)" in (await under.run("list")).said


@pytest.mark.parametrize("json", [True, False])
def test_on_the_terminal_a_traceback_is_one_line_and_goes_whole_to_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], json: bool
) -> None:
    configure_logging("WARNING", json=json)  # as `trypost console` sets it up
    path = tmp_path / "trypost-console.log"
    divert = keep_tracebacks_off_the_terminal(path)
    try:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger("bot.console.session").exception(
                "console line failed", extra={"ref": "abcd1234"}
            )
    finally:
        logging.getLogger().handlers.clear()
        divert.close()
    terminal = capsys.readouterr().err.strip().splitlines()
    assert len(terminal) == 1 and "console line failed" in terminal[0], terminal
    assert "Traceback" not in terminal[0] and "boom" not in terminal[0]
    assert str(path) in terminal[0], "the line says where the details are"
    written = path.read_text()
    assert "[ref abcd1234]" in written and "Traceback" in written and "boom" in written
