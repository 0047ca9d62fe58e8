"""Installation lifecycle on Slack: revocation events, who can be invited, secrets at rest."""

import json
import re
import sqlite3
from pathlib import Path

from slack_sdk.oauth.installation_store import Installation

from tests.e2e.slack_harness import SlackBot, signed_headers, slack_bot

WEBHOOK = "https://hooks.slack.com/services/T111/B222/abcdefghijklmnopqrstuvwx"
OAUTH = {"slack_bot_token": None, "slack_client_id": "111.222", "slack_client_secret": "shh"}


def _event(kind: str, **event: object) -> str:
    return json.dumps(
        {
            "token": "x",
            "team_id": "T111",
            "api_app_id": "A1",
            "event": {"type": kind, **event},
            "type": "event_callback",
            "event_id": f"Ev-{kind}",
            "event_time": 1,
            "authorizations": [{"team_id": "T111", "user_id": "U0KRQLJ9H", "is_bot": True}],
        }
    )


async def test_token_mode_acknowledges_app_uninstalled_and_tokens_revoked(
    tmp_path: Path,
) -> None:
    async with slack_bot(tmp_path) as bot:
        for body in (
            _event("app_uninstalled"),
            _event("tokens_revoked", tokens={"oauth": ["U1"], "bot": ["U0KRQLJ9H"]}),
        ):
            headers = {**signed_headers(body), "Content-Type": "application/json"}
            status, _ = await bot.post(body, headers)
            assert status == 200, body


async def test_only_a_real_user_mention_can_be_invited(tmp_path: Path) -> None:
    async with slack_bot(tmp_path) as bot:
        await bot.command("accounts")  # U1 is the owner
        for target in (
            "<!channel>",
            "<!here>",
            "<!subteam^S0614TZR7|@design>",
            "<#C0123ABC|general>",
            "alice",
            "@alice",
        ):
            [refused] = await bot.command(f"members invite {target} editor")
            assert "Invite a person by mentioning them" in refused, target
            assert "joins as" not in refused
            assert "<!" not in refused, "the refusal itself never pings a channel"
        [listed] = await bot.command("members")
        assert "Members: 1" in listed
        [invited] = await bot.command("members invite <@W222|grid-user> editor")
        assert "as editor; they join" in invited, "Grid user ids (W…) are people too"


async def _install_by_oauth(bot: SlackBot) -> None:
    bot.slack.answers["oauth.v2.access"] = {
        "ok": True,
        "app_id": "A0KRD7HC3",
        "access_token": "xoxb-000-installed-token",
        "token_type": "bot",
        "scope": "commands,chat:write,incoming-webhook",
        "bot_user_id": "U0KRQLJ9H",
        "team": {"id": "T111", "name": "Sandbox"},
        "enterprise": None,
        "is_enterprise_install": False,
        "authed_user": {"id": "U1"},
        "incoming_webhook": {
            "channel": "#general",
            "channel_id": "C111",
            "configuration_url": "https://sandbox.slack.com/services/B222",
            "url": WEBHOOK,
        },
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


async def test_the_incoming_webhook_url_is_stored_encrypted(tmp_path: Path) -> None:
    async with slack_bot(tmp_path, **OAUTH) as bot:
        await _install_by_oauth(bot)
        db = sqlite3.connect(tmp_path / "trypost.db")
        [(raw,)] = db.execute("select incoming_webhook_url from slack_installations").fetchall()
        assert raw.startswith("enc:") and "hooks.slack.com" not in raw and "abcdefgh" not in raw
        store = bot.app.slack.bolt.installation_store if bot.app.slack else None
        assert store is not None
        found = await store.async_find_installation(enterprise_id=None, team_id="T111")
        assert found is not None and found.incoming_webhook_url == WEBHOOK

        # A row written before the URL was sealed still reads as it was.
        await store.async_save(
            Installation(
                app_id="A1",
                team_id="T222",
                user_id="U9",
                bot_token="xoxb-000-other",
                incoming_webhook_url="https://hooks.slack.com/services/T222/B1/old",
            )
        )
        db.execute(
            "update slack_installations set incoming_webhook_url = ? where team_id = 'T222'",
            ("https://hooks.slack.com/services/T222/B1/old",),
        )
        db.commit()
        old = await store.async_find_installation(enterprise_id=None, team_id="T222")
        assert old is not None
        assert old.incoming_webhook_url == "https://hooks.slack.com/services/T222/B1/old"
