"""Nothing from a request body reaches the logs (issue 8, point 3).

Every line logged during a whole Slack scenario — install, commands, buttons, the
composer, a DM, a forged signature, a replayed request — is captured at DEBUG, from the
root logger and slack_bolt / slack_sdk / aiohttp's own, and searched for every secret the
scenario handled. A refusal is logged, with its team and reason, never its body.
"""

import json
import logging
import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.slack_harness import (
    SIGNING_SECRET,
    TEAM,
    TRIGGER,
    VERIFICATION_TOKEN,
    SlackBot,
    interaction_body,
    signed_headers,
    slack_bot,
)

CLIENT_SECRET = "e2e-client-secret-Zt4w"
INSTALLED_TOKEN = "xoxb-000-installed-e2e-9Kp"
WEBHOOK = "https://hooks.slack.com/services/T111/B222/e2e-webhook-Jq2"
TOKEN_MODE = {"slack_bot_token": "xoxb-000-token-mode-e2e-4Lm"}
OAUTH_MODE = {
    "slack_bot_token": None,
    "slack_client_id": "111.222",
    "slack_client_secret": CLIENT_SECRET,
}


def _everything_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Each record whole: its message, arguments, extra fields and traceback."""
    lines = []
    for record in caplog.records:
        fields = {k: v for k, v in vars(record).items() if k not in ("exc_info",)}
        text = json.dumps(fields, default=repr)
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        lines.append(text)
    return lines


async def _install(bot: SlackBot) -> None:
    bot.slack.answers["oauth.v2.access"] = {
        "ok": True,
        "app_id": "A0KRD7HC3",
        "access_token": INSTALLED_TOKEN,
        "token_type": "bot",
        "scope": "commands,chat:write,incoming-webhook",
        "bot_user_id": "U0KRQLJ9H",
        "team": {"id": TEAM, "name": "Sandbox"},
        "enterprise": None,
        "is_enterprise_install": False,
        "authed_user": {"id": "U1"},
        "incoming_webhook": {"channel": "#general", "channel_id": "C111", "url": WEBHOOK},
    }
    async with bot.http.get(bot.url + "/slack/install", allow_redirects=False) as page:
        html = await page.text()
        cookie = page.headers.getall("Set-Cookie")[0].split(";")[0]
    state = re.search(r"state=([^&\"']+)", html)
    assert state
    async with bot.http.get(
        bot.url + f"/slack/oauth_redirect?code=abc&state={state[1]}",
        headers={"Cookie": cookie},
    ) as done:
        assert done.status == 200, await done.text()


async def _scenario(bot: SlackBot) -> None:
    await bot.command("accounts add sandbox brand")
    await bot.command("accounts add sandbox news")
    await bot.command("accounts mode news fail")
    await bot.command('schedule "Launch" at in 10 minutes')
    await bot.advance(timedelta(minutes=15))  # fails on news: a DM with a Retry button
    await bot.wait_for(lambda: bot.slack.calls_to("chat.postMessage"))
    await bot.command("accounts mode news ok")
    await bot.click("trypost:retry#0", "1")
    await bot.click("trypost:show#0", "1")
    stale = {
        "type": "block_actions",
        "token": VERIFICATION_TOKEN,
        "team": {"id": TEAM, "domain": "sandbox"},
        "user": {"id": "U1", "team_id": TEAM},
        "trigger_id": f"{TRIGGER}stale",
        "response_url": bot.slack.response_url("stale"),
        "actions": [{"type": "button", "action_id": "an_old_button", "value": "1"}],
    }
    await bot.post(interaction_body(stale))  # a button of an old message
    await bot.command('now "Hot"')

    await bot.command("schedule", expect_reply=False)
    [filled] = await bot.wait_for(lambda: bot.slack.calls_to("views.update"))
    soon = int((bot.clock.now() + timedelta(hours=2)).timestamp())
    view = {
        **filled["view"],
        "id": "V1",
        "state": {
            "values": {
                "text": {"text": {"type": "plain_text_input", "value": "From the modal"}},
                "when": {"when": {"type": "datetimepicker", "selected_date_time": soon}},
                "mode": {"mode": {"selected_option": {"value": "schedule"}}},
            }
        },
    }
    assert await bot.submit(view) == {}
    await bot.wait_for(lambda: bot.slack.responses_to(f"cmd{bot.serial}"))

    # A forged signature and a replay of a captured request: refused, bodies unread.
    captured: dict[str, Any] = {
        "type": "block_actions",
        "token": VERIFICATION_TOKEN,
        "team": {"id": TEAM, "domain": "sandbox"},
        "user": {"id": "U1", "team_id": TEAM},
        "trigger_id": f"{TRIGGER}captured",
        "response_url": bot.slack.response_url("captured"),
        "actions": [{"type": "button", "action_id": "trypost:retry#0", "value": "1"}],
    }
    body = interaction_body(captured)
    forged = signed_headers(body, secret="not-the-secret")
    assert (await bot.post(body, forged))[0] == 401
    replayed = signed_headers(body, at=int(time.time()) - 3600)
    assert (await bot.post(body, replayed))[0] == 401


async def _stored_credentials(bot: SlackBot) -> list[str]:
    async with bot.app.uow() as uow:
        workspace = await uow.workspaces.by_slack_team(TEAM)
        assert workspace is not None
        found = await uow.accounts.list(workspace.id)
    secrets = [str(a.credentials["token"]) for a in found]
    assert len(secrets) == 2
    return secrets


@pytest.mark.parametrize("mode", ["token", "oauth"])
async def test_no_log_line_holds_a_token_a_secret_or_a_request_field(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    caplog.set_level(logging.DEBUG)
    for library in ("slack_bolt", "slack_sdk", "aiohttp"):
        caplog.set_level(logging.DEBUG, logger=library)
    settings = TOKEN_MODE if mode == "token" else OAUTH_MODE
    async with slack_bot(tmp_path, **settings) as bot:
        if mode == "oauth":
            await _install(bot)
        await _scenario(bot)
        secrets = {
            "signing secret": SIGNING_SECRET,
            "verification token": VERIFICATION_TOKEN,
            "trigger_id": TRIGGER,
            "response_url": bot.slack.response_url(""),
        }
        if mode == "oauth":
            secrets |= {
                "bot token": INSTALLED_TOKEN,
                "client secret": CLIENT_SECRET,
                "incoming webhook": WEBHOOK,
            }
        else:
            secrets["bot token"] = TOKEN_MODE["slack_bot_token"]
        for n, credential in enumerate(await _stored_credentials(bot)):
            secrets[f"account credential {n}"] = credential

    logged = _everything_logged(caplog)
    assert len(logged) > 20, "the scenario was logged at all"
    for what, secret in secrets.items():
        leaks = [line for line in logged if secret in line]
        assert not leaks, f"{what} in the logs:\n" + "\n".join(leaks[:3])

    refusals = [r for r in caplog.records if r.getMessage() == "slack request refused"]
    assert [(getattr(r, "reason", None), getattr(r, "team", None)) for r in refusals] == [
        ("bad signature", TEAM),
        ("stale timestamp", TEAM),
    ]
