"""A webhook receiver on 127.0.0.1, in its own thread: it verifies each delivery's
Standard Webhooks signature (with the ``standardwebhooks`` library, as a receiver
would), records it, and answers as told."""

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from standardwebhooks import Webhook, WebhookVerificationError

from tests.threaded_server import ThreadedServer


@dataclass
class Delivery:
    headers: dict[str, str]
    body: dict[str, Any]
    verified: bool


@dataclass
class Receiver(ThreadedServer):
    secret: str | bytes | None = None
    # Status and JSON of the next answers, in order; then 200 with a url.
    answers: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def application(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        return app

    async def _hook(self, request: web.Request) -> web.Response:
        raw = await request.text()
        headers = dict(request.headers)
        verified = False
        if self.secret is not None:
            try:
                Webhook(self.secret).verify(raw, headers)
                verified = True
            except WebhookVerificationError:
                return web.json_response({"error": "bad signature"}, status=401)
        self.deliveries.append(Delivery(headers, json.loads(raw), verified))
        status, answer = self.answers.pop(0) if self.answers else (200, {})
        if status == 200 and not answer:
            answer = {"url": f"https://receiver.example/posts/{len(self.deliveries)}"}
        return web.json_response(answer, status=status)
