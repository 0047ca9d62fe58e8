"""``with`` on Slack takes links only, checked not to lead inside the operator's network;
TRYPOST_ALLOW_PRIVATE_HOSTS names the hosts that may (issue 14, point 6)."""

from pathlib import Path

from tests.e2e.slack_harness import SlackBot, slack_bot


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
        [public] = await bot.command(
            'schedule "x" at tomorrow 9am with https://93.184.215.14/a.png'
        )
        assert "Scheduled post 1" in public
        listed = await _posts(bot)
        assert "#1 " in listed and "#2 " not in listed


async def test_with_takes_a_private_host_the_operator_allowed(tmp_path: Path) -> None:
    async with slack_bot(tmp_path, allow_private_hosts="media.intranet") as bot:
        await bot.command("accounts add sandbox brand")
        [allowed] = await bot.command(
            'schedule "x" at tomorrow 9am with http://media.intranet/a.png'
        )
        assert "Scheduled post 1" in allowed
        [other] = await bot.command('schedule "y" at tomorrow 9am with http://127.0.0.1/a.png')
        assert "private or local address" in other
