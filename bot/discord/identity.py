"""Who is asking, from a Discord interaction: a guild is a workspace, a user a member.

The one guard every interaction passes: it comes from a guild the bot is in (a DM
holds only buttons, whose custom id names their guild, and the clicker must still be
in it), from a user who is a member of that guild, and the member's Discord roles are
read at that moment so that role grants follow them.
"""

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import discord

from core.errors import NotFound, NotMember
from core.usecases import identities
from core.usecases.context import Actor, Services
from core.usecases.identities import ChatProfile
from core.workspace import Member

log = logging.getLogger(__name__)

# A Discord user in text: ``<@123>`` (``<@!123>`` is the older nickname form).
DISCORD_USER = re.compile(r"<@!?(\d{15,21})>")
DISCORD_ROLE = re.compile(r"^<@&(\d{15,21})>$")
# People on Discord are written as mentions, or by their member name (typed in a modal).
MENTION = re.compile(r"<@!?\d{15,21}>|(?<![\w@<.])@[A-Za-z0-9][\w.-]*(?<![.-])")

NOT_IN_GUILD = "Use `/trypost` in your server: I work for servers, not in DMs."
UNKNOWN_GUILD = (
    "I am not in this server: a server admin can invite me with the link in the operator's README."
)
LEFT_GUILD = "You are no longer in the server this button belongs to."


def show_member(member: Member) -> str:
    """A member as Discord draws them: a mention (rendered by name, no ping in embeds)."""
    return f"<@{member.discord_user_id}>" if member.discord_user_id else f"@{member.name}"


def profile_of(user: discord.abc.User) -> ChatProfile:
    """What Discord tells of a person: an id and a name; never an address or a zone."""
    return ChatProfile(str(user.id), user.global_name or user.name)


def chat_roles(member: discord.Member) -> frozenset[str]:
    """The member's role ids, ``@everyone`` (the guild's own id) included."""
    return frozenset(str(role.id) for role in member.roles) | {str(member.guild.id)}


@dataclass
class Guard:
    services: Services
    client: discord.Client
    # guild id → workspace id, once the workspace exists (it is never deleted).
    _workspaces: dict[int, int] = field(default_factory=dict)

    async def member_of(
        self, interaction: discord.Interaction, guild_id: str | None
    ) -> tuple[discord.Guild, discord.Member]:
        """The guild and guild member behind an interaction, or a refusal.

        ``guild_id`` is the guild a clicked button belongs to (None for a command): in a
        guild it must be that guild; in a DM the clicker's membership is asked of Discord.
        """
        if interaction.guild_id is None:
            if not guild_id:
                raise NotMember(NOT_IN_GUILD)
            guild = self.client.get_guild(int(guild_id))
            if guild is None:
                raise NotFound(UNKNOWN_GUILD)
            found = guild.get_member(interaction.user.id)
            if found is None:
                try:
                    found = await guild.fetch_member(interaction.user.id)
                except discord.NotFound:
                    raise NotMember(LEFT_GUILD) from None
            return guild, found
        if guild_id and guild_id != str(interaction.guild_id):
            raise NotFound("That button belongs to another server.")
        guild = self.client.get_guild(interaction.guild_id)
        if guild is None:
            raise NotFound(UNKNOWN_GUILD)
        user = interaction.user
        if not isinstance(user, discord.Member) or user.guild.id != guild.id:
            raise NotMember("Only members of this server can use me here.")
        return guild, user

    async def actor(self, guild: discord.Guild, member: discord.Member) -> Actor:
        workspace_id = await self.workspace_id(guild)
        return await identities.discord_actor(
            self.services, workspace_id, profile_of(member), chat_roles(member)
        )

    async def workspace_id(self, guild: discord.Guild) -> int:
        known = self._workspaces.get(guild.id)
        if known is not None:
            return known
        workspace = await identities.discord_workspace(
            self.services, str(guild.id), guild.name, await self._owner(guild)
        )
        self._workspaces[guild.id] = workspace.id
        return workspace.id

    async def _owner(self, guild: discord.Guild) -> ChatProfile:
        """The guild owner, its first owner here (their name, if Discord gives it)."""
        owner_id = guild.owner_id or 0
        owner = guild.get_member(owner_id)
        if owner is None:
            try:
                owner = await guild.fetch_member(owner_id)
            except discord.HTTPException:
                log.warning("guild owner not readable", extra={"guild": guild.id})
                return ChatProfile(str(owner_id), f"owner-{owner_id}")
        return profile_of(owner)

    def person(
        self, guild: discord.Guild
    ) -> Callable[[str], Awaitable[identities.ChatProfile | None]]:
        """A person as typed: a Discord mention (by member name if they are one, else as
        Discord names them), or a plain ``@name``."""

        async def person(text: str) -> identities.ChatProfile | None:
            found = DISCORD_USER.fullmatch(text.strip())
            if found is None:
                name = text.strip().lstrip("@")
                return ChatProfile("", name) if name else None
            user_id = int(found[1])
            user: discord.abc.User | None = guild.get_member(user_id)
            if user is None:
                try:
                    user = await guild.fetch_member(user_id)
                except discord.HTTPException:
                    return identities.discord_profile(str(user_id), str(user_id))
            return identities.discord_profile(str(user_id), user.global_name or user.name)

        return person

    @staticmethod
    def chat_role(
        guild: discord.Guild,
    ) -> Callable[[str], Awaitable[tuple[str, str] | None]]:
        """``<@&123>`` → (role id, role name) when it is a role of this guild."""

        async def role(text: str) -> tuple[str, str] | None:
            found = DISCORD_ROLE.match(text.strip())
            if found is None:
                return None
            known = guild.get_role(int(found[1]))
            return (found[1], known.name if known else found[1])

        return role
