"""``POST /slack/events``: check what arrives before bolt reads it.

bolt parses the body before it checks the signature, and a body it cannot parse (not
UTF-8, a ``payload`` that is not JSON, a JSON content type over a form) raises out of
the handler as a 500 with a traceback. Here the signature is checked over the raw bytes
first (401 before any parsing), then the body is decoded and parsed the way bolt will
and its shape checked (400 for anything Slack never sends); only then does bolt see it.
"""

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.slack.ack_first import AckFirst
from bot.slack.payloads import Malformed, nothing_to_do, shape_problem

log = logging.getLogger(__name__)

# Slack's own limit on a request's age (replays of a captured request are refused).
MAX_AGE_SECONDS = 60 * 5
# What Slack sends: UTF-8, whether the charset is named or not.
_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
_SLACK_ID = re.compile(r"[TE][A-Z0-9]{2,20}")
# Enough of a refused body to find its team; the rest is never read.
_TEAM_SCAN = 16 * 1024


class SlackEndpoint:
    def __init__(
        self,
        signing_secret: str,
        bolt_dispatch: Callable[[AsyncBoltRequest], Awaitable[BoltResponse]],
        *,
        now: Callable[[], float] = time.time,
        lane: AckFirst | None = None,
    ) -> None:
        self._secret = signing_secret.encode()
        self._dispatch = bolt_dispatch
        self._now = now
        # Where requests awaiting their ack are counted (work after an ack waits on it).
        self._lane = lane or AckFirst()

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        unsigned = self.refusal(raw, request)
        if unsigned is not None:
            _refused(unsigned, raw)
            return _answer(401, "invalid request signature")
        try:
            text = _decode(raw, request.charset)
            bolt_request = _bolt_request(text, request)
        except Malformed as bad:
            _refused(bad.reason, raw)
            return _answer(400, "bad request")
        if nothing_to_do(bolt_request.body):
            return _answer(200, "")
        with self._lane.request():
            answer = await self._dispatch(bolt_request)
        return await to_aiohttp_response(answer)

    def signed(self, raw: bytes, request: web.Request) -> bool:
        return self.refusal(raw, request) is None

    def refusal(self, raw: bytes, request: web.Request) -> str | None:
        """Why the request is not Slack's, or None: Slack's v0 signature (HMAC-SHA256 of
        ``v0:{timestamp}:{body}``) over a fresh timestamp."""
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not signature:
            return "no signature"
        if not (timestamp.isascii() and timestamp.isdigit()):
            return "no timestamp"
        if abs(self._now() - int(timestamp)) > MAX_AGE_SECONDS:
            return "stale timestamp"  # a replay of a captured request, or a wrong clock
        base = b"v0:" + timestamp.encode() + b":" + raw
        expected = "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            return "bad signature"
        return None


def _refused(reason: str, raw: bytes) -> None:
    """One line: that a request was refused, why, and the team it names. Never its body,
    which may hold anything, tokens included."""
    log.info("slack request refused", extra={"reason": reason, "team": claimed_team(raw)})


def claimed_team(raw: bytes) -> str | None:
    """The team id a body names (unverified, so only when it looks like a Slack id)."""
    try:
        text = raw[:_TEAM_SCAN].decode("utf-8", errors="replace")
        fields = dict(parse_qsl(text))
        found: object = fields.get("team_id")
        if found is None:
            data = json.loads(fields["payload"]) if "payload" in fields else json.loads(text)
            team = data.get("team") if isinstance(data, dict) else None
            found = team.get("id") if isinstance(team, dict) else data.get("team_id")
    except (ValueError, KeyError, AttributeError, RecursionError):
        return None
    return found if isinstance(found, str) and _SLACK_ID.fullmatch(found) else None


def _decode(raw: bytes, charset: str | None) -> str:
    if charset is not None and charset.lower() not in _CHARSETS:
        raise Malformed("unsupported charset")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("body is not UTF-8") from None


def _bolt_request(text: str, request: web.Request) -> AsyncBoltRequest:
    """bolt's request, its body parsed once by bolt's own parser, refused if it does
    not parse or is not an object of the shape Slack sends."""
    try:
        bolt_request = AsyncBoltRequest(
            body=text, query=request.query_string, headers=dict(request.headers)
        )
    except (ValueError, TypeError, AttributeError, RecursionError):
        # JSONDecodeError, or a JSON body that is no object for bolt to read context from.
        raise Malformed("body does not parse") from None
    body: object = bolt_request.body
    if not isinstance(body, dict):
        raise Malformed("body is not an object")
    problem = shape_problem(body)
    if problem is not None:
        raise Malformed(problem)
    return bolt_request


def _answer(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text)
