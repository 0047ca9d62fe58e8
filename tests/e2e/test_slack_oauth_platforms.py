"""Issue 12, done when, on Slack: LinkedIn and X connected through their (fake)
consent pages from the links the bot answers with, beside Mastodon, Bluesky (web form)
and a webhook; one post with an image, six live URLs; a LinkedIn token that cannot be
renewed gives ``token_expiring`` DMs 7 days and 1 day ahead, then one disconnected DM
whose Reconnect button answers with a fresh sign-in link."""

import re
from datetime import timedelta
from pathlib import Path

from tests.e2e.slack_harness import slack_bot
from tests.e2e.test_oauth_connect import linkedin_settings, x_settings
from tests.e2e.test_slack_real_platforms import PUBLIC, _open
from tests.fake_bluesky import FakeBluesky
from tests.fake_linkedin import FakeLinkedIn
from tests.fake_mastodon import FakeMastodon
from tests.fake_x import FakeX
from tests.media_server import media_server, png_bytes
from tests.webhook_receiver import Receiver


def _texts(messages: list[dict[str, object]], words: str) -> list[dict[str, object]]:
    return [m for m in messages if words in str(m.get("text"))]


async def test_linkedin_and_x_connect_publish_and_warn_from_slack(tmp_path: Path) -> None:
    with (
        FakeMastodon() as masto,
        FakeBluesky() as sky,
        FakeLinkedIn(
            redirect_uris=(f"{PUBLIC}/connect/linkedin/callback",), expires_in=60 * 86400
        ) as li,
        FakeX(redirect_uris=(f"{PUBLIC}/connect/x/callback",)) as x,
        Receiver() as hook,
        media_server({"/cat.png": png_bytes()}) as media,
    ):
        sky.add_account("carol.test", "app-pass-word")
        li.add_member("Jane Doe")
        x.consenting_user = "acme"
        settings = {**linkedin_settings(li), **x_settings(x), "allow_private_hosts": "127.0.0.1"}
        async with slack_bot(tmp_path, **settings) as bot:
            [linked] = await bot.command(f"accounts connect mastodon {masto.url}")
            assert "is connected" in (await _open(bot, linked))[0]
            [form_link] = await bot.command("accounts connect bluesky")
            _, url = await _open(bot, form_link)
            form = {"state": url.split("state=")[1], "handle": "carol.test",
                    "password": "app-pass-word", "pds": sky.url}  # fmt: skip
            async with bot.http.post(bot.url + "/connect/bluesky/callback", data=form) as ok:
                assert "carol.test is connected" in await ok.text()
            [li_link] = await bot.command("accounts connect linkedin")
            assert "jane-doe@linkedin is connected" in (await _open(bot, li_link))[0]
            [x_link] = await bot.command("accounts connect x")
            assert "@acme is connected" in (await _open(bot, x_link))[0]
            bob = masto.add_token("bob")
            await bot.command(f"accounts connect mastodon {masto.url} token {bob}")
            await bot.command(f"accounts add webhook zap {hook.url}")

            await bot.command(f'schedule "Launch day" at 2026-11-25T11:00Z with {media}/cat.png')
            await bot.advance(timedelta(hours=2))
            [shown] = await bot.command("show 1")
            # The reply's text and its blocks say the same: six distinct live URLs.
            live = {u for u in re.findall(r"https?://[^\s>|]+", shown) if "cat.png" not in u}
            assert len(live) == 6, shown
            assert li.posts[0].images and x.tweets[0].media_ids, "the image went to both"

            async with bot.app.uow() as uow:
                [jane] = [a for a in await uow.accounts.list(1) if a.platform == "linkedin"]
            li.revoke_refresh(jane.credentials["refresh_token"])
            await bot.advance(timedelta(days=53))
            await bot.advance(timedelta(days=6))
            await bot.advance(timedelta(days=1))
            await bot.advance(timedelta(days=1))
            dms = bot.dms("U1")
            assert len(_texts(dms, "jane-doe@linkedin needs reconnecting")) == 2, dms[-4:]
            [gone] = _texts(dms, "jane-doe@linkedin was disconnected")
            [relink] = await bot.click_in(gone, "accounts")
            assert "To reconnect jane-doe@linkedin, open this link" in relink
            assert "is reconnected" in (await _open(bot, relink))[0]
