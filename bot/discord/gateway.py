"""Discord as one of the core's chat gateways: DMs and presence.

A DM is ``POST /users/@me/channels`` then a message in that channel, sent with the
delivery's key as its nonce (``enforce_nonce``), so Discord drops a repeat of a DM it
already posted (within its nonce window) when the outbox retries after a lost answer.
discord.py waits out 429s itself; what still fails becomes a :class:`DeliveryFailed`:
a member with DMs closed (403, code 50007) is final, so the outbox sends the notice by
email instead of retrying it for ever.

Presence is the member's status in the guild as the gateway last told it (the
presences intent): online and dnd are present, idle and offline away. Without the
intent Discord says nothing, and every member counts as away (an extra email rather
than a missed notice).
"""

import hashlib
import logging
from collections.abc import Awaitable, Callable

import aiohttp
import discord
from discord.http import handle_message_parameters

from bot.discord.render import embed_of, view_of
from core.messages import Reply
from core.notifications.model import Presence
from core.notifications.ports import DeliveryFailed
from core.workspace import Member

log = logging.getLogger(__name__)

GuildOf = Callable[[Member], Awaitable[str | None]]
# Discord's codes for "this person cannot be written to": DMs closed or no shared
# server (50007), unknown user (10013), the bot cannot DM at all (50278 is not here).
FINAL_CODES = frozenset({50007, 10013, 50033})
_NONCE = 25  # Discord's longest nonce
_NETWORK_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)


class DiscordChat:
    """The core's ChatGateway over a running discord.py client."""

    def __init__(self, client: discord.Client, guild_of: GuildOf) -> None:
        self.client = client
        self._guild_of = guild_of

    def reaches(self, member: Member) -> bool:
        return bool(member.discord_user_id)

    async def presence(self, member: Member) -> Presence:
        if not member.discord_user_id or not self.client.intents.presences:
            return Presence.UNKNOWN
        guild_id = await self._guild_of(member)
        guild = self.client.get_guild(int(guild_id)) if guild_id else None
        found = guild.get_member(int(member.discord_user_id)) if guild else None
        if found is None:
            return Presence.UNKNOWN
        if found.status in (discord.Status.online, discord.Status.dnd):
            return Presence.PRESENT
        return Presence.AWAY

    async def send_dm(self, member: Member, message: Reply, key: str) -> None:
        user = member.discord_user_id
        if not user:
            raise DeliveryFailed(f"@{member.name} has no Discord user id", transient=False)
        guild_id = await self._guild_of(member) or ""
        http = self.client.http
        step = "open the DM"
        view = view_of(message, guild_id)
        try:
            channel = await http.start_private_message(int(user))
            step = "send the DM"
            with handle_message_parameters(
                embed=embed_of(message), view=view, nonce=_nonce(key)
            ) as params:
                if params.payload is not None:
                    params.payload["enforce_nonce"] = True
                await http.send_message(int(channel["id"]), params=params)
        except discord.HTTPException as failed:
            raise _failure(step, failed) from failed
        except _NETWORK_ERRORS as failed:
            raise DeliveryFailed(f"Discord: could not {step} ({type(failed).__name__})") from failed
        if view is not None:
            view.stop()
        log.debug("discord dm sent", extra={"discord_user": user, "key": key})


def _nonce(key: str) -> str:
    """A key too long for a nonce is shortened to a digest of it: still one per DM."""
    return key if len(key) <= _NONCE else hashlib.sha256(key.encode()).hexdigest()[:_NONCE]


def _failure(step: str, failed: discord.HTTPException) -> DeliveryFailed:
    reason = f"Discord: could not {step}: {failed.text or 'no answer'} (HTTP {failed.status}"
    reason += f", code {failed.code})" if failed.code else ")"
    if failed.code in FINAL_CODES or failed.status in (400, 401, 403, 404):
        return DeliveryFailed(reason, transient=False)
    return DeliveryFailed(reason)
