"""``with`` on Slack takes links only, checked not to lead inside the operator's network;
TRYPOST_ALLOW_PRIVATE_HOSTS names the hosts that may (issue 14, point 6)."""

from datetime import timedelta
from pathlib import Path

from tests.e2e.slack_harness import SlackBot, slack_bot
from tests.media_server import media_server, png_bytes


async def _posts(bot: SlackBot) -> str:
    [listed] = await bot.command("list all")
    return listed


async def test_with_refuses_server_files_and_inward_links_and_takes_public_ones(
    tmp_path: Path,
) -> None:
    async with slack_bot(tmp_path) as bot:
        await bot.command("accounts add sandbox brand")
        [file] = await bot.command('schedule "x" at tomorrow 9am with /etc/passwd')
        assert "not a link" in file and "Scheduled" not in file
        [metadata] = await bot.command(
            'schedule "x" at tomorrow 9am with http://169.254.169.254/latest'
        )
        assert "private or local address" in metadata and "Scheduled" not in metadata
        assert "#1 " not in await _posts(bot), "the refused ones made no post"


async def test_with_keeps_a_linked_image_in_the_media_store(tmp_path: Path) -> None:
    with media_server({"/a.png": png_bytes()}) as base:
        async with slack_bot(tmp_path, allow_private_hosts="127.0.0.1") as bot:
            await bot.command("accounts add sandbox brand")
            [taken] = await bot.command(f'schedule "x" at tomorrow 9am with {base}/a.png')
            assert "Scheduled post 1" in taken
            [missing] = await bot.command(f'schedule "y" at tomorrow 9am with {base}/gone.png')
            assert "answered HTTP 404" in missing
    stored = [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in stored] == [png_bytes()]


async def test_with_takes_a_private_host_the_operator_allowed(tmp_path: Path) -> None:
    async with slack_bot(tmp_path, allow_private_hosts="media.intranet") as bot:
        await bot.command("accounts add sandbox brand")
        [allowed] = await bot.command(
            'schedule "x" at tomorrow 9am with http://media.intranet/a.png'
        )
        # Past the address check: the name only fails to resolve on this machine.
        assert "could not fetch http://media.intranet/a.png" in allowed
        [other] = await bot.command('schedule "y" at tomorrow 9am with http://127.0.0.1/a.png')
        assert "private or local address" in other


async def test_the_composer_takes_an_uploaded_image_read_with_the_bot_token(
    tmp_path: Path,
) -> None:
    async with slack_bot(tmp_path, allow_private_hosts="127.0.0.1") as bot:
        await bot.command("accounts add sandbox brand")
        await bot.command("schedule", expect_reply=False)
        [ready] = await bot.wait_for(lambda: bot.slack.calls_to("views.update"))
        view = ready["view"]
        assert any(b.get("block_id") == "media" for b in view["blocks"])
        upload = bot.slack.upload("cat.png", png_bytes())
        when = int((bot.clock.now() + timedelta(hours=2)).timestamp())
        values = {
            "text": {"text": {"type": "plain_text_input", "value": "With a cat"}},
            "when": {"when": {"selected_date_time": when}},
            "media": {"media": {"type": "file_input", "files": [upload]}},
            "mode": {"mode": {"selected_option": {"value": "schedule"}}},
        }
        assert await bot.submit({**view, "state": {"values": values}}) == {}
        [confirmation] = await bot.wait_for(lambda: bot.slack.responses_to(f"cmd{bot.serial}"))
        assert "Scheduled post 1" in confirmation["text"], confirmation
        assert bot.slack.file_reads == ["Bearer xoxb-000-e2e"], "read with the bot's token"
        await bot.advance(timedelta(hours=3))
    [published] = (tmp_path / "sandbox-posts" / "brand").glob("*.json")
    assert upload["url_private_download"] in published.read_text()
    assert [p.read_bytes() for p in (tmp_path / "media").rglob("*") if p.is_file()] == [png_bytes()]
