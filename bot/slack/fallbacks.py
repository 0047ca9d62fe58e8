"""What Slack sends that no listener claims: a button of an old message, a renamed
action, a modal or shortcut we no longer have.

Without a listener bolt answers 404 over HTTP (Slack shows the person an error) and
sends no ack at all over Socket Mode. These listeners are registered last, so they only
see what every other listener passed on: each acks, and answers privately wherever Slack
gives a way to (the response_url, an ephemeral message beside the message, a DM).
"""

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks import fallback_text, to_blocks
from core.messages import Reply, error

log = logging.getLogger(__name__)

Say = Callable[..., Awaitable[Any]]
Responder = Callable[[dict[str, Any], AsyncWebClient], Say]

STALE_BUTTON = (
    "This button is no longer available (it may come from an older message); "
    "`/trypost help` lists what you can do."
)
STALE_FORM = "This form is no longer available; `/trypost help` lists what you can do."
STALE_SHORTCUT = "This shortcut is no longer available; `/trypost help` lists what you can do."
OTHER_COMMAND = "I only answer `/trypost`; `/trypost help` lists what you can do."
_ANY = re.compile(r".*", re.DOTALL)


def register_fallbacks(bolt: AsyncApp, responder: Responder) -> None:
    """Call after every other listener: bolt runs the first one that matches."""
    stale = _Stale(responder)
    bolt.action(_ANY)(stale.on_action)
    bolt.view_submission(_ANY)(stale.on_submission)
    bolt.view_closed(_ANY)(stale.on_closed)
    bolt.shortcut(_ANY)(stale.on_shortcut)
    bolt.options(_ANY)(stale.on_options)
    bolt.command(_ANY)(stale.on_command)
    bolt.event(_ANY)(stale.on_event)


def stale_view(text: str = STALE_FORM) -> dict[str, Any]:
    """A modal that only says why and how to go on; its one button closes it."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "TryPost"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


class _Stale:
    def __init__(self, responder: Responder) -> None:
        self._responder = responder

    async def on_action(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        _note(body, action.get("action_id"))
        in_modal = (body.get("container") or {}).get("type") == "view"
        if in_modal and action.get("type") != "button":
            # A select or date changed inside an old modal: nobody pressed anything,
            # and the modal's own submit answers for it.
            return
        await self._tell(body, client, STALE_BUTTON)

    async def on_submission(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        # The answer is the modal itself: it turns into the explanation.
        await ack(response_action="update", view=stale_view())
        _note(body, (body.get("view") or {}).get("callback_id"))

    async def on_closed(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        # Closing asks for nothing, so nothing is said.
        await ack()
        _note(body, (body.get("view") or {}).get("callback_id"))

    async def on_shortcut(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        _note(body, body.get("callback_id"))
        await self._tell(body, client, STALE_SHORTCUT)

    async def on_options(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack(options=[])
        _note(body, body.get("action_id"))

    async def on_command(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        _note(body, body.get("command"))
        await self._tell(body, client, OTHER_COMMAND)

    async def on_event(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        # An event the manifest no longer subscribes to: Slack retries anything but a 2xx.
        await ack()
        _note(body, (body.get("event") or {}).get("type"))

    async def _tell(self, body: dict[str, Any], client: AsyncWebClient, text: str) -> None:
        reply: Reply = error(text)
        try:
            await self._responder(body, client)(
                text=fallback_text(reply),
                blocks=to_blocks(reply),
                response_type="ephemeral",
                replace_original=False,
            )
        except Exception:
            # The ack went out; a lost explanation is not worth an error line.
            log.warning("could not answer a stale slack request", exc_info=True)


def _note(body: dict[str, Any], name: object) -> None:
    """Ids only: the kind of request and which callback, never the payload."""
    log.info(
        "slack request for nothing we know",
        extra={"kind": body.get("type") or "slash_command", "callback": str(name)[:100]},
    )
