"""Issue 13, faults: the worker is down while posts come due, then starts again.

Posts late by no more than the grace (TRYPOST_MISSED_GRACE) are published at start-up;
later ones fail as missed, and their owner is told (a DM with a Retry button and an
email), so nothing goes out hours late and nothing is silently dropped.

Each "process" is the app as ``bot/app.py`` builds it for ``trypost worker``, on one
SQLite file: the first takes the Slack commands and is closed (the bot is down); the
clock moves on; the next starts its scheduler exactly as the worker does
(``App.scheduler().start()``: missed posts first, then the catch-up tick). The clock is
simulated: the downtime is a clock move, not a wait.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import build_app
from bot.settings import Settings
from bot.web import serve
from core.clock import ManualClock
from core.states import PostStatus
from tests.e2e.slack_harness import SIGNING_SECRET, TEAM, SlackBot, button
from tests.slack_fake import FakeSlack
from tests.waiting import until

pytestmark = pytest.mark.faults

START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
GRACE = timedelta(minutes=15)


@asynccontextmanager
async def process(tmp_path: Path, slack: FakeSlack, clock: ManualClock) -> AsyncIterator[SlackBot]:
    """One bot process on the shared database and folders, its web endpoint serving
    the Slack commands."""
    options: dict[str, Any] = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'trypost.db'}",
        "secret_key": "downtime-secret",
        "slack_bot_token": "xoxb-000-downtime",
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack.base_url,
        "sandbox_dir": tmp_path / "sandbox-posts",
        "media_dir": tmp_path / "media",
        "outbox_dir": tmp_path / "outbox",
        "public_url": "https://trypost.example.com",
        "missed_grace": GRACE,
    }
    app = await build_app(Settings(**options), clock=clock)
    await app.start()
    runner = await serve(app.web_app(), 0, host="127.0.0.1")
    host, port = runner.addresses[0][:2]
    async with aiohttp.ClientSession() as http:
        try:
            yield SlackBot(app, f"http://{host}:{port}", clock, slack, http)
        finally:
            await runner.cleanup()
            await app.aclose()


@asynccontextmanager
async def worker_started(bot: SlackBot) -> AsyncIterator[None]:
    """What ``trypost worker`` does at start, until its catch-up tick has run; then the
    outbox run it does every few seconds, once."""
    scheduler = bot.app.scheduler()
    await scheduler.start()
    try:
        await until(lambda: scheduler.last_tick_at is not None, "the catch-up tick")
        await bot.app.notify()
        yield
    finally:
        await scheduler.stop()


async def states(bot: SlackBot) -> dict[str, tuple[PostStatus, list[str]]]:
    """Each post's text → its status and its entries' errors."""
    async with bot.app.uow() as uow:
        found = {}
        for number in range(1, 10):
            post = await uow.posts.by_number(1, number)
            if post is not None:
                errors = [e.error_message or "" for e in post.entries]
                found[post.text] = (post.status, errors)
    return found


def published_files(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "sandbox-posts").rglob("*.json"))


def emails_saying(tmp_path: Path, words: str) -> int:
    return sum(words in p.read_text() for p in (tmp_path / "outbox").glob("*.eml"))


async def test_posts_due_while_down_publish_within_the_grace_and_the_rest_fail_as_missed(
    tmp_path: Path,
) -> None:
    clock = ManualClock(START)
    async with FakeSlack(team_id=TEAM) as slack:
        dm = slack.dm_channel("U1")
        async with process(tmp_path, slack, clock) as bot:
            await bot.command("accounts add sandbox brand")
            for text, minutes in [("late", 30), ("edge", 45), ("recent", 50), ("later", 90)]:
                [said] = await bot.command(f'schedule "{text}" at in {minutes} minutes')
                assert "Scheduled post" in said, said
            await bot.app.notify()
        told_before = len(slack.posted_in(dm))
        # Down from 10:00 to 11:00: "late" is 30 minutes overdue, "edge" exactly the
        # grace, "recent" 10 minutes; "later" is not due yet.
        clock.advance(timedelta(hours=1))
        async with process(tmp_path, slack, clock) as bot, worker_started(bot):
            found = await states(bot)
            assert found["late"][0] is PostStatus.FAILED
            assert found["late"][1] == [
                "missed: the bot was not running at 2026-11-25 10:30 UTC; reschedule or retry it"
            ]
            assert {t: found[t][0] for t in ("edge", "recent", "later")} == {
                "edge": PostStatus.PUBLISHED,
                "recent": PostStatus.PUBLISHED,
                "later": PostStatus.SCHEDULED,
            }
            assert len(published_files(tmp_path)) == 2

            told = slack.posted_in(dm)[told_before:]
            failed = [m for m in told if "Post 1 failed" in m["text"]]
            assert len(failed) == 1, [m["text"] for m in told]
            assert "missed" in failed[0]["text"]
            assert button(failed[0], "retry")["value"] == "1"
            assert sum("published" in m["text"] for m in told) == 2
            assert emails_saying(tmp_path, "missed: the bot was not running") == 1

            # The worker runs on: "later" goes out on time, "late" never goes by itself.
            await bot.advance(timedelta(minutes=31))
            await bot.advance(timedelta(hours=2))
            found = await states(bot)
            assert found["later"][0] is PostStatus.PUBLISHED
            assert found["late"][0] is PostStatus.FAILED
            assert len(published_files(tmp_path)) == 3
            # The owner retries it, as the DM offers: it goes out once.
            [*_, retried] = await bot.command("retry 1")
            assert "Post 1 published" in retried, retried
            await bot.app.notify()
            assert len(published_files(tmp_path)) == 4
            told_after_retry = len(slack.posted_in(dm))

        # Another restart (a deploy): nobody is told twice, nothing is published again.
        clock.advance(timedelta(hours=1))
        async with process(tmp_path, slack, clock) as bot, worker_started(bot):
            assert len(published_files(tmp_path)) == 4
            assert len(slack.posted_in(dm)) == told_after_retry
            found = await states(bot)
            assert {status for status, _ in found.values()} == {PostStatus.PUBLISHED}
            assert {e for _, errors in found.values() for e in errors} <= {""}, found
