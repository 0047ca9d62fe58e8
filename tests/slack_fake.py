"""A loopback fake of the Slack Web API, for tests that drive the real slack_sdk / bolt.

    async with FakeSlack() as slack:
        client = make_client("xoxb-test", slack.base_url)
        await client.chat_postMessage(channel="C1", text="hi")
        assert slack.calls_to("chat.postMessage")[0]["text"] == "hi"

It serves ``/api/<method>`` on 127.0.0.1 (a free port) and records every call as
``(method, params)``: query, form and JSON bodies merged, JSON-encoded form fields
(``blocks``, ``view``, …) decoded, the bearer token of the Authorization header as
``params["token"]`` (Basic auth, as oauth.v2.access sends it, as ``client_id`` and
``client_secret``). Answers have the shapes of Slack's documented responses (copied
from the shared fixtures, ``fixtures/slack/api_*.json``); faults are queued per method
with :meth:`FakeSlack.fail_next` (per conversation too); :meth:`FakeSlack.down` and
:meth:`FakeSlack.up` stop and restart listening on the same port (connection
refused meanwhile). ``POST /respond/<name>`` stands in for an
interaction's ``response_url`` (bolt's ``respond()``); see :meth:`FakeSlack.response_url`.

slack_sdk sends everything through ``HTTP(S)_PROXY`` when set, ignoring ``NO_PROXY``:
the fake clears those variables while it runs (``clear_proxy_env=False`` to keep them),
and :func:`no_proxy_env` does the same for code that builds clients outside it.
"""

import base64
import copy
import itertools
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from aiohttp import web

Params = dict[str, Any]

# fixtures/slack/api_users_info_ok.json (users.info; docs example), image URLs left out.
USERS_INFO_OK: dict[str, Any] = {
    "ok": True,
    "user": {
        "id": "W012A3CDE",
        "team_id": "T012AB3C4",
        "name": "spengler",
        "deleted": False,
        "color": "9f69e7",
        "real_name": "Egon Spengler",
        "tz": "America/Los_Angeles",
        "tz_label": "Pacific Daylight Time",
        "tz_offset": -25200,
        "profile": {
            "avatar_hash": "ge3b51ca72de",
            "status_text": "Print is dead",
            "status_emoji": ":books:",
            "real_name": "Egon Spengler",
            "display_name": "spengler",
            "real_name_normalized": "Egon Spengler",
            "display_name_normalized": "spengler",
            "email": "spengler@ghostbusters.example.com",
            "team": "T012AB3C4",
        },
        "is_admin": True,
        "is_owner": False,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": False,
        "updated": 1502138686,
        "is_app_user": False,
        "has_2fa": False,
    },
}
# fixtures/slack/api_users_info_error.json
USERS_INFO_ERROR: dict[str, Any] = {"ok": False, "error": "user_not_found"}
# fixtures/slack/api_views_open_ok.json: the fields Slack adds to the view it was given.
VIEW_OK: dict[str, Any] = {
    "id": "VMHU10V25",
    "team_id": "T8N4K1JN",
    "type": "modal",
    "blocks": [],
    "private_metadata": "",
    "callback_id": "",
    "external_id": "",
    "state": {"values": []},
    "hash": "156772938.1827394",
    "clear_on_close": False,
    "notify_on_close": False,
    "root_view_id": "VMHU10V25",
    "app_id": "AA4928AQ",
    "bot_id": "BA13894H",
}
# fixtures/slack/api_oauth_v2_access_ok.json (tokens already fake there).
OAUTH_V2_ACCESS_OK: dict[str, Any] = {
    "ok": True,
    "access_token": "xoxb-000-000-fakebottoken",
    "token_type": "bot",
    "scope": "commands,incoming-webhook",
    "bot_user_id": "U0KRQLJ9H",
    "app_id": "A0KRD7HC3",
    "team": {"name": "Slack Softball Team", "id": "T9TK3CUKW"},
    "enterprise": {"name": "slack-sports", "id": "E12345678"},
    "authed_user": {
        "id": "U1234",
        "scope": "chat:write",
        "access_token": "xoxp-000-fakeusertoken",
        "token_type": "user",
    },
}
# fixtures/slack/api_ratelimited_429.http.json
RATELIMITED_BODY: dict[str, Any] = {"ok": False, "error": "ratelimited"}

_PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
)
# Form fields slack_sdk sends JSON-encoded.
_JSON_FIELDS = ("blocks", "attachments", "view", "metadata")


@contextmanager
def no_proxy_env() -> Iterator[None]:
    """Clear the proxy variables (slack_sdk reads them) and put them back after."""
    saved = {name: os.environ.pop(name) for name in _PROXY_VARIABLES if name in os.environ}
    try:
        yield
    finally:
        for name in _PROXY_VARIABLES:
            os.environ.pop(name, None)
        os.environ.update(saved)


@dataclass(frozen=True)
class Fault:
    """One failing answer: HTTP status, Slack error code, Retry-After seconds."""

    status: int
    error: str | None
    retry_after: int | None


class FakeSlack:
    """The Slack Web API on a loopback port. Tweak it through its public attributes:

    - ``presence[user] = "away"`` (default ``active``) for users.getPresence;
    - ``users[user] = {"tz": …, "email": …, "real_name": …, "display_name": …}``
      overrides users.info (default: the docs' user, with the asked id);
    - ``missing_users`` answer ``user_not_found`` (users.info, getPresence,
      conversations.open);
    - ``answers[method] = {...}`` replaces the answer of any method;
    - ``teams[token] = "T…"`` is the team auth.test reports for a token;
    - ``orgs[token] = ("E…", ["T…", …])`` makes a token an org-wide (Enterprise Grid)
      one: auth.test reports the org, auth.teams.list the workspaces it was granted;
    - ``socket_mode_url = "ws://…"`` is what apps.connections.open gives an app-level
      token (``xapp-…``) to connect to (``tests.socket_mode_fake``).

    ``responded_at[name]`` is when the first post to a response_url arrived
    (``time.perf_counter()``), for timing replies (``bench/slack_ack.py``).
    """

    def __init__(
        self,
        *,
        team_id: str = "T111",
        team_name: str = "Sandbox",
        bot_user_id: str = "U0KRQLJ9H",
        bot_id: str = "B19LU7CSY",
        clear_proxy_env: bool = True,
    ) -> None:
        self.team_id = team_id
        self.team_name = team_name
        self.files: dict[str, bytes] = {}
        self.file_reads: list[str] = []
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.calls: list[tuple[str, Params]] = []
        self.responses: list[tuple[str, Params]] = []
        self.responded_at: dict[str, float] = {}
        self.presence: dict[str, str] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.missing_users: set[str] = set()
        self.answers: dict[str, dict[str, Any]] = {}
        self.teams: dict[str, str] = {}
        self.orgs: dict[str, tuple[str, list[str]]] = {}
        self.socket_mode_url: str | None = None
        self._faults: dict[str, list[Fault]] = {}
        # id(params of a chat.postMessage call) → the ts it was answered with.
        self._posted: dict[int, str] = {}
        self._serial = itertools.count(1)
        self._clear_proxy_env = clear_proxy_env
        self._stack = ExitStack()
        self._runner: web.AppRunner | None = None
        self._site: web.SockSite | None = None
        self._port = 0
        self._methods: dict[str, Callable[[Params], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "auth.teams.list": self._auth_teams_list,
            "chat.postMessage": self._post_message,
            "chat.update": self._update_message,
            "chat.postEphemeral": lambda _: {"ok": True, "message_ts": self._ts()},
            "conversations.open": self._open_dm,
            "users.info": self._user_info,
            "users.getPresence": self._get_presence,
            "views.open": lambda p: self._view(p, "modal"),
            "views.publish": lambda p: self._view(p, "home"),
            "views.update": lambda p: self._view(p, "modal"),
            "oauth.v2.access": lambda _: copy.deepcopy(OAUTH_V2_ACCESS_OK),
            "apps.connections.open": self._connections_open,
        }

    # --- lifecycle -------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if self._clear_proxy_env:
            self._stack.enter_context(no_proxy_env())
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{name:.*}", self._respond)
        app.router.add_get("/files-pri/{id}/{name}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await self.up()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._stack.close()

    async def down(self) -> None:
        """Stop listening: every new connection is refused until :meth:`up`."""
        if self._site is not None:
            await self._site.stop()
            self._site = None

    async def up(self) -> None:
        """Listen again, on the same port (a free one the first time)."""
        assert self._runner is not None, "use the fake as an async context manager"
        if self._site is not None:
            return
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._port))
        self._port = sock.getsockname()[1]
        self._site = web.SockSite(self._runner, sock)
        await self._site.start()

    # --- what tests read and set -----------------------------------------------------

    @property
    def url(self) -> str:
        """The server's root, ending with '/'."""
        return f"http://127.0.0.1:{self._port}/"

    @property
    def base_url(self) -> str:
        """What to give AsyncWebClient(base_url=…); ends with '/'."""
        return f"{self.url}api/"

    def response_url(self, name: str) -> str:
        """A response_url to put in an interaction payload; posts land in ``responses``."""
        return f"{self.url}respond/{name}"

    def responses_to(self, name: str) -> list[Params]:
        return [body for where, body in self.responses if where == name]

    def calls_to(self, method: str) -> list[Params]:
        """The params of every call to ``method``, in order (failed ones included)."""
        return [params for called, params in self.calls if called == method]

    def calls_to_channel(self, method: str, channel: str) -> list[Params]:
        """Calls of ``method`` in one conversation, each with the ``ts`` it was given
        (chat.postMessage's answer), so a test can click a button of that message."""
        return [
            {**params, "ts": self._posted.get(id(params), "")}
            for called, params in self.calls
            if called == method and params.get("channel") == channel
        ]

    def fail_next(
        self,
        method: str,
        times: int = 1,
        *,
        status: int | None = None,
        error: str | None = None,
        retry_after: int | None = 1,
        channel: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail.

        No status and no error: 429 ``ratelimited`` with ``Retry-After`` (as Slack rate
        limits). ``error`` alone: HTTP 200 ``{"ok": false, "error": error}`` (as Slack
        refuses). A 5xx status without error: an HTML error page (as a failing edge).
        ``channel``: only calls in that conversation (its own queue, taken first).
        """
        if status is None:
            status = 200 if error else 429
        fault = Fault(status, error, retry_after if status == 429 else None)
        key = method if channel is None else f"{method}#{channel}"
        self._faults.setdefault(key, []).extend([fault] * times)

    def posted_in(self, channel: str) -> list[Params]:
        """The chat.postMessage calls in ``channel`` that Slack answered ok: the
        messages that are really there (failed calls are left out)."""
        return [c for c in self.calls_to_channel("chat.postMessage", channel) if c["ts"]]

    def dm_channel(self, user: str) -> str:
        """The id of the DM channel conversations.open gives for ``user``."""
        return f"D{user[1:]}" if user[:1] in "UW" else f"D{user}"

    # --- HTTP ------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params: Params = dict(request.query)
        params.update(await _body(request))
        for key, value in _credentials(request.headers.get("Authorization", "")).items():
            params.setdefault(key, value)
        self.calls.append((method, params))
        faults = self._faults.get(f"{method}#{params.get('channel')}") or self._faults.get(method)
        if faults:
            return _fault_response(faults.pop(0))
        if method in self.answers:
            answer = copy.deepcopy(self.answers[method])
        else:
            answer = self._methods.get(method, _ok)(params)
        if method == "chat.postMessage" and isinstance(answer.get("ts"), str):
            self._posted[id(params)] = answer["ts"]
        headers = {"x-oauth-scopes": "chat:write,commands,im:write,users:read,users:read.email"}
        return web.json_response(answer, headers=headers if method == "auth.test" else None)

    def upload(self, name: str, data: bytes, mimetype: str = "image/png") -> dict[str, Any]:
        """A file a member uploaded (a composer's file_input): Slack's file object, whose
        url_private answers only with the bot token (files:read)."""
        file_id = f"F{len(self.files) + 1:08d}"
        self.files[file_id] = data
        url = f"{self.base_url.removesuffix('/api/')}/files-pri/{self.team_id}-{file_id}/{name}"
        return {
            "id": file_id,
            "name": name,
            "mimetype": mimetype,
            "size": len(data),
            "url_private": url,
            "url_private_download": url + "?download=1",
        }

    async def _file(self, request: web.Request) -> web.StreamResponse:
        self.file_reads.append(request.headers.get("Authorization", ""))
        if not request.headers.get("Authorization", "").startswith("Bearer xoxb-"):
            return web.Response(status=302, headers={"Location": "https://slack.com/signin"})
        file_id = request.match_info["id"].split("-", 1)[-1]
        data = self.files.get(file_id)
        return web.Response(body=data, status=200) if data else web.Response(status=404)

    async def _respond(self, request: web.Request) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else {}
        self.responded_at.setdefault(request.match_info["name"], time.perf_counter())
        self.responses.append((request.match_info["name"], body))
        return web.Response(text="ok")

    # --- answers ---------------------------------------------------------------------

    def _ts(self) -> str:
        n = next(self._serial)
        return f"{1503435956 + n}.{n:06d}"

    def _auth_test(self, params: Params) -> dict[str, Any]:
        token = str(params.get("token"))
        team = self.teams.get(token, self.team_id)
        answer = {
            "ok": True,
            "url": f"https://{self.team_name.lower()}.slack.com/",
            "team": self.team_name,
            "user": "trypost",
            "team_id": team,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }
        if token in self.orgs:
            org = self.orgs[token][0]
            answer.update(team_id=org, enterprise_id=org, is_enterprise_install=True)
        return answer

    def _auth_teams_list(self, params: Params) -> dict[str, Any]:
        """Two workspaces a page, so callers must follow ``next_cursor``."""
        if str(params.get("token")) not in self.orgs:
            return {"ok": False, "error": "not_allowed_token_type"}
        teams = self.orgs[str(params["token"])][1]
        start = int(params.get("cursor") or 0)
        page = [{"id": t, "name": f"Workspace {t}"} for t in teams[start : start + 2]]
        more = start + 2 < len(teams)
        return {
            "ok": True,
            "teams": page,
            "response_metadata": {"next_cursor": str(start + 2) if more else ""},
        }

    def _connections_open(self, params: Params) -> dict[str, Any]:
        """Only an app-level token opens a Socket Mode connection, as on Slack."""
        if not str(params.get("token", "")).startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        if self.socket_mode_url is None:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": self.socket_mode_url}

    def _post_message(self, params: Params) -> dict[str, Any]:
        ts = self._ts()
        message = {
            "text": params.get("text", ""),
            "username": "trypost",
            "bot_id": self.bot_id,
            "type": "message",
            "subtype": "bot_message",
            "ts": ts,
        }
        if "blocks" in params:
            message["blocks"] = params["blocks"]
        return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": message}

    def _update_message(self, params: Params) -> dict[str, Any]:
        message = {"text": params.get("text", ""), "blocks": params.get("blocks", [])}
        return {
            "ok": True,
            "channel": params.get("channel"),
            "ts": params.get("ts"),
            "text": params.get("text", ""),
            "message": message,
        }

    def _open_dm(self, params: Params) -> dict[str, Any]:
        users = [u for u in str(params.get("users", "")).split(",") if u]
        if not users or any(u in self.missing_users for u in users):
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "channel": {"id": self.dm_channel(users[0])}}

    def _user_info(self, params: Params) -> dict[str, Any]:
        user_id = str(params.get("user", ""))
        if user_id in self.missing_users:
            return copy.deepcopy(USERS_INFO_ERROR)
        answer = copy.deepcopy(USERS_INFO_OK)
        user, profile = answer["user"], answer["user"]["profile"]
        user.update(id=user_id, team_id=self.team_id)
        for key, value in self.users.get(user_id, {}).items():
            if key in ("email", "display_name"):
                profile[key] = value
            elif key == "real_name":
                user[key] = profile[key] = value
            else:
                user[key] = value
        return answer

    def _get_presence(self, params: Params) -> dict[str, Any]:
        user_id = str(params.get("user", ""))
        if user_id in self.missing_users:
            return copy.deepcopy(USERS_INFO_ERROR)
        return {"ok": True, "presence": self.presence.get(user_id, "active")}

    def _view(self, params: Params, kind: str) -> dict[str, Any]:
        given = params.get("view")
        view_id = str(params.get("view_id") or f"VFAKE{next(self._serial):04d}")
        view = {**copy.deepcopy(VIEW_OK), "type": kind, "id": view_id, "root_view_id": view_id}
        view["team_id"] = self.team_id
        if isinstance(given, dict):
            view.update(copy.deepcopy(given))
        return {"ok": True, "view": view}


def _ok(params: Params) -> dict[str, Any]:
    return {"ok": True}


async def _body(request: web.Request) -> Params:
    if not request.can_read_body:
        return {}
    if request.content_type == "application/json":
        data = await request.json()
        return dict(data) if isinstance(data, dict) else {"_json": data}
    form = await request.post()
    params: Params = {}
    for key, value in form.items():
        if isinstance(value, str):
            params[key] = _decoded(key, value)
        elif isinstance(value, web.FileField):
            params[key] = value.filename
        else:
            params[key] = bytes(value).decode(errors="replace")
    return params


def _decoded(key: str, value: str) -> Any:
    if key in _JSON_FIELDS and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _credentials(authorization: str) -> Params:
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return {"token": credentials}
    if scheme.lower() == "basic" and credentials:
        client_id, _, secret = base64.b64decode(credentials).decode().partition(":")
        return {"client_id": client_id, "client_secret": secret}
    return {}


def _fault_response(fault: Fault) -> web.Response:
    if fault.status == 429:
        body = {**RATELIMITED_BODY, "error": fault.error or "ratelimited"}
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        return web.json_response(body, status=429, headers=headers)
    if fault.error is None:
        page = f"<html><body><h1>{fault.status} Server Error</h1></body></html>"
        return web.Response(status=fault.status, text=page, content_type="text/html")
    return web.json_response({"ok": False, "error": fault.error}, status=fault.status)
