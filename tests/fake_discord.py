"""A loopback Discord for end-to-end tests: REST under ``/api/v10`` and a gateway
websocket, enough for the real discord.py 2.7 client (DESIGN §5 lists what it demands).

Shapes follow ``../shared/fixtures/discord/``. Everything the bot sends is recorded: REST
calls, interaction callbacks and follow-ups (per interaction), and messages per channel.

Outages are scripted per REST route with :meth:`FakeDiscord.fail_next` (an error status,
429 with ``retry_after``) and :meth:`FakeDiscord.drop_next` (the connection closed with
no answer, before or after the request was carried out). A message sent with a
``nonce`` and ``enforce_nonce`` is created once per channel and nonce, as Discord does:
a repeat gets the message made the first time.
"""

import asyncio
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yarl
from aiohttp import WSMsgType, web

TOKEN = "fake-discord-bot-token"
APPLICATION = "1030118727418646629"
BOT_USER = "1030118727418646630"
EPHEMERAL = 64
PRIVILEGED = (1 << 1) | (1 << 8)  # GUILD_MEMBERS, GUILD_PRESENCES
_snowflakes = itertools.count(1_100_000_000_000_000_000)


def snowflake() -> str:
    return str(next(_snowflakes))


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly application/json: with a charset discord.py reads the body as text.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def user_object(user_id: str, name: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "public_flags": 0,
        "bot": False,
    }


@dataclass
class FakeMember:
    user_id: str
    name: str
    roles: list[str] = field(default_factory=list)
    status: str = "online"

    def member_object(self) -> dict[str, Any]:
        return {
            "user": user_object(self.user_id, self.name),
            "roles": list(self.roles),
            "nick": None,
            "avatar": None,
            "joined_at": "2026-01-01T00:00:00.000000+00:00",
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }


@dataclass
class FakeGuild:
    id: str
    name: str
    owner_id: str
    channel_id: str = field(default_factory=snowflake)
    members: dict[str, FakeMember] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)

    def guild_object(self) -> dict[str, Any]:
        roles = [
            {"id": self.id, "name": "@everyone", "permissions": "0", "position": 0},
            *(
                {"id": rid, "name": name, "permissions": "0", "position": i + 1}
                for i, (rid, name) in enumerate(self.roles.items())
            ),
        ]
        for role in roles:
            role.update(color=0, hoist=False, managed=False, mentionable=True, flags=0)
        return {
            "id": self.id,
            "name": self.name,
            "owner_id": self.owner_id,
            "icon": None,
            "features": [],
            "roles": roles,
            "emojis": [],
            "stickers": [],
            "channels": [
                {
                    "id": self.channel_id,
                    "type": 0,
                    "name": "general",
                    "position": 0,
                    "permission_overwrites": [],
                    "guild_id": self.id,
                }
            ],
            "threads": [],
            "members": [m.member_object() for m in self.members.values()],
            "presences": [
                {
                    "user": {"id": m.user_id},
                    "status": m.status,
                    "activities": [],
                    "client_status": {},
                }
                for m in self.members.values()
            ],
            "member_count": len(self.members),
            "large": False,
            "unavailable": False,
            "mfa_level": 0,
            "verification_level": 0,
            "explicit_content_filter": 0,
            "default_message_notifications": 0,
            "premium_tier": 0,
            "nsfw_level": 0,
            "preferred_locale": "en-US",
            "system_channel_flags": 0,
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
        }


@dataclass
class RestFault:
    """The next ``times`` requests matching ``method`` and ``pattern`` (a regex on the
    path under /api/v10): answered ``status``, or dropped (``drop``) before or after
    the fake carried them out (``after``: the answer is lost, the effect is not)."""

    method: str
    pattern: str
    times: int = 1
    status: int = 0
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    after: bool = False


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class FakeInteraction:
    """One interaction sent to the bot, and everything it answered to it."""

    payload: dict[str, Any]
    answers: list[dict[str, Any]] = field(default_factory=list)
    answered: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def token(self) -> str:
        return str(self.payload["token"])

    def callback_types(self) -> list[int]:
        return [a["type"] for a in self.answers if "type" in a]

    @property
    def modal(self) -> dict[str, Any] | None:
        for answer in self.answers:
            if answer.get("type") == 9:
                return dict(answer["data"])
        return None

    def messages(self) -> list[dict[str, Any]]:
        """Every message body answered (callback data, edits, follow-ups), in order."""
        found = []
        for answer in self.answers:
            data = answer.get("data") if "type" in answer else answer
            if isinstance(data, dict) and ("embeds" in data or "content" in data):
                found.append(data)
        return found

    def texts(self) -> str:
        return "\n".join(message_text(m) for m in self.messages())


def message_text(message: dict[str, Any]) -> str:
    lines = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        lines += [embed.get("title") or "", embed.get("description") or ""]
        lines += [f"{f['name']}: {f['value']}" for f in embed.get("fields") or []]
        lines.append((embed.get("footer") or {}).get("text") or "")
    return "\n".join(line for line in lines if line)


def buttons_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in message.get("components") or [] for c in row.get("components", [])]


class FakeDiscord:
    def __init__(self) -> None:
        self.guilds: dict[str, FakeGuild] = {}
        self.calls: list[Call] = []
        self.commands: dict[str | None, list[dict[str, Any]]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.dm_channels: dict[str, str] = {}  # user id → channel id
        self.refuse_dms: set[str] = set()
        self.refuse_privileged_intents = False
        self.identifies: list[int] = []
        self.resumes = 0
        self.interactions: dict[str, FakeInteraction] = {}
        self.faults: list[RestFault] = []
        # (channel, nonce) → the message an enforce_nonce send created.
        self._nonces: dict[tuple[str, str], dict[str, Any]] = {}
        self._by_token: dict[str, FakeInteraction] = {}
        self._socket: web.WebSocketResponse | None = None
        self._seq = 0
        self._session = "fake-session"
        self.ready = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- life ---------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # --- state --------------------------------------------------------------

    def add_guild(self, name: str, owner: FakeMember) -> FakeGuild:
        guild = FakeGuild(snowflake(), name, owner.user_id)
        guild.members[owner.user_id] = owner
        self.guilds[guild.id] = guild
        return guild

    def dm_messages(self, user_id: str) -> list[dict[str, Any]]:
        channel = self.dm_channels.get(user_id)
        return self.messages.get(channel, []) if channel else []

    def calls_to(self, method: str, pattern: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and re.search(pattern, c.path)]

    def fail_next(
        self,
        method: str,
        pattern: str,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
    ) -> None:
        """The next ``times`` requests there answer ``status`` with Discord's error
        shape; a 429 carries ``retry_after`` (body and header) and the ``Via`` header
        Discord's edge adds, so discord.py takes it as a rate limit, not a ban."""
        body: dict[str, Any] = {"message": f"{status}: fault", "code": 0}
        headers: dict[str, str] = {}
        if status == 429:
            wait = 0.0 if retry_after is None else retry_after
            body = {"message": "You are being rate limited.", "retry_after": wait, "global": False}
            headers = {"Retry-After": str(wait), "Via": "1.1 google", "X-RateLimit-Scope": "user"}
        self.faults.append(RestFault(method, pattern, times, status, body, headers))

    def drop_next(self, method: str, pattern: str, *, times: int = 1, after: bool = False) -> None:
        """The next ``times`` requests there get no answer: the connection is closed,
        before the request is carried out or (``after``) once it has been."""
        self.faults.append(RestFault(method, pattern, times, drop=True, after=after))

    def _fault_for(self, method: str, path: str) -> RestFault | None:
        for fault in self.faults:
            if fault.method == method and re.search(fault.pattern, path):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    # --- gateway ------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._socket = socket
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        async for message in socket:
            if message.type is not WSMsgType.TEXT:
                break
            frame = json.loads(message.data)
            op = frame.get("op")
            if op == 1:
                await socket.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif op == 2:
                await self._identify(socket, frame["d"])
            elif op == 6:
                self.resumes += 1
                await self._send(socket, "RESUMED", {})
        return socket

    async def _identify(self, socket: web.WebSocketResponse, data: dict[str, Any]) -> None:
        intents = int(data.get("intents", 0))
        self.identifies.append(intents)
        if self.refuse_privileged_intents and intents & PRIVILEGED:
            await socket.close(code=4014, message=b"Disallowed intent(s).")
            return
        self._seq = 0
        bot = {**user_object(BOT_USER, "TryPost"), "bot": True, "verified": True, "flags": 0}
        await self._send(
            socket,
            "READY",
            {
                "v": 10,
                "user": bot,
                "session_type": "normal",
                "session_id": self._session,
                "resume_gateway_url": self.gateway_url,
                "guilds": [{"id": g, "unavailable": True} for g in self.guilds],
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "application": {"id": APPLICATION, "flags": 0},
            },
        )
        for guild in self.guilds.values():
            await self._send(socket, "GUILD_CREATE", guild.guild_object())

    async def _send(self, socket: web.WebSocketResponse, event: str, data: Any) -> None:
        self._seq += 1
        await socket.send_json({"op": 0, "t": event, "s": self._seq, "d": data})
        if event == "GUILD_CREATE" and self._seq == len(self.guilds) + 1:
            self.ready.set()

    async def dispatch(self, event: str, data: Any) -> None:
        assert self._socket is not None, "the bot is not connected"
        await self._send(self._socket, event, data)

    async def drop_connection(self) -> None:
        """Close as Discord does for a reconnect; discord.py RESUMEs."""
        assert self._socket is not None
        await self._socket.close(code=4000, message=b"Unknown error")

    async def presence_update(self, guild: FakeGuild, user_id: str, status: str) -> None:
        guild.members[user_id].status = status
        await self.dispatch(
            "PRESENCE_UPDATE",
            {
                "user": {"id": user_id},
                "status": status,
                "guild_id": guild.id,
                "client_status": {"desktop": status},
                "activities": [],
            },
        )

    # --- interactions -------------------------------------------------------

    def _base(
        self, kind: int, user: FakeMember, guild: FakeGuild | None, channel: str
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": snowflake(),
            "type": kind,
            "token": f"itoken-{snowflake()}",
            "application_id": APPLICATION,
            "version": 1,
            "attachment_size_limit": 26214400,
            "locale": "en-US",
            "app_permissions": "2147502080",
            "entitlements": [],
            "authorizing_integration_owners": {"0": guild.id} if guild else {"1": user.user_id},
            "channel_id": channel,
        }
        if guild is not None:
            payload["guild_id"] = guild.id
            payload["guild_locale"] = "en-US"
            payload["channel"] = {
                "id": channel,
                "type": 0,
                "guild_id": guild.id,
                "name": "general",
                "position": 0,
                "permission_overwrites": [],
                "flags": 0,
            }
            payload["member"] = {**user.member_object(), "permissions": "2147483647"}
            payload["context"] = 0
        else:
            payload["channel"] = {
                "id": channel,
                "type": 1,
                "recipients": [user_object(user.user_id, user.name)],
                "flags": 0,
            }
            payload["user"] = user_object(user.user_id, user.name)
            payload["context"] = 1
        return payload

    def slash(
        self,
        guild: FakeGuild,
        user: FakeMember,
        options: list[dict[str, Any]],
        resolved: dict[str, Any] | None = None,
        *,
        kind: int = 2,
    ) -> dict[str, Any]:
        payload = self._base(kind, user, guild, guild.channel_id)
        payload["data"] = {
            "id": snowflake(),
            "name": "trypost",
            "type": 1,
            "guild_id": guild.id,
            "options": options,
            **({"resolved": resolved} if resolved else {}),
        }
        return payload

    def click(
        self,
        custom_id: str,
        user: FakeMember,
        message: dict[str, Any],
        guild: FakeGuild | None = None,
    ) -> dict[str, Any]:
        payload = self._base(3, user, guild, str(message["channel_id"]))
        payload["message"] = message
        payload["data"] = {"custom_id": custom_id, "component_type": 2}
        return payload

    def submit_modal(
        self,
        modal: dict[str, Any],
        values: dict[str, str],
        user: FakeMember,
        guild: FakeGuild | None = None,
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        channel = (
            str(message["channel_id"])
            if message
            else (guild.channel_id if guild else self.dm_channels[user.user_id])
        )
        payload = self._base(5, user, guild, channel)
        payload["data"] = {
            "custom_id": modal["custom_id"],
            "components": [
                {"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]}
                for k, v in values.items()
            ],
        }
        if message is not None:
            payload["message"] = message
        return payload

    async def interact(self, payload: dict[str, Any]) -> FakeInteraction:
        interaction = FakeInteraction(payload)
        self.interactions[payload["id"]] = interaction
        self._by_token[payload["token"]] = interaction
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction

    # --- REST ---------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        body = (
            await request.json()
            if request.can_read_body and request.content_type == "application/json"
            else None
        )
        if body is None and request.can_read_body and request.content_type.startswith("multipart"):
            body = await self._multipart(request)
        path = "/" + request.match_info["tail"]
        self.calls.append(Call(request.method, path, dict(request.query), body))
        if (
            request.headers.get("Authorization") != f"Bot {TOKEN}"
            and not path.startswith("/webhooks/")
            and not path.startswith("/interactions/")
        ):
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        fault = self._fault_for(request.method, path)
        if fault is not None and not fault.drop:
            return _json(fault.body, fault.status, fault.headers)
        if fault is not None and not fault.after:
            return _dropped(request)
        answer = _json({"message": "404: Not Found", "code": 0}, 404)
        for method, pattern, handler in self._routes():
            found = re.fullmatch(pattern, path)
            if found and method == request.method:
                answer = handler(body or {}, *found.groups())
                break
        return _dropped(request) if fault is not None else answer

    @staticmethod
    async def _multipart(request: web.Request) -> Any:
        reader = await request.multipart()
        async for part in reader:
            if getattr(part, "name", None) == "payload_json":
                return json.loads(await part.text())  # type: ignore[union-attr]
        return None

    def _routes(self) -> Iterator[tuple[str, str, Any]]:
        yield (
            "GET",
            r"/users/@me",
            lambda b: _json({**user_object(BOT_USER, "TryPost"), "bot": True}),
        )
        yield (
            "GET",
            r"/(?:oauth2/)?applications/@me",
            lambda b: _json(
                {
                    "id": APPLICATION,
                    "name": "TryPost",
                    "description": "",
                    "bot_public": False,
                    "bot_require_code_grant": False,
                    "verify_key": "0" * 64,
                    "flags": 0,
                    "icon": None,
                    "owner": user_object("1", "owner"),
                }
            ),
        )
        yield (
            "GET",
            r"/gateway(?:/bot)?",
            lambda b: _json(
                {
                    "url": self.gateway_url,
                    "shards": 1,
                    "session_start_limit": {
                        "total": 1000,
                        "remaining": 999,
                        "reset_after": 0,
                        "max_concurrency": 1,
                    },
                }
            ),
        )
        yield "PUT", r"/applications/\d+/guilds/(\d+)/commands", self._sync_commands
        yield "PUT", r"/applications/\d+/commands", lambda b: self._sync_commands(b, None)
        yield "POST", r"/users/@me/channels", self._open_dm
        yield "POST", r"/channels/(\d+)/messages", self._post_message
        yield "GET", r"/guilds/(\d+)/members/(\d+)", self._get_member
        yield "POST", r"/interactions/(\d+)/([^/]+)/callback", self._callback
        yield "POST", r"/webhooks/\d+/([^/]+)", self._followup
        yield "PATCH", r"/webhooks/\d+/([^/]+)/messages/([^/]+)", self._edit
        yield (
            "GET",
            r"/webhooks/\d+/([^/]+)/messages/([^/]+)",
            lambda b, t, m: _json(self._message({}, "0")),
        )

    def _sync_commands(self, body: list[dict[str, Any]], guild: str | None) -> web.Response:
        stored = [
            {
                **c,
                "id": snowflake(),
                "application_id": APPLICATION,
                "version": "1",
                **({"guild_id": guild} if guild else {}),
            }
            for c in body
        ]
        self.commands[guild] = stored
        return _json(stored)

    def _open_dm(self, body: dict[str, Any]) -> web.Response:
        user = str(body["recipient_id"])
        channel = self.dm_channels.setdefault(user, snowflake())
        return _json(
            {
                "id": channel,
                "type": 1,
                "recipients": [user_object(user, user)],
                "last_message_id": None,
                "flags": 0,
            }
        )

    def _message(self, body: dict[str, Any], channel: str) -> dict[str, Any]:
        return {
            "id": snowflake(),
            "channel_id": channel,
            "type": 0,
            "content": body.get("content") or "",
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "author": {**user_object(BOT_USER, "TryPost"), "bot": True},
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": "2026-11-25T10:00:00.000000+00:00",
            "edited_timestamp": None,
            "flags": body.get("flags") or 0,
        }

    def _post_message(self, body: dict[str, Any], channel: str) -> web.Response:
        user = next((u for u, c in self.dm_channels.items() if c == channel), None)
        if user in self.refuse_dms:
            return _json({"message": "Cannot send messages to this user", "code": 50007}, 403)
        nonce = body.get("nonce")
        if body.get("enforce_nonce") and nonce is not None:
            made = self._nonces.get((channel, str(nonce)))
            if made is not None:
                return _json(made)
        message = self._message(body, channel)
        if nonce is not None:
            message["nonce"] = nonce
            if body.get("enforce_nonce"):
                self._nonces[(channel, str(nonce))] = message
        self.messages.setdefault(channel, []).append(message)
        return _json(message)

    def _get_member(self, body: Any, guild: str, user: str) -> web.Response:
        found = self.guilds.get(guild)
        member = found.members.get(user) if found else None
        if member is None:
            return _json({"message": "Unknown Member", "code": 10007}, 404)
        return _json(member.member_object())

    def _callback(self, body: dict[str, Any], interaction_id: str, token: str) -> web.Response:
        interaction = self._by_token[token]
        interaction.answers.append(body)
        interaction.answered.set()
        message = self._message(body.get("data") or {}, str(interaction.payload["channel_id"]))
        resource: dict[str, Any] = {"type": body["type"]}
        if body["type"] in (4, 7):
            resource["message"] = message
        return _json(
            {
                "interaction": {
                    "id": interaction_id,
                    "type": interaction.payload["type"],
                    "activity_instance_id": None,
                    "response_message_id": message["id"],
                    "response_message_loading": False,
                    "response_message_ephemeral": False,
                },
                "resource": resource,
            }
        )

    def _followup(self, body: dict[str, Any], token: str) -> web.Response:
        interaction = self._by_token[token]
        interaction.answers.append(body)
        return _json(self._message(body, str(interaction.payload["channel_id"])))

    def _edit(self, body: dict[str, Any], token: str, message_id: str) -> web.Response:
        interaction = self._by_token[token]
        interaction.answers.append(body)
        clicked = interaction.payload.get("message")
        if message_id == "@original" and clicked and body.get("components") is not None:
            # An update of the message clicked: it now carries the new buttons.
            clicked.update(components=body.get("components"), embeds=body.get("embeds"))
        return _json(self._message(body, str(interaction.payload["channel_id"])))


def _dropped(request: web.Request) -> web.Response:
    """Close the connection with no answer (what the client sees when Discord's edge or
    the network fails mid-request)."""
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=204)


def gateway_url(fake: FakeDiscord) -> yarl.URL:
    return yarl.URL(fake.gateway_url)
