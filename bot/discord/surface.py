"""The Discord surface: a discord.py gateway bot with ``/trypost``, its clicks and DMs.

``trypost run`` and ``trypost worker`` start it when ``DISCORD_BOT_TOKEN`` is set. At
each start the command tree is synced to every guild the bot is in (instant), or
globally with ``TRYPOST_DISCORD_COMMANDS=global`` (Discord takes up to an hour to show
it). ``TRYPOST_DISCORD_API_URL`` / ``TRYPOST_DISCORD_GATEWAY_URL`` point discord.py
elsewhere (a proxy, or the tests' fake Discord).

Presence needs two privileged intents (Server Members, Presence). The bot asks for
them; when the application has not been allowed them, Discord closes the connection
(4014), and the bot connects again without them, says so once in the log, and counts
every member as away.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

import discord
import yarl
from discord import app_commands

from bot.commands.connect import Connect
from bot.commands.media import links_only
from bot.discord.commands import trypost_command
from bot.discord.gateway import DiscordChat
from bot.discord.identity import Guard
from bot.discord.interactions import DiscordListeners, answering
from bot.settings import Settings
from core.usecases.context import Services
from core.workspace import Member

log = logging.getLogger(__name__)

# Discord sends GUILD_CREATE for each guild right after READY; wait this long for them.
GUILD_READY_TIMEOUT = 2.0
READY_TIMEOUT = 60.0
# The gateway connection's task, which lives until the app closes.
DISCORD_TASK = "trypost-discord"
INTENTS_HELP = (
    "discord presence is off: enable the Server Members and Presence intents of the "
    "application (Developer Portal → Bot → Privileged Gateway Intents); until then every "
    "member counts as away and gets email as well as DMs"
)

STALE_COMMAND = (
    "Discord sent an older form of this command. Type it again (Discord may take a minute "
    "to show the new one); `/trypost help` lists them."
)
# What discord.py raises when the command it got differs from the one registered.
STALE_COMMAND_ERRORS = (
    app_commands.CommandNotFound,
    app_commands.CommandSignatureMismatch,
    app_commands.TransformerError,
)


class DiscordStartFailed(Exception):
    """The bot could not connect; the message says why, in one line."""


def discord_configured(settings: Settings) -> bool:
    return settings.discord_bot_token is not None


def point_at(api_url: str, gateway_url: str) -> None:
    """discord.py reads both from class attributes: that is the one way to move them."""
    discord.http.Route.BASE = api_url.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


@dataclass
class DiscordSurface:
    settings: Settings
    services: Services
    # Where connect links point, and the operator's OAuth apps.
    connect: Connect
    guard: Guard = field(init=False)
    listeners: DiscordListeners = field(init=False)
    chat: DiscordChat = field(init=False)
    client: discord.Client = field(init=False)
    _task: "asyncio.Task[None] | None" = None
    _synced: set[int] = field(default_factory=set)
    _tree: "app_commands.CommandTree[discord.Client] | None" = None
    _syncing: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.client = _client(presences=True)
        self.guard = Guard(self.services, self.client)
        self.listeners = DiscordListeners(
            self.services,
            self.guard,
            media=links_only(self.settings.private_hosts_allowed),
            connect=self.connect,
        )
        self.chat = DiscordChat(self.client, self._guild_of)
        self._wire(self.client)

    def _wire(self, client: discord.Client) -> None:
        """The command tree and the events this surface answers, on ``client``."""
        tree: app_commands.CommandTree[discord.Client] = _CheckedTree(client)
        tree.add_command(trypost_command(self.listeners))
        tree.error(self._command_failed)
        self._tree = tree

        async def on_ready() -> None:
            await self._sync(tree, list(client.guilds))

        async def on_guild_join(guild: discord.Guild) -> None:
            await self._sync(tree, [guild])

        async def on_interaction(interaction: discord.Interaction) -> None:
            await self.listeners.on_interaction(interaction)

        for listener in (on_ready, on_guild_join, on_interaction):
            client.event(listener)

    async def start(self) -> None:
        """Log in and connect; returns once the bot is ready (or raises why not)."""
        point_at(self.settings.discord_api_url, self.settings.discord_gateway_url)
        try:
            await self._connect()
        except discord.PrivilegedIntentsRequired:
            log.warning(INTENTS_HELP)
            await self.client.close()
            self.client = _client(presences=False)
            self.guard.client = self.client
            self.chat.client = self.client
            self._wire(self.client)
            self._synced.clear()
            await self._connect()

    async def _connect(self) -> None:
        assert self.settings.discord_bot_token is not None
        token = self.settings.discord_bot_token.get_secret_value()
        try:
            await self.client.login(token)
        except discord.LoginFailure:
            await self.client.close()
            raise DiscordStartFailed("DISCORD_BOT_TOKEN was refused by Discord") from None
        except (discord.HTTPException, OSError) as failed:
            await self.client.close()
            raise DiscordStartFailed(f"cannot reach Discord: {failed}") from None
        self._task = asyncio.create_task(self.client.connect(reconnect=True), name=DISCORD_TASK)
        ready = asyncio.create_task(self.client.wait_until_ready())
        done, _ = await asyncio.wait(
            {self._task, ready}, timeout=READY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
        )
        if self._task in done:
            ready.cancel()
            self._task.result()  # raises why it ended
            raise DiscordStartFailed("the Discord connection ended before it was ready")
        if ready not in done:
            ready.cancel()
            raise DiscordStartFailed(f"Discord did not get ready within {READY_TIMEOUT:.0f} s")
        # Ready means every guild arrived: /trypost is there once start returns.
        assert self._tree is not None
        await self._sync(self._tree, list(self.client.guilds))

    async def aclose(self) -> None:
        await self.client.close()
        if self._task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._task

    async def _guild_of(self, member: Member) -> str | None:
        async with self.services.uow() as uow:
            workspace = await uow.workspaces.get(member.workspace_id)
        return workspace.discord_guild_id if workspace else None

    async def _sync(
        self, tree: app_commands.CommandTree[discord.Client], guilds: list[discord.Guild]
    ) -> None:
        """Commands per guild (they show at once), or once globally if so configured."""
        async with self._syncing:
            await self._sync_now(tree, guilds)

    async def _sync_now(
        self, tree: app_commands.CommandTree[discord.Client], guilds: list[discord.Guild]
    ) -> None:
        if self.settings.discord_commands == "global":
            if 0 not in self._synced:
                await tree.sync()
                self._synced.add(0)
            return
        for guild in guilds:
            if guild.id in self._synced:
                continue
            tree.copy_global_to(guild=guild)
            try:
                await tree.sync(guild=guild)
            except discord.HTTPException as refused:
                log.warning(
                    "commands not synced to a guild",
                    extra={"guild": guild.id, "error": f"{refused.status} {refused.code}"},
                )
                continue
            self._synced.add(guild.id)
            log.info("commands synced", extra={"guild": guild.id})

    async def _command_failed(
        self, interaction: discord.Interaction, failed: app_commands.AppCommandError
    ) -> None:
        """A command discord.py could not even call (an option it could not read)."""
        cause = failed.original if isinstance(failed, app_commands.CommandInvokeError) else failed
        if isinstance(cause, STALE_COMMAND_ERRORS):
            # Discord's copy of /trypost is older or newer than ours (a deploy it has not
            # caught up with): nothing went wrong here, the person types it again.
            log.warning("command out of date", extra={"error": str(cause)[:200]})
            async with answering(interaction):
                if interaction.type is discord.InteractionType.autocomplete:
                    await interaction.response.autocomplete([])
                else:
                    await self.listeners.refuse(interaction, STALE_COMMAND)
            return
        async with answering(interaction):
            raise cause


class _CheckedTree(app_commands.CommandTree[discord.Client]):
    """A tree that calls a command only with options of the types it registered:
    discord.py hands over whatever Discord sent (a string where a member is expected),
    and Discord sends an older form while its copy of the commands lags behind ours."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        data: dict[str, Any] = dict(interaction.data or {})
        if data.get("type", 1) != 1:
            return True
        node = self.get_command(str(data.get("name")))
        options: list[dict[str, Any]] = list(data.get("options") or [])
        while isinstance(node, app_commands.Group):
            sub = next((o for o in options if o.get("type") in (1, 2)), None)
            if sub is None:
                raise app_commands.CommandSignatureMismatch(node)
            node = node.get_command(str(sub.get("name")))
            options = list(sub.get("options") or [])
        if isinstance(node, app_commands.Command):
            kinds = {p.display_name: p.type.value for p in node.parameters}
            if any(o.get("name") in kinds and o.get("type") != kinds[o["name"]] for o in options):
                raise app_commands.CommandSignatureMismatch(node)
        return True  # an unknown command is discord.py's to report


def _client(*, presences: bool) -> discord.Client:
    intents = discord.Intents.default()
    intents.members = presences
    intents.presences = presences
    return discord.Client(
        intents=intents,
        chunk_guilds_at_startup=False,
        guild_ready_timeout=GUILD_READY_TIMEOUT,
        # Members are cached as the gateway sends them (GUILD_CREATE, presence updates);
        # nobody is fetched in bulk.
        member_cache_flags=discord.MemberCacheFlags.from_intents(intents),
        # Nothing we send may ping: a mention in a reply is a name, never an alert.
        allowed_mentions=discord.AllowedMentions.none(),
    )
