"""Issue 13, faults: the Slack Web API unreachable, failing and rate limiting the bot's
DMs for a while. The outbox retries every DM until Slack takes it, and each DM is in the
member's conversation once, by the fake Slack's own record of what it answered ok.

The whole bot (bolt, slack_sdk, the outbox) runs as ``trypost run`` wires it, on a
simulated clock: backoff and Retry-After pass by moving the clock.
"""

from datetime import timedelta
from pathlib import Path

import pytest

from core.notifications.model import Channel, DeliveryStatus
from tests.e2e.slack_harness import SlackBot, slack_bot
from tests.faults.outbox_rows import deliveries_of

pytestmark = pytest.mark.faults

OWNER = 1  # the first Slack member (U1): the workspace's owner, told of every publish


def retries(bot: SlackBot) -> float:
    value = bot.app.metrics_registry.get_sample_value(
        "trypost_deliveries_total", {"channel": "chat_dm", "outcome": "retry"}
    )
    return value or 0.0


async def publish(bot: SlackBot, count: int) -> None:
    await bot.command("accounts add sandbox brand")
    for n in range(1, count + 1):
        [*_, done] = await bot.command(f'now "launch {n}"')
        assert f"Post {n} published" in done


async def test_slack_unreachable_then_failing_then_back_delivers_each_dm_once(
    tmp_path: Path,
) -> None:
    async with slack_bot(tmp_path) as bot:
        dm = bot.slack.dm_channel("U1")
        await publish(bot, 3)
        await bot.slack.down()
        await bot.app.notify()
        dms = await deliveries_of(bot.app.uow, OWNER, Channel.CHAT_DM)
        assert [(d.status, d.attempts) for d in dms] == [(DeliveryStatus.PENDING, 1)] * 3
        assert all("Slack conversations.open" in (d.last_error or "") for d in dms)
        await bot.slack.up()

        # One phase per retry, each passing the backoff (30 s, 60 s, 120 s): the DM
        # conversation will not open (502), then chat.postMessage fails with a 503
        # page, then Slack answers 200 with "service_unavailable".
        bot.slack.fail_next("conversations.open", 3, status=502)
        bot.slack.fail_next("chat.postMessage", 3, status=503, channel=dm)
        bot.slack.fail_next("chat.postMessage", 3, error="service_unavailable", channel=dm)
        for wait, said in [(30, "HTTP 502"), (60, "HTTP 503"), (120, "service_unavailable")]:
            await bot.advance(timedelta(seconds=wait))
            dms = await deliveries_of(bot.app.uow, OWNER, Channel.CHAT_DM)
            assert {d.status for d in dms} == {DeliveryStatus.PENDING}, said
            assert all(said in (d.last_error or "") for d in dms), said
            assert bot.slack.posted_in(dm) == [], said

        await bot.advance(timedelta(seconds=240))
        for _ in range(3):  # later runs find nothing left to send
            await bot.advance(timedelta(hours=1))

        posted = bot.slack.posted_in(dm)
        assert sorted(p["text"].split(" · ")[0][-16:] for p in posted) == [
            f"Post {n} published" for n in (1, 2, 3)
        ]
        dms = await deliveries_of(bot.app.uow, OWNER, Channel.CHAT_DM)
        assert [(d.status, d.attempts, d.last_error) for d in dms] == [
            (DeliveryStatus.SENT, 5, None)
        ] * 3
        assert retries(bot) == 12, "four failed attempts of three DMs"
        assert len(bot.slack.calls_to_channel("chat.postMessage", dm)) == 3 + 6


async def test_slack_rate_limiting_dms_for_a_while_delays_them_and_sends_each_once(
    tmp_path: Path,
) -> None:
    """Slack answers the DMs 429 with Retry-After for a while; what Slack refused is sent
    again once it lets us (the client waits a short Retry-After out itself, the outbox
    schedules a longer one), and each DM ends in the conversation once."""
    async with slack_bot(tmp_path) as bot:
        dm = bot.slack.dm_channel("U1")
        await publish(bot, 3)
        bot.slack.fail_next("chat.postMessage", 6, retry_after=0, channel=dm)
        await bot.app.notify()
        for _ in range(3):
            await bot.advance(timedelta(minutes=1))

        posted = bot.slack.posted_in(dm)
        assert sorted(p["text"].split(" · ")[0][-16:] for p in posted) == [
            f"Post {n} published" for n in (1, 2, 3)
        ]
        assert len(bot.slack.calls_to_channel("chat.postMessage", dm)) == 3 + 6
        dms = await deliveries_of(bot.app.uow, OWNER, Channel.CHAT_DM)
        assert {(d.status, d.last_error) for d in dms} == {(DeliveryStatus.SENT, None)}
