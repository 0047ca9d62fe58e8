"""What no listener claims — an old message's button, a renamed action, a modal or a
shortcut we no longer have — is acknowledged (200, never bolt's 404) and answered
privately wherever Slack gives a way to: the response_url, beside the message, a DM.
"""

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.e2e.slack_harness import (
    TEAM,
    VERIFICATION_TOKEN,
    SlackBot,
    interaction_body,
    slack_bot,
)

FIXTURES = Path("/work/shared/fixtures/slack")
STALE = "no longer available"


@pytest.fixture
def quiet(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Fails the test if anything logs an error or a traceback while it runs."""
    caplog.set_level(logging.INFO)
    yield caplog
    loud = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not loud, [f"{r.name}: {r.getMessage()}" for r in loud]


def _fixture(name: str) -> dict[str, Any]:
    if not (FIXTURES / name).exists():
        pytest.skip(f"shared fixtures not on this machine: {FIXTURES}")
    payload: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return payload


def _ours(payload: dict[str, Any]) -> dict[str, Any]:
    """A docs sample moved into the test's team and user (U1 owns the workspace)."""
    payload["team"] = {"id": TEAM, "domain": "sandbox"}
    payload["user"] = {"id": "U1", "username": "u1", "team_id": TEAM}
    payload.pop("enterprise", None)
    payload["is_enterprise_install"] = False
    payload["token"] = VERIFICATION_TOKEN
    return payload


async def _post(bot: SlackBot, payload: dict[str, Any]) -> tuple[int, str]:
    return await bot.post(interaction_body(payload))


def _texts(calls: list[dict[str, Any]]) -> str:
    return "\n".join(json.dumps(c) for c in calls)


async def test_a_button_of_an_old_message_is_acknowledged_and_explained_privately(
    tmp_path: Path, quiet: pytest.LogCaptureFixture
) -> None:
    async with slack_bot(tmp_path) as bot:
        await bot.command("accounts")  # U1 owns the workspace
        payload = _ours(_fixture("block_actions_button_message.json"))
        payload["response_url"] = bot.slack.response_url("old")
        payload["actions"][0]["action_id"] = "approve_request_v1"  # not one of ours
        status, _ = await _post(bot, payload)
        assert status == 200, "Slack shows the person an error for anything but a 2xx"
        [answer] = await bot.wait_for(lambda: bot.slack.responses_to("old"))
        assert STALE in answer["text"] and "help" in answer["text"]
        assert answer["replace_original"] is False, "the old message stays as it was"
        assert answer["response_type"] == "ephemeral"

        # A trypost button whose action was renamed since the message was drawn.
        replies = await bot.click("trypost:frobnicate#0", "1")
        assert STALE in replies[-1]


async def test_a_stale_button_in_the_home_tab_is_answered_by_dm(
    tmp_path: Path, quiet: pytest.LogCaptureFixture
) -> None:
    async with slack_bot(tmp_path) as bot:
        await bot.command("accounts")
        payload = _ours(_fixture("block_actions_button_app_home.json"))
        payload["actions"][0]["action_id"] = "gone_button"
        payload.pop("response_url", None)
        status, _ = await _post(bot, payload)
        assert status == 200
        [dm] = await bot.wait_for(
            lambda: [c for c in bot.slack.calls_to("chat.postMessage") if STALE in c["text"]]
        )
        assert dm["channel"] == "U1"


async def test_unknown_modals_are_acknowledged_a_submission_explains_itself(
    tmp_path: Path, quiet: pytest.LogCaptureFixture
) -> None:
    async with slack_bot(tmp_path) as bot:
        await bot.command("accounts")
        submission = _ours(_fixture("view_submission_modal.json"))
        submission["view"]["callback_id"] = "old_form_v1"
        status, text = await _post(bot, submission)
        assert status == 200
        answer = json.loads(text)
        assert answer["response_action"] == "update", "the modal turns into the explanation"
        assert STALE in json.dumps(answer["view"]) and answer["view"]["close"]
        assert "submit" not in answer["view"]

        closed = _ours(_fixture("view_submission_modal.json"))
        closed["type"] = "view_closed"
        closed["is_cleared"] = False
        closed["view"]["callback_id"] = "old_form_v1"
        status, text = await _post(bot, closed)
        assert status == 200 and not text.strip()

        # A select changed inside an old modal: acknowledged, nothing said.
        picked = _ours(_fixture("block_actions_datepicker_in_modal.json"))
        picked["actions"][0]["action_id"] = "old_datepicker"
        before = len(bot.slack.calls)
        status, _ = await _post(bot, picked)
        assert status == 200
        await bot.wait_for(lambda: bot.slack.calls[before:])
        assert [m for m, _ in bot.slack.calls[before:] if m.startswith("chat.")] == []


async def test_unknown_shortcuts_options_and_commands_are_acknowledged_and_answered(
    tmp_path: Path, quiet: pytest.LogCaptureFixture
) -> None:
    async with slack_bot(tmp_path) as bot:
        await bot.command("accounts")
        user = {"id": "U1", "username": "u1", "team_id": TEAM}
        team = {"id": TEAM, "domain": "sandbox"}
        common = {"token": VERIFICATION_TOKEN, "team": team, "user": user, "api_app_id": "A1"}

        # A global shortcut: no conversation to answer in, so a DM.
        shortcut = {**common, "type": "shortcut", "callback_id": "old_shortcut"}
        status, _ = await _post(bot, {**shortcut, "trigger_id": "t1", "action_ts": "1.2"})
        assert status == 200
        [dm] = await bot.wait_for(
            lambda: [c for c in bot.slack.calls_to("chat.postMessage") if STALE in c["text"]]
        )
        assert dm["channel"] == "U1"

        # A message shortcut: its response_url answers, privately.
        message_action = {
            **common,
            "type": "message_action",
            "callback_id": "old_message_shortcut",
            "trigger_id": "t2",
            "action_ts": "1.3",
            "channel": {"id": "C1", "name": "general"},
            "message": {"type": "message", "ts": "1.1", "text": "hello"},
            "response_url": bot.slack.response_url("msgshortcut"),
        }
        status, _ = await _post(bot, message_action)
        assert status == 200
        [answer] = await bot.wait_for(lambda: bot.slack.responses_to("msgshortcut"))
        assert STALE in answer["text"] and answer["response_type"] == "ephemeral"

        # An external select's options request: an empty list, not an error.
        options = {
            **common,
            "type": "block_suggestion",
            "action_id": "old_select",
            "block_id": "b",
            "value": "ab",
            "container": {"type": "message", "message_ts": "1.1", "channel_id": "C1"},
        }
        status, text = await _post(bot, options)
        assert status == 200 and json.loads(text) == {"options": []}

        # A slash command that is not ours (renamed in the manifest, say).
        body = urlencode(
            {
                "token": VERIFICATION_TOKEN,
                "team_id": TEAM,
                "user_id": "U1",
                "channel_id": "C1",
                "command": "/trypost-old",
                "text": "list",
                "response_url": bot.slack.response_url("othercommand"),
            }
        )
        assert (await bot.post(body))[0] == 200
        [answer] = await bot.wait_for(lambda: bot.slack.responses_to("othercommand"))
        assert "/trypost" in answer["text"] and "help" in answer["text"]
