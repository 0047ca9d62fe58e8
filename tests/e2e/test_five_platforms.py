"""Issue 12, done when, on the console: connect LinkedIn and X through their (fake)
consent pages by the links, beside Mastodon (by link and by token) and Bluesky; one
post with an image to all five real accounts and the webhook; one tick, six live URLs.
Then a LinkedIn token that can no longer be renewed: ``token_expiring`` 7 days and 1
day ahead, then the Reconnect DM, once each.

The real console session, web app, platform clients and token job run in this
process; only the platforms are fakes, reached over HTTP."""

import logging
import re
from pathlib import Path

import pytest

from tests.e2e.platform_console import Console, console, free_port
from tests.e2e.test_oauth_connect import linkedin_settings, x_settings
from tests.fake_bluesky import FakeBluesky
from tests.fake_linkedin import CLIENT_SECRET as LINKEDIN_SECRET
from tests.fake_linkedin import FakeLinkedIn
from tests.fake_mastodon import FakeMastodon
from tests.fake_x import FakeX
from tests.media_server import media_server, png_bytes
from tests.webhook_receiver import Receiver

SIXTY_DAYS = 60 * 86400


def told(bot: Console, words: str) -> list[str]:
    return [said for said in bot.said if words in said]


def secrets_in(records: list[logging.LogRecord], secrets: set[str]) -> list[str]:
    """Every secret found in a log record's message or any of its fields."""
    found = []
    for record in records:
        said = record.getMessage() + " " + " ".join(map(str, vars(record).values()))
        found += [secret[:6] + "…" for secret in secrets if secret and secret in said]
    return found


async def test_one_post_with_an_image_reaches_five_platforms_and_a_webhook(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    port = free_port()
    base = f"http://127.0.0.1:{port}/connect"
    with (
        FakeMastodon() as masto,
        FakeBluesky() as sky,
        FakeLinkedIn(redirect_uris=(f"{base}/linkedin/callback",), expires_in=SIXTY_DAYS) as li,
        FakeX(redirect_uris=(f"{base}/x/callback",)) as x,
        Receiver() as hook,
        media_server({"/cat.png": png_bytes(40, 30)}) as media,
    ):
        sky.add_account("carol.test", "app-pass-word")
        bob = masto.add_token("bob")
        li.add_member("Jane Doe")
        x.consenting_user = "acme"
        settings = {**linkedin_settings(li), **x_settings(x)}
        async with console(tmp_path, port, **settings) as bot:
            page = await bot.follow(await bot.line(f"accounts connect mastodon {masto.url}"))
            assert "is connected" in page
            await bot.line(f"accounts connect mastodon {masto.url} token {bob}")
            await bot.line(f"accounts connect bluesky carol.test app-pass-word at {sky.url}")
            page = await bot.follow(await bot.line("accounts connect linkedin"))
            assert "jane-doe@linkedin is connected" in page, page
            page = await bot.follow(await bot.line("accounts connect x"))
            assert "@acme is connected" in page, page
            await bot.line(f"accounts add webhook zap {hook.url}")
            listed = await bot.line("accounts")
            assert listed.count("connected") >= 6, listed

            scheduled = await bot.line(
                f'schedule "Launch day (v2) #launch" at 2026-12-02T10:00Z with {media}/cat.png '
                'alt "A red square"'
            )
            assert "Scheduled post 1" in scheduled, scheduled
            await bot.line(":advance 1h")
            shown = await bot.line("show 1")
            assert "Status: ✅ published" in shown, shown
            live = re.findall(r"https?://\S+", shown.split("Media:")[-1])
            assert len([u for u in live if "cat.png" not in u]) == 6, live
            assert "https://www.linkedin.com/feed/update/urn:li:share:" in shown
            assert "https://x.com/acme/status/" in shown

            [post] = li.posts
            assert post.shown_text == "Launch day (v2) #launch", "little text escaped"
            assert post.images and post.images[0][1] == "A red square"
            [tweet] = x.tweets
            assert tweet.media_ids and x.media_by_id(tweet.media_ids[0]).alt == "A red square"  # type: ignore[union-attr]
            assert len(masto.statuses) == 2 and len(sky.records) == 1
            assert len(hook.deliveries) == 1

            # The LinkedIn member revokes the app's refresh right: the token now ends.
            async with bot.app.uow() as uow:
                account = await uow.accounts.by_name(
                    bot.session.actor.workspace_id, "jane-doe@linkedin"
                )  # type: ignore[union-attr]
            assert account is not None and account.token_renewable
            li.revoke_refresh(account.credentials["refresh_token"])
            renewals = x.refreshes
            await bot.line(":advance 53d")
            assert x.refreshes > renewals, "X's two-hour token was renewed meanwhile"
            week = told(bot, "jane-doe@linkedin needs reconnecting")
            assert len(week) == 1, bot.said[-5:]
            assert "accounts reconnect jane-doe@linkedin" in week[0]
            await bot.line(":advance 12h")
            assert len(told(bot, "needs reconnecting")) == 1, "the 7-day warning, once"
            await bot.line(":advance 6d")
            assert len(told(bot, "jane-doe@linkedin needs reconnecting")) == 2, "1 day ahead"
            assert not told(bot, "was disconnected")
            await bot.line(":advance 1d")
            await bot.line(":advance 1d")
            gone = told(bot, "jane-doe@linkedin was disconnected")
            assert len(gone) == 1, gone
            assert "accounts reconnect jane-doe@linkedin" in gone[0], "with Reconnect"
            assert len(told(bot, "needs reconnecting")) == 2
            assert not told(bot, "@acme was disconnected"), "X kept renewing"

            relink = await bot.line("accounts reconnect jane-doe@linkedin")
            assert "jane-doe@linkedin is reconnected" in await bot.follow(relink)

            # Issue 13, security: no secret in any log line of the whole scenario.
            async with bot.app.uow() as uow:
                accounts = await uow.accounts.list(bot.session.actor.workspace_id)  # type: ignore[union-attr]
            secrets = {v for a in accounts for k, v in a.credentials.items()
                       if k in ("token", "access_token", "refresh_token", "access_jwt",
                                "refresh_jwt", "app_password")}  # fmt: skip
            secrets |= {bob, "app-pass-word", LINKEDIN_SECRET, "e2e-secret"}
            assert len(secrets) >= 8
            assert len(caplog.records) > 20, "the scenario logged"
            assert secrets_in(caplog.records, secrets) == []
