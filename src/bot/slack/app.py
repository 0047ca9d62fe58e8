"""The Slack surface on slack-bolt: /trypost, the composer, buttons, App Home.

Every listener acks first and works after, so Slack always hears back within its
3 seconds. Listeners only translate: a slash command, a button or a modal becomes one
typed request, the shared dispatcher runs it, and the reply is drawn as Block Kit.
"""

import html
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import requests as rq
from bot.commands import views
from bot.commands.dispatch import Context, dispatch
from bot.commands.errors import ParseError
from bot.commands.grammar import parse
from bot.slack import composer
from bot.slack.blocks import fallback_text, parse_action_id, to_blocks
from bot.slack.home import home_for
from bot.slack.identity import mentioned_user, slack_actor, slack_person, team_of, user_of
from core.messages import Reply, Tone, error
from core.posts import Post
from core.scheduling.progress import watching
from core.usecases import accounts, identities
from core.usecases.context import Actor, Services

log = logging.getLogger(__name__)

# How many in-place updates a live publish may make: a response_url takes five posts.
LIVE_UPDATES = 3
_TRYPOST_ACTION = re.compile(r"^trypost:")
_LINK = re.compile(r"<(https?://[^|>]+)(?:\|[^>]*)?>")


@dataclass
class SlackListeners:
    services: Services
    # The bot client of a team, for work that is not a reply (views, DMs).
    client_for_team: Callable[[str], Awaitable[AsyncWebClient | None]]

    def register(self, bolt: AsyncApp) -> None:
        bolt.command("/trypost")(self.on_command)
        bolt.action(_TRYPOST_ACTION)(self.on_button)
        bolt.view(composer.CALLBACK_ID)(self.on_composer)
        bolt.event("app_home_opened")(self.on_home)

    async def _context(self, body: dict[str, Any], client: AsyncWebClient) -> tuple[Context, str]:
        team_id, team_name = team_of(body)
        user_id = user_of(body)
        if not team_id or not user_id:
            raise ValueError("a Slack request without team or user")
        actor = await slack_actor(self.services, client, team_id, user_id, team_name)
        return Context(self.services, actor, self._person(client, team_id)), team_id

    def _person(
        self, client: AsyncWebClient, team_id: str
    ) -> Callable[[str], Awaitable[identities.ChatProfile | None]]:
        async def person(user: str) -> identities.ChatProfile | None:
            user_id = mentioned_user(user)
            if user_id is None:
                name = user.strip().lstrip("@")
                return identities.ChatProfile("", name) if name else None
            return await slack_person(self.services, client, team_id, user_id)

        return person

    # --- /trypost -------------------------------------------------------------------

    async def on_command(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        ctx, _ = await self._context(body, client)
        text = _unescape(body.get("text") or "")
        try:
            request = parse(text)
        except ParseError as unreadable:
            await _say(respond, error(unreadable.message))
            return
        if isinstance(request, rq.Schedule) and request.text is None:
            await self._open_composer(client, body, ctx, request)
            return
        if isinstance(request, rq.Now | rq.Retry):
            await self._live(respond, request, ctx, first=True)
            return
        await _say(respond, await dispatch(request, ctx))

    async def _open_composer(
        self, client: AsyncWebClient, body: dict[str, Any], ctx: Context, prefill: rq.Schedule
    ) -> None:
        connected = await accounts.list_accounts(ctx.services, ctx.actor)
        view = composer.composer_view(
            connected,
            channel_id=body.get("channel_id", ""),
            now=ctx.services.clock.now(),
            prefill=prefill,
        )
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def _live(
        self, respond: AsyncRespond, request: rq.Request, ctx: Context, *, first: bool
    ) -> None:
        """Publish now / retry: one message that moves from ⏳ to ✅ or ❌ per platform."""
        names = {a.id: a.name for a in await accounts.list_accounts(ctx.services, ctx.actor)}
        updates = 0

        async def show(post: Post) -> None:
            nonlocal updates
            if updates >= LIVE_UPDATES:
                return
            updates += 1
            await _say(respond, _progress(post, names), replace=not first or updates > 1)

        with watching(show):
            reply = await dispatch(request, ctx)
        await _say(respond, reply, replace=updates > 0 or not first)

    # --- buttons --------------------------------------------------------------------

    async def on_button(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        """A button is the command it stands for; the click re-checks team and role
        (the dispatcher runs as the clicking member) and a second click of a done
        action only says so."""
        await ack()
        ctx, team_id = await self._context(body, client)
        name = parse_action_id(action["action_id"])
        if action.get("url"):
            return  # a link button: Slack opened the page already
        line = f"{name} {action.get('value', '')}".strip()
        try:
            request = parse(line)
        except ParseError as unreadable:
            await _say(respond, error(unreadable.message), replace=False)
            return
        in_home = body.get("container", {}).get("type") == "view"
        if in_home:
            await dispatch(request, ctx)
            await self._publish_home(client, body["user"]["id"], ctx.actor)
            return
        if isinstance(request, rq.Retry):
            await _say(respond, Reply(text=f"⏳ Retrying post {request.post}…"), replace=True)
            await self._live(respond, request, ctx, first=False)
            return
        reply = await dispatch(request, ctx)
        # A refusal (a second click, a missing role) must not wipe the message clicked.
        await _say(respond, reply, replace=reply.tone is not Tone.ERROR)

    # --- the composer ---------------------------------------------------------------

    async def on_composer(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
    ) -> None:
        submitted = composer.read_submission(view)
        ctx, _ = await self._context(body, client)
        if isinstance(submitted.request, rq.Now):
            await ack()
            reply = await dispatch(submitted.request, ctx)
        else:
            # Validation errors must come back in the ack itself to show inline.
            reply = await dispatch(submitted.request, ctx)
            if reply.tone is Tone.ERROR:
                block = composer.error_block(reply.text or "")
                await ack(response_action="errors", errors={block: reply.text or "Try again."})
                return
            await ack()
        channel = submitted.channel_id
        user = body["user"]["id"]
        if channel:
            await client.chat_postEphemeral(
                channel=channel, user=user, text=fallback_text(reply), blocks=to_blocks(reply)
            )

    # --- App Home -------------------------------------------------------------------

    async def on_home(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("tab", "home") != "home":
            return
        team_id = body.get("team_id") or (body.get("authorizations") or [{}])[0].get("team_id")
        user_id = event.get("user")
        if not team_id or not user_id:
            return
        actor = await slack_actor(self.services, client, team_id, user_id, None)
        await self._publish_home(client, user_id, actor)

    async def _publish_home(self, client: AsyncWebClient, user_id: str, actor: Actor) -> None:
        await client.views_publish(user_id=user_id, view=await home_for(self.services, actor))


def _progress(post: Post, names: dict[int, str]) -> Reply:
    icons = views.ENTRY_ICON
    lines = []
    for entry in post.enabled_entries:
        who = f"{names.get(entry.account_id, 'removed account')} ({entry.platform})"
        detail = entry.platform_url if entry.platform_url else entry.error_message or "sending…"
        lines.append(f"{icons[entry.status]} {who}: {detail}")
    return Reply(title=f"⏳ Publishing post {post.number}", items=tuple(lines))


async def _say(respond: AsyncRespond, reply: Reply, *, replace: bool = False) -> None:
    await respond(
        text=fallback_text(reply),
        blocks=to_blocks(reply),
        response_type="ephemeral",
        replace_original=replace,
    )


def _unescape(text: str) -> str:
    """Slack wraps links as <https://…|…> and escapes &, < and >; mentions
    (<@U123|name>) stay as they are for the member lookup."""
    return html.unescape(_LINK.sub(r"\1", text))
