"""The console's line handler under fuzzing: a real session on SQLite, and lines to feed it.

Shared by ``tests/unit/test_console_fuzz.py`` (hypothesis draws from the same words)
and ``bench/fuzz.py`` (seeded ``random``, 10,000 lines). Each line is judged three ways:

- a *crash*: an exception escaped ``ConsoleSession.handle`` (the console would exit);
- a *traceback*: something logged an exception with its traceback (the terminal got one);
- an *internal error*: the reply said "went wrong" instead of saying what is accepted.
"""

import logging
import random
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.app import App, build_app
from bot.commands.grammar import VERBS
from bot.console.session import ConsoleSession
from bot.settings import Settings
from core.clock import ManualClock

START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
SETUP = (
    "accounts add sandbox brand",
    "accounts add sandbox news",
    'schedule "Seed post" at tomorrow 9am on brand label launch',
    'draft "A draft" on news',
    'now "Out already" on brand',
    ":as bob",
    ":as alice",
)

# --- the words lines are made of -------------------------------------------------------

KEYWORDS = ["at", "on", "label", "with", "from", "to", "since", "reply", "confirm", "all"]
SCOPES = ["drafts", "scheduled", "published", "failed", "all", "draft"]
VIEWS = ["day", "week", "month"]
NUMBERS = [
    "1", "2", "3", "#1", "#2", "42", "0", "-1", "007", "8", "23", "24", "100", "9999999",
    "999999999", "1000000000", "99999999999999999999", "9" * 400, "1.5", "1e9", "0x10",
    "①", "②", "²", "³", "٣", "١٢", "１", "२", "𝟗", "Ⅻ", "½", "#①",
]  # fmt: skip
HUGE_AMOUNTS = ["999999999", "1000000000", "99999999999999999999", "9" * 400, "5000000"]
UNICODE_DIGITS = ["①", "²", "٣", "١٢", "１", "२", "𝟗", "³"]
TIMES = [
    "tomorrow 9am", "in 2 hours", "friday 17:30", "2026-12-01 14:30", "2026-12-01T14:30Z",
    "now", "yesterday", "9am", "noon", "midnight", "next monday 9am", "monday", "december",
    "2026", "in 2 months", "3 days ago", "in 4 years", "in 6 years", "in 5 years",
    "5 years ago", "30 years ago", "2031-11-24 10:00", "2031-11-26 10:00",
    "in 999999999 weeks", "in 1000000000 days", "999999999 minutes from now",
    "in 99999999999999999999 hours", "1000000000 days ago", "in " + "9" * 400 + " weeks",
    "9999-12-31T23:59Z", "9999-12-31 23:59", "9999-12-31", "0001-01-01", "0001-01-01T00:00Z",
    "0001-01-01 00:00 +14:00", "9999-12-31T23:59-12:00", "10000-01-01", "year 9999",
    "31/12/9999", "1/1/1", "in ① hours", "②pm", "①", "²", "2026-12-0١ 10:00", "١٠:٣٠",
    "in 2 ²", "tomorrow 9am at 9am", "at", "the day after never", "", "99:99", "25:00",
]  # fmt: skip
DURATIONS = [
    "10m", "2h", "1h30m", "3 days", "10 minutes", "0m", "1826 days", "1827 days",
    "260 weeks", "261 weeks", "1000000000 days", "999999999 weeks", "9" * 40 + "s",
    "9" * 400 + "m", "①h", "²m", "٣h", "1 year", "soon", "-5m", "",
]  # fmt: skip
QUOTED = ['"hi"', "'x'", "“quoted”", "‘single’", '"unclosed', '""', "'Don't'", '"at noon"']
ZONES = [
    "UTC", "Europe/Paris", "Asia/Tokyo", "Pacific/Kiritimati", "Pacific/Pago_Pago",
    "America/New_York", "Etc/GMT-14", "Etc/GMT+12", "Mars/Olympus",
]  # fmt: skip
NAMES = ["bob", "carol", "@bob", "dana", "①", "alice"]
ROLES = ["viewer", "editor", "approver", "admin", "owner", "king"]
POST_VERBS = [
    "show", "unschedule", "duplicate", "delete", "retry", "submit", "approve", "comments",
]  # fmt: skip
CONSOLE = [":as", ":role", ":presence", ":clock", ":advance", ":tick", ":nope", ":"]
WORDS = [
    *VERBS, *KEYWORDS, *SCOPES, *VIEWS, *NUMBERS, *QUOTED, *ZONES, *CONSOLE,
    "brand", "news", "mastodon", "launch", "sandbox", "settings", "limit", "off",
    "timezone", "notifications", "digest", "email", "chat", "away-only", "immediate",
    "/trypost", "#", "👍", "\t", ",", "tomorrow", "9am", "in", "weeks", "days", "hours",
]  # fmt: skip


def _pick(rng: random.Random, options: list[str]) -> str:
    return options[rng.randrange(len(options))]


def random_line(rng: random.Random) -> str:
    """One console line: mostly shaped like a command, some pure noise."""

    def pick(options: list[str]) -> str:
        return _pick(rng, options)

    n, when, q = pick(NUMBERS), pick(TIMES), pick(QUOTED)
    shapes: list[Callable[[], str]] = [
        lambda: f"schedule {q} at {when}" + pick(["", " on brand", " on news label x"]),
        lambda: f"schedule {q} at in {pick(HUGE_AMOUNTS)} {pick(['weeks', 'days', 'hours'])}",
        lambda: f"schedule {q} at {pick(UNICODE_DIGITS)}{pick(['am', 'pm', ':30', ' hours'])}",
        lambda: f"reschedule {n} {when}",
        lambda: f"reschedule {pick(['1', '2'])} {pick(['at ', 'to ', ''])}{when}",
        lambda: f"list {pick(['', *SCOPES])} from {when} to {pick(TIMES)}",
        lambda: f"list {pick(['from', 'to'])} {when}",
        lambda: f"calendar {pick(['', *VIEWS])} {when}",
        lambda: f"inbox {pick(['', 'unread', 'read'])} since {when}",
        lambda: f"{pick(POST_VERBS)} {n}",
        lambda: f"edit {n} {q}",
        lambda: f"changes {n} {q}",
        lambda: f"comment {n} {pick(['', 'reply ' + pick(NUMBERS) + ' '])}{q}",
        lambda: f"react {n} {pick(['👍', '', n])}",
        lambda: f"label {n} {pick(['launch', 'x, y', q])}",
        lambda: f"unlabel {n} launch",
        lambda: f"{pick(['read', 'archive'])} {pick([n, 'all'])}",
        lambda: f"settings limit {n}",
        lambda: f"settings notifications digest {n}",
        lambda: f"settings timezone {pick(ZONES)}",
        lambda: f"delete {n} confirm",
        lambda: f"help {pick([*VERBS, n])}",
        lambda: f":clock {when}",
        lambda: f":advance {pick(DURATIONS)}",
        lambda: ":tick",
        lambda: f":as {pick(NAMES)}",
        lambda: f":presence {pick(NAMES)} {pick(['present', 'away', n])}",
        lambda: f":role {pick(['bob', 'carol'])} {pick(ROLES)}",
        lambda: "accounts add sandbox brand",
        lambda: " ".join(pick(WORDS) for _ in range(rng.randint(1, 8))),
        lambda: "".join(
            chr(rng.choice([rng.randint(32, 126), rng.randint(0x80, 0x2FFF)]))
            for _ in range(rng.randint(1, 30))
        ),  # fmt: skip
    ]
    return shapes[rng.randrange(len(shapes))]()


# --- the console under test --------------------------------------------------------------


@dataclass
class Outcome:
    line: str
    crashed: BaseException | None = None
    tracebacks: int = 0
    internal_error: bool = False
    said: str = ""


class _Tracebacks(logging.Handler):
    """Counts records logged with an exception attached: each is a traceback on a terminal."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.seen.append(record)


class ConsoleUnderTest:
    """One console session, its printed lines and the tracebacks it logged."""

    def __init__(self, app: App, session: ConsoleSession, said: list[str]) -> None:
        self.app = app
        self.session = session
        self._said = said
        self._tracebacks = _Tracebacks()
        self.answers: list[str] = []  # what the composer's prompts get, in order

    async def run(self, line: str) -> Outcome:
        outcome = Outcome(line)
        self._said.clear()
        before = len(self._tracebacks.seen)
        root = logging.getLogger()
        root.addHandler(self._tracebacks)
        try:
            await self.session.handle(line)
        except Exception as crash:  # the console would have died here
            outcome.crashed = crash
        finally:
            root.removeHandler(self._tracebacks)
        outcome.tracebacks = len(self._tracebacks.seen) - before
        outcome.said = "\n".join(self._said)
        outcome.internal_error = "went wrong" in outcome.said.lower()
        return outcome


@asynccontextmanager
async def console(folder: Path | None = None) -> AsyncIterator[ConsoleUnderTest]:
    """A console as ``trypost console --simulated-clock`` builds it, on SQLite in ``folder``."""
    with tempfile.TemporaryDirectory() as spare:
        where = folder or Path(spare)
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{where / 'trypost.db'}",
            secret_key="fuzz-secret-key",
            sandbox_dir=where / "sandbox-posts",
            media_dir=where / "media",
            outbox_dir=where / "outbox",
        )
        app = await build_app(settings, clock=ManualClock(START))
        said: list[str] = []
        under: ConsoleUnderTest

        async def ask(prompt: str) -> str | None:
            return under.answers.pop(0) if under.answers else None

        session = ConsoleSession(app, ask, said.append)
        under = ConsoleUnderTest(app, session, said)
        try:
            await session.start("alice")
            for line in SETUP:
                await session.handle(line)
            yield under
        finally:
            await app.aclose()
