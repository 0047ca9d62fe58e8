"""`trypost run` over Socket Mode (issue 8, point 5): a real process, the real slack_sdk
client, a loopback Socket Mode server and a fake Web API.

Commands, buttons and the composer arrive as envelopes and are acknowledged by envelope
id; replies reach the fake Web API or the response_url. When Slack asks for a refresh
(``disconnect``) or the socket drops, the client fetches a new URL and carries on.
"""

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.e2e.test_serve import free_port
from tests.slack_fake import FakeSlack
from tests.socket_mode_fake import FakeSocketMode

ROOT = Path(__file__).resolve().parents[2]
TEAM = "T111"
APP_TOKEN = "xapp-1-A1-e2e-socket-mode"


@dataclass
class Running:
    slack: FakeSlack
    sockets: FakeSocketMode
    serial: int = 0

    async def command(self, text: str, *, user: str = "U1") -> tuple[dict[str, Any], str]:
        """Send ``/trypost text``; returns the ack and the response_url's name."""
        self.serial += 1
        name = f"sm{self.serial}"
        payload = {
            "token": "verification-token",
            "team_id": TEAM,
            "team_domain": "sandbox",
            "channel_id": "C1",
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/trypost",
            "text": text,
            "api_app_id": "A1",
            "is_enterprise_install": "false",
            "response_url": self.slack.response_url(name),
            "trigger_id": f"trigger-{self.serial}",
        }
        return await self.sockets.send("slash_commands", payload), name

    async def interactive(self, payload: dict[str, Any]) -> dict[str, Any]:
        base = {
            "token": "verification-token",
            "team": {"id": TEAM, "domain": "sandbox"},
            "user": {"id": "U1", "username": "u1", "team_id": TEAM},
            "api_app_id": "A1",
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return await self.sockets.send("interactive", {**base, **payload})

    async def reply(self, name: str, wanted: str = "") -> str:
        """The text of the latest post to a response_url that contains ``wanted``."""

        def found() -> list[dict[str, Any]]:
            return [r for r in self.slack.responses_to(name) if wanted in str(r.get("text"))]

        return str((await _eventually(found))[-1]["text"])


async def _eventually(read: Callable[[], list[Any]], within: float = 10) -> list[Any]:
    """Poll until ``read()`` gives something (the bot answers after its ack)."""
    deadline = asyncio.get_running_loop().time() + within
    while not (found := read()):
        assert asyncio.get_running_loop().time() < deadline, "nothing arrived"
        await asyncio.sleep(0.05)
    return found


def _env(tmp_path: Path, slack: FakeSlack) -> dict[str, str]:
    kept = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TRYPOST_", "SLACK_", "DISCORD_")) and "proxy" not in k.lower()
    }
    return {
        **kept,
        # This checkout's code, whichever one the venv was installed from.
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": "xoxb-000-socket-mode",
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_SIGNING_SECRET": "socket-mode-signing-secret",
        "TRYPOST_SLACK_API_URL": slack.base_url,
        "TRYPOST_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'trypost.db'}",
        "TRYPOST_SECRET_KEY": "socket-mode-secret-key",
        "TRYPOST_SANDBOX_DIR": str(tmp_path / "sandbox-posts"),
        "TRYPOST_MEDIA_DIR": str(tmp_path / "media"),
        "TRYPOST_OUTBOX_DIR": str(tmp_path / "outbox"),
        "PORT": str(free_port()),
    }


@asynccontextmanager
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    async with FakeSlack(team_id=TEAM) as slack, FakeSocketMode() as sockets:
        slack.socket_mode_url = sockets.url
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=tmp_path,
            env=_env(tmp_path, slack),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await sockets.connected(1, within=60)
            yield Running(slack, sockets)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            try:
                _, stderr = await asyncio.wait_for(process.communicate(), 30)
            except TimeoutError:
                process.kill()
                _, stderr = await process.communicate()
            assert b"Traceback" not in stderr, stderr.decode(errors="replace")[-3000:]
        assert process.returncode == 0, stderr.decode(errors="replace")[-3000:]


async def test_commands_buttons_and_the_composer_work_over_socket_mode(tmp_path: Path) -> None:
    async with running(tmp_path) as bot:
        assert [c["token"] for c in bot.slack.calls_to("apps.connections.open")] == [APP_TOKEN]

        ack, name = await bot.command("accounts add sandbox brand")
        assert ack == {"envelope_id": ack["envelope_id"]}, "a command is acked empty"
        assert "Added sandbox account brand" in await bot.reply(name)

        tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d 09:00")
        _, name = await bot.command(f'schedule "Over the socket" at {tomorrow}')
        assert "Scheduled post 1" in await bot.reply(name)

        # A button: the command it stands for, answered at the message's response_url.
        button: dict[str, Any] = {
            "type": "block_actions",
            "trigger_id": "trigger-click",
            "container": {"type": "message", "message_ts": "1.1", "channel_id": "C1"},
            "channel": {"id": "C1", "name": "general"},
            "message": {"ts": "1.1", "text": "x", "blocks": []},
            "response_url": bot.slack.response_url("click"),
            "actions": [
                {"type": "button", "action_id": "trypost:show#0", "value": "1", "action_ts": "1"}
            ],
        }
        ack = await bot.interactive(button)
        assert set(ack) == {"envelope_id"}
        assert "Over the socket" in await bot.reply("click")

        # A button of an old message: acked too (bolt alone would send no ack at all).
        stale = {**button, "response_url": bot.slack.response_url("stale")}
        stale["actions"] = [{**button["actions"][0], "action_id": "legacy_button"}]
        ack = await bot.interactive(stale)
        assert set(ack) == {"envelope_id"}
        assert "no longer available" in await bot.reply("stale")

        # The composer: opened and filled through the Web API, submitted as an envelope.
        _, name = await bot.command("schedule")
        [filled] = await _eventually(lambda: bot.slack.calls_to("views.update"))
        view = filled["view"]

        def submission(when: datetime) -> dict[str, Any]:
            epoch = int(when.timestamp())
            state = {
                "text": {"text": {"type": "plain_text_input", "value": "From the modal"}},
                "when": {"when": {"type": "datetimepicker", "selected_date_time": epoch}},
                "mode": {"mode": {"selected_option": {"value": "schedule"}}},
            }
            submitted = {**view, "id": "V1", "state": {"values": state}}
            return {"type": "view_submission", "trigger_id": "t", "view": submitted}

        refused = await bot.interactive(submission(datetime.now(UTC) - timedelta(hours=1)))
        assert refused["payload"]["response_action"] == "errors", refused
        assert "past" in refused["payload"]["errors"]["when"]
        accepted = await bot.interactive(submission(datetime.now(UTC) + timedelta(hours=2)))
        assert set(accepted) == {"envelope_id"}, "the modal closes"
        assert "Scheduled post 2" in await bot.reply(name, "Scheduled")


async def test_the_client_reconnects_after_a_refresh_or_a_dropped_socket(tmp_path: Path) -> None:
    async with running(tmp_path) as bot:
        _, name = await bot.command("accounts add sandbox brand")
        assert "Added" in await bot.reply(name)

        await bot.sockets.disconnect("refresh_requested")
        await bot.sockets.connected(2)
        _, name = await bot.command("accounts")
        assert "brand" in await bot.reply(name)

        await bot.sockets.drop()
        await bot.sockets.connected(3)
        _, name = await bot.command("accounts")
        assert "brand" in await bot.reply(name)
        opened = bot.slack.calls_to("apps.connections.open")
        assert len(opened) == 3, "a fresh URL for every new connection"
