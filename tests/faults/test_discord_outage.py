"""Issue 13, faults: Discord's REST API failing, dropping connections and rate limiting
the bot's DMs for a while, through the real discord.py client. The outbox retries until
Discord takes each DM, and each is in the member's DM channel once, by the fake's own
record. A DM Discord made but whose answer was lost is sent again under the same nonce
(``enforce_nonce``), and Discord, like the fake, gives back the message it made.

The whole bot runs as ``trypost run`` wires it, on a simulated clock: the outbox's
backoff passes by moving the clock. Only faults discord.py does not retry itself with
sleeps of its own (500, 502, 504 wait 1 s, 3 s, … in discord.py) are used.
"""

from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest

from core.notifications.model import Channel, DeliveryStatus
from tests.e2e.discord_harness import DiscordBot, discord_bot
from tests.faults.outbox_rows import deliveries_of

pytestmark = pytest.mark.faults

PEOPLE = {"alice": "200000000000000001"}
OWNER = 1
MESSAGES = r"^/channels/\d+/messages$"
OPEN_DM = r"^/users/@me/channels$"


def retries(bot: DiscordBot) -> float:
    value = bot.app.metrics_registry.get_sample_value(
        "trypost_deliveries_total", {"channel": "chat_dm", "outcome": "retry"}
    )
    return value or 0.0


async def publish(bot: DiscordBot, count: int) -> None:
    """``count`` posts published at once: each tells the owner by DM."""
    await bot.command("accounts add sandbox brand", who="alice")
    for n in range(1, count + 1):
        answer = await bot.command(f'now "launch {n}"', who="alice")
        assert f"Post {n} published" in answer.texts(), answer.texts()


async def test_discord_failing_and_dropping_then_back_delivers_each_dm_once(
    tmp_path: Path,
) -> None:
    async with discord_bot(tmp_path, PEOPLE) as bot:
        await publish(bot, 3)
        before = len(bot.discord.calls_to("POST", MESSAGES))
        fake = bot.discord
        # One phase per outbox attempt, each passing the backoff (30 s, 60 s, 120 s):
        # 503 to the message, the connection dropped before Discord did anything, the
        # DM channel not opening (503), then the connection dropped after Discord made
        # the message (the answer is lost).
        phases: list[tuple[str, Callable[[], None], str]] = [
            ("503", partial(fake.fail_next, "POST", MESSAGES, 503, times=3), "HTTP 503"),
            ("drop", partial(fake.drop_next, "POST", MESSAGES, times=3), "could not send"),
            ("open", partial(fake.fail_next, "POST", OPEN_DM, 503, times=3), "open the DM"),
            ("lost", partial(fake.drop_next, "POST", MESSAGES, times=3, after=True), "send"),
        ]
        waits = iter([0, 30, 60, 120])
        for name, fault, said in phases:
            fault()
            await bot.advance(timedelta(seconds=next(waits)))
            dms = await deliveries_of(bot.app.uow, OWNER, Channel.CHAT_DM)
            assert {d.status for d in dms} == {DeliveryStatus.PENDING}, name
            assert all(said in (d.last_error or "") for d in dms), (name, dms)
        assert len(bot.dms("alice")) == 3, "the lost answers' DMs were made"
        # Rate limited once more: discord.py waits the short Retry-After out itself.
        bot.discord.fail_next("POST", MESSAGES, 429, times=3, retry_after=0.01)
        await bot.advance(timedelta(seconds=240))
        for _ in range(3):
            await bot.advance(timedelta(hours=1))

        texts = sorted(m["embeds"][0]["title"] for m in bot.dms("alice"))
        assert len(texts) == 3
        assert all(f"Post {n} published" in t for n, t in zip("123", texts, strict=True))
        dms = await deliveries_of(bot.app.uow, OWNER, Channel.CHAT_DM)
        assert [(d.status, d.attempts, d.last_error) for d in dms] == [
            (DeliveryStatus.SENT, 5, None)
        ] * 3
        assert retries(bot) == 12
        sent = bot.discord.calls_to("POST", MESSAGES)[before:]
        assert len(sent) == 3 + 3 + 3 + 3 + 3
        nonces = {c.body["nonce"] for c in sent}
        assert len(nonces) == 3, "one nonce per DM, the same on every attempt"
