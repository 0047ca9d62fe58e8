"""Issue 13, faults: the SMTP server down, busy and refusing for a while, with notices
queued; then back. Every email arrives once (by the sink's own count), its outbox row
ends sent, and each failed attempt is on record.

The whole bot runs as ``trypost run`` wires it (Slack surface, real SMTP mailer), on a
simulated clock: the outbox's backoff is passed by moving the clock, never by waiting.
"""

from datetime import timedelta
from pathlib import Path

import pytest

from core.notifications.model import Channel, DeliveryStatus
from tests.e2e.slack_harness import SlackBot, slack_bot
from tests.faults.outbox_rows import deliveries_of
from tests.faults.smtp_sink import FaultySmtp

pytestmark = pytest.mark.faults

OWNER = 1  # the first Slack member of the workspace: its owner, with an email address
ADDRESS = "spengler@ghostbusters.example.com"  # the fake Slack's users.info email


def retries(bot: SlackBot, channel: str) -> float:
    value = bot.app.metrics_registry.get_sample_value(
        "trypost_deliveries_total", {"channel": channel, "outcome": "retry"}
    )
    return value or 0.0


async def publish(bot: SlackBot, count: int) -> None:
    """``count`` posts published at once: each tells the owner by DM and by email."""
    await bot.command("accounts add sandbox brand")
    for n in range(1, count + 1):
        [*_, done] = await bot.command(f'now "launch {n}"')
        assert f"Post {n} published" in done


async def test_smtp_down_busy_and_refusing_then_back_delivers_every_email_once(
    tmp_path: Path,
) -> None:
    with FaultySmtp() as smtp:
        async with slack_bot(tmp_path, smtp_url=smtp.url) as bot:
            await publish(bot, 3)
            # Down: connection refused. The DMs go out regardless; the emails wait.
            await bot.app.notify()
            assert len(bot.slack.posted_in(bot.slack.dm_channel("U1"))) == 3
            emails = await deliveries_of(bot.app.uow, OWNER, Channel.EMAIL)
            assert [(d.status, d.attempts) for d in emails] == [(DeliveryStatus.PENDING, 1)] * 3
            assert all("unreachable" in (d.last_error or "") for d in emails)

            smtp.up()
            # Before the backoff has passed nothing is tried, up or not.
            await bot.advance(timedelta(seconds=20))
            assert smtp.mail_from == 0 and smtp.messages == []

            # Then, one phase per retry (the backoff doubles: 30 s, 60 s, 120 s, 240 s):
            # 421 to MAIL FROM, 451 to RCPT TO, 451 after the body, down once more.
            waits = iter([30, 60, 120, 240])
            for mode, reason in [
                ("busy", "421"),
                ("rcpt_451", "451"),
                ("data_451", "451"),
                ("down", "unreachable"),
            ]:
                if mode == "down":
                    smtp.down()
                else:
                    smtp.mode = mode
                await bot.advance(timedelta(seconds=next(waits)))
                emails = await deliveries_of(bot.app.uow, OWNER, Channel.EMAIL)
                assert {d.status for d in emails} == {DeliveryStatus.PENDING}, mode
                assert all(reason in (d.last_error or "") for d in emails), mode
                assert smtp.messages == [], f"{mode}: the server kept nothing"
            assert smtp.mail_from == 9, "three refused at MAIL, three at RCPT, three at DATA"

            smtp.mode = "accept"
            smtp.up()
            await bot.advance(timedelta(seconds=480))
            # Later runs of the outbox find nothing left to send.
            for _ in range(3):
                await bot.advance(timedelta(hours=1))

            subjects = sorted(str(m["Subject"]) for m in smtp.messages)
            assert len(subjects) == 3 and all(
                f"Post {n}" in s for n, s in zip("123", subjects, strict=True)
            )
            assert len(set(smtp.message_ids())) == 3, "three emails, each once"
            assert smtp.recipients == [[ADDRESS]] * 3
            emails = await deliveries_of(bot.app.uow, OWNER, Channel.EMAIL)
            assert [(d.status, d.attempts, d.last_error) for d in emails] == [
                (DeliveryStatus.SENT, 6, None)
            ] * 3
            assert all(d.sent_at == bot.clock.now() - timedelta(hours=3) for d in emails)
            assert retries(bot, "email") == 15, "five failed attempts of three emails"
            assert len(bot.slack.posted_in(bot.slack.dm_channel("U1"))) == 3, "DMs not resent"


async def test_an_email_the_server_took_before_the_line_dropped_is_resent_as_the_same_message(
    tmp_path: Path,
) -> None:
    """The limit of SMTP (RFC 5321 §6.1): the server kept the message, but its 250
    never came back, so the outbox cannot know and sends again. The copy carries the
    same Message-ID (the delivery's key), which is what lets mail systems drop it; the
    outbox itself sends nothing a third time."""
    with FaultySmtp() as smtp:
        smtp.up()
        smtp.mode = "lose_answer"
        async with slack_bot(tmp_path, smtp_url=smtp.url) as bot:
            await publish(bot, 1)
            await bot.app.notify()
            [email] = await deliveries_of(bot.app.uow, OWNER, Channel.EMAIL)
            assert (email.status, email.attempts) == (DeliveryStatus.PENDING, 1)
            smtp.mode = "accept"
            for _ in range(3):
                await bot.advance(timedelta(minutes=5))
            [email] = await deliveries_of(bot.app.uow, OWNER, Channel.EMAIL)
            assert (email.status, email.attempts) == (DeliveryStatus.SENT, 2)
        [first, again] = smtp.message_ids()
        assert first == again == f"<{email.key}@localhost>"  # TRYPOST_MAIL_FROM's domain
