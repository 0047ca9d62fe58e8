"""Issue 13, fuzz: Discord interactions with arbitrary field values — /trypost typed from
generated lines or drawn from its registered options, autocomplete, buttons and selects
with any custom_id, modals with any values, from odd members and places — through the
real discord.py client: every interaction is answered, nothing logs an error or a
traceback. A small, fixed profile in CI; ``bench/fuzz_discord.py`` sends 10,000 of the
same strategies' interactions to one bot (``tests/e2e/discord_fuzzing.py``)."""

import asyncio
import logging
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.e2e.discord_fuzzing import INTERACTIONS, PEOPLE, Fuzzed, Played, Traces, play, seed
from tests.e2e.discord_harness import discord_bot


async def _play(tmp: Path, interactions: list[Fuzzed]) -> Played:
    async with discord_bot(tmp, PEOPLE) as bot:
        await seed(bot)
        return await play(bot, interactions)


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(interactions=st.lists(INTERACTIONS, min_size=1, max_size=8))
def test_every_odd_discord_interaction_is_answered_without_an_error(
    tmp_path_factory: Any, interactions: list[Fuzzed]
) -> None:
    traces = Traces()
    logging.getLogger().addHandler(traces)
    try:
        played = asyncio.run(_play(tmp_path_factory.mktemp("fuzz"), interactions))
    finally:
        logging.getLogger().removeHandler(traces)
    assert not played.crashes, played.crashes
    assert not played.not_answered, played.not_answered
    assert not traces.records, [f"{r.name}: {r.getMessage()}" for r in traces.records]
