"""Buttons that stand for a command missing its text: Comment, Reply, Request changes.

A click opens a small modal asking for the words; submitting it is the command
(``comment 4 reply 7 "…"``, ``changes 4 "…"``) run through the shared dispatcher as the
member who submits, so workspace, role and the post's state are checked then, and a
refusal shows inline in the modal. The comment box is a ``rich_text_input``: people
@mention the Slack way (the picker), and its ``user`` elements arrive as ``<@U…>``.

Where the result goes: back to the message clicked. A review decision replaces it (the
Approve / Request changes buttons of the DM are spent); a comment is said beside it.
The click's ``response_url`` (and the message's channel and ts, for ``chat.update``) ride
in the modal's ``private_metadata``, since a view submission carries neither.
"""

import asyncio
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.commands import requests as rq
from bot.commands.dispatch import Context, dispatch
from bot.slack.blocks import fallback_text, to_blocks
from bot.slack.identity import channel_of, user_of
from bot.slack.mentions import rich_text_to_text
from bot.slack.sdk_log import sdk_logger
from core.errors import DomainError
from core.messages import Reply, Tone, error
from core.usecases.context import Actor
from core.usecases.reviews import MAX_FEEDBACK

log = logging.getLogger(__name__)

COMMENT_CALLBACK = "trypost_comment"
CHANGES_CALLBACK = "trypost_changes"
# The same budget as the composer's: work answering within it can refuse inline.
ACK_BUDGET = 2.0
_TITLE = 24  # Slack's limit for a modal's title
_COMMENT_TARGET = re.compile(r"^(\d+)(?: reply (\d+))?$")
_POST_TARGET = re.compile(r"^(\d+)$")

ContextFor = Callable[[AsyncBoltContext, dict[str, Any], AsyncWebClient], Awaitable[Context]]
RefreshHome = Callable[[AsyncWebClient, str, Actor], Awaitable[None]]


@dataclass(frozen=True)
class Asked:
    """What a modal asks the words for."""

    kind: Literal["comment", "changes"]
    post: int
    reply_to: int | None = None

    @property
    def block(self) -> str:
        return "text" if self.kind == "comment" else "feedback"

    def request(self, text: str) -> rq.Comment | rq.RequestChanges:
        if self.kind == "comment":
            return rq.Comment(self.post, text, self.reply_to)
        return rq.RequestChanges(self.post, text)


@dataclass(frozen=True)
class Origin:
    """The message (or Home tab) a click came from, to answer there after the modal."""

    response_url: str | None = None
    channel: str | None = None
    ts: str | None = None
    in_home: bool = False


def asks_for_text(action: str, target: str) -> Asked | None:
    """The modal a button stands for: ``comment 4`` / ``comment 4 reply 7`` / ``changes
    4`` carry no text (the person writes it); anything else is a whole command."""
    target = " ".join(target.split())
    if action == "comment" and (found := _COMMENT_TARGET.match(target)):
        reply_to = int(found[2]) if found[2] else None
        return Asked("comment", int(found[1]), reply_to)
    if action == "changes" and (found := _POST_TARGET.match(target)):
        return Asked("changes", int(found[1]))
    return None


def origin_of(body: dict[str, Any]) -> Origin:
    container, message = _object(body.get("container")), _object(body.get("message"))
    ts = container.get("message_ts") or message.get("ts")
    url = body.get("response_url")
    return Origin(
        response_url=url if isinstance(url, str) and url else None,
        channel=channel_of(body),
        ts=ts if isinstance(ts, str) else None,
        in_home=container.get("type") == "view",
    )


def modal_view(asked: Asked, origin: Origin) -> dict[str, Any]:
    metadata = json.dumps(
        {
            "post": asked.post,
            "reply_to": asked.reply_to,
            "response_url": origin.response_url,
            "channel": origin.channel,
            "ts": origin.ts,
            "in_home": origin.in_home,
        }
    )
    if asked.kind == "comment":
        title = (
            f"Reply to comment {asked.reply_to}"
            if asked.reply_to is not None
            else f"Comment on post {asked.post}"
        )
        element: dict[str, Any] = {
            "type": "rich_text_input",
            "action_id": "text",
            "focus_on_load": True,
            "placeholder": _plain("Type @ to mention someone"),
        }
        label, callback = "Comment", COMMENT_CALLBACK
        submit = "Reply" if asked.reply_to is not None else "Comment"
    else:
        title = "Request changes"
        element = {
            "type": "plain_text_input",
            "action_id": "feedback",
            "multiline": True,
            "focus_on_load": True,
            "max_length": MAX_FEEDBACK,
            "placeholder": _plain("Shorter, and add the link"),
        }
        label, callback = f"What should change in post {asked.post}?", CHANGES_CALLBACK
        submit = "Send"
    return {
        "type": "modal",
        "callback_id": callback,
        "private_metadata": metadata,
        "title": _plain(title[:_TITLE]),
        "submit": _plain(submit),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": asked.block,
                "label": _plain(label),
                "element": element,
            }
        ],
    }


def read_submission(view: dict[str, Any]) -> tuple[Asked, Origin, str]:
    """What was asked (from our metadata), where to answer, and the words written."""
    data = _metadata(view.get("private_metadata"))
    post = data.get("post")
    if not isinstance(post, int):
        raise ValueError("a trypost modal without its post")
    reply_to = data.get("reply_to")
    kind: Literal["comment", "changes"] = (
        "comment" if view.get("callback_id") == COMMENT_CALLBACK else "changes"
    )
    asked = Asked(kind, post, reply_to if isinstance(reply_to, int) else None)
    url = data.get("response_url")
    ours = isinstance(url, str) and url.startswith(("https://", "http://"))
    origin = Origin(
        response_url=url if ours else None,
        channel=data.get("channel") if isinstance(data.get("channel"), str) else None,
        ts=data.get("ts") if isinstance(data.get("ts"), str) else None,
        in_home=data.get("in_home") is True,
    )
    state = _object(_object(_object(view.get("state")).get("values")).get(asked.block))
    value = _object(state.get(asked.block))
    if "rich_text_value" in value:
        text = rich_text_to_text(value.get("rich_text_value"))
    else:
        typed = value.get("value")  # a plain_text_input (the feedback box)
        text = typed if isinstance(typed, str) else ""
    return asked, origin, text.strip()


class Modals:
    """Opens the modals and takes their submissions (registered by SlackListeners)."""

    def __init__(self, context: ContextFor, refresh_home: RefreshHome) -> None:
        self._context = context
        self._refresh_home = refresh_home

    async def open(self, asked: Asked, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Open at once: a trigger_id lives 3 s. Nothing is checked yet; the submission
        is, like any command."""
        trigger = body.get("trigger_id")
        origin = origin_of(body)
        if not isinstance(trigger, str) or not trigger:
            await self._answer(client, user_of(body) or "", origin, error(_NO_MODAL), replace=False)
            return
        await client.views_open(trigger_id=trigger, view=modal_view(asked, origin))

    async def on_submit(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        try:
            asked, origin, text = read_submission(view)
        except ValueError:
            await ack(response_action="errors", errors={"text": _LOST})
            return
        try:
            ctx = await self._context(context, body, client)
        except DomainError as refused:
            await ack(response_action="errors", errors={asked.block: refused.message})
            return
        work = asyncio.ensure_future(dispatch(asked.request(text), ctx))
        done, _ = await asyncio.wait({work}, timeout=ACK_BUDGET)
        if done and work.result().tone is Tone.ERROR:
            said = work.result().text or "Try again."
            await ack(response_action="errors", errors={asked.block: said[:_ERROR_TEXT]})
            return
        await ack()
        user_id = user_of(body) or ""
        try:
            reply = await work
            # A decision spends the message's review buttons; a comment is said beside.
            replace = asked.kind == "changes" and reply.tone is not Tone.ERROR
            await self._answer(client, user_id, origin, reply, replace=replace)
            if origin.in_home:
                await self._refresh_home(client, user_id, ctx.actor)
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("slack modal follow-up failed", extra={"ref": ref})

    async def _answer(
        self, client: AsyncWebClient, user_id: str, origin: Origin, reply: Reply, *, replace: bool
    ) -> None:
        """Back where the click was: the message's response_url (replacing it, or an
        ephemeral beside it), else chat.update / an ephemeral in its channel, else a DM."""
        text, blocks = fallback_text(reply), to_blocks(reply)
        if origin.response_url and not origin.in_home:
            hook = AsyncWebhookClient(origin.response_url, logger=sdk_logger())
            if replace:
                await hook.send(text=text, blocks=blocks, replace_original=True)
            else:
                await hook.send(
                    text=text, blocks=blocks, response_type="ephemeral", replace_original=False
                )
            return
        if replace and origin.channel and origin.ts and not origin.in_home:
            await client.chat_update(channel=origin.channel, ts=origin.ts, text=text, blocks=blocks)
            return
        if origin.channel and not origin.in_home and user_id:
            await client.chat_postEphemeral(
                channel=origin.channel, user=user_id, text=text, blocks=blocks
            )
            return
        await client.chat_postMessage(channel=user_id, text=text, blocks=blocks)


_ERROR_TEXT = 2000
_NO_MODAL = (
    "I can't open a form from here (Slack sent no trigger for it); type the command "
    'instead: `/trypost comment 4 "…"` or `/trypost changes 4 "…"`.'
)
_LOST = "This form lost track of its post; close it and click the button again."


def _metadata(raw: object) -> dict[str, Any]:
    try:
        data = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}
