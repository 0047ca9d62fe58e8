"""Bad requests over the real ``/slack/events`` endpoint: refused in words, never a traceback.

Unsigned requests are refused (401) before anything reads their body; signed ones that
are not what Slack sends are refused as bad requests (400); signed interactive payloads
with odd contents get a 200 and either a clear private reply or nothing at all.
"""

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.e2e.slack_harness import (
    FORM,
    TEAM,
    SlackBot,
    interaction_body,
    signed_headers,
    slack_bot,
)

# (what is odd, body, content type): each is refused before any parsing when unsigned,
# and as a bad request when signed.
MALFORMED: list[tuple[str, bytes, str]] = [
    ("a body that is not UTF-8", b"command=%2Ftrypost&text=\xff", FORM),
    ("a payload that is not JSON", b"payload=%7Bnot-json", FORM),
    ("a payload that is not an object", b"payload=%5B1%2C2%5D", FORM),
    ("a payload whose team is not an object", b"payload=%7B%22team%22%3A5%7D", FORM),
    # Found by tests/e2e/test_slack_fuzz.py: each was a 500 or a listener traceback.
    ("a view that is null", b"payload=%7B%22type%22%3A%22shortcut%22%2C%22view%22%3Anull%7D", FORM),
    (
        "a view without its type",
        b"payload=%7B%22type%22%3A%22view_submission%22%2C%22view%22%3A%7B%22callback_id%22%3A%22x%22%7D%7D",
        FORM,
    ),
    ("a response_url that is no URL", b"command=%2Ftrypost&text=help&response_url=not+a+url", FORM),
    ("a JSON content type over a form body", b"command=%2Ftrypost&text=help", "application/json"),
    ("JSON that is not an object", b"[1, 2]", "application/json"),
    ("an unknown charset", b"command=%2Ftrypost&text=help", f"{FORM}; charset=klingon"),
    ("a charset that is not UTF-8", b"command=%2Ftrypost&text=help", f"{FORM}; charset=utf-16"),
]


@pytest.fixture
def quiet(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Fails the test if anything logs an error or a traceback while it runs."""
    caplog.set_level(logging.INFO)
    yield caplog
    loud = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not loud, [f"{r.name}: {r.getMessage()}" for r in loud]


def _button(
    bot: SlackBot, name: str | None, *actions: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "sandbox"},
        "user": {"id": "U1", "username": "u1", "team_id": TEAM},
        "api_app_id": "A1",
        "token": "x",
        "trigger_id": "trigger-1",
        "container": {"type": "message", "message_ts": "1.1", "channel_id": "D1"},
        "channel": {"id": "D1", "name": "directmessage"},
        "message": {"ts": "1.1", "text": "x", "blocks": []},
        "actions": list(actions),
        **extra,
    }
    if name is not None:
        payload["response_url"] = bot.slack.response_url(name)
    return payload


def _action(action_id: str, value: str) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "block_id": "b",
        "value": value,
        "action_ts": "1.2",
        "text": {"type": "plain_text", "text": "x"},
    }


def _texts(responses: list[dict[str, Any]]) -> str:
    return "\n".join(json.dumps(r) for r in responses)


async def test_unsigned_requests_are_refused_before_their_body_is_read(
    tmp_path: Path, quiet: pytest.LogCaptureFixture
) -> None:
    async with slack_bot(tmp_path) as bot:
        for odd, body, content_type in MALFORMED:
            status, _ = await bot.post(body, {"Content-Type": content_type})
            assert status == 401, odd
            forged = signed_headers(body, secret="not-the-secret", content_type=content_type)
            assert (await bot.post(body, forged))[0] == 401, odd
        for not_a_time in ("soon", "①②③", "１７００００００００"):  # digits, but not ASCII ones
            headers = {**signed_headers(b"text=help"), "X-Slack-Request-Timestamp": not_a_time}
            assert (await bot.post(b"text=help", headers))[0] == 401
        assert bot.slack.calls == [], "nothing reached bolt or Slack"


async def test_signed_requests_that_slack_would_never_send_are_bad_requests(
    tmp_path: Path, quiet: pytest.LogCaptureFixture
) -> None:
    async with slack_bot(tmp_path) as bot:
        for odd, body, content_type in MALFORMED:
            status, text = await bot.post(body, signed_headers(body, content_type=content_type))
            assert status == 400, odd
            assert "Traceback" not in text
        [still] = await bot.command("accounts")
        assert "No accounts yet" in still


async def test_odd_buttons_get_a_clear_private_reply_or_nothing(
    tmp_path: Path, quiet: pytest.LogCaptureFixture
) -> None:
    async with slack_bot(tmp_path) as bot:
        await bot.command("accounts add sandbox brand")
        before = len(bot.slack.calls)

        # No action at all: nothing to do, nothing said.
        status, _ = await bot.post(interaction_body(_button(bot, "empty")))
        assert status == 200
        await bot.wait_for(lambda: bot.slack.responses_to("empty"))
        assert bot.slack.responses_to("empty") == []
        assert [m for m, _ in bot.slack.calls[before:] if m != "auth.test"] == []

        # An action id without its "#n": not a button we drew.
        status, _ = await bot.post(
            interaction_body(_button(bot, "nohash", _action("trypost:retry", "1")))
        )
        assert status == 200
        [answer] = await bot.wait_for(lambda: bot.slack.responses_to("nohash"))
        assert "button" in answer["text"].lower() and "went wrong" not in answer["text"]
        assert answer["replace_original"] is False

        # A button whose target does not parse: the grammar's own words.
        status, _ = await bot.post(
            interaction_body(_button(bot, "garbage", _action("trypost:retry#0", "not-a-post")))
        )
        assert status == 200
        [answer] = await bot.wait_for(lambda: bot.slack.responses_to("garbage"))
        assert "went wrong" not in answer["text"] and answer["replace_original"] is False

        # No response_url: the answer goes beside the message as an ephemeral one.
        status, _ = await bot.post(
            interaction_body(_button(bot, None, _action("trypost:show#0", "99")))
        )
        assert status == 200
        [ephemeral] = await bot.wait_for(lambda: bot.slack.calls_to("chat.postEphemeral"))
        assert ephemeral["channel"] == "D1" and ephemeral["user"] == "U1"
        assert "99" in ephemeral["text"] and "went wrong" not in ephemeral["text"]


async def test_a_command_without_a_trigger_id_says_the_composer_cannot_open(
    tmp_path: Path, quiet: pytest.LogCaptureFixture
) -> None:
    async with slack_bot(tmp_path) as bot:
        await bot.command("accounts")
        body = urlencode(
            {
                "team_id": TEAM,
                "user_id": "U1",
                "channel_id": "C1",
                "command": "/trypost",
                "text": "schedule",
                "response_url": bot.slack.response_url("notrigger"),
            }
        )
        assert (await bot.post(body))[0] == 200
        [answer] = await bot.wait_for(lambda: bot.slack.responses_to("notrigger"))
        assert "composer" in answer["text"] and "went wrong" not in answer["text"]
        assert bot.slack.calls_to("views.open") == []


def _composer_state(text: str, when: object) -> dict[str, Any]:
    return {
        "values": {
            "text": {"text": {"type": "plain_text_input", "value": text}},
            "when": {"when": {"type": "datetimepicker", "selected_date_time": when}},
            "mode": {"mode": {"selected_option": {"value": "schedule"}}},
        }
    }


def _submission(view: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "sandbox"},
        "user": {"id": "U1", "username": "u1", "team_id": TEAM},
        "api_app_id": "A1",
        "token": "x",
        "trigger_id": "t",
        "view": {"id": "V1", "type": "modal", "callback_id": "trypost_composer", **view},
    }


async def test_odd_composer_submissions_are_answered_in_the_modal_or_by_dm(
    tmp_path: Path, quiet: pytest.LogCaptureFixture
) -> None:
    async with slack_bot(tmp_path) as bot:
        await bot.command("accounts add sandbox brand")
        soon = int((bot.clock.now() + timedelta(hours=2)).timestamp())

        # A date that is not a number: refused inline, under the date.
        status, text = await bot.post(
            interaction_body(_submission({"state": _composer_state("Odd", "tomorrow")}))
        )
        assert status == 200
        answer = json.loads(text)
        assert answer["response_action"] == "errors" and "when" in answer["errors"]

        # Private metadata that is not ours: the post is still saved, the answer is a DM.
        for metadata in ("{not json", "[1, 2]", '{"response_url": 5}'):
            view = {"private_metadata": metadata, "state": _composer_state("Meta", soon)}
            status, text = await bot.post(interaction_body(_submission(view)))
            assert status == 200 and not text.strip(), metadata
        dms = await bot.wait_for(
            lambda: [c for c in bot.slack.calls_to("chat.postMessage") if "Scheduled" in c["text"]]
        )
        assert len(dms) == 3 and all(c["channel"] == "U1" for c in dms)
        [listed] = await bot.command("list")
        assert all(f"#{n} " in listed for n in (1, 2, 3)) and "#4" not in listed


async def test_a_viewers_retry_click_answers_beside_the_message_and_never_replaces_it(
    tmp_path: Path,
) -> None:
    async with slack_bot(tmp_path) as bot:
        await bot.command("accounts add sandbox brand")
        await bot.command("accounts mode brand fail")
        await bot.command('now "Doomed"')
        await bot.command("members invite <@U2|bob> viewer")
        await bot.command("members accept", user="U2")
        replies = await bot.click("trypost:retry#0", "1", user="U2")
        responses = bot.slack.responses_to(f"click{bot.serial}")
        assert responses and all(r.get("replace_original") is False for r in responses)
        assert "viewer" in replies[-1] and "Retrying" not in "".join(replies)
        [shown] = await bot.command("show 1")
        assert "failed" in shown.lower(), "the refused click retried nothing"


async def test_a_reply_slack_cannot_take_is_noted_without_a_traceback(
    tmp_path: Path, quiet: pytest.LogCaptureFixture
) -> None:
    """Found by bench/fuzz_slack.py: the response_url unreachable (Slack's side down)
    logged "slack listener failed" with a traceback."""
    async with slack_bot(tmp_path) as bot:
        body = urlencode(
            {
                "command": "/trypost",
                "text": "accounts add sandbox news",
                "user_id": "U1",
                "team_id": TEAM,
                "channel_id": "C1",
                "trigger_id": "t1",
                "response_url": "http://127.0.0.1:1/unreachable",
            }  # fmt: skip
        )
        status, _ = await bot.post(body, signed_headers(body))
        assert status == 200
        await bot.wait_for(list)
        [listed] = await bot.command("accounts")
        assert "news" in listed, "the work was done; only its answer was lost"
    assert any("could not answer on slack" in r.getMessage() for r in quiet.records)
