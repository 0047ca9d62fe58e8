"""The Slack surface on slack-bolt: /trypost, the composer, buttons, App Home.

Every listener acks first and works after, so Slack always hears back within its
3 seconds. Listeners only translate: a slash command, a button or a modal becomes one
typed request, the shared dispatcher runs it, and the reply is drawn as Block Kit.
"""

import asyncio
import html
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.commands import requests as rq
from bot.commands import views
from bot.commands.connect import Connect
from bot.commands.dispatch import Context, UnreadCache, dispatch
from bot.commands.errors import ParseError
from bot.commands.grammar import VERBS, parse
from bot.commands.media import MediaIntake, links_only
from bot.slack import composer, modals
from bot.slack.ack_first import AckFirst
from bot.slack.blocks import fallback_text, home_view, parse_action_id, to_blocks
from bot.slack.fallbacks import STALE_BUTTON
from bot.slack.home import home_for
from bot.slack.identity import (
    channel_of,
    mentioned_user,
    slack_actor,
    slack_person,
    slack_refusal,
    team_of,
    user_of,
    workspace_team,
)
from bot.slack.mentions import SLACK_USER, show_member
from bot.slack.sdk_log import sdk_logger
from core.errors import DomainError, NotFound
from core.messages import Reply, Tone, error
from core.posts import Post
from core.scheduling.progress import watching
from core.usecases import accounts, identities
from core.usecases.context import Actor, Services

log = logging.getLogger(__name__)

# How many in-place updates a live publish may make: a response_url takes five posts.
LIVE_UPDATES = 3
_TRYPOST_ACTION = re.compile(r"^trypost:")
Say = Callable[..., Awaitable[Any]]
_LINK = re.compile(r"<(https?://[^|>]+)(?:\|[^>]*)?>")


@dataclass
class SlackListeners:
    services: Services
    # The bot client of a team, for work that is not a reply (views, DMs).
    client_for_team: Callable[[str], Awaitable[AsyncWebClient | None]]
    # What ``with`` may name here: links, to public hosts or the operator's allowed ones.
    media: MediaIntake = field(default_factory=links_only)
    connect: Connect = field(default_factory=Connect)
    # Where Slack serves uploaded files (url_private): only these get the bot's token.
    file_hosts: frozenset[str] = frozenset({"files.slack.com"})
    # (team, user) → (known until, actor): a known member costs no database read. Ids only;
    # roles are still checked on every request, and a removed member is refused there.
    _known: dict[tuple[str, str], tuple[float, Actor]] = field(default_factory=dict)
    # One HTTP session for every response_url post (bolt opens one per reply).
    _http: aiohttp.ClientSession | None = None
    _unread: UnreadCache = field(default_factory=UnreadCache)
    # Commands after their ack: a few at a time, and only once no other request waits
    # for its ack (SlackEndpoint counts them). Publishing (now, retry) runs outside it.
    lane: AckFirst = field(default_factory=AckFirst)
    # Comment / Reply / Request changes: buttons whose command needs words first.
    _modals: modals.Modals = field(init=False)

    def __post_init__(self) -> None:
        self._modals = modals.Modals(self._context, self._publish_home)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()

    def responder(self, body: dict[str, Any], client: AsyncWebClient) -> Say:
        """Where a reply goes: the response_url (private, can replace the message), or
        without one an ephemeral message beside it, or a DM when there is no channel."""
        url = body.get("response_url")
        if not url:
            channel, user = channel_of(body), user_of(body)
            if channel and user:
                return _ephemeral(client, channel, user)
            return _dm(client, user or "")
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        return AsyncWebhookClient(url, session=self._http, logger=sdk_logger()).send

    def register(self, bolt: AsyncApp) -> None:
        bolt.command("/trypost")(self.on_command)
        bolt.action(_TRYPOST_ACTION)(self.on_button)
        bolt.view(composer.CALLBACK_ID)(self.on_composer)
        bolt.view(modals.COMMENT_CALLBACK)(self._modals.on_submit)
        bolt.view(modals.CHANGES_CALLBACK)(self._modals.on_submit)
        bolt.event("app_home_opened")(self.on_home)

    async def _context(
        self, context: AsyncBoltContext, body: dict[str, Any], client: AsyncWebClient
    ) -> Context:
        """The one guard every listener goes through: who is asking, in which team.

        The team is the one bolt authorized the request for (its token answers), never
        a value re-read from the payload; the member must belong to that workspace.
        """
        team_id = workspace_team(context.team_id, context.enterprise_id, body)
        user_id = context.user_id or user_of(body)
        if not team_id or not user_id:
            raise NotFound("I can't tell which Slack team this came from.")
        now = time.monotonic()
        known = self._known.get((team_id, user_id))
        if known is not None and known[0] > now:
            actor = known[1]
        else:
            actor = await slack_actor(self.services, client, team_id, user_id, team_of(body)[1])
            self._known[(team_id, user_id)] = (now + KNOWN_FOR, actor)
        return Context(
            self.services,
            actor,
            self._person(client, team_id),
            self._unread,
            media=self.media.with_bearer(self.file_hosts, client.token)
            if client.token
            else self.media,
            connect=self.connect,
            # People are Slack mentions both ways: typed <@U…>, shown <@U…>.
            mention_pattern=SLACK_USER,
            show_member=show_member,
        )

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
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        self.lane.acked()
        say = self.responder(body, client)
        async with _answering(say):
            text = _unescape(body.get("text") or "")
            try:
                request = parse(text)
            except ParseError as unreadable:
                await _say(say, error(unreadable.message))
                return
            refused = slack_refusal(request)
            if refused is not None:
                await _say(say, error(refused))
                return
            if isinstance(request, rq.Schedule) and request.text is None:
                trigger = body.get("trigger_id")
                if not trigger:
                    await _say(say, error(_NO_COMPOSER))
                    return
                # trigger_id lives 3 s: open the modal before anything else.
                opened = await client.views_open(trigger_id=trigger, view=composer.loading_view())
                await self._open_composer(client, opened["view"]["id"], body, context, request)
                return
            ctx = await self._context(context, body, client)
            if isinstance(request, rq.Members):
                # Membership changes: identities resolved before may no longer hold.
                self._known.clear()
            if isinstance(request, rq.Now | rq.Retry):
                await self._live(say, request, ctx, clicked=False)
                return
            async with self.lane.work():
                reply = await dispatch(request, ctx)
            await _say(say, reply)

    async def _open_composer(
        self,
        client: AsyncWebClient,
        view_id: str,
        body: dict[str, Any],
        context: AsyncBoltContext,
        prefill: rq.Schedule,
    ) -> None:
        """Fill the "One moment…" modal; whatever goes wrong, the modal says so and how
        to go on, rather than waiting forever."""
        try:
            ctx = await self._context(context, body, client)
            view = await self._composer(body, ctx, prefill)
            await client.views_update(view_id=view_id, view=view)
            return
        except DomainError as refused:
            failed = composer.failed_view(refused.message)
        except Exception:  # a lookup, the database, Slack refusing the view
            ref = uuid.uuid4().hex[:8]
            log.exception("slack composer failed", extra={"ref": ref})
            failed = composer.failed_view(
                f"Something went wrong on my side (ref {ref}), so the composer could not open."
            )
        await client.views_update(view_id=view_id, view=failed)

    async def _composer(
        self, body: dict[str, Any], ctx: Context, prefill: rq.Schedule
    ) -> dict[str, Any]:
        connected = await accounts.list_accounts(ctx.services, ctx.actor)
        return composer.composer_view(
            connected,
            channel_id=body.get("channel_id", ""),
            response_url=body.get("response_url"),
            now=ctx.services.clock.now(),
            prefill=prefill,
        )

    async def _live(
        self, respond: Say, request: rq.Request, ctx: Context, *, clicked: bool
    ) -> None:
        """Publish now / retry: one message that moves from ⏳ to ✅ or ❌ per platform.

        From a command the first update is a new message; from a button (Retry) it
        replaces the message clicked. Updates only come once publishing has started,
        so a refusal (a viewer's click, nothing left to retry) answers beside the
        message and never wipes it."""
        names = {a.id: a.name for a in await accounts.list_accounts(ctx.services, ctx.actor)}
        verb = "Retrying" if isinstance(request, rq.Retry) else "Publishing"
        updates = 0

        async def show(post: Post) -> None:
            nonlocal updates
            if updates >= LIVE_UPDATES:
                return
            updates += 1
            await _say(
                respond, views.publish_progress(post, names, verb), replace=clicked or updates > 1
            )

        with watching(show):
            reply = await dispatch(request, ctx)
        replace = updates > 0 or (clicked and reply.tone is not Tone.ERROR)
        await _say(respond, reply, replace=replace)

    # --- buttons --------------------------------------------------------------------

    async def on_button(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        """A button is the command it stands for; the click re-checks team and role
        (the dispatcher runs as the clicking member) and a second click of a done
        action only says so."""
        await ack()
        if action.get("url"):
            return  # a link button: Slack opened the page already
        say = self.responder(body, client)
        in_home = (body.get("container") or {}).get("type") == "view"
        user_id = user_of(body) or ""
        # A click in the Home tab has no message to answer beside: refusals go by DM.
        aside = say if not in_home else _dm(client, user_id)
        async with _answering(aside):
            try:
                name = parse_action_id(str(action.get("action_id", "")))
            except ValueError:
                name = ""
            if name not in VERBS:  # ours once, renamed or removed since
                await _say(aside, error(STALE_BUTTON))
                return
            value = action.get("value")
            target = value if isinstance(value, str) else ""
            asked = modals.asks_for_text(name, target)
            if asked is not None:
                # Before anything else: the click's trigger_id lives 3 s.
                await self._modals.open(asked, body, client)
                return
            ctx = await self._context(context, body, client)
            request = parse(f"{name} {target}".strip())
            if isinstance(request, rq.Members):
                self._known.clear()  # Accept / Decline change who is who
            refused = slack_refusal(request)
            if refused is not None:
                await _say(aside, error(refused))
                return
            if in_home:
                reply = await dispatch(request, ctx)
                if reply.tone is Tone.ERROR:
                    await _dm(client, user_id)(text=fallback_text(reply), blocks=to_blocks(reply))
                await self._publish_home(client, user_id, ctx.actor)
                return
            if isinstance(request, rq.Retry):
                await self._live(say, request, ctx, clicked=True)
                return
            reply = await dispatch(request, ctx)
            # A refusal (a second click, a missing role) must not wipe the message clicked.
            await _say(say, reply, replace=reply.tone is not Tone.ERROR)

    # --- the composer ---------------------------------------------------------------

    async def on_composer(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        """Validation errors show inline only if they come back in the ack, within
        Slack's 3 s: the work gets ACK_BUDGET, and past it the modal closes and the
        result (or the refusal) is posted when it is ready — the work is never cut."""
        try:
            submitted = composer.read_submission(view)
        except composer.Unreadable as unreadable:
            await ack(response_action="errors", errors={unreadable.block: unreadable.message})
            return
        user_id = user_of(body) or ""
        answer = _to(client, submitted, user_id)
        try:
            ctx = await self._context(context, body, client)
        except DomainError as refused:
            await ack(response_action="errors", errors={"text": refused.message})
            return
        work = asyncio.ensure_future(dispatch(submitted.request, ctx))
        if isinstance(submitted.request, rq.Now):
            await ack()
        else:
            done, _ = await asyncio.wait({work}, timeout=ACK_BUDGET)
            if done and work.result().tone is Tone.ERROR:
                text = work.result().text or "Try again."
                await ack(response_action="errors", errors={composer.error_block(text): text})
                return
            await ack()
        async with _answering(answer):
            reply = await work
            await answer(text=fallback_text(reply), blocks=to_blocks(reply))

    # --- App Home -------------------------------------------------------------------

    async def on_home(
        self,
        event: dict[str, Any],
        body: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        """Opening the Home tab never makes anyone a member: strangers get a welcome."""
        if event.get("tab", "home") != "home":
            return
        team_id = workspace_team(context.team_id, context.enterprise_id, body)
        user_id = event.get("user")
        if not team_id or not user_id:
            return
        actor = await identities.known_slack_actor(self.services, team_id, user_id)
        if actor is None:
            await client.views_publish(user_id=user_id, view=home_view([("TryPost", _WELCOME)]))
            return
        await self._publish_home(client, user_id, actor)

    async def _publish_home(self, client: AsyncWebClient, user_id: str, actor: Actor) -> None:
        await client.views_publish(user_id=user_id, view=await home_for(self.services, actor))


# Composer work that answers within this many seconds can show its errors in the modal.
ACK_BUDGET = 2.0
# How long a resolved Slack identity is reused without reading the database.
KNOWN_FOR = 60.0
_NO_COMPOSER = (
    "I can't open the composer from here (Slack sent no trigger for it); type "
    '`/trypost schedule "text" at <when>` instead.'
)
_WELCOME = Reply(
    text="Schedule, review and publish social posts from Slack. Type `/trypost help` to "
    "start; if you are not a member yet, an owner or admin can invite you."
)


@asynccontextmanager
async def _answering(say: Say) -> AsyncIterator[None]:
    """After the ack nobody is waiting on the HTTP answer: a refusal or a crash must
    still reach the person, in words."""
    try:
        yield
    except DomainError as refused:
        await _quietly(say, error(refused.message))
    except ParseError as unreadable:
        await _quietly(say, error(unreadable.message))
    except (aiohttp.ClientError, TimeoutError) as unreachable:
        # The work is done; only its answer could not reach Slack (the response_url
        # unreachable): an outage to note, not a bug's traceback.
        log.warning("could not answer on slack", extra={"error": type(unreachable).__name__})
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("slack listener failed", extra={"ref": ref})
        await _quietly(
            say, error(f"Something went wrong on my side (ref {ref}); please try again.")
        )


async def _quietly(say: Say, reply: Reply) -> None:
    try:
        await _say(say, reply)  # beside the message: an error never replaces it
    except Exception:
        log.warning("could not tell the user", exc_info=True)


def _ephemeral(client: AsyncWebClient, channel: str, user: str) -> Say:
    """Only ``user`` sees it, in the channel of the message or command."""

    async def say(**message: Any) -> None:
        # response_url-only options: an ephemeral message never replaces anything.
        message.pop("response_type", None)
        message.pop("replace_original", None)
        await client.chat_postEphemeral(channel=channel, user=user, **message)

    return say


def _dm(client: AsyncWebClient, user_id: str) -> Say:
    """Posting to a user id lands in the app's DM with them."""

    async def say(**message: Any) -> None:
        message.pop("response_type", None)
        message.pop("replace_original", None)
        await client.chat_postMessage(channel=user_id, **message)

    return say


def _to(client: AsyncWebClient, submitted: composer.Submission, user_id: str) -> Say:
    """Where a composer's result goes: the slash command's response_url when there is one
    (it works in any conversation), else a DM."""
    if submitted.response_url:
        hook = AsyncWebhookClient(submitted.response_url, logger=sdk_logger())

        async def say(**message: Any) -> None:
            message["response_type"] = "ephemeral"
            message.pop("replace_original", None)  # the command's answer, not a message
            await hook.send(**message)

        return say
    return _dm(client, user_id)


async def _say(respond: Say, reply: Reply, *, replace: bool = False) -> None:
    if replace:
        # A replacement keeps the message's own kind (a DM stays a DM): no response_type.
        await respond(text=fallback_text(reply), blocks=to_blocks(reply), replace_original=True)
        return
    await respond(
        text=fallback_text(reply),
        blocks=to_blocks(reply),
        response_type="ephemeral",
        replace_original=False,
    )


def _unescape(text: str) -> str:
    """Slack wraps links as <https://…|…> and escapes &, < and >; mentions
    (<@U123|name>) stay as they are for the member lookup."""
    return html.unescape(_LINK.sub(r"\1", text))
