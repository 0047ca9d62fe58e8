"""The Discord gateway of :mod:`tests.discord_fake`, and the guild state both halves share.

The protocol is Discord's (discord.com/developers/docs/events/gateway) as discord.py 2.7
speaks it (``discord/gateway.py``): on connect HELLO (op 10); heartbeats (op 1) are ACKed
(op 11); IDENTIFY (op 2) opens a session with READY then one GUILD_CREATE per guild;
RESUME (op 6) of that session replays the events the client missed and ends with
RESUMED; REQUEST_GUILD_MEMBERS (op 8) answers one GUILD_MEMBERS_CHUNK. Every dispatch
(op 0) carries the next sequence number and is kept for replay until the next IDENTIFY.
Payload shapes follow ``fixtures/discord/gateway_*.json``. We send text frames only:
discord.py decompresses binary frames and reads text frames as they come.
"""

import asyncio
import contextlib
import copy
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

import yarl
from aiohttp import WSMsgType, web

from tests.waiting import until

Json = dict[str, Any]

GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
MESSAGE_CONTENT = 1 << 15
# Discord closes with 4014 when an app asks for one it was not granted.
PRIVILEGED_INTENTS = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT

# fixtures/discord/gateway_guild_create.json: what @everyone may do in a fresh guild.
EVERYONE_PERMISSIONS = 1071698660929
ADMINISTRATOR = 1 << 3
ALL_PERMISSIONS = (1 << 51) - 1
APPLICATION_FLAGS = 565248  # fixtures/discord/gateway_ready.json
JOINED_AT = "2024-01-01T00:00:00.000000+00:00"
_DISCORD_EPOCH_MS = 1420070400000


class Snowflakes:
    """Unique, increasing ids that carry the current time, as Discord's do (discord.py
    derives ``created_at`` from them)."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> str:
        now = (int(time.time() * 1000) - _DISCORD_EPOCH_MS) << 22
        self._last = max(now, self._last + 1)
        return str(self._last)


@dataclass
class FakeMember:
    """A user as a member of one guild, with the presence status others see."""

    user_id: str
    username: str
    global_name: str | None = None
    roles: list[str] = field(default_factory=list)
    status: str = "online"
    bot: bool = False
    nick: str | None = None

    def user_object(self) -> Json:
        return {
            "id": self.user_id,
            "username": self.username,
            "global_name": self.global_name,
            "discriminator": "0",
            "avatar": None,
            "public_flags": 0,
            "bot": self.bot,
        }

    def member_object(self) -> Json:
        return {
            "user": self.user_object(),
            "roles": list(self.roles),
            "nick": self.nick,
            "avatar": None,
            "joined_at": JOINED_AT,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }

    def presence(self, guild_id: str) -> Json:
        """PRESENCE_UPDATE's shape (fixtures/discord/gateway_presence_update.json)."""
        client_status = {} if self.status == "offline" else {"desktop": self.status}
        return {
            "user": {"id": self.user_id},
            "status": self.status,
            "guild_id": guild_id,
            "client_status": client_status,
            "activities": [],
        }


@dataclass
class FakeRole:
    id: str
    name: str
    permissions: int = 0
    position: int = 1

    def role_object(self) -> Json:
        return {
            "id": self.id,
            "name": self.name,
            "color": 0,
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": False,
            "mentionable": False,
            "flags": 0,
            "tags": {},
        }


@dataclass
class FakeChannel:
    id: str
    name: str
    type: int = 0  # 0 text, 4 category
    parent_id: str | None = None
    position: int = 0

    def channel_object(self, guild_id: str) -> Json:
        return {
            "id": self.id,
            "type": self.type,
            "guild_id": guild_id,
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [],
            "parent_id": self.parent_id,
            "topic": None,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "flags": 0,
        }


@dataclass
class FakeGuild:
    """One guild: members (the bot among them, as on Discord), roles, channels."""

    id: str
    name: str
    owner_id: str
    members: dict[str, FakeMember] = field(default_factory=dict)
    roles: dict[str, FakeRole] = field(default_factory=dict)
    channels: dict[str, FakeChannel] = field(default_factory=dict)

    @property
    def general(self) -> str:
        """The id of the first text channel, where interactions happen by default."""
        return next(c.id for c in self.channels.values() if c.type == 0)

    def permissions(self, user_id: str) -> int:
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        value = self.roles[self.id].permissions
        for role_id in self.members[user_id].roles:
            value |= self.roles[role_id].permissions if role_id in self.roles else 0
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value

    def guild_object(self) -> Json:
        """GET /guilds/{id}: the guild without members or channels."""
        return {
            "id": self.id,
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": self.owner_id,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [role.role_object() for role in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": self.general,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "max_members": 500000,
            "max_video_channel_users": 25,
        }

    def create_payload(self, *, presences: bool) -> Json:
        """GUILD_CREATE (fixtures/discord/gateway_guild_create.json). Every member is
        sent and ``member_count`` counts exactly those (discord.py's ``chunked``);
        presences only to a session with the presences intent, as Discord does."""
        members = list(self.members.values())
        payload = self.guild_object()
        payload.update(
            unavailable=False,
            large=False,
            lazy=True,
            joined_at=JOINED_AT,
            member_count=len(members),
            members=[member.member_object() for member in members],
            presences=[m.presence(self.id) for m in members if presences and m.status != "offline"],
            channels=[channel.channel_object(self.id) for channel in self.channels.values()],
            threads=[],
            voice_states=[],
            stage_instances=[],
            guild_scheduled_events=[],
            embedded_activities=[],
        )
        return payload


class GatewayHost(Protocol):
    """What the gateway reads of :class:`tests.discord_fake.FakeDiscord`."""

    token: str
    application_id: str
    bot: FakeMember
    guilds: dict[str, FakeGuild]
    refuse_privileged_intents: bool

    @property
    def gateway_url(self) -> yarl.URL: ...


class FakeGateway:
    """The websocket at ``/gateway``. ``identifies`` and ``resumes`` hold the payloads
    received (without the token), ``intents`` the intents of each IDENTIFY."""

    def __init__(self, host: GatewayHost) -> None:
        self.host = host
        self.heartbeat_interval = 41250  # ms, fixtures/discord/gateway_hello.json
        self.identifies: list[Json] = []
        self.resumes: list[Json] = []
        self.intents: list[int] = []
        self.connections = 0
        self.heartbeats = 0
        self.session_id: str | None = None
        self.session_intents = 0
        self.sent: list[Json] = []  # the dispatches of this session, for RESUME
        self._seq = 0
        self._ws: web.WebSocketResponse | None = None
        self._live = False  # READY or RESUMED sent on the open socket
        self._lock = asyncio.Lock()

    # --- what tests do ---------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    @property
    def live(self) -> bool:
        return self.connected and self._live

    async def wait_connected(self, within: float = 10.0) -> None:
        await until(lambda: self.connected, "a gateway connection", within=within)

    async def wait_ready(self, within: float = 10.0) -> None:
        """Until READY and the GUILD_CREATEs (or RESUMED) went out on the open socket."""
        await until(lambda: self.live, "a READY (or RESUMED) gateway session", within=within)

    async def dispatch(self, event: str, data: Json) -> int:
        """Send one op 0 event; returns its sequence number. With the socket down it is
        only kept, and replayed when the client RESUMEs, as Discord does."""
        assert self.session_id is not None, "no gateway session yet: await wait_ready()"
        async with self._lock:
            return await self._send_event(self._ws if self.live else None, event, data)

    async def drop_connection(self, code: int = 4000) -> None:
        """Close the socket with a code discord.py resumes after (4000: unknown error)."""
        ws = self._ws
        assert ws is not None and not ws.closed, "no gateway connection to drop"
        self._live = False
        await ws.close(code=code, message=b"fake: connection dropped")

    async def close(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close(code=1001, message=b"fake: going away")

    # --- the socket ------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self._ws, self._live = ws, False
        self.connections += 1
        hello = {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval}, "s": None}
        await ws.send_str(json.dumps({**hello, "t": None}))
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    await self._received(ws, json.loads(message.data))
        finally:
            if self._ws is ws:
                self._ws, self._live = None, False
        return ws

    async def _received(self, ws: web.WebSocketResponse, message: Json) -> None:
        op, data = message.get("op"), message.get("d") or {}
        if op == 1:
            self.heartbeats += 1
            await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
        elif op == 2:
            await self._identify(ws, data)
        elif op == 6:
            await self._resume(ws, data)
        elif op == 8:
            await self._request_members(data)

    async def _identify(self, ws: web.WebSocketResponse, data: Json) -> None:
        self.identifies.append({k: v for k, v in data.items() if k != "token"})
        intents = int(data.get("intents", 0))
        self.intents.append(intents)
        if data.get("token") != self.host.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        if self.host.refuse_privileged_intents and intents & PRIVILEGED_INTENTS:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        async with self._lock:
            self.session_id, self.session_intents = uuid.uuid4().hex, intents
            self._seq, self.sent = 0, []
            await self._send_event(ws, "READY", self._ready())
            for guild in self.host.guilds.values():
                payload = guild.create_payload(presences=bool(intents & GUILD_PRESENCES))
                await self._send_event(ws, "GUILD_CREATE", payload)
            self._live = True

    async def _resume(self, ws: web.WebSocketResponse, data: Json) -> None:
        self.resumes.append({k: v for k, v in data.items() if k != "token"})
        if data.get("token") != self.host.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        if self.session_id is None or data.get("session_id") != self.session_id:
            # Invalid session, not resumable: the client IDENTIFYs again.
            await ws.send_str(json.dumps({"op": 9, "d": False, "s": None, "t": None}))
            return
        seen = int(data.get("seq") or 0)
        async with self._lock:
            for event in self.sent:
                if event["s"] > seen:
                    await ws.send_str(json.dumps(event))
            await self._send_event(ws, "RESUMED", {})
            self._live = True

    async def _request_members(self, data: Json) -> None:
        guild = self.host.guilds.get(str(data.get("guild_id")))
        if guild is None or self.session_id is None:
            return
        wanted = {str(u) for u in data.get("user_ids") or []}
        query = str(data.get("query") or "").lower()
        members = [
            m
            for m in guild.members.values()
            if (m.user_id in wanted if wanted else m.username.lower().startswith(query))
        ]
        chunk: Json = {
            "guild_id": guild.id,
            "members": [m.member_object() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": sorted(wanted - {m.user_id for m in members}),
        }
        if data.get("presences"):
            chunk["presences"] = [m.presence(guild.id) for m in members]
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    def _ready(self) -> Json:
        """READY (fixtures/discord/gateway_ready.json), guilds unavailable until their
        GUILD_CREATE."""
        host = self.host
        user = {**host.bot.user_object(), "verified": True, "mfa_enabled": False}
        return {
            "v": 10,
            "user_settings": {},
            "user": {**user, "flags": 0, "email": None},
            "session_type": "normal",
            "session_id": self.session_id,
            "resume_gateway_url": str(host.gateway_url),
            "relationships": [],
            "private_channels": [],
            "presences": [],
            "guilds": [{"id": guild_id, "unavailable": True} for guild_id in host.guilds],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["rotterdam"],
            "application": {"id": host.application_id, "flags": APPLICATION_FLAGS},
        }

    async def _send_event(self, ws: web.WebSocketResponse | None, event: str, data: Json) -> int:
        """Number and keep one dispatch, and send it if a socket is given (lock held)."""
        self._seq += 1
        payload = {"op": 0, "t": event, "s": self._seq, "d": data}
        self.sent.append(payload)
        if ws is not None and not ws.closed:
            with contextlib.suppress(ConnectionResetError):  # kept in ``sent`` for RESUME
                await ws.send_str(json.dumps(payload))
        return self._seq


# --- INTERACTION_CREATE payloads -----------------------------------------------------

SUBCOMMAND, GROUP = 1, 2
_INTERACTIVE = {2, 3, 5, 6, 7, 8}  # buttons and the select menus
_ID_TYPES = {6, 7, 8, 9}  # user, channel, role, mentionable: values are snowflakes


def components_of(message: Json) -> list[Json]:
    """The buttons and selects of a message, through rows, sections, containers, labels."""
    found: list[Json] = []
    pending = list(message.get("components") or [])
    while pending:
        component = pending.pop(0)
        if component.get("type") in _INTERACTIVE:
            found.append(component)
        nested = list(component.get("components") or [])
        nested += [component[k] for k in ("accessory", "component") if component.get(k)]
        pending[:0] = nested
    return found


class InteractionBuilder:
    """Builders of INTERACTION_CREATE payloads that discord.py 2.7 accepts, mixed into
    :class:`tests.discord_fake.FakeDiscord` (whose state they read). Guild ones carry
    ``member`` (with ``user``, ``roles``, ``flags``, ``permissions``) and ``guild_id``;
    DM ones ``user`` and neither; all carry ``id``, ``token``, ``application_id``,
    ``version``, ``attachment_size_limit`` and a ``channel`` object (DESIGN §5)."""

    application_id: str
    bot_user_id: str
    guilds: dict[str, FakeGuild]
    commands: dict[str | None, list[Json]]
    ids: Snowflakes

    def dm_channel_id(self, user_id: str) -> str:
        raise NotImplementedError

    def user_object(self, user_id: str) -> Json:
        raise NotImplementedError

    def sent_modal(self, custom_id: str) -> Json | None:
        raise NotImplementedError

    def new_message(
        self,
        channel_id: str,
        data: Json,
        guild_id: str | None = None,
        files: list[tuple[str, int]] | tuple[()] = (),
        *,
        kind: int = 0,
    ) -> Json:
        raise NotImplementedError

    def slash(
        self,
        guild: str | None,
        user: str,
        name: str,
        options: list[Json] | dict[str, Any] | None = None,
        *,
        channel: str | None = None,
    ) -> Json:
        """A slash command (type 2). ``name`` may hold the subcommand path (``"ping
        echo"``). ``options`` are Discord's nested list as is, or ``{name: value}`` for the
        leaf command, typed from the synced command (``commands``) when it is there.
        ``guild`` None: in the bot's DMs (global commands only)."""
        return self._base(2, user, guild, channel, self._command_data(guild, name, options))

    def autocomplete(
        self,
        guild: str | None,
        user: str,
        name: str,
        options: list[Json] | dict[str, Any] | None,
        focused: str,
        *,
        channel: str | None = None,
    ) -> Json:
        """An autocomplete request (type 4): option ``focused`` is being typed."""
        data = self._command_data(guild, name, options, focused=focused)
        return self._base(4, user, guild, channel, data)

    def click(
        self,
        custom_id: str,
        user: str,
        message: Json | None = None,
        guild: str | None = None,
        *,
        values: list[str] | None = None,
    ) -> Json:
        """A button click or select choice (type 3) on ``message`` (a stored message or
        one from ``FakeInteraction.messages``), in its guild (none: a DM). Discord sends
        only components a message shows, and discord.py dispatches a DynamicItem only
        then: no ``message`` makes one holding a button ``custom_id``."""
        if message is None:
            channel = self.guilds[str(guild)].general if guild else self.dm_channel_id(user)
            button = {"type": 2, "style": 1, "label": custom_id, "custom_id": custom_id}
            row = {"type": 1, "components": [button]}
            message = self.new_message(channel, {"components": [row]}, guild and str(guild))
        if guild is None:
            guild = message.get("guild_id")
        shown = components_of(message)
        component = next((c for c in shown if c.get("custom_id") == custom_id), None)
        if component is None:
            raise ValueError(f"message {message['id']} shows no component {custom_id!r}")
        data: Json = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] != 2:
            data["values"] = [str(v) for v in values or []]
        payload = self._base(3, user, guild, message["channel_id"], data)
        payload["message"] = copy.deepcopy(message)
        return payload

    def submit_modal(
        self,
        custom_id: str,
        values: dict[str, str | list[str]],
        user: str,
        guild: str | None = None,
        *,
        message: Json | None = None,
    ) -> Json:
        """A modal submit (type 5): ``values`` by component custom_id, a string for a
        text input, a list for a select. The layout (rows or labels) mirrors the modal
        the bot showed with that custom_id, if it did."""
        layout: dict[str, tuple[int, int]] = {}
        for outer in (self.sent_modal(custom_id) or {}).get("components") or []:
            inner = [outer["component"]] if outer.get("type") == 18 else outer.get("components")
            for shown in inner or []:
                layout[str(shown.get("custom_id"))] = (int(outer["type"]), int(shown["type"]))
        components = []
        for key, value in values.items():
            wrapper, kind = layout.get(key, (1, 4) if isinstance(value, str) else (18, 3))
            item: Json = {"type": kind, "custom_id": key}
            item["value" if isinstance(value, str) else "values"] = value
            row = {"type": 1, "components": [item]}
            components.append(row if wrapper == 1 else {"type": 18, "component": item})
        if message is not None and guild is None:
            guild = message.get("guild_id")
        channel = message["channel_id"] if message is not None else None
        data = {"custom_id": custom_id, "components": components}
        payload = self._base(5, user, guild, channel, data)
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        return payload

    def _base(
        self, kind: int, user: str, guild: str | None, channel: str | None, data: Json
    ) -> Json:
        user = str(user)
        payload: Json = {
            "id": self.ids.next(),
            "application_id": self.application_id,
            "type": kind,
            "token": f"fake-interaction-token-{uuid.uuid4().hex}",
            "version": 1,
            "attachment_size_limit": 10 * 1024 * 1024,
            "locale": "en-US",
            "entitlements": [],
            "data": data,
        }
        if guild is None:
            channel_id = channel or self.dm_channel_id(user)
            dm = {"id": channel_id, "type": 1, "flags": 0, "last_message_id": None}
            payload.update(
                user=self.user_object(user),
                channel={**dm, "recipients": [self.user_object(user)]},
                channel_id=channel_id,
                context=1,
                app_permissions=str(EVERYONE_PERMISSIONS),
            )
            return payload
        found = self.guilds[str(guild)]
        member = found.members.get(user)
        assert member is not None, f"user {user} is not in guild {guild}: add_member first"
        permissions = str(found.permissions(user))
        where = found.channels[channel or found.general].channel_object(found.id)
        payload.update(
            guild_id=found.id,
            guild={"id": found.id, "locale": "en-US", "features": []},
            guild_locale="en-US",
            member={**member.member_object(), "permissions": permissions},
            channel={**where, "permissions": permissions},
            channel_id=where["id"],
            context=0,
            app_permissions=str(found.permissions(self.bot_user_id)),
            authorizing_integration_owners={"0": found.id},
        )
        return payload

    def _command_data(
        self,
        guild: str | None,
        name: str,
        options: list[Json] | dict[str, Any] | None,
        *,
        focused: str | None = None,
    ) -> Json:
        root, *path = name.split()
        scope, schema = self._synced(guild, root)
        data: Json = {"id": schema["id"] if schema else self.ids.next(), "name": root, "type": 1}
        if scope is not None:
            data["guild_id"] = scope
        if isinstance(options, list):
            data["options"] = copy.deepcopy(options)
            leaves = _leaves(data["options"])
        else:
            parent, known = data, list((schema or {}).get("options") or [])
            for index, part in enumerate(path):
                found = next((o for o in known if o.get("name") == part), None)
                nested = GROUP if index < len(path) - 1 else SUBCOMMAND
                kind = int(found["type"]) if found else nested
                node: Json = {"type": kind, "name": part, "options": []}
                parent.setdefault("options", []).append(node)
                parent, known = node, list((found or {}).get("options") or [])
            leaves = []
            for key, value in (options or {}).items():
                found = next((o for o in known if o.get("name") == key), None)
                kind = int(found["type"]) if found else _inferred_type(value)
                leaves.append({"type": kind, "name": key, "value": _typed(kind, value)})
            parent["options"] = leaves
        for leaf in leaves:
            if leaf.get("name") == focused:
                leaf.update(focused=True, value=str(leaf.get("value", "")))
        resolved = self._resolved(guild, leaves)
        if resolved:
            data["resolved"] = resolved
        return data

    def _synced(self, guild: str | None, name: str) -> tuple[str | None, Json | None]:
        """Where the command was synced (its scope and definition): guild first."""
        for scope in ([str(guild)] if guild is not None else []) + [None]:
            for command in self.commands.get(scope, []):
                if command.get("name") == name and command.get("type", 1) == 1:
                    return scope, command
        return (str(guild) if guild is not None else None), None

    def _resolved(self, guild: str | None, leaves: list[Json]) -> Json:
        """``data.resolved`` for user, role, channel and mentionable option values."""
        found = self.guilds.get(str(guild)) if guild is not None else None
        resolved: dict[str, Json] = {}
        for leaf in leaves:
            if leaf.get("type") not in _ID_TYPES or leaf.get("focused"):
                continue
            value = str(leaf.get("value"))
            if found is not None and value in found.roles:
                resolved.setdefault("roles", {})[value] = found.roles[value].role_object()
            elif found is not None and value in found.channels:
                channel = found.channels[value].channel_object(found.id)
                permissions = str(found.permissions(self.bot_user_id))
                resolved.setdefault("channels", {})[value] = {**channel, "permissions": permissions}
            elif leaf["type"] in (6, 9):
                resolved.setdefault("users", {})[value] = self.user_object(value)
                if found is not None and value in found.members:
                    member = found.members[value].member_object()
                    del member["user"]
                    member["permissions"] = str(found.permissions(value))
                    resolved.setdefault("members", {})[value] = member
        return resolved


def _leaves(options: list[Json]) -> list[Json]:
    for option in options:
        if option.get("type") in (SUBCOMMAND, GROUP):
            return _leaves(option.get("options") or [])
    return options


def _inferred_type(value: object) -> int:
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    return 3


def _typed(kind: int, value: object) -> object:
    """An option value as Discord sends it for its type."""
    if kind == 4 and not isinstance(value, bool):
        return int(str(value))
    if kind == 10:
        return float(str(value))
    if kind == 5:
        return bool(value)
    return str(value)
