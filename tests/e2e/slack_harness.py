"""The whole bot behind its real HTTP endpoint, talking to a fake Slack Web API.

Requests are signed exactly as Slack signs them (v0 HMAC-SHA256 of
``v0:{timestamp}:{body}`` with the signing secret), sent over HTTP to ``/slack/events``;
everything Slack would receive lands in the FakeSlack's records.
"""

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bot.app import App, build_app
from bot.settings import Settings
from bot.web import serve
from core.clock import ManualClock
from tests.slack_fake import FakeSlack
from tests.waiting import until

SIGNING_SECRET = "e2e-signing-secret"
# The payloads' legacy ``token`` field and trigger ids: distinctive, so a test can tell
# they never reach a log line.
VERIFICATION_TOKEN = "e2e-verification-token-7Qx"
TRIGGER = "e2e-trigger-"
TEAM = "T111"
START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


FORM = "application/x-www-form-urlencoded"


def signed_headers(
    body: str | bytes,
    *,
    secret: str = SIGNING_SECRET,
    at: int | None = None,
    content_type: str = FORM,
) -> dict[str, str]:
    """Slack's v0 signature over the raw body (bytes are signed as they are sent)."""
    timestamp = str(at if at is not None else int(time.time()))
    if isinstance(body, bytes):
        # Slack signs bytes; slack_sdk's helper decodes them first, which fails on a body
        # that is not UTF-8, so sign those the same way by hand.
        base = b"v0:" + timestamp.encode() + b":" + body
        signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    else:
        made = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
        assert made is not None
        signature = made
    return {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
        "Content-Type": content_type,
    }


def interaction_body(payload: dict[str, Any]) -> str:
    """An interactive payload as Slack posts it: one form field, ``payload``, of JSON."""
    return urlencode({"payload": json.dumps(payload)})


@dataclass
class SlackBot:
    app: App
    url: str
    clock: ManualClock
    slack: FakeSlack
    http: aiohttp.ClientSession
    serial: int = 0

    async def post(
        self, body: str | bytes, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        async with self.http.post(
            self.url + "/slack/events", data=body, headers=headers or signed_headers(body)
        ) as answer:
            return answer.status, await answer.text()

    async def command(
        self,
        text: str,
        *,
        user: str = "U1",
        channel: str = "C1",
        team: str = TEAM,
        expect_reply: bool = True,
    ) -> list[str]:
        """Run ``/trypost text`` and return the texts of what came back by response_url.

        ``expect_reply=False`` for a command answered elsewhere (the composer opens a
        modal): nothing is waited for, the caller waits for what it expects.
        """
        self.serial += 1
        name = f"cmd{self.serial}"
        body = urlencode(
            {
                "token": VERIFICATION_TOKEN,
                "team_id": team,
                "team_domain": "sandbox",
                "channel_id": channel,
                "channel_name": "general",
                "user_id": user,
                "user_name": user.lower(),
                "command": "/trypost",
                "text": text,
                "api_app_id": "A1",
                "response_url": self.slack.response_url(name),
                "trigger_id": f"{TRIGGER}{self.serial}",
            }
        )
        status, _ = await self.post(body)
        assert status == 200
        return await self.replies(name) if expect_reply else []

    async def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str = "U1",
        container: str = "message",
        team: str = TEAM,
        channel: str = "D1",
        message_ts: str = "1.1",
        wait: bool = True,
    ) -> list[str]:
        """Click a button; returns what came back by the click's response_url (its name
        is ``click<serial>``). ``wait=False`` for a click that opens a modal."""
        self.serial += 1
        name = f"click{self.serial}"
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": team, "domain": "sandbox"},
            "user": {"id": user, "username": user.lower(), "team_id": team},
            "api_app_id": "A1",
            "token": VERIFICATION_TOKEN,
            "trigger_id": f"{TRIGGER}{self.serial}",
            "container": {"type": container, "message_ts": message_ts, "channel_id": channel},
            "channel": {"id": channel, "name": "directmessage"},
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
        if container == "message":
            payload["response_url"] = self.slack.response_url(name)
            payload["message"] = {"ts": message_ts, "text": "x", "blocks": []}
        else:
            payload["view"] = {"id": "V1", "type": "home", "blocks": []}
        status, _ = await self.post(interaction_body(payload))
        assert status == 200
        return await self.replies(name) if container == "message" and wait else []

    async def click_in(self, message: dict[str, Any], action: str, **options: Any) -> list[str]:
        """Click the ``action`` button of a message we were sent (a DM's params)."""
        found = button(message, action)
        return await self.click(
            found["action_id"],
            found.get("value", ""),
            channel=str(message.get("channel", "D1")),
            message_ts=str(message.get("ts", "1.1")),
            **options,
        )

    def dms(self, user: str) -> list[dict[str, Any]]:
        """Every message the bot posted in its DM with ``user`` (via conversations.open)."""
        return self.slack.calls_to_channel("chat.postMessage", self.slack.dm_channel(user))

    async def modal(self, opened_before: int) -> dict[str, Any]:
        """The modal a click opened (the first views.open after ``opened_before`` calls)."""
        calls = await self.wait_for(lambda: self.slack.calls_to("views.open")[opened_before:])
        assert calls, "no modal was opened"
        view: dict[str, Any] = calls[0]["view"]
        return view

    async def submit(
        self, view: dict[str, Any], *, user: str = "U1", team: str = TEAM
    ) -> dict[str, Any]:
        """Submit a modal; returns the ack's JSON (errors, when refused) or {}."""
        payload = {
            "type": "view_submission",
            "team": {"id": team, "domain": "sandbox"},
            "user": {"id": user, "username": user.lower(), "team_id": team},
            "api_app_id": "A1",
            "token": VERIFICATION_TOKEN,
            "trigger_id": f"{TRIGGER}submit",
            "view": view,
        }
        status, text = await self.post(interaction_body(payload))
        assert status == 200, text
        return json.loads(text) if text.strip() else {}

    async def event(self, event: dict[str, Any]) -> None:
        body = json.dumps(
            {
                "token": VERIFICATION_TOKEN,
                "team_id": TEAM,
                "api_app_id": "A1",
                "event": event,
                "type": "event_callback",
                "event_id": f"Ev{self.serial}",
                "event_time": 1,
                "authorizations": [{"team_id": TEAM, "user_id": "U0KRQLJ9H", "is_bot": True}],
            }
        )
        headers = {**signed_headers(body), "Content-Type": "application/json"}
        status, _ = await self.post(body, headers)
        assert status == 200

    async def replies(self, name: str) -> list[str]:
        """Texts posted to one response_url, once the bot finished its work."""
        return [
            r.get("text", "") + "\n" + _block_text(r)
            for r in await self.wait_for(lambda: self.slack.responses_to(name))
        ]

    async def wait_for(self, read: Callable[[], list[Any]]) -> list[Any]:
        """What ``read()`` returns once every listener the bot started has finished.

        bolt acks first and works on in a task of its own; when none is left running,
        whatever the bot was going to post is posted (the fake Slack runs in this loop),
        so nothing here depends on how fast the machine is.
        """
        await until(lambda: not _listeners_running(), "the bot's listeners to finish")
        return list(read())

    async def advance(self, delta: Any) -> None:
        """Time passes: the scheduler ticks, tokens are kept and the outbox sends, as
        the worker would."""
        self.clock.advance(delta)
        await self.app.ticker.tick()
        if self.app.tokens is not None:
            await self.app.tokens.keep()
        await self.app.notify()


def button(message: dict[str, Any], action: str) -> dict[str, Any]:
    """The button of a message doing ``action`` (``approve``, ``changes``, ``members``…)."""
    for block in message.get("blocks") or []:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if str(element.get("action_id", "")).startswith(f"trypost:{action}#"):
                found: dict[str, Any] = element
                return found
    raise AssertionError(f"no {action} button in {message.get('text')!r}")


def filled(view: dict[str, Any], block: str, value: dict[str, Any]) -> dict[str, Any]:
    """The view as Slack submits it, with ``value`` in the input of ``block``."""
    element = next(b for b in view["blocks"] if b.get("block_id") == block)["element"]
    state = {block: {element["action_id"]: {"type": element["type"], **value}}}
    return {**view, "id": "VMODAL", "team_id": TEAM, "state": {"values": state}}


def rich_text(*parts: str) -> dict[str, Any]:
    """A rich_text_input's value: ``<@U…>`` parts become user elements, the rest text."""
    elements: list[dict[str, Any]] = []
    for part in parts:
        if part.startswith("<@") and part.endswith(">"):
            elements.append({"type": "user", "user_id": part[2:-1]})
        else:
            elements.append({"type": "text", "text": part})
    section = {"type": "rich_text_section", "elements": elements}
    return {"rich_text_value": {"type": "rich_text", "elements": [section]}}


def _block_text(message: dict[str, Any]) -> str:
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("text", "value", "action_id"):
                value = node.get(key)
                if isinstance(value, str):
                    parts.append(value)
            for value in node.values():
                if isinstance(value, dict | list):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks", []))
    return "\n".join(parts)


@asynccontextmanager
async def slack_bot(tmp_path: Path, **settings: Any) -> AsyncIterator[SlackBot]:
    async with FakeSlack(team_id=TEAM) as slack:
        options: dict[str, Any] = {
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'trypost.db'}",
            "secret_key": "e2e-secret",
            "slack_bot_token": "xoxb-000-e2e",
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": slack.base_url,
            "sandbox_dir": tmp_path / "sandbox-posts",
            "media_dir": tmp_path / "media",
            "outbox_dir": tmp_path / "outbox",
            "public_url": "https://trypost.example.com",
            **settings,
        }
        clock = ManualClock(START)
        app = await build_app(Settings(**options), clock=clock)
        runner = await serve(app.web_app(), 0, host="127.0.0.1")
        host, port = runner.addresses[0][:2]
        async with aiohttp.ClientSession() as http:
            try:
                yield SlackBot(app, f"http://{host}:{port}", clock, slack, http)
            finally:
                await runner.cleanup()
                await app.aclose()


def _listeners_running() -> bool:
    """Whether bolt is still running a listener after its ack (its task's coroutine is
    ``run_ack_function_asynchronously``, slack_bolt/listener/asyncio_runner.py)."""
    return any(
        not task.done() and "run_ack_function_asynchronously" in task.get_coro().__qualname__
        for task in asyncio.all_tasks()
    )
