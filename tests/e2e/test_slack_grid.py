"""Enterprise Grid end to end, driven by the org-level payloads of Slack's docs.

An org-wide installation is stored under the org (``E111``) with no team; the member's
workspace is the team (``T111``) their commands, buttons, modals and DMs all belong to.
"""

import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from slack_sdk.oauth.installation_store import Installation

from tests.e2e.slack_harness import SlackBot, interaction_body, signed_headers, slack_bot

FIXTURES = Path("/work/shared/fixtures/slack")
ORG, TEAM, USER = "E111", "T111", "W111"
ORG_TOKEN = "xoxb-000-org-wide"
OAUTH = {"slack_bot_token": None, "slack_client_id": "111.222", "slack_client_secret": "shh"}


def fixture(name: str) -> str:
    if not (FIXTURES / name).exists():
        pytest.skip(f"shared fixtures not on this machine: {FIXTURES}")
    return (FIXTURES / name).read_text().strip()


async def install(bot: SlackBot, *, team: str | None, org_wide: bool, token: str) -> None:
    store = bot.app.slack.bolt.installation_store if bot.app.slack else None
    assert store is not None
    await store.async_save(
        Installation(
            app_id="A111",
            enterprise_id=ORG,
            enterprise_name="Sandbox Org",
            team_id=team,
            user_id=USER,
            bot_token=token,
            bot_id="B111",
            bot_user_id="U0KRQLJ9H",
            is_enterprise_install=org_wide,
        )
    )


async def command(bot: SlackBot, sample: str, text: str, *, expect_reply: bool = True) -> list[str]:
    """The docs' slash command sample, as /trypost with our text and response_url."""
    bot.serial += 1
    name = f"grid{bot.serial}"
    params = dict(parse_qsl(fixture(sample), keep_blank_values=True))
    params.update(command="/trypost", text=text, response_url=bot.slack.response_url(name))
    body = urlencode(params)
    status, _ = await bot.post(body, signed_headers(body))
    assert status == 200
    return await bot.replies(name) if expect_reply else []


async def click(bot: SlackBot, action_id: str, value: str) -> list[dict[str, Any]]:
    """The docs' Grid button payload (team with enterprise_id, no is_enterprise_install)."""
    bot.serial += 1
    name = f"gridclick{bot.serial}"
    payload = json.loads(fixture("block_actions_button_message.json"))
    payload["actions"][0].update(action_id=action_id, value=value)
    payload["response_url"] = bot.slack.response_url(name)
    status, _ = await bot.post(interaction_body(payload))
    assert status == 200
    return await bot.wait_for(lambda: bot.slack.responses_to(name))


async def failing_post_dm(bot: SlackBot, sample: str) -> dict[str, Any]:
    """Schedule a post that fails on one account; the failure notice is DM'd."""
    [scheduled] = await command(bot, sample, 'schedule "Grid" at in 10 minutes')
    assert "Scheduled post" in scheduled
    await bot.advance(timedelta(minutes=15))
    [dm] = await bot.wait_for(
        lambda: [c for c in bot.slack.calls_to("chat.postMessage") if "partially" in c["text"]]
    )
    return dm


async def test_an_org_wide_install_serves_commands_buttons_modals_home_and_dms(
    tmp_path: Path,
) -> None:
    async with slack_bot(tmp_path, **OAUTH) as bot:
        bot.slack.orgs[ORG_TOKEN] = (ORG, ["T000", "T001", TEAM])  # T111 on the 2nd page
        await install(bot, team=None, org_wide=True, token=ORG_TOKEN)

        # A command (org-level: is_enterprise_install=true) makes W111 the owner of T111.
        [added] = await command(
            bot, "slash_command_org_level_app.txt", "accounts add sandbox brand"
        )
        assert "Added sandbox account brand" in added
        # A workspace-level command sample of the same org reaches the same workspace.
        [listed] = await command(bot, "slash_command_enterprise_grid.txt", "accounts")
        assert "brand" in listed
        await command(bot, "slash_command_org_level_app.txt", "accounts add sandbox news")
        await command(bot, "slash_command_org_level_app.txt", "accounts mode news fail")

        # A DM: found through the org's install, which Slack says serves T111.
        dm = await failing_post_dm(bot, "slash_command_org_level_app.txt")
        assert dm["token"] == ORG_TOKEN and dm["channel"] == bot.slack.dm_channel(USER)
        retry = [
            e
            for block in dm["blocks"]
            if block["type"] == "actions"
            for e in block["elements"]
            if e["action_id"].startswith("trypost:retry")
        ]
        assert retry

        # A button from the docs' Grid sample, in the same workspace.
        await command(bot, "slash_command_org_level_app.txt", "accounts mode news ok")
        answers = await click(bot, retry[0]["action_id"], retry[0]["value"])
        assert "published" in answers[-1]["text"]

        # A modal submitted from the org app (team null, app_installed_team_id = the org).
        await command(bot, "slash_command_org_level_app.txt", "schedule", expect_reply=False)
        [filled] = await bot.wait_for(lambda: bot.slack.calls_to("views.update"))
        sample = json.loads(fixture("view_submission_org_app_timepicker.json"))
        soon = int((bot.clock.now() + timedelta(hours=2)).timestamp())
        sample["view"].update(
            callback_id=filled["view"]["callback_id"],
            private_metadata=filled["view"]["private_metadata"],
            blocks=filled["view"]["blocks"],
            state={
                "values": {
                    "text": {"text": {"type": "plain_text_input", "value": "From the modal"}},
                    "when": {"when": {"type": "datetimepicker", "selected_date_time": soon}},
                    "mode": {"mode": {"selected_option": {"value": "schedule"}}},
                }
            },
        )
        status, text = await bot.post(interaction_body(sample))
        assert status == 200 and not text.strip(), text
        [listed] = await command(bot, "slash_command_org_level_app.txt", "list")
        assert "From the modal" in listed, "the modal's post is in the member's workspace"
        async with bot.app.uow() as uow:
            assert await uow.workspaces.by_slack_team(ORG) is None

        # Home, from the org-install event sample: the member's own Home, not a welcome.
        event = json.loads(fixture("event_app_home_opened_org_install.json"))
        event["event"]["tab"] = "home"
        body = json.dumps(event)
        headers = {**signed_headers(body), "Content-Type": "application/json"}
        assert (await bot.post(body, headers))[0] == 200
        [home] = await bot.wait_for(lambda: bot.slack.calls_to("views.publish"))
        assert home["user_id"] == USER and "Upcoming" in json.dumps(home["view"])


async def test_a_workspace_install_inside_an_org_sends_its_dms(tmp_path: Path) -> None:
    async with slack_bot(tmp_path, **OAUTH) as bot:
        await install(bot, team=TEAM, org_wide=False, token="xoxb-000-workspace")
        await command(bot, "slash_command_enterprise_grid.txt", "accounts add sandbox brand")
        await command(bot, "slash_command_enterprise_grid.txt", "accounts add sandbox news")
        await command(bot, "slash_command_enterprise_grid.txt", "accounts mode news fail")
        dm = await failing_post_dm(bot, "slash_command_enterprise_grid.txt")
        assert dm["token"] == "xoxb-000-workspace"
        assert bot.slack.calls_to("auth.teams.list") == [], "its own install: no org to ask"
