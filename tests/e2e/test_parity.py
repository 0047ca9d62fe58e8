"""The same scenarios on the console and on Slack."""

from pathlib import Path

import pytest

from tests.e2e.console import run_console
from tests.e2e.console_durations import parse as parse_duration
from tests.e2e.scenarios import SCENARIOS, Step
from tests.e2e.slack_harness import slack_bot

NAMES = sorted(SCENARIOS)
CLOCK = "2026-11-25T10:00:00Z"  # the Slack harness starts at the same instant


@pytest.mark.parametrize("name", NAMES)
def test_scenario_on_the_console(tmp_path: Path, name: str) -> None:
    steps = SCENARIOS[name]
    run = run_console(tmp_path, "\n".join(s.line for s in steps) + "\n", clock=CLOCK)
    assert run.returncode == 0, run.stderr
    answers = run.answers()
    assert [line for line, _ in answers] == [s.line for s in steps]
    for step, (_, answer) in zip(steps, answers, strict=True):
        for phrase in step.expect:
            assert phrase in answer, f"{step.line!r}: {phrase!r} not in {answer!r}"


@pytest.mark.parametrize("name", NAMES)
async def test_scenario_on_slack(tmp_path: Path, name: str) -> None:
    async with slack_bot(tmp_path) as bot:
        for step in SCENARIOS[name]:
            await _slack_step(bot, step)


async def _slack_step(bot, step: Step) -> None:  # type: ignore[no-untyped-def]
    if step.line.startswith(":advance "):
        await bot.advance(parse_duration(step.line.removeprefix(":advance ")))
        return
    answer = "\n".join(await bot.command(step.line))
    for phrase in step.expect:
        assert phrase in answer, f"{step.line!r}: {phrase!r} not in {answer!r}"
