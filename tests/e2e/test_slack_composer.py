"""The composer never hangs on "One moment…": when it cannot be filled, the modal says
why and how to go on, and closes with its one button."""

import json
from pathlib import Path

import pytest

from core.accounts import SocialAccount
from core.usecases import accounts
from core.usecases.context import Actor, Services
from tests.e2e.slack_harness import SlackBot, slack_bot


async def _composer_update(bot: SlackBot, user: str) -> dict[str, object]:
    await bot.command("schedule", user=user, expect_reply=False)
    [opened] = await bot.wait_for(lambda: bot.slack.calls_to("views.open"))
    assert "One moment" in json.dumps(opened["view"])
    updates = await bot.wait_for(lambda: bot.slack.calls_to("views.update"))
    assert len(updates) == 1, "the modal stayed on “One moment…”"
    update = updates[0]
    assert update["view_id"], "the modal opened, not a new one"
    view = update["view"]
    assert isinstance(view, dict)
    return view


async def test_a_refused_composer_says_why_in_the_modal(tmp_path: Path) -> None:
    async with slack_bot(tmp_path) as bot:
        await bot.command("accounts")  # U1 owns the workspace; U2 is nobody here
        view = await _composer_update(bot, "U2")
        text = json.dumps(view)
        assert "One moment" not in text
        assert "not a member" in text, "the refusal, in the modal"
        assert view["close"] and "submit" not in view, "one way out: close it"
        assert "schedule" in text


async def test_a_composer_that_fails_to_fill_says_so_in_the_modal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(svc: Services, actor: Actor) -> list[SocialAccount]:
        raise RuntimeError("database is locked")

    async with slack_bot(tmp_path) as bot:
        await bot.command("accounts add sandbox brand")
        monkeypatch.setattr(accounts, "list_accounts", broken)
        view = await _composer_update(bot, "U1")
        text = json.dumps(view)
        assert "One moment" not in text and "went wrong" in text and "ref " in text
        assert "database is locked" not in text, "the person sees a reference, not internals"
        assert view["close"] and "submit" not in view
