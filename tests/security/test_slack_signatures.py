"""Issue 13, security: only Slack's own, fresh requests reach the bot.

Over the real ``/slack/events`` endpoint and the real bolt app, for every kind of request
Slack sends (a slash command, a button click, a modal submission, an event): a forged or
tampered signature, a signature moved to another timestamp, and a correctly signed
request from outside Slack's five-minute window (a replay of a captured request, either
side of now) are refused with a 401. Nothing in the database changes and nothing is said
to Slack. The very same requests, signed correctly inside the window, do their work: the
refusals are about the signature, not the request.
"""

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bot.slack.endpoint import MAX_AGE_SECONDS
from tests.e2e.slack_harness import (
    FORM,
    SIGNING_SECRET,
    TEAM,
    TRIGGER,
    VERIFICATION_TOKEN,
    SlackBot,
    filled,
    interaction_body,
    rich_text,
    signed_headers,
    slack_bot,
)
from tests.security.db_state import changed, dump

JSON = "application/json"
# Well inside or well outside the window, so the test never depends on the second it runs.
MARGIN = 30


def _command(bot: SlackBot, text: str) -> str:
    return urlencode(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": TEAM,
            "team_domain": "sandbox",
            "channel_id": "C1",
            "channel_name": "general",
            "user_id": "U1",
            "user_name": "u1",
            "command": "/trypost",
            "text": text,
            "api_app_id": "A1",
            "response_url": bot.slack.response_url("captured-command"),
            "trigger_id": f"{TRIGGER}captured",
        }
    )


def _click(bot: SlackBot, action_id: str, value: str) -> str:
    return interaction_body(
        {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "sandbox"},
            "user": {"id": "U1", "username": "u1", "team_id": TEAM},
            "api_app_id": "A1",
            "token": VERIFICATION_TOKEN,
            "trigger_id": f"{TRIGGER}captured-click",
            "container": {"type": "message", "message_ts": "1.1", "channel_id": "D1"},
            "channel": {"id": "D1", "name": "directmessage"},
            "message": {"ts": "1.1", "text": "x", "blocks": []},
            "response_url": bot.slack.response_url("captured-click"),
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "b",
                    "value": value,
                    "action_ts": "1.2",
                    "text": {"type": "plain_text", "text": "x"},
                }
            ],
        }
    )


def _submission(view: dict[str, Any]) -> str:
    return interaction_body(
        {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "sandbox"},
            "user": {"id": "U1", "username": "u1", "team_id": TEAM},
            "api_app_id": "A1",
            "token": VERIFICATION_TOKEN,
            "trigger_id": f"{TRIGGER}captured-submit",
            "view": view,
        }
    )


def _event() -> str:
    return json.dumps(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": TEAM,
            "api_app_id": "A1",
            "event": {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"},
            "type": "event_callback",
            "event_id": "EvCaptured",
            "event_time": 1,
            "authorizations": [{"team_id": TEAM, "user_id": "U0KRQLJ9H", "is_bot": True}],
        }
    )


def _forgeries(body: str, content_type: str) -> dict[str, tuple[str, dict[str, str]]]:
    """What an attacker holding a captured request (or none) can send: name → (body,
    headers). Each must be refused."""
    now = int(time.time())
    good = signed_headers(body, content_type=content_type)
    tampered = body.replace("U1", "U2", 1) if "U1" in body else body + " "
    old = signed_headers(body, at=now - 2 * MAX_AGE_SECONDS, content_type=content_type)
    unsigned = {"Content-Type": content_type}
    return {
        "unsigned": (body, unsigned),
        "no timestamp": (body, {k: v for k, v in good.items() if "Timestamp" not in k}),
        "another secret": (body, signed_headers(body, secret="guess", content_type=content_type)),
        "tampered body, the captured signature": (tampered, good),
        "the captured signature under a fresh timestamp": (
            body,
            {**old, "X-Slack-Request-Timestamp": str(now)},
        ),
        "another signature version": (
            body,
            {**good, "X-Slack-Signature": good["X-Slack-Signature"].replace("v0=", "v1=")},
        ),
        "the secret itself as the signature": (
            body,
            {**good, "X-Slack-Signature": SIGNING_SECRET},
        ),
        "replayed: signed just past the window": (
            body,
            signed_headers(body, at=now - MAX_AGE_SECONDS - MARGIN, content_type=content_type),
        ),
        "replayed an hour later": (
            body,
            signed_headers(body, at=now - 3600, content_type=content_type),
        ),
        "signed in the future, past the window": (
            body,
            signed_headers(body, at=now + MAX_AGE_SECONDS + MARGIN, content_type=content_type),
        ),
    }


async def _refused_and_nothing_changed(bot: SlackBot, body: str, content_type: str) -> None:
    before, calls, responses = await dump(bot.app.engine), len(bot.slack.calls), 0
    responses = len(bot.slack.responses)
    for why, (sent, headers) in _forgeries(body, content_type).items():
        status, said = await bot.post(sent, headers)
        assert status == 401, (why, status, said)
        assert "invalid request signature" in said, why
    await bot.wait_for(list)
    assert changed(before, await dump(bot.app.engine)) == {}
    assert len(bot.slack.calls) == calls, "nothing was said to Slack"
    assert len(bot.slack.responses) == responses, "nothing answered a response_url"


async def _accepted_inside_the_window(
    bot: SlackBot, body: str, content_type: str, did: Callable[[], Any]
) -> None:
    """The captured request, signed as Slack would have signed it four minutes ago."""
    at = int(time.time()) - MAX_AGE_SECONDS + 2 * MARGIN
    status, _ = await bot.post(body, signed_headers(body, at=at, content_type=content_type))
    assert status == 200
    await bot.wait_for(list)
    assert await did(), "the request, correctly signed, does its work"


async def test_every_kind_of_request_needs_slacks_fresh_signature(tmp_path: Path) -> None:
    async with slack_bot(tmp_path) as bot:
        await bot.command("accounts add sandbox brand")
        await bot.command('draft "Keep me"')
        await bot.command('draft "Comment on me"')

        async def account_added() -> bool:
            [listed] = await bot.command("accounts")
            return "stolen" in listed

        command = _command(bot, "accounts add sandbox stolen")
        await _refused_and_nothing_changed(bot, command, FORM)
        assert not await account_added()
        await _accepted_inside_the_window(bot, command, FORM, account_added)

        async def post_deleted() -> bool:
            [shown] = await bot.command("show 1")
            return "no post 1" in shown.lower()

        click = _click(bot, "trypost:delete#0", "1 confirm")
        await _refused_and_nothing_changed(bot, click, FORM)
        assert not await post_deleted()
        await _accepted_inside_the_window(bot, click, FORM, post_deleted)

        opened = len(bot.slack.calls_to("views.open"))
        await bot.click("trypost:comment#0", "2", wait=False)
        view = filled(await bot.modal(opened), "text", rich_text("Sneaked in"))

        async def commented() -> bool:
            [thread] = await bot.command("comments 2")
            return "Sneaked in" in thread

        submission = _submission(view)
        await _refused_and_nothing_changed(bot, submission, FORM)
        assert not await commented()
        await _accepted_inside_the_window(bot, submission, FORM, commented)

        async def home_published() -> bool:
            return bool(bot.slack.calls_to("views.publish"))

        event = _event()
        await _refused_and_nothing_changed(bot, event, JSON)
        assert not await home_published()
        await _accepted_inside_the_window(bot, event, JSON, home_published)
