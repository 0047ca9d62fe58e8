"""Suggestions as people type an option: posts (with their first words), accounts,
labels, help topics and time zones.

Suggestions go through the same guard as commands: a stranger, or a member of another
server, is offered nothing. Whatever fails, the answer is an empty list (Discord shows
"no options"), never an error: autocomplete is a convenience.
"""

import logging
import zoneinfo
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.commands.grammar import VERBS
from core.usecases import accounts, labels, queries

if TYPE_CHECKING:
    from bot.discord.interactions import DiscordListeners

log = logging.getLogger(__name__)

MAX_CHOICES = 25
MAX_NAME = 100


class Posts:
    """``#12 Launch day! 🚀 …``: the number, with the post's first words."""

    def __init__(self, listeners: "DiscordListeners") -> None:
        self._listeners = listeners

    async def suggest(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        try:
            ctx = await self._listeners.context(interaction)
            found = await queries.list_posts(ctx.services, ctx.actor, "all")
        except Exception:
            log.debug("post suggestions unavailable", exc_info=True)
            return []
        typed = current.strip().lstrip("#").lower()
        choices = []
        for post in sorted(found.posts, key=lambda p: -p.number):
            words = " ".join(post.text.split())
            if typed and not (str(post.number).startswith(typed) or typed in words.lower()):
                continue
            choices.append(
                app_commands.Choice(name=_clip(f"#{post.number} {words}"), value=post.number)
            )
            if len(choices) == MAX_CHOICES:
                break
        return choices


class _Names:
    """Names, comma-separated: the last one typed is completed, those before are kept."""

    def __init__(self, listeners: "DiscordListeners") -> None:
        self._listeners = listeners

    async def names(self, interaction: discord.Interaction) -> list[str]:
        raise NotImplementedError

    async def suggest(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            known = await self.names(interaction)
        except Exception:
            log.debug("name suggestions unavailable", exc_info=True)
            return []
        *before, last = current.split(",") if current else [""]
        kept = [b.strip() for b in before if b.strip()]
        prefix = ", ".join(kept) + (", " if kept else "")
        typed = last.strip().lstrip("#").lower()
        return _choices(
            prefix + name for name in known if name.lower().startswith(typed) and name not in kept
        )

    async def one(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """For an option that takes a single name."""
        try:
            known = await self.names(interaction)
        except Exception:
            return []
        typed = current.strip().lower()
        return _choices(name for name in known if name.lower().startswith(typed))


class AccountNames(_Names):
    async def names(self, interaction: discord.Interaction) -> list[str]:
        ctx = await self._listeners.context(interaction)
        return [a.name for a in await accounts.list_accounts(ctx.services, ctx.actor)]


class LabelNames(_Names):
    async def names(self, interaction: discord.Interaction) -> list[str]:
        ctx = await self._listeners.context(interaction)
        return [label.name for label in await labels.list_labels(ctx.services, ctx.actor)]


async def help_topics(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    typed = current.strip().lower()
    return _choices(verb for verb in VERBS if verb.startswith(typed))


async def time_zones(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    typed = current.strip().lower().replace(" ", "_")
    return _choices(zone for zone in _zones() if typed in zone.lower())


@cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def _choices(names: Iterable[str]) -> list[app_commands.Choice[str]]:
    found: list[app_commands.Choice[str]] = []
    for name in names:
        if len(name) <= MAX_NAME:
            found.append(app_commands.Choice(name=name, value=name))
        if len(found) == MAX_CHOICES:
            break
    return found


def _clip(text: str) -> str:
    return text if len(text) <= MAX_NAME else text[: MAX_NAME - 1] + "…"
