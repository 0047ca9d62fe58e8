"""Slack as one of the core's chat gateways: DMs and presence, in one or many workspaces.

The gateway never holds a token: ``client_for`` gives the bot client of the member's
Slack team (from the installation store, or the single-workspace token), so one
gateway serves every installed team.

Failures become :class:`DeliveryFailed`. The outbox retries transient ones with its own
backoff; the client (:func:`make_client`) retries only a 429, after Retry-After, with
one wait per method shared by every call of the workspace (``bot/slack/rate_limits.py``).
A 5xx is left to the outbox: retried at once it may, rarely, post a DM twice if Slack had
posted it before failing, as ``chat.postMessage`` takes no idempotency key.

The DM channel of a member (``conversations.open``) is kept per client, so a member's
next DMs cost one call each, not two (``conversations.open`` has a lower rate tier than
``chat.postMessage``).
"""

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks import fallback_text, to_blocks
from bot.slack.rate_limits import GatedWebClient, retry_after
from bot.slack.sdk_log import sdk_logger
from core.messages import Reply
from core.notifications.model import Presence
from core.notifications.ports import DeliveryFailed
from core.workspace import Member

log = logging.getLogger(__name__)

ClientFor = Callable[[Member], Awaitable[AsyncWebClient | None]]

# Codes Slack documents as "try again later", sometimes sent with HTTP 200.
TRANSIENT_ERRORS = frozenset(
    {
        "ratelimited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
    }
)
_NETWORK_ERRORS = (aiohttp.ClientError, TimeoutError, OSError)


# DM channels kept per client before the oldest are forgotten.
DM_CHANNELS_KEPT = 4096


def make_client(token: str, base_url: str) -> AsyncWebClient:
    """A bot client for ``base_url`` (``https://slack.com/api/`` or a fake) that retries
    only a 429, after Retry-After, waiting with every call of the same method on this
    client (one token: one workspace) up to ``rate_limits.RIDE_OUT`` in all: Slack did
    nothing with a rate-limited call. A 5xx or a dropped connection may come after the
    message was posted, so those are left to the outbox, which decides with backoff and
    records every attempt."""
    return GatedWebClient(token=token, base_url=base_url, retry_handlers=[], logger=sdk_logger())


async def user_profile(
    client: AsyncWebClient, user_id: str
) -> tuple[str | None, str | None, str | None]:
    """(display name, email, IANA zone) of a Slack user from ``users.info``.

    Any part Slack does not give is None (email needs the ``users:read.email`` scope);
    when the call fails all three are None, so a command never fails for a profile.
    """
    try:
        response = await client.users_info(user=user_id)
    except (SlackClientError, *_NETWORK_ERRORS) as error:
        log.warning("slack users.info failed", extra={"slack_user": user_id, "error": str(error)})
        return None, None, None
    user: dict[str, Any] = response.get("user") or {}
    profile: dict[str, Any] = user.get("profile") or {}
    name = (
        profile.get("display_name")
        or profile.get("real_name")
        or user.get("real_name")
        or user.get("name")
    )
    return name or None, profile.get("email") or None, user.get("tz") or None


class SlackChat:
    """The core's ChatGateway over the Slack Web API."""

    def __init__(
        self,
        client_for: ClientFor,
        *,
        presence_ttl: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client_for = client_for
        self._ttl = presence_ttl
        self._monotonic = monotonic
        # (workspace id, Slack user id) → (valid until, presence)
        self._presence: dict[tuple[int, str], tuple[float, Presence]] = {}
        # (bot token, Slack user id) → the DM channel conversations.open gave.
        self._channels: dict[tuple[str, str], str] = {}

    def reaches(self, member: Member) -> bool:
        return bool(member.slack_user_id)

    async def presence(self, member: Member) -> Presence:
        """``users.getPresence``, cached for the TTL; unknown when Slack cannot tell.

        Only answers are cached: after an error the next call asks Slack again.
        """
        user = member.slack_user_id
        if not user:
            return Presence.UNKNOWN
        key = (member.workspace_id, user)
        now = self._monotonic()
        cached = self._presence.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            client = await self._client_for(member)
            if client is None:
                return Presence.UNKNOWN
            response = await client.users_getPresence(user=user)
        except Exception as error:  # presence is advisory: any failure means "don't know"
            log.warning(
                "slack presence unknown", extra={"slack_user": user, "error": _describe(error)}
            )
            return Presence.UNKNOWN
        state = {"active": Presence.PRESENT, "away": Presence.AWAY}.get(
            str(response.get("presence")), Presence.UNKNOWN
        )
        if state is not Presence.UNKNOWN:
            self._forget_expired(now)
            self._presence[key] = (now + self._ttl, state)
        return state

    async def send_dm(self, member: Member, message: Reply, key: str) -> None:
        """Open the DM (``conversations.open``) and post the reply in it."""
        user = member.slack_user_id
        if not user:
            raise DeliveryFailed(f"@{member.name} has no Slack user id", transient=False)
        client = await self._client_for(member)
        if client is None:
            raise DeliveryFailed(
                f"the Slack app is not installed in @{member.name}'s workspace", transient=False
            )
        where = (client.token or "", user)
        kept = self._channels.get(where)
        try:
            await self._post(client, where, kept, message)
        except DeliveryFailed as failed:
            if kept is None or failed.transient:
                raise
            # The channel kept from an earlier DM may be gone: open it afresh, once.
            self._channels.pop(where, None)
            await self._post(client, where, None, message)
        log.debug("slack dm sent", extra={"slack_user": user, "key": key})

    async def _post(
        self, client: AsyncWebClient, where: tuple[str, str], channel: str | None, message: Reply
    ) -> None:
        method = "conversations.open" if channel is None else "chat.postMessage"
        try:
            _not_held_long(client, method)
            if channel is None:
                opened = await client.conversations_open(users=where[1])
                channel = str(opened["channel"]["id"])
                self._keep_channel(where, channel)
                method = "chat.postMessage"
                _not_held_long(client, method)
            await client.chat_postMessage(
                channel=channel, text=fallback_text(message), blocks=to_blocks(message) or None
            )
        except SlackApiError as error:
            raise _api_failure(method, error, client) from error
        except _NETWORK_ERRORS as error:
            raise DeliveryFailed(f"Slack {method}: {_describe(error)}") from error
        except SlackClientError as error:
            raise DeliveryFailed(f"Slack {method}: {error}", transient=False) from error

    def _keep_channel(self, where: tuple[str, str], channel: str) -> None:
        if len(self._channels) >= DM_CHANNELS_KEPT:
            del self._channels[next(iter(self._channels))]
        self._channels[where] = channel

    def _forget_expired(self, now: float) -> None:
        if len(self._presence) > 1024:
            self._presence = {k: v for k, v in self._presence.items() if v[0] > now}


def _not_held_long(client: AsyncWebClient, method: str) -> None:
    """Slack said to wait longer than a call rides out: give the DM back to the outbox
    with that wait rather than send a call Slack will refuse."""
    if isinstance(client, GatedWebClient):
        gate = client.rate_gate
        left = gate.remaining(method)
        if left > gate.ride_out:
            raise DeliveryFailed(
                f"Slack {method}: ratelimited (waiting {left:.0f} s)", retry_after=left
            )


def _api_failure(
    method: str, error: SlackApiError, client: AsyncWebClient | None = None
) -> DeliveryFailed:
    """Slack's answer as a DeliveryFailed: 429 and 5xx are worth retrying, a refusal is
    final. An answer that is not Slack's (no error code: a proxy, a wrong URL) is retried."""
    response = error.response
    status: int = response.status_code
    data = response.data if isinstance(response.data, dict) else {}
    code = data.get("error")
    reason = f"Slack {method}: {code or 'no answer'} (HTTP {status})"
    if status == 429 or code == "ratelimited":
        wait = retry_after(response.headers)
        if isinstance(client, GatedWebClient):
            # The workspace's wait may have grown since this call's answer.
            held = client.rate_gate.remaining(method)
            wait = max(wait, held) if wait is not None else held or None
        return DeliveryFailed(reason, retry_after=wait)
    if status >= 500 or code in TRANSIENT_ERRORS or not code:
        return DeliveryFailed(reason)
    return DeliveryFailed(reason, transient=False)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
