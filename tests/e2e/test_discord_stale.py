"""Found by ``bench/fuzz_discord.py``: interactions the bot cannot act on are answered in
words, never with "something went wrong" and a traceback in the log.

- ``/trypost`` in a form other than the one registered (Discord's copy lags behind a
  deploy): an unknown subcommand, or an option of another type (a text where a member is
  expected, which discord.py would hand over as it came);
- a modal whose custom id names no post (``trypost-modal:changes:<guild>:x``), or a
  number ``int`` cannot read (``①`` passes ``str.isdigit``).
"""

import logging
from pathlib import Path

from bot.discord.modals import read_modal_id
from bot.discord.surface import STALE_COMMAND
from tests.e2e.discord_harness import discord_bot
from tests.e2e.test_slack_fuzz import Loud

PEOPLE = {"olive": "400000000000000001", "eve": "400000000000000002"}


def test_a_modal_id_without_a_readable_target_is_not_ours() -> None:
    for custom_id in (
        "trypost-modal:changes:1:x",
        "trypost-modal:changes:1:①",
        "trypost-modal:changes:1:",
        "trypost-modal:comment:1:1 reply x",
        "trypost-modal:comment:1:²",
        "trypost-modal:schedule:①:",
    ):
        assert read_modal_id(custom_id) is None, custom_id
    assert read_modal_id("trypost-modal:comment:1:2 reply 3") is not None
    assert read_modal_id("trypost-modal:schedule:1:") is not None


async def test_stale_commands_and_odd_modals_are_answered_in_words(tmp_path: Path) -> None:
    loud = Loud()
    logging.getLogger().addHandler(loud)
    try:
        async with discord_bot(tmp_path, PEOPLE) as bot:
            olive, guild = bot.member("olive"), bot.guild
            unknown = [{"name": "frobnicate", "type": 1, "options": []}]
            text_for_a_member = [{"name": "members", "type": 2, "options": [
                {"name": "invite", "type": 1, "options": [
                    {"name": "user", "type": 3, "value": "eve"},
                    {"name": "role", "type": 3, "value": "editor"}]}]}]  # fmt: skip
            for options in (unknown, text_for_a_member):
                answer = await bot.settled(
                    await bot.discord.interact(bot.discord.slash(guild, olive, options))
                )
                assert "older form of this command" in answer.texts(), answer.answers
                assert STALE_COMMAND in answer.texts()
            typing = bot.discord.slash(guild, olive, unknown)
            typing["type"] = 4  # autocomplete: an empty list of choices
            answer = await bot.settled(await bot.discord.interact(typing))
            assert answer.answers == [{"type": 8, "data": {"choices": []}}]
            modal = {"custom_id": f"trypost-modal:changes:{guild.id}:x"}
            answer = await bot.submit(modal, {"text": "shorter"}, who="olive")
            assert "no longer available" in answer.texts()
    finally:
        logging.getLogger().removeHandler(loud)
    assert not loud.records, [f"{r.name}: {r.getMessage()}" for r in loud.records]
