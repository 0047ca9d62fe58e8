"""A loopback Slack Socket Mode server, for driving the real slack_sdk client.

    async with FakeSlack() as slack, FakeSocketMode() as sockets:
        slack.socket_mode_url = sockets.url      # what apps.connections.open answers
        ... start the bot with SLACK_APP_TOKEN=xapp-… and TRYPOST_SLACK_API_URL=slack.base_url
        await sockets.connected(1)
        ack = await sockets.send("slash_commands", {...command payload...})

What it speaks is Slack's protocol (api.slack.com/apis/connections/socket-implement, and
slack_sdk's own ``tests/slack_sdk/socket_mode/mock_socket_mode_server.py``): on each new
connection a ``hello``; then envelopes ``{"envelope_id", "type", "payload",
"accepts_response_payload"}``, each acknowledged by ``{"envelope_id": …}`` (with a
``payload`` when the app answers in the ack, as a modal's ``response_action`` does).
:meth:`FakeSocketMode.disconnect` sends Slack's ``disconnect`` message (the client should
fetch a new URL and reconnect); :meth:`FakeSocketMode.drop` closes the socket.
"""

import asyncio
import json
import socket
import uuid
from types import TracebackType
from typing import Any, Self

from aiohttp import WSMsgType, web

Ack = dict[str, Any]

HELLO: dict[str, Any] = {
    "type": "hello",
    "num_connections": 1,
    "debug_info": {"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060},
    "connection_info": {"app_id": "A1"},
}


class FakeSocketMode:
    """Socket Mode on 127.0.0.1. ``connections`` counts the sockets opened so far;
    ``acks`` holds every acknowledgement received, by envelope id."""

    def __init__(self) -> None:
        self.connections = 0
        self.acks: dict[str, Ack] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._port = 0

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_get("/link", self._connect)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        """The wss URL apps.connections.open hands out (plain ws on loopback)."""
        return f"ws://127.0.0.1:{self._port}/link"

    # --- what tests do ---------------------------------------------------------------

    async def connected(self, count: int, *, within: float = 15) -> None:
        """Wait until ``count`` connections have been opened (and greeted)."""
        await self._until(lambda: self.connections >= count and self._open(), within)

    async def send(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = True,
        within: float = 10,
    ) -> Ack:
        """Send one envelope on the newest socket and wait for its ack."""
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        await self._newest().send_str(json.dumps(envelope))
        try:
            await self._until(lambda: envelope_id in self.acks, within)
        except TimeoutError:
            raise AssertionError(f"no ack of the {kind} envelope within {within} s") from None
        return self.acks[envelope_id]

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Slack's notice that this connection ends soon: the client must reconnect."""
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}
        await self._newest().send_str(json.dumps(message))

    async def drop(self) -> None:
        """Close the newest socket, as a network or a Slack restart would."""
        await self._newest().close()

    # --- the server ------------------------------------------------------------------

    async def _connect(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()  # answers the client's pings with pongs
        await ws.prepare(request)
        await ws.send_str(json.dumps(HELLO))
        async with self._changed:
            self.connections += 1
            self._sockets.append(ws)
            self._changed.notify_all()
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    await self._received(json.loads(message.data))
        finally:
            async with self._changed:
                self._sockets.remove(ws)
                self._changed.notify_all()
        return ws

    async def _received(self, message: dict[str, Any]) -> None:
        envelope_id = message.get("envelope_id")
        if isinstance(envelope_id, str):
            async with self._changed:
                self.acks[envelope_id] = message
                self._changed.notify_all()

    def _open(self) -> bool:
        return any(not ws.closed for ws in self._sockets)

    def _newest(self) -> web.WebSocketResponse:
        live = [ws for ws in self._sockets if not ws.closed]
        assert live, "no Socket Mode connection is open"
        return live[-1]

    async def _until(self, done: Any, within: float) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(done), within)
