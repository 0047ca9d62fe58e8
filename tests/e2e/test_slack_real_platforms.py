"""Issue 11, done when, on Slack: connect Mastodon by link and by token, Bluesky through
the web form (an app password never goes through chat), a webhook; one post with an
image to all; a revoked token gives one DM whose Reconnect button leads to a fresh
sign-in, and retry sends only that entry."""

import re
from datetime import timedelta
from pathlib import Path

from tests.e2e.slack_harness import SlackBot, button, slack_bot
from tests.fake_bluesky import FakeBluesky
from tests.fake_mastodon import FakeMastodon
from tests.media_server import media_server, png_bytes
from tests.webhook_receiver import Receiver

PUBLIC = "https://trypost.example.com"
LINK = re.compile(re.escape(PUBLIC) + r"/connect/\w+/start\?state=[\w-]+")


async def _open(bot: SlackBot, reply: str) -> tuple[str, str]:
    """Open the reply's connect link as a browser would, following redirects; our public
    URL is the harness's loopback server: (page, last url)."""
    found = LINK.search(reply)
    assert found, reply
    url = found[0]
    for _ in range(5):
        if url.startswith(PUBLIC):
            url = bot.url + url[len(PUBLIC) :]
        async with bot.http.get(url, allow_redirects=False) as page:
            if page.status not in (301, 302, 303, 307):
                return await page.text(), url
            url = page.headers["Location"]
    raise AssertionError("too many redirects")


async def test_every_platform_connects_publishes_and_reconnects_from_slack(
    tmp_path: Path,
) -> None:
    with (
        FakeMastodon() as masto,
        FakeBluesky() as sky,
        Receiver() as hook,
        media_server({"/cat.png": png_bytes()}) as media,
    ):
        sky.add_account("carol.test", "app-pass-word")
        bob = masto.add_token("bob")
        async with slack_bot(tmp_path, allow_private_hosts="127.0.0.1") as bot:
            [linked] = await bot.command(f"accounts connect mastodon {masto.url}")
            page, _ = await _open(bot, linked)
            assert f"@alice@{masto.authority} is connected" in page
            [tokened] = await bot.command(f"accounts connect mastodon {masto.url} token {bob}")
            assert "Connected Mastodon account" in tokened and bob not in tokened

            [form_link] = await bot.command("accounts connect bluesky")
            form, url = await _open(bot, form_link)
            assert 'type="password"' in form
            state = url.split("state=")[1]
            wrong = {"state": state, "handle": "carol.test", "password": "nope", "pds": sky.url}
            async with bot.http.post(bot.url + "/connect/bluesky/callback", data=wrong) as bad:
                assert bad.status == 400 and "refused" in await bad.text()
            right = {**wrong, "password": "app-pass-word"}
            async with bot.http.post(bot.url + "/connect/bluesky/callback", data=right) as ok:
                assert "carol.test is connected" in await ok.text(), "a typo costs no new link"
            await bot.command(f"accounts add webhook zap {hook.url}")

            [scheduled] = await bot.command(
                f'schedule "Launch day" at 2026-11-25T11:00Z with {media}/cat.png'
            )
            assert "Scheduled post 1" in scheduled, scheduled
            await bot.advance(timedelta(hours=2))
            [shown] = await bot.command("show 1")
            for live in (f"{masto.url}/@alice/", f"{masto.url}/@bob/", "bsky.app/profile/carol"):
                assert live in shown, shown
            assert "receiver.example/posts/" in shown
            assert sky.records[0].value["embed"]["images"], "the image reached Bluesky"

            masto.revoke(bob)
            await bot.command('schedule "Second wave" at 2026-11-25T13:00Z')
            await bot.advance(timedelta(hours=2))
            notices = [m for m in bot.dms("U1") if "was disconnected" in str(m.get("text"))]
            assert len(notices) == 1, notices
            button(notices[0], "accounts")
            [relink] = await bot.click_in(notices[0], "accounts")
            masto.consenting_user = "bob"
            page, _ = await _open(bot, relink)
            assert "is reconnected" in page
            before = (len(masto.statuses), len(sky.records), len(hook.deliveries))
            await bot.command("retry 2")
            assert (len(masto.statuses), len(sky.records), len(hook.deliveries)) == (
                before[0] + 1,
                before[1],
                before[2],
            )
