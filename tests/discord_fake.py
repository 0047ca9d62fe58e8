"""A loopback Discord (REST under ``/api/v10`` and the gateway) for the real discord.py 2.7.

    async with FakeDiscord() as fake:
        fake.add_guild("100", "Sandbox", owner_id="1")
        fake.add_member("100", "1", "alice")
        discord.http.Route.BASE = fake.api_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = fake.gateway_url
        await client.login(fake.token); task = asyncio.create_task(client.connect())
        await fake.wait_ready()
        interaction = await fake.interact(fake.slash("100", "1", "trypost list"))
        await interaction.answered()
        assert "No posts" in interaction.texts()

What discord.py demands of it (DESIGN §5) is built in: answers are ``application/json``
exactly, a 429 carries ``Via`` (without it discord.py takes it for a Cloudflare ban) and
``retry_after``, INTERACTION_CREATE carries every key discord.py reads. Every REST call
is recorded as a :class:`Call`; what the bot answered to an interaction (callback,
follow-ups, edits) is kept on its :class:`FakeInteraction`; messages posted to channels
(DMs included) in ``messages[channel_id]``. ``/interactions/…`` and ``/webhooks/…`` need
no token, as on Discord; every other route wants ``Authorization: Bot <token>`` (401).
The gateway, the guild model and the interaction builders live in
:mod:`tests.discord_fake_gateway`.
"""

import copy
import json
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

import yarl
from aiohttp import web

from tests.discord_fake_gateway import (
    APPLICATION_FLAGS,
    EVERYONE_PERMISSIONS,
    GUILD_PRESENCES,
    FakeChannel,
    FakeGateway,
    FakeGuild,
    FakeMember,
    FakeRole,
    InteractionBuilder,
    Json,
    Snowflakes,
    components_of,
)
from tests.discord_limits import problems
from tests.waiting import until

EPHEMERAL = 1 << 6
LOADING = 1 << 7
Answer = tuple[int, Any]

__all__ = [
    "EPHEMERAL",
    "Call",
    "FakeChannel",
    "FakeDiscord",
    "FakeGuild",
    "FakeInteraction",
    "FakeMember",
    "FakeRole",
    "components_of",
    "message_texts",
]


@dataclass(frozen=True)
class Call:
    """One REST call: ``path`` below ``/api/v10``, ``json`` the body (``payload_json``
    of a multipart one), ``files`` the names of the files it uploaded."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: tuple[str, ...] = ()


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: Any
    retry_after: float
    left: int


@dataclass
class _Request:
    method: str
    params: dict[str, str]
    body: Any
    query: Mapping[str, str]
    files: list[tuple[str, int]]

    @property
    def json(self) -> Json:
        return self.body if isinstance(self.body, dict) else {}


def message_texts(message: Json) -> list[str]:
    """The text a person reads in a message (or a message payload): content, embed
    authors, titles, descriptions, fields and footers, and text display components."""
    texts = [message["content"]] if message.get("content") else []
    for embed in message.get("embeds") or []:
        texts.extend(str(embed[k]) for k in ("title", "description") if embed.get(k))
        texts.extend(str(embed[k]["name"]) for k in ("author",) if (embed.get(k) or {}).get("name"))
        for item in embed.get("fields") or []:
            texts.extend(str(item[k]) for k in ("name", "value") if item.get(k))
        if (embed.get("footer") or {}).get("text"):
            texts.append(str(embed["footer"]["text"]))
    texts.extend(_text_displays(message.get("components") or []))
    return texts


def _text_displays(components: list[Json]) -> list[str]:
    found: list[str] = []
    for component in components:
        if component.get("type") == 10 and component.get("content"):
            found.append(str(component["content"]))
        found.extend(_text_displays(component.get("components") or []))
    return found


@dataclass(eq=False)
class FakeInteraction:
    """One interaction sent to the bot, and everything answered to it.

    ``responses`` in order of arrival: ``{"kind": "callback" | "followup" | "edit" |
    "delete", "body": …, "message_id": …}``; ``messages`` the current state of every
    message the interaction produced (the original response first, then follow-ups),
    by id. For a component interaction answered with type 6 or 7, the original is the
    message whose component was used.
    """

    payload: Json
    responses: list[Json] = field(default_factory=list)
    messages: dict[str, Json] = field(default_factory=dict)
    original_id: str | None = None

    @property
    def id(self) -> str:
        return str(self.payload["id"])

    @property
    def token(self) -> str:
        return str(self.payload["token"])

    @property
    def type(self) -> int:
        return int(self.payload["type"])

    @property
    def callback(self) -> Json | None:
        """The interaction response (``{"type": 4, "data": {…}}``), once it came."""
        return next((r["body"] for r in self.responses if r["kind"] == "callback"), None)

    @property
    def modal(self) -> Json | None:
        """The modal shown (a type-9 callback's data), if that was the answer."""
        callback = self.callback
        return callback.get("data") if callback and callback.get("type") == 9 else None

    @property
    def choices(self) -> list[Json] | None:
        """An autocomplete answer's choices (type-8 callback)."""
        callback = self.callback
        if callback and callback.get("type") == 8:
            return list((callback.get("data") or {}).get("choices") or [])
        return None

    @property
    def ephemeral(self) -> bool:
        callback = self.callback or {}
        return bool(int((callback.get("data") or {}).get("flags") or 0) & EPHEMERAL)

    @property
    def original(self) -> Json | None:
        return self.messages.get(self.original_id) if self.original_id else None

    @property
    def followups(self) -> list[Json]:
        return [m for mid, m in self.messages.items() if mid != self.original_id]

    async def answered(self, within: float = 5.0) -> Json:
        """Wait for the interaction response (Discord gives a bot 3 s) and return it."""
        await until(lambda: self.callback is not None, f"an answer to {self}", within=within)
        assert self.callback is not None
        return self.callback

    async def wait_for(
        self, check: Callable[["FakeInteraction"], object], what: str, within: float = 5.0
    ) -> None:
        """Wait until ``check(self)`` holds, e.g. ``lambda i: i.followups``."""
        await until(lambda: check(self), f"{what} on {self}", within=within)

    def texts(self) -> list[str]:
        """Every text shown in answer, in order: callback, follow-ups, edits."""
        texts: list[str] = []
        for response in self.responses:
            body = response.get("body") or {}
            if response["kind"] != "callback":
                texts.extend(message_texts(body))
            elif body.get("type") in (4, 7):
                texts.extend(message_texts(body.get("data") or {}))
            elif body.get("type") == 9:
                texts.append(str((body.get("data") or {}).get("title", "")))
        return texts

    def components(self) -> list[Json]:
        """The buttons and selects the interaction's messages show now."""
        return [c for m in self.messages.values() for c in components_of(m)]

    def __repr__(self) -> str:
        return f"<FakeInteraction id={self.id} type={self.type}>"


class FakeDiscord(InteractionBuilder):
    """Discord on 127.0.0.1. State to arrange: :meth:`add_guild`, :meth:`add_member`,
    :meth:`add_role`, :meth:`add_channel`, ``refuse_dms`` (user ids whose DMs answer 403
    50007), ``refuse_privileged_intents`` (IDENTIFY with members or presences closes
    4014), ``validate_commands`` (a command sync breaking :mod:`tests.discord_limits`
    answers 400 50035, as Discord does), :meth:`fail_next`. What to read: ``calls``,
    ``commands[guild_id or None]``, ``messages[channel_id]``, ``interactions[id]``,
    ``identifies``/``resumes``/``intents`` of the gateway."""

    def __init__(
        self,
        *,
        token: str = "fake-discord-bot-token",
        application_id: str = "1030118727418646629",
        bot_user_id: str = "1030118727418646630",
        bot_name: str = "trypost",
    ) -> None:
        self.token = token
        self.application_id = application_id
        self.bot_user_id = bot_user_id
        self.bot = FakeMember(bot_user_id, bot_name, bot=True)
        self.calls: list[Call] = []
        self.guilds: dict[str, FakeGuild] = {}
        self.commands: dict[str | None, list[Json]] = {}
        self.messages: dict[str, list[Json]] = {}
        self.interactions: dict[str, FakeInteraction] = {}
        self.refuse_dms: set[str] = set()
        self.refuse_privileged_intents = False
        self.validate_commands = True
        self.gateway = FakeGateway(self)
        self.ids = Snowflakes()
        self._dm_channels: dict[str, str] = {}  # user id → DM channel id
        self._faults: list[_Fault] = []
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._routes = [(m, re.compile(p), h) for m, p, h in self._route_table()]

    # --- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def close(self) -> None:
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_url(self) -> str:
        """What ``discord.http.Route.BASE`` is set to."""
        return f"{self.url}/api/v10"

    @property
    def gateway_url(self) -> yarl.URL:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` is set to (discord.py wants a URL)."""
        return yarl.URL(f"ws://127.0.0.1:{self._port}/gateway")

    # --- arranging state -------------------------------------------------------------

    def add_guild(self, guild_id: str, name: str, owner_id: str) -> FakeGuild:
        """A guild with @everyone (id = the guild's), a category, ``#general`` and the bot."""
        guild = FakeGuild(str(guild_id), name, str(owner_id))
        guild.roles[guild.id] = FakeRole(guild.id, "@everyone", EVERYONE_PERMISSIONS, 0)
        category = FakeChannel(self.ids.next(), "Text Channels", type=4)
        guild.channels[category.id] = category
        general = FakeChannel(self.ids.next(), "general", parent_id=category.id)
        guild.channels[general.id] = general
        guild.members[self.bot_user_id] = self.bot
        self.guilds[guild.id] = guild
        return guild

    def add_member(
        self,
        guild: str,
        user_id: str,
        username: str,
        global_name: str | None = None,
        roles: tuple[str, ...] | list[str] = (),
        status: str = "online",
    ) -> FakeMember:
        member = FakeMember(str(user_id), username, global_name, [str(r) for r in roles], status)
        self.guilds[str(guild)].members[member.user_id] = member
        return member

    def add_role(self, guild: str, role_id: str, name: str, permissions: int = 0) -> FakeRole:
        roles = self.guilds[str(guild)].roles
        role = FakeRole(str(role_id), name, permissions, position=len(roles))
        roles[role.id] = role
        return role

    def add_channel(self, guild: str, channel_id: str, name: str) -> FakeChannel:
        channel = FakeChannel(str(channel_id), name)
        self.guilds[str(guild)].channels[channel.id] = channel
        return channel

    def dm_channel_id(self, user_id: str) -> str:
        """The id of the DM channel with ``user_id`` (the same on every open)."""
        return self._dm_channels.setdefault(str(user_id), self.ids.next())

    def dms_to(self, user_id: str) -> list[Json]:
        """The messages the bot sent ``user_id`` in DMs."""
        return self.messages.get(self.dm_channel_id(user_id), [])

    def user_object(self, user_id: str) -> Json:
        for guild in self.guilds.values():
            if str(user_id) in guild.members:
                return guild.members[str(user_id)].user_object()
        return FakeMember(str(user_id), f"user{user_id}").user_object()

    def find_message(self, message_id: str) -> Json | None:
        """A message by id, among channel messages and interaction responses."""
        for messages in self.messages.values():
            for message in messages:
                if message["id"] == message_id:
                    return message
        for interaction in self.interactions.values():
            if message_id in interaction.messages:
                return interaction.messages[message_id]
        return None

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int = 429,
        body: Any = None,
        times: int = 1,
        *,
        retry_after: float = 0.05,
    ) -> None:
        """Answer the next ``times`` calls matching ``method`` (``*``: any) and the whole
        path below /api/v10 with ``status``: 429 has Discord's ``retry_after`` body and
        ``Retry-After``; other statuses a ``{"message", "code": 0}`` body unless given."""
        pattern = re.compile(path_regex)
        self._faults.append(_Fault(method.upper(), pattern, status, body, retry_after, times))

    def calls_to(self, method: str, path_regex: str) -> list[Call]:
        """The calls of ``method`` whose whole path matches ``path_regex``."""
        pattern = re.compile(path_regex)
        return [c for c in self.calls if c.method == method.upper() and pattern.fullmatch(c.path)]

    # --- the gateway, for tests ------------------------------------------------------

    @property
    def identifies(self) -> int:
        return len(self.gateway.identifies)

    @property
    def resumes(self) -> int:
        return len(self.gateway.resumes)

    @property
    def intents(self) -> list[int]:
        """The intents of each IDENTIFY, in order."""
        return self.gateway.intents

    async def wait_connected(self, within: float = 10.0) -> None:
        await self.gateway.wait_connected(within)

    async def wait_ready(self, within: float = 10.0) -> None:
        """Until READY and the GUILD_CREATEs (or RESUMED) went out on the open socket."""
        await self.gateway.wait_ready(within)

    async def dispatch(self, event: str, data: Json) -> int:
        return await self.gateway.dispatch(event, data)

    async def drop_connection(self, code: int = 4000) -> None:
        await self.gateway.drop_connection(code)

    async def presence_update(self, guild: str, user: str, status: str) -> None:
        """A member's status changes; sent when the session asked for presences."""
        member = self.guilds[str(guild)].members[str(user)]
        member.status = status
        if self.gateway.session_intents & GUILD_PRESENCES:
            await self.dispatch("PRESENCE_UPDATE", member.presence(str(guild)))

    async def interact(self, payload: Json) -> FakeInteraction:
        """Send an INTERACTION_CREATE (see :meth:`slash`, :meth:`click`, …)."""
        interaction = FakeInteraction(payload)
        self.interactions[interaction.id] = interaction
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction

    def sent_modal(self, custom_id: str) -> Json | None:
        """The last modal with ``custom_id`` the bot showed (for :meth:`submit_modal`)."""
        shown = [i.modal for i in self.interactions.values() if i.modal]
        return next((m for m in reversed(shown) if m.get("custom_id") == custom_id), None)

    # --- REST ------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        body, files = await _read_body(request)
        self.calls.append(
            Call(request.method, path, dict(request.query), body, tuple(f for f, _ in files))
        )
        open_route = path.startswith(("/interactions/", "/webhooks/"))
        if not open_route and request.headers.get("Authorization") != f"Bot {self.token}":
            return _response(401, {"message": "401: Unauthorized", "code": 0})
        fault = self._fault(request.method, path)
        if fault is not None:
            return fault
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if method == request.method and match:
                params = {k: v for k, v in match.groupdict().items() if v is not None}
                return _response(
                    *handler(_Request(request.method, params, body, request.query, files))
                )
        return _response(404, {"message": "404: Not Found", "code": 0})

    def _fault(self, method: str, path: str) -> web.Response | None:
        for fault in self._faults:
            if fault.left > 0 and fault.method in ("*", method) and fault.pattern.fullmatch(path):
                fault.left -= 1
                if fault.status != 429:
                    default = {"message": f"{fault.status}: fake failure", "code": 0}
                    return _response(fault.status, default if fault.body is None else fault.body)
                body = fault.body or {
                    "message": "You are being rate limited.",
                    "retry_after": fault.retry_after,
                    "global": False,
                }
                headers = {
                    "Retry-After": str(fault.retry_after),
                    "Via": "1.1 google",
                    "X-RateLimit-Scope": "user",
                }
                return _response(429, body, headers)
        return None

    def _route_table(self) -> list[tuple[str, str, Callable[[_Request], Answer]]]:
        app, guild, channel = r"(?P<app>\d+)", r"(?P<guild>\d+)", r"(?P<channel>\d+)"
        hook = r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)"
        hook_message = hook + r"/messages/(?P<message>@original|\d+)"
        commands = rf"/applications/{app}(?:/guilds/{guild})?/commands"
        return [
            ("GET", r"/users/@me", lambda r: (200, self._me())),
            ("GET", r"/users/(?P<user>\d+)", self._get_user),
            ("GET", r"/(?:oauth2/)?applications/@me", lambda r: (200, self._application())),
            ("GET", r"/gateway", lambda r: (200, {"url": str(self.gateway_url)})),
            ("GET", r"/gateway/bot", lambda r: (200, self._gateway_bot())),
            ("PUT", commands, self._put_commands),
            ("GET", commands, lambda r: (200, self.commands.get(r.params.get("guild"), []))),
            ("POST", r"/users/@me/channels", self._open_dm),
            ("GET", rf"/channels/{channel}", self._get_channel),
            ("POST", rf"/channels/{channel}/messages", self._post_message),
            ("GET", rf"/channels/{channel}/messages/(?P<message>\d+)", self._channel_message),
            ("PATCH", rf"/channels/{channel}/messages/(?P<message>\d+)", self._channel_message),
            ("DELETE", rf"/channels/{channel}/messages/(?P<message>\d+)", self._channel_message),
            ("GET", rf"/guilds/{guild}(?:/(?P<part>roles|channels))?", self._get_guild),
            ("GET", rf"/guilds/{guild}/members/(?P<user>\d+)", self._get_member),
            ("POST", r"/interactions/(?P<id>\d+)/(?P<token>[^/]+)/callback", self._callback),
            ("POST", hook, self._followup),
            ("GET", hook_message, self._webhook_message),
            ("PATCH", hook_message, self._webhook_message),
            ("DELETE", hook_message, self._webhook_message),
        ]

    def _me(self) -> Json:
        return {**self.bot.user_object(), "verified": True, "mfa_enabled": False, "flags": 0}

    def _application(self) -> Json:
        """GET /oauth2/applications/@me: no interactions endpoint URL (else discord.py
        warns that it will receive no interactions)."""
        owner = FakeMember("1000000000000000001", "owner").user_object()
        return {
            "id": self.application_id,
            "name": self.bot.username,
            "icon": None,
            "description": "",
            "summary": "",
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": APPLICATION_FLAGS,
            "owner": owner,
            "team": None,
            "bot": self.bot.user_object(),
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "tags": [],
        }

    def _gateway_bot(self) -> Json:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1}
        return {"url": str(self.gateway_url), "shards": 1, "session_start_limit": limit}

    def _get_user(self, r: _Request) -> Answer:
        user = self.user_object(r.params["user"])
        if not any(r.params["user"] in g.members for g in self.guilds.values()):
            return _error(404, 10013, "Unknown User")
        return 200, user

    def _put_commands(self, r: _Request) -> Answer:
        """Bulk overwrite: ids stay for a (name, type) already there, as on Discord."""
        scope = r.params.get("guild")
        if r.params["app"] != self.application_id:
            return _error(403, 50001, "Missing Access")
        if scope is not None and scope not in self.guilds:
            return _error(403, 50001, "Missing Access")
        if not isinstance(r.body, list):
            return _error(400, 50035, "Invalid Form Body")
        found = problems(r.body) if self.validate_commands else []
        if found:
            errors = [{"code": "APPLICATION_COMMAND_INVALID", "message": p} for p in found]
            return 400, {
                "code": 50035,
                "message": "Invalid Form Body",
                "errors": {"_errors": errors},
            }
        kept = {(c["name"], c.get("type", 1)): c["id"] for c in self.commands.get(scope, [])}
        stored = []
        for given in r.body:
            command = {"type": 1, "description": "", "default_member_permissions": None}
            command.update(copy.deepcopy(given), application_id=self.application_id)
            command["id"] = kept.get((command["name"], command["type"])) or self.ids.next()
            command.update(version=self.ids.next(), nsfw=bool(command.get("nsfw")))
            if scope is not None:
                command["guild_id"] = scope
            stored.append(command)
        self.commands[scope] = stored
        return 200, stored

    def _open_dm(self, r: _Request) -> Answer:
        user = str(r.json.get("recipient_id", ""))
        if not user.isdigit():
            return _error(400, 50035, "Invalid Form Body")
        return 200, self._dm_object(user)

    def _dm_object(self, user: str) -> Json:
        recipient = self.user_object(user)
        return {
            "id": self.dm_channel_id(user),
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": [recipient],
        }

    def _channel(self, channel_id: str) -> tuple[FakeGuild | None, Json] | None:
        """The guild (None for a DM) and the object of a channel, if it exists."""
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild, guild.channels[channel_id].channel_object(guild.id)
        for user, dm in self._dm_channels.items():
            if dm == channel_id:
                return None, self._dm_object(user)
        return None

    def _get_channel(self, r: _Request) -> Answer:
        found = self._channel(r.params["channel"])
        return (200, found[1]) if found else _error(404, 10003, "Unknown Channel")

    def _post_message(self, r: _Request) -> Answer:
        channel_id = r.params["channel"]
        found = self._channel(channel_id)
        if found is None:
            return _error(404, 10003, "Unknown Channel")
        guild, channel = found
        if guild is None and channel["recipients"][0]["id"] in self.refuse_dms:
            return _error(403, 50007, "Cannot send messages to this user")
        body = r.json
        if not (body.get("content") or body.get("embeds") or body.get("components") or r.files):
            return _error(400, 50006, "Cannot send an empty message")
        message = self.new_message(channel_id, body, guild.id if guild else None, r.files)
        self.messages.setdefault(channel_id, []).append(message)
        return 200, message

    def _channel_message(self, r: _Request) -> Answer:
        messages = self.messages.get(r.params["channel"], [])
        message = next((m for m in messages if m["id"] == r.params["message"]), None)
        if message is None:
            return _error(404, 10008, "Unknown Message")
        if r.method == "DELETE":
            messages.remove(message)
            return 204, None
        if r.method == "PATCH":
            self._edit(message, r.json, r.files)
        return 200, message

    def _get_guild(self, r: _Request) -> Answer:
        """GET /guilds/{id}, and its /roles and /channels (``part``)."""
        guild = self.guilds.get(r.params["guild"])
        if guild is None:
            return _error(404, 10004, "Unknown Guild")
        if r.params.get("part") == "roles":
            return 200, [role.role_object() for role in guild.roles.values()]
        if r.params.get("part") == "channels":
            return 200, [channel.channel_object(guild.id) for channel in guild.channels.values()]
        return 200, guild.guild_object()

    def _get_member(self, r: _Request) -> Answer:
        guild = self.guilds.get(r.params["guild"])
        if guild is None:
            return _error(404, 10004, "Unknown Guild")
        member = guild.members.get(r.params["user"])
        if member is None:
            return _error(404, 10007, "Unknown Member")
        return 200, member.member_object()

    # --- interaction responses -------------------------------------------------------

    def _callback(self, r: _Request) -> Answer:
        """POST /interactions/{id}/{token}/callback?with_response=1, answered with the
        InteractionCallbackResponse discord.py 2.7 parses."""
        interaction = self.interactions.get(r.params["id"])
        if interaction is None or interaction.token != r.params["token"]:
            return _error(404, 10062, "Unknown interaction")
        if interaction.callback is not None:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        body = r.json
        kind = int(body.get("type", 0))
        data = body.get("data") or {}
        interaction.responses.append({"kind": "callback", "body": body})
        message = None
        if kind in (4, 5):
            flags = int(data.get("flags") or 0) | (LOADING if kind == 5 else 0)
            message = self._interaction_message(interaction, {**data, "flags": flags}, r.files)
            interaction.original_id = message["id"]
        elif kind in (6, 7):
            message = self._component_message(interaction)
            if kind == 7:
                self._edit(message, data, r.files)
        answer: Json = {"interaction": {"id": interaction.id, "type": interaction.type}}
        if message is not None and kind != 6:
            answer["interaction"].update(
                response_message_id=message["id"],
                response_message_loading=kind == 5,
                response_message_ephemeral=bool(message["flags"] & EPHEMERAL),
            )
            answer["resource"] = {"type": kind, "message": message}
        elif kind not in (1, 8):
            answer["resource"] = {"type": kind}
        return (204, None) if r.query.get("with_response") is None else (200, answer)

    def _component_message(self, interaction: FakeInteraction) -> Json:
        """The message a component interaction came from, stored with the interaction."""
        given = interaction.payload.get("message")
        assert given is not None, "a type 6/7 answer to an interaction without a message"
        message = self.find_message(given["id"]) or copy.deepcopy(given)
        interaction.messages[message["id"]] = message
        interaction.original_id = message["id"]
        return message

    def _interaction_message(
        self, interaction: FakeInteraction, data: Json, files: list[tuple[str, int]]
    ) -> Json:
        payload = interaction.payload
        kind = 20 if interaction.type == 2 else 0
        message = self.new_message(
            payload["channel"]["id"], data, payload.get("guild_id"), files, kind=kind
        )
        user = (payload.get("member") or payload)["user"]
        message.update(
            webhook_id=self.application_id,
            application_id=self.application_id,
            interaction_metadata={"id": interaction.id, "type": interaction.type, "user": user},
        )
        interaction.messages[message["id"]] = message
        if not message["flags"] & EPHEMERAL:
            self.messages.setdefault(message["channel_id"], []).append(message)
        return message

    def _by_token(self, r: _Request) -> FakeInteraction | None:
        if r.params["app"] != self.application_id:
            return None
        return next((i for i in self.interactions.values() if i.token == r.params["token"]), None)

    def _followup(self, r: _Request) -> Answer:
        interaction = self._by_token(r)
        if interaction is None or interaction.callback is None:
            return _error(404, 10015, "Unknown Webhook")
        message = self._interaction_message(interaction, r.json, r.files)
        interaction.responses.append(
            {"kind": "followup", "body": r.json, "message_id": message["id"]}
        )
        return (204, None) if r.query.get("wait") in ("false", "0") else (200, message)

    def _webhook_message(self, r: _Request) -> Answer:
        """GET, PATCH or DELETE ``@original`` or a follow-up of an interaction."""
        interaction = self._by_token(r)
        if interaction is None:
            return _error(404, 10015, "Unknown Webhook")
        wanted = r.params["message"]
        message_id = interaction.original_id if wanted == "@original" else wanted
        message = interaction.messages.get(message_id or "")
        if message is None:
            return _error(404, 10008, "Unknown Message")
        if r.method == "GET":
            return 200, message
        record = {"kind": "edit", "body": r.json, "message_id": message["id"]}
        if r.method == "DELETE":
            del interaction.messages[message["id"]]
            for messages in self.messages.values():
                if message in messages:
                    messages.remove(message)
            interaction.responses.append({**record, "kind": "delete", "body": {}})
            return 204, None
        self._edit(message, r.json, r.files)
        message["flags"] &= ~LOADING
        interaction.responses.append(record)
        return 200, message

    # --- messages --------------------------------------------------------------------

    def new_message(
        self,
        channel_id: str,
        data: Json,
        guild_id: str | None = None,
        files: list[tuple[str, int]] | tuple[()] = (),
        *,
        kind: int = 0,
    ) -> Json:
        """A message object by the bot (Discord's shape), not stored anywhere."""
        message: Json = {
            "id": self.ids.next(),
            "type": kind,
            "channel_id": channel_id,
            "author": self.bot.user_object(),
            "content": data.get("content") or "",
            "embeds": copy.deepcopy(data.get("embeds") or []),
            "components": copy.deepcopy(data.get("components") or []),
            "attachments": self._attachments(channel_id, list(files)),
            "flags": int(data.get("flags") or 0),
            "timestamp": _now(),
            "edited_timestamp": None,
            "tts": bool(data.get("tts")),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
        }
        if guild_id is not None:
            message["guild_id"] = guild_id
        return message

    def _edit(self, message: Json, data: Json, files: list[tuple[str, int]]) -> None:
        for key, empty in (("content", ""), ("embeds", []), ("components", []), ("flags", 0)):
            if key in data:
                message[key] = copy.deepcopy(data[key]) if data[key] is not None else empty
        if "attachments" in data:
            keep = {str(a.get("id")) for a in data["attachments"] or []}
            message["attachments"] = [a for a in message["attachments"] if a["id"] in keep]
        message["attachments"] += self._attachments(message["channel_id"], files)
        message["edited_timestamp"] = _now()

    def _attachments(self, channel_id: str, files: list[tuple[str, int]]) -> list[Json]:
        attachments = []
        for filename, size in files:
            attachment_id = self.ids.next()
            url = f"{self.url}/attachments/{channel_id}/{attachment_id}/{filename}"
            attachments.append(
                {
                    "id": attachment_id,
                    "filename": filename,
                    "size": size,
                    "url": url,
                    "proxy_url": url,
                }
            )
        return attachments


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _error(status: int, code: int, message: str) -> Answer:
    return status, {"message": message, "code": code}


def _response(status: int, data: Any, headers: dict[str, str] | None = None) -> web.Response:
    """JSON with ``Content-Type: application/json`` exactly: discord.py reads a body with
    any other content type (a charset included) as text."""
    if status == 204:
        return web.Response(status=204)
    body = json.dumps(data).encode()
    return web.Response(
        status=status, body=body, headers={"Content-Type": "application/json", **(headers or {})}
    )


async def _read_body(request: web.Request) -> tuple[Any, list[tuple[str, int]]]:
    """The JSON body (``payload_json`` of a multipart one) and (filename, size) of files."""
    if not request.can_read_body:
        return None, []
    if request.content_type != "multipart/form-data":
        text = await request.text()
        return (json.loads(text) if text else None), []
    payload: Any = None
    files: list[tuple[str, int]] = []
    for key, value in (await request.post()).items():
        if isinstance(value, web.FileField):
            files.append((value.filename, len(value.file.read())))
        elif key == "payload_json":
            payload = json.loads(value if isinstance(value, str) else bytes(value).decode())
    return payload, files
