"""The Discord surface end to end: the real discord.py client against a fake Discord."""

from pathlib import Path

from tests.e2e.discord_harness import discord_bot

PEOPLE = {"alice": "200000000000000001", "bob": "200000000000000002", "ann": "200000000000000003"}


async def test_a_command_is_answered_privately_after_a_defer(tmp_path: Path) -> None:
    async with discord_bot(tmp_path, PEOPLE) as bot:
        answer = await bot.command("accounts add sandbox brand", who="alice")
        assert answer.callback_types()[0] == 5, "deferred first"
        assert answer.answers[0]["data"]["flags"] & 64, "privately"
        assert "Added sandbox account brand" in answer.texts()
