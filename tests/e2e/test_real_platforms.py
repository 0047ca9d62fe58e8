"""Issue 11, done when: from the console, connect Mastodon both ways (sign-in link and
token), Bluesky and a webhook against their loopback fakes; schedule one post with an
image to all of them, see every live URL; revoke one token and see the owner's DM with
Reconnect, the account disconnected once, the others published; reconnect through the
link and retry publishes only that entry.

The real console session, web app and platform clients run in this process; only the
platforms are fakes, reached over HTTP."""

import re
from pathlib import Path

from tests.e2e.platform_console import console
from tests.fake_bluesky import FakeBluesky
from tests.fake_mastodon import FakeMastodon
from tests.media_server import media_server, png_bytes
from tests.webhook_receiver import Receiver


async def test_every_platform_from_connect_to_reconnect(tmp_path: Path) -> None:
    with (
        FakeMastodon() as masto,
        FakeBluesky() as sky,
        Receiver() as hook,
        media_server({"/cat.png": png_bytes(40, 30)}) as media,
    ):
        sky.add_account("carol.test", "app-pass-word")
        bob_token = masto.add_token("bob")
        async with console(tmp_path) as bot:
            linked = await bot.line(f"accounts connect mastodon {masto.url}")
            assert "works once, for 15 minutes" in linked
            page = await bot.follow(linked)
            assert f"@alice@{masto.authority} is connected" in page
            again = await bot.follow(linked)
            assert "used already" in again, "a connect link works once"

            tokened = await bot.line(f"accounts connect mastodon {masto.url} token {bob_token}")
            assert f"Connected Mastodon account @bob@{masto.authority}" in tokened
            assert bob_token not in "\n".join(bot.said), "a token is never said back"
            carol = await bot.line(
                f"accounts connect bluesky carol.test app-pass-word at {sky.url}"
            )
            assert "Connected Bluesky account carol.test" in carol
            assert "app-pass-word" not in "\n".join(bot.said)
            await bot.line(f"accounts add webhook zap {hook.url}")

            scheduled = await bot.line(
                f'schedule "Launch day! #launch" at 2026-12-02T10:00Z with {media}/cat.png '
                'alt "A red square"'
            )
            assert "Scheduled post 1" in scheduled, scheduled
            assert f"Media: {media}/cat.png" in scheduled, "the source, never the hash"
            await bot.line(":advance 2h")
            shown = await bot.line("show 1")
            assert "published" in shown
            live = re.findall(r"https?://\S+", shown)
            assert f"{masto.url}/@alice/" in shown and f"{masto.url}/@bob/" in shown, shown
            assert "https://bsky.app/profile/carol.test/post/" in shown
            assert "https://receiver.example/posts/" in shown, live
            assert len(masto.statuses) == 2 and all(s.media_ids for s in masto.statuses)
            assert len(masto.media) == 2 and masto.media[0].data == png_bytes(40, 30)
            assert [m.description for m in masto.media] == ["A red square"] * 2
            [record] = sky.records
            [image] = record.value["embed"]["images"]
            assert image["alt"] == "A red square"
            assert image["aspectRatio"] == {"width": 40, "height": 30}
            [delivery] = hook.deliveries
            assert delivery.body["media"] == [f"{media}/cat.png"], "the link, never the hash"

            masto.revoke(bob_token)
            await bot.line('schedule "Second wave" at 2026-12-02T12:00Z')
            await bot.line(":advance 2h")
            disconnected = [s for s in bot.said if "was disconnected" in s]
            assert len(disconnected) == 1, disconnected
            assert f"accounts reconnect @bob@{masto.authority}" in disconnected[0]
            second = await bot.line("show 2")
            assert "partially published" in second, second
            listed = await bot.line("accounts")
            assert listed.count("disconnected") == 1, listed

            masto.consenting_user = "bob"
            relink = await bot.line(f"accounts reconnect @bob@{masto.authority}")
            page = await bot.follow(relink)
            assert f"@bob@{masto.authority} is reconnected" in page
            statuses, records, deliveries = (
                len(masto.statuses),
                len(sky.records),
                len(hook.deliveries),
            )
            await bot.line("retry 2")
            await bot.line(":advance 1m")
            assert len(masto.statuses) == statuses + 1, "only bob's entry is sent again"
            assert (len(sky.records), len(hook.deliveries)) == (records, deliveries)
            assert "partially" not in await bot.line("show 2")

            # Three entries of one account meet a dead token at the same tick: one notice.
            notices = len([s for s in bot.said if "was disconnected" in s])
            bob_now = f"@bob@{masto.authority}"
            masto.revoke_user("bob")
            for n in range(3):
                await bot.line(f'schedule "Burst {n}" at 2026-12-02T14:00Z on {bob_now}')
            await bot.line(":advance 1h")
            told = [s for s in bot.said if "was disconnected" in s][notices:]
            assert len(told) == 1, told
