"""Answering Discord interactions: commands, button clicks and modal submissions.

Every interaction is acknowledged first (a defer, or the modal it opens) so Discord
hears back within its 3 seconds; the work follows, through the shared dispatcher, as
the member asking, after the guard (:mod:`bot.discord.identity`). Replies are private
(ephemeral). A click that succeeds replaces the message clicked, as on Slack (the
buttons of a decided review are spent); a refusal is said beside it and never wipes it.
"""

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.commands import requests as rq
from bot.commands import views
from bot.commands.connect import Connect
from bot.commands.dispatch import Context, UnreadCache, dispatch
from bot.commands.errors import ParseError
from bot.commands.grammar import VERBS, parse
from bot.commands.media import MediaIntake, links_only
from bot.discord import modals
from bot.discord.identity import MENTION, Guard, show_member
from bot.discord.render import embed_of, read_button_id, view_of
from core.errors import DomainError
from core.messages import Reply, Tone, error
from core.posts import Post
from core.scheduling.progress import watching
from core.usecases import accounts, queries
from core.usecases.context import Services

log = logging.getLogger(__name__)

STALE = "That button is no longer available; type the command instead (`/trypost help`)."
# How many in-place updates a live publish makes before its outcome.
LIVE_UPDATES = 3


@dataclass
class DiscordListeners:
    services: Services
    guard: Guard
    media: MediaIntake = field(default_factory=links_only)
    connect: Connect = field(default_factory=Connect)
    _unread: UnreadCache = field(default_factory=UnreadCache)

    async def context(
        self, interaction: discord.Interaction, guild_id: str | None = None
    ) -> Context:
        guild, member = await self.guard.member_of(interaction, guild_id)
        actor = await self.guard.actor(guild, member)
        return Context(
            self.services,
            actor,
            self.guard.person(guild),
            self._unread,
            media=self.media,
            connect=self.connect,
            mention_pattern=MENTION,
            show_member=show_member,
            chat_role=self.guard.chat_role(guild),
        )

    # --- /trypost ---------------------------------------------------------------

    async def command(self, interaction: discord.Interaction, request: rq.Request) -> None:
        """A slash command: defer (private), run, and show the outcome in its place."""
        async with answering(interaction):
            if isinstance(request, rq.Schedule) and request.text is None:
                await self.compose(interaction, request)
                return
            await interaction.response.defer(ephemeral=True, thinking=True)
            ctx = await self.context(interaction)
            if isinstance(request, rq.Now | rq.Retry):
                await self._live(interaction, request, ctx, guild_of(interaction))
                return
            await _show(interaction, await dispatch(request, ctx), guild_of(interaction))

    async def refuse(self, interaction: discord.Interaction, message: str) -> None:
        await _tell(interaction, error(message))

    async def ask_words(self, interaction: discord.Interaction, kind: str, target: str) -> None:
        """Request changes / Comment without words: a box opens for them."""
        async with answering(interaction):
            await self.ask_words_for(interaction, kind, guild_of(interaction), target)

    @staticmethod
    async def ask_words_for(
        interaction: discord.Interaction, kind: str, guild_id: str, target: str
    ) -> None:
        modal = modals.words_for(kind, guild_id, target)
        await interaction.response.send_modal(modal)
        modal.stop()

    async def compose(self, interaction: discord.Interaction, prefill: rq.Schedule) -> None:
        """The composer modal: it must be the interaction's first answer."""
        ctx = await self.context(interaction)
        connected = await accounts.list_accounts(ctx.services, ctx.actor)
        zone = await queries.member_zone(ctx.services, ctx.actor)
        modal = modals.composer(guild_of(interaction), connected, zone, prefill)
        await interaction.response.send_modal(modal)
        modal.stop()  # its submission is read from its custom id, not kept here

    async def _live(
        self,
        interaction: discord.Interaction,
        request: rq.Request,
        ctx: Context,
        guild_id: str,
        *,
        clicked: bool = False,
    ) -> None:
        """Publish now / retry: one message that moves from ⏳ to ✅ or ❌ per platform.

        From a button (Retry) the updates replace the message clicked once publishing
        has started; a refusal (a viewer's click, another workspace's post) is said
        beside it, privately, and never wipes it."""
        names = {a.id: a.name for a in await accounts.list_accounts(ctx.services, ctx.actor)}
        verb = "Retrying" if isinstance(request, rq.Retry) else "Publishing"
        updates = 0

        async def show(post: Post) -> None:
            nonlocal updates
            if updates < LIVE_UPDATES:
                updates += 1
                await interaction.edit_original_response(
                    embed=embed_of(views.publish_progress(post, names, verb))
                )

        with watching(show):
            reply = await dispatch(request, ctx)
        if clicked and updates == 0:
            await _answer_click(interaction, reply, guild_id)
        else:
            await _show(interaction, reply, guild_id)

    # --- buttons and modals -----------------------------------------------------

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Clicks and modal submissions; commands and autocomplete are the tree's."""
        if interaction.type is discord.InteractionType.component:
            await self.click(interaction)
        elif interaction.type is discord.InteractionType.modal_submit:
            await self.submit(interaction)

    async def click(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        pressed = read_button_id(str(data.get("custom_id", "")))
        async with answering(interaction):
            if pressed is None or pressed.action not in VERBS:
                await interaction.response.send_message(
                    embed=embed_of(error(STALE)), ephemeral=True
                )
                return
            asked = _asks_for_words(pressed.action, pressed.target)
            if asked:
                # The modal must be the first answer; the guard runs at its submission.
                await self.ask_words_for(
                    interaction, pressed.action, pressed.guild_id, pressed.target
                )
                return
            await interaction.response.defer()
            ctx = await self.context(interaction, pressed.guild_id)
            request = parse(pressed.command)
            if isinstance(request, rq.Retry):
                await self._live(interaction, request, ctx, pressed.guild_id, clicked=True)
                return
            reply = await dispatch(request, ctx)
            await _answer_click(interaction, reply, pressed.guild_id)

    async def submit(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        modal = modals.read_modal_id(str(data.get("custom_id", "")))
        async with answering(interaction):
            if modal is None:
                await interaction.response.send_message(
                    embed=embed_of(error(STALE)), ephemeral=True
                )
                return
            request = modals.submitted(modals.values_of(data.get("components")), modal)
            from_message = interaction.message is not None and modal.kind == modals.CHANGES
            if from_message:
                await interaction.response.defer()
            else:
                await interaction.response.defer(ephemeral=True, thinking=True)
            ctx = await self.context(interaction, modal.guild_id)
            reply = await dispatch(request, ctx)
            if from_message:
                await _answer_click(interaction, reply, modal.guild_id)
            else:
                await _show(interaction, reply, modal.guild_id)


def guild_of(interaction: discord.Interaction) -> str:
    return str(interaction.guild_id or "")


def _asks_for_words(action: str, target: str) -> bool:
    """Comment / Reply / Request changes carry no words: the person writes them."""
    parts = target.split()
    digits = modals.digits
    if action == "changes":
        return len(parts) == 1 and digits(parts[0])
    if action == "comment":
        return (len(parts) == 1 and digits(parts[0])) or (
            len(parts) == 3 and digits(parts[0]) and parts[1] == "reply" and digits(parts[2])
        )
    return False


async def _show(interaction: discord.Interaction, reply: Reply, guild_id: str) -> None:
    """The outcome, in place of the deferred "thinking…" answer."""
    view = view_of(reply, guild_id)
    await interaction.edit_original_response(embed=embed_of(reply), view=view)
    if view is not None:
        view.stop()


async def _answer_click(interaction: discord.Interaction, reply: Reply, guild_id: str) -> None:
    """Success replaces the message clicked; a refusal goes beside it, privately."""
    if reply.tone is Tone.ERROR:
        await interaction.followup.send(embed=embed_of(reply), ephemeral=True)
        return
    await _show(interaction, reply, guild_id)


@asynccontextmanager
async def answering(interaction: discord.Interaction) -> AsyncIterator[None]:
    """Whatever goes wrong, the person is told in words, privately; never "interaction
    failed", never a traceback."""
    try:
        yield
    except DomainError as refused:
        await _tell(interaction, error(refused.message))
    except ParseError as unreadable:
        await _tell(interaction, error(unreadable.message))
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("discord interaction failed", extra={"ref": ref})
        await _tell(
            interaction, error(f"Something went wrong on my side (ref {ref}); please try again.")
        )


async def _tell(interaction: discord.Interaction, reply: Reply) -> None:
    try:
        if interaction.response.is_done():
            await interaction.followup.send(embed=embed_of(reply), ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed_of(reply), ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell the user", exc_info=True)
