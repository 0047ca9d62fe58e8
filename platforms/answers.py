"""Talking JSON to a platform's HTTP API: one session per client, answers read
defensively (a body may be empty, not JSON, or JSON of another shape than documented:
an error page, a proxy's answer)."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp


def json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object; anything else reads as empty."""
    try:
        found = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def text_field(body: Mapping[str, Any], key: str) -> str:
    """A string (or number, as ids sometimes are) field; empty when absent or odd."""
    value = body.get(key)
    return str(value) if isinstance(value, str | int) and value != "" else ""


def first_said(body: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    """The first non-empty string among ``keys``: the platform's own words, cut short."""
    for key in keys:
        value = body.get(key)
        if isinstance(value, str) and value:
            return value[:500]
    return ""


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    headers: Mapping[str, str]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class JsonHttp:
    """A platform client's HTTP: one session opened on first use, JSON answers read
    defensively, redirects never followed (an address typed in chat is checked once,
    and must not lead elsewhere), the token in the Authorization header only.

    Connection failures and timeouts are the caller's to map: it knows what a lost
    answer means on its platform (a status that may exist, a retry that is safe).
    """

    def __init__(self, user_agent: str, timeout: aiohttp.ClientTimeout) -> None:
        self._user_agent = user_agent
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def call(
        self,
        method: str,
        url: str,
        *,
        token: str = "",
        payload: dict[str, Any] | None = None,
        data: aiohttp.FormData | bytes | dict[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        sent = {"User-Agent": self._user_agent, "Accept": "application/json", **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if self._session is None or self._session.closed:
            self._session = client_session(self._timeout)
        async with self._session.request(
            method, url, json=payload, data=data, headers=sent, allow_redirects=False
        ) as response:
            raw = await response.read()
            return Answer(response.status, json_object(raw), dict(response.headers))

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


def client_session(timeout: aiohttp.ClientTimeout) -> aiohttp.ClientSession:
    """A session without aiohttp's own cap of 100 connections: the publisher's
    concurrency already bounds the requests in flight, and a lower hidden cap would
    quietly make it the limit instead."""
    return aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0))
