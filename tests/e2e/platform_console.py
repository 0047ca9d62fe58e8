"""A console session with the web app serving its connect pages, on a simulated clock,
for the real-platform scenarios: only the platforms are fakes, reached over HTTP."""

import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import App, build_app
from bot.console.session import ConsoleSession
from bot.settings import Settings
from bot.web import serve
from core.clock import ManualClock

START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
LINK = re.compile(r"http://127\.0\.0\.1:\d+/connect/\w+/start\?state=[\w-]+")


@dataclass
class Console:
    app: App
    session: ConsoleSession
    said: list[str] = field(default_factory=list)

    async def line(self, text: str) -> str:
        before = len(self.said)
        await self.session.handle(text)
        await self.app.notify()
        return "\n".join(self.said[before:])

    async def follow(self, reply: str) -> str:
        """Open the connect link in the reply as a browser would (redirects followed)."""
        found = LINK.search(reply)
        assert found, reply
        async with aiohttp.ClientSession() as browser, browser.get(found[0]) as page:
            return await page.text()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def console(tmp_path: Path, port: int = 0, **settings: Any) -> AsyncIterator[Console]:
    """``settings`` adds to (or replaces) the scenario's own; ``port`` fixes where the
    web app listens (platform fakes must know the redirect URL beforehand)."""
    port = port or free_port()
    chosen: dict[str, Any] = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'trypost.db'}",
        "secret_key": "e2e-secret",
        "sandbox_dir": tmp_path / "sandbox-posts",
        "media_dir": tmp_path / "media",
        "outbox_dir": tmp_path / "outbox",
        "allow_private_hosts": "127.0.0.1",
        "public_url": f"http://127.0.0.1:{port}",
        **settings,
    }
    app = await build_app(Settings(**chosen), clock=ManualClock(START))
    web = await serve(app.web_app(), port, host="127.0.0.1")

    async def ask(prompt: str) -> str | None:
        return None

    said: list[str] = []
    session = ConsoleSession(app, ask, said.append)
    try:
        await session.start("alice")
        yield Console(app, session, said)
    finally:
        await web.cleanup()
        await app.aclose()
