"""The webhook platform: each post is a JSON POST, signed per Standard Webhooks.

For Zapier, n8n, Make or a team's own service. The body holds the post number, text,
media URLs, labels and the account name; ``webhook-id`` is the entry's idempotency key,
the same on every retry, so a receiver de-duplicates; ``webhook-signature`` is
``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` with the account's secret (the
``standardwebhooks`` library signs). A 2xx whose JSON holds ``url`` gives the entry its
live URL; otherwise it has none.

The URL is checked again at every send (a name may resolve elsewhere since it was
added): only public addresses, or the hosts the operator allowed.
"""

import json
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

import aiohttp
from standardwebhooks import Webhook

from core.errors import ValidationFailed
from core.ports import (
    AuthPlatformError,
    PermanentPlatformError,
    PublishRequest,
    PublishResult,
    TransientPlatformError,
)
from platforms.addresses import refuse_inward_url
from platforms.answers import client_session
from platforms.waits import retry_after

TIMEOUT = aiohttp.ClientTimeout(total=15)
USER_AGENT = "trypost-webhook/1"


class WebhookClient:
    def __init__(self, allowed_hosts: Collection[str] = ()) -> None:
        self._allowed = frozenset(allowed_hosts)
        self._session: aiohttp.ClientSession | None = None

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def publish(self, request: PublishRequest) -> PublishResult:
        url = request.account.credentials.get("url", "")
        try:
            await refuse_inward_url(url, self._allowed)
        except ValidationFailed as refused:
            raise PermanentPlatformError(refused.message) from None
        body = json.dumps(
            {
                "type": "post.published",
                "account": request.account.name,
                "post": request.post_number,
                "text": request.text,
                "media": list(request.media),
                "labels": list(request.labels),
            },
            ensure_ascii=False,
        )
        headers = self._headers(request, body)
        if self._session is None or self._session.closed:
            self._session = client_session(TIMEOUT)
        try:
            async with self._session.post(url, data=body.encode(), headers=headers) as answer:
                text = await answer.text()
                return _outcome(answer.status, answer.headers, text, request.idempotency_key)
        except (aiohttp.ClientError, TimeoutError) as failed:
            raise TransientPlatformError(
                f"the webhook did not answer ({type(failed).__name__})"
            ) from failed

    def _headers(self, request: PublishRequest, body: str) -> dict[str, str]:
        message_id = request.idempotency_key or f"trypost-{request.post_number}"
        # Wall time, even under a simulated clock: receivers check it against theirs.
        now = datetime.now(UTC)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
        }
        secret = request.account.credentials.get("secret", "")
        if secret:
            key: str | bytes = secret if secret.startswith("whsec_") else secret.encode()
            headers["webhook-signature"] = Webhook(key).sign(message_id, now, body)
        return headers


def _outcome(status: int, headers: Any, text: str, key: str) -> PublishResult:
    if 200 <= status < 300:
        try:
            found = json.loads(text) if text else {}
        except ValueError:
            found = {}
        url = found.get("url") if isinstance(found, dict) else None
        return PublishResult(external_id=key, url=url if isinstance(url, str) else "")
    reason = f"the webhook answered HTTP {status}" + (f": {text[:200]}" if text else "")
    if status in (401, 403):
        raise AuthPlatformError(reason)
    if status == 429 or status >= 500:
        wait = retry_after(headers.get("Retry-After") or "", datetime.now(UTC))
        raise TransientPlatformError(reason, retry_after=wait)
    raise PermanentPlatformError(reason)
