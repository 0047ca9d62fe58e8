"""Slack end to end: the real bolt app behind our HTTP endpoint, a fake Slack Web API."""

import json
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from bot.slack import composer
from core.notifications.model import Channel, DeliveryStatus
from core.notifications.ports import InboxFilter
from core.notifications.types import NoticeType
from tests.e2e.slack_harness import SlackBot, signed_headers, slack_bot


async def setup_accounts(bot: SlackBot) -> None:
    await bot.command("accounts add sandbox brand")
    await bot.command("accounts add sandbox news")


async def test_a_bad_signature_or_stale_timestamp_is_refused_and_changes_nothing(
    tmp_path: Path,
) -> None:
    async with slack_bot(tmp_path) as bot:
        body = urlencode(
            {
                "team_id": "T111",
                "user_id": "U1",
                "command": "/trypost",
                "text": "accounts add sandbox brand",
                "response_url": "x",
            }
        )
        forged = signed_headers(body, secret="not-the-secret")
        assert (await bot.post(body, forged))[0] == 401
        stale = signed_headers(body, at=int(time.time()) - 600)
        assert (await bot.post(body, stale))[0] == 401
        replies = await bot.command("accounts")
        assert "No accounts yet" in replies[0]


async def test_slash_commands_run_the_grammar_with_roles(tmp_path: Path) -> None:
    async with slack_bot(tmp_path) as bot:
        [added] = await bot.command("accounts add sandbox brand")
        assert "Added sandbox account brand" in added
        [listed] = await bot.command("accounts")
        assert "brand" in listed
        [stranger] = await bot.command("accounts", user="U2")
        assert "not a member of this trypost workspace yet" in stranger
        [invited] = await bot.command("members invite <@U2|bob> viewer")
        assert "Invited @" in invited and "as viewer" in invited
        [waiting] = await bot.command("accounts", user="U2")
        assert "`members accept` to join" in waiting, "invited is not yet a member"
        [joined] = await bot.command("members accept", user="U2")
        assert "Welcome" in joined
        [refused] = await bot.command("accounts add sandbox other", user="U2")
        assert "Your role (viewer) cannot manage accounts" in refused
        [promoted] = await bot.command("members role <@U2|bob> editor")
        assert "is now editor" in promoted
        [removed] = await bot.command("members remove <@U2|bob>")
        assert "no longer a member" in removed
        [gone] = await bot.command("accounts", user="U2")
        assert "not a member" in gone, "a removed member does not come back by themselves"
        [unknown] = await bot.command("shedule")
        assert "Did you mean `schedule`" in unknown


async def test_schedule_tick_failure_dm_and_retry_button(tmp_path: Path) -> None:
    async with slack_bot(tmp_path) as bot:
        await setup_accounts(bot)
        await bot.command("accounts mode news fail")
        [scheduled] = await bot.command('schedule "Launch day" at in 10 minutes')
        assert "Scheduled post 1" in scheduled
        await bot.advance(timedelta(minutes=15))
        dms = [c for c in bot.slack.calls_to("chat.postMessage") if "partially" in c["text"]]
        assert dms and dms[0]["channel"] == bot.slack.dm_channel("U1")
        retry = [
            e
            for block in dms[0]["blocks"]
            if block["type"] == "actions"
            for e in block["elements"]
            if e["action_id"].startswith("trypost:retry")
        ]
        assert retry and retry[0]["value"] == "1"
        await bot.command("accounts mode news ok")
        before = sorted((tmp_path / "sandbox-posts").rglob("*.json"))
        replies = await bot.click(retry[0]["action_id"], retry[0]["value"])
        assert "Retrying post 1" in replies[0]
        assert "✅" in replies[-1] and "published" in replies[-1]
        after = sorted((tmp_path / "sandbox-posts").rglob("*.json"))
        assert [p.parent.name for p in after if p not in before] == ["news"], "only the failed one"
        again = await bot.click(retry[0]["action_id"], retry[0]["value"])
        assert "nothing to retry" in again[-1]
        assert len(sorted((tmp_path / "sandbox-posts").rglob("*.json"))) == len(after)


async def test_publish_now_answers_with_one_message_updated_live(tmp_path: Path) -> None:
    async with slack_bot(tmp_path) as bot:
        await setup_accounts(bot)
        replies = await bot.command('now "Hot off the press"')
        assert "Publishing post 1" in replies[0]
        assert "Post 1 published" in replies[-1]
        responses = bot.slack.responses_to(f"cmd{bot.serial}")
        assert all(r.get("replace_original") for r in responses[1:])


async def test_the_composer_modal_validates_inline_and_confirms(tmp_path: Path) -> None:
    async with slack_bot(tmp_path) as bot:
        await setup_accounts(bot)
        await bot.command("schedule", expect_reply=False)
        [opened] = await bot.wait_for(lambda: bot.slack.calls_to("views.open"))
        assert "One moment" in json.dumps(opened["view"]), "opened at once, filled after"
        [filled] = await bot.wait_for(lambda: bot.slack.calls_to("views.update"))
        view = filled["view"]
        assert view["callback_id"] == composer.CALLBACK_ID
        options = view["blocks"][1]["element"]["options"]
        assert [o["value"] for o in options] == ["brand", "news"]

        def submitted(text: str, epoch: int, mode: str = "schedule") -> dict[str, object]:
            return {
                **view,
                "state": {
                    "values": {
                        "text": {"text": {"type": "plain_text_input", "value": text}},
                        "accounts": {"accounts": {"selected_options": [options[0]]}},
                        "when": {"when": {"selected_date_time": epoch}},
                        "labels": {"labels": {"value": "launch"}},
                        "mode": {"mode": {"selected_option": {"value": mode}}},
                    }
                },
            }

        past = int((bot.clock.now() - timedelta(hours=1)).timestamp())
        refused = await bot.submit(submitted("Modal post", past))
        assert refused["response_action"] == "errors" and "in the past" in refused["errors"]["when"]
        future = int((bot.clock.now() + timedelta(hours=2)).timestamp())
        assert await bot.submit(submitted("Modal post", future)) == {}
        command = f"cmd{bot.serial}"  # the slash command's response_url answers
        [confirmation] = await bot.wait_for(lambda: bot.slack.responses_to(command))
        assert "Scheduled post 1" in confirmation["text"]
        [listed] = await bot.command("list")
        assert "Modal post" in listed and "#launch" in listed


async def test_presence_decides_away_only_email(tmp_path: Path) -> None:
    async with slack_bot(tmp_path) as bot:
        await setup_accounts(bot)
        await bot.command("accounts mode news fail")
        await bot.command("settings notifications away-only on")
        bot.slack.presence["U1"] = "active"
        await bot.command('schedule "One" at in 10 minutes')
        await bot.advance(timedelta(minutes=15))
        emails = lambda: sorted((tmp_path / "outbox").glob("*.eml"))  # noqa: E731
        failing = [p for p in emails() if "partially" in p.read_text()]
        assert failing == []
        bot.slack.presence["U1"] = "away"
        await bot.advance(timedelta(minutes=2))  # past the presence cache
        await bot.command('schedule "Two" at in 10 minutes')
        await bot.advance(timedelta(minutes=15))
        failing = [p for p in emails() if "partially" in p.read_text()]
        assert len(failing) == 1


async def test_app_home_shows_upcoming_failed_drafts_and_unread(tmp_path: Path) -> None:
    async with slack_bot(tmp_path) as bot:
        await setup_accounts(bot)
        await bot.command('schedule "Soon" at in 2 hours')
        await bot.command('draft "Idea"')
        await bot.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
        [published] = await bot.wait_for(lambda: bot.slack.calls_to("views.publish"))
        text = json.dumps(published["view"])
        assert "Upcoming" in text and "Soon" in text and "Drafts" in text and "Idea" in text
        assert published["user_id"] == "U1"


async def test_oauth_install_stores_an_encrypted_token_that_then_serves_the_team(
    tmp_path: Path,
) -> None:
    import re
    import sqlite3

    async with slack_bot(
        tmp_path, slack_bot_token=None, slack_client_id="111.222", slack_client_secret="shh"
    ) as bot:
        bot.slack.answers["oauth.v2.access"] = {
            "ok": True,
            "app_id": "A0KRD7HC3",
            "access_token": "xoxb-000-installed-token",
            "token_type": "bot",
            "scope": "commands,chat:write",
            "bot_user_id": "U0KRQLJ9H",
            "team": {"id": "T111", "name": "Sandbox"},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": "U1"},
        }
        async with bot.http.get(bot.url + "/slack/install", allow_redirects=False) as page:
            assert page.status in (200, 302)
            html = await page.text()
            cookie = page.headers.getall("Set-Cookie")[0].split(";")[0]
        authorize = re.search(r"https://slack.com/oauth/v2/authorize\?[^\"']+", html)
        assert authorize and "client_id=111.222" in authorize[0]
        state = re.search(r"state=([^&\"']+)", authorize[0])
        assert state
        async with bot.http.get(
            bot.url + f"/slack/oauth_redirect?code=abc&state={state[1]}",
            headers={"Cookie": cookie},
        ) as done:
            assert done.status == 200, await done.text()
        assert bot.slack.calls_to("oauth.v2.access")
        rows = (
            sqlite3.connect(tmp_path / "trypost.db")
            .execute("select bot_token from slack_bots")
            .fetchall()
        )
        assert rows and rows[0][0].startswith("enc:") and "installed-token" not in rows[0][0]
        [answer] = await bot.command("accounts")
        assert "No accounts yet" in answer
        auth = bot.slack.calls_to("auth.test") + bot.slack.calls_to("users.info")
        assert any(c.get("token") == "xoxb-000-installed-token" for c in auth)


async def test_a_dm_refused_with_429_or_500_is_delivered_once_later(tmp_path: Path) -> None:
    async with slack_bot(tmp_path) as bot:
        await setup_accounts(bot)
        await bot.command("accounts mode news fail")
        await bot.command('schedule "Busy Slack" at in 10 minutes')
        # The client waits the 429s' Retry-After out itself (one wait for the whole
        # workspace); the 500s are the outbox's to retry, with its backoff.
        bot.slack.fail_next("chat.postMessage", times=3)
        bot.slack.fail_next("chat.postMessage", times=2, status=500)
        await bot.advance(timedelta(minutes=15))
        for _ in range(6):
            await bot.advance(timedelta(minutes=2))
        posts = [c for c in bot.slack.calls_to("chat.postMessage") if "Busy" in c["text"]]
        assert len(posts) == 3 + 2 + 1, "every refusal was retried, then one success"
        async with bot.app.uow() as uow:
            box = await uow.notifications.inbox(1, InboxFilter(limit=10))
            deliveries = [d for n in box for d in await uow.deliveries.of_notification(n.id)]
        dms = [d for d in deliveries if d.channel is Channel.CHAT_DM and d.notification_id in
               {n.id for n in box if n.type is NoticeType.POST_FAILED}]  # fmt: skip
        assert [(d.status, d.attempts) for d in dms] == [(DeliveryStatus.SENT, 3)]


async def test_a_mention_is_matched_by_slack_id_not_by_a_shared_name(tmp_path: Path) -> None:
    async with slack_bot(tmp_path) as bot:
        await bot.command("members invite <@U2|bob> admin")
        bot.slack.users["U3"] = {"display_name": "U2"}  # someone else, named like the first
        [refused] = await bot.command("members role <@U3|U2> viewer")
        assert "is not a member here" in refused
        [listed] = await bot.command("members")
        assert "admin" in listed


async def test_opening_home_makes_nobody_a_member(tmp_path: Path) -> None:
    async with slack_bot(tmp_path) as bot:
        await bot.event({"type": "app_home_opened", "user": "U9", "channel": "D9", "tab": "home"})
        [welcome] = await bot.wait_for(lambda: bot.slack.calls_to("views.publish"))
        assert "Type `/trypost help`" in json.dumps(welcome["view"])
        [owner] = await bot.command("accounts", user="U1")
        assert "No accounts yet" in owner, "the first person to use /trypost is the owner"


async def test_app_uninstalled_forgets_the_installation(tmp_path: Path) -> None:
    import sqlite3

    async with slack_bot(
        tmp_path, slack_bot_token=None, slack_client_id="111.222", slack_client_secret="shh"
    ) as bot:
        store = bot.app.slack.bolt.installation_store if bot.app.slack else None
        assert store is not None
        from slack_sdk.oauth.installation_store import Installation

        await store.async_save(
            Installation(
                app_id="A1",
                team_id="T111",
                user_id="U1",
                bot_token="xoxb-000-to-forget",
                bot_id="B1",
                bot_user_id="U0KRQLJ9H",
            )
        )
        db = tmp_path / "trypost.db"
        assert sqlite3.connect(db).execute("select count(*) from slack_bots").fetchone()[0] == 1
        await bot.event({"type": "app_uninstalled"})
        rows = await bot.wait_for(
            lambda: (
                [1]
                if sqlite3.connect(db).execute("select count(*) from slack_bots").fetchone()[0] == 0
                else []
            )
        )
        assert rows == [1], "the bot token is gone once Slack says the app was uninstalled"
