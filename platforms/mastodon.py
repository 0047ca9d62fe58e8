"""Mastodon: statuses with media, through the REST API of the member's own instance.

A publish uploads each file (``POST /api/v2/media``), waits while the instance
processes it (a 202, then ``GET /api/v1/media/:id`` until it has a ``url``), then
creates the status with an ``Idempotency-Key``: Mastodon remembers the key for an
hour per account and answers a re-send with the status it made the first time, so a
send whose answer was lost (a crash, a dropped connection) is safe to repeat.

Connecting is OAuth per instance: register our app there (``/api/v1/apps``), send the
member to ``/oauth/authorize``, trade the code at ``/oauth/token``, then ask who the
token belongs to and what the instance allows.

The instance URL was typed in chat, so it is checked again at every call (a name may
resolve elsewhere since): https to public addresses, or the hosts the operator allowed.
Redirects are never followed for the same reason. The token goes in one header only:
no reason, no log line ever holds it.
"""

import asyncio
import mimetypes
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import aiohttp

from core.accounts import SocialAccount
from core.errors import ValidationFailed
from core.ports import (
    AuthPlatformError,
    ConnectedIdentity,
    MediaFile,
    PermanentPlatformError,
    PlatformError,
    PublishRequest,
    PublishResult,
    TransientPlatformError,
)
from platforms.addresses import check_api_base
from platforms.answers import JsonHttp, first_said, text_field
from platforms.waits import retry_after, until

CLIENT_NAME = "TryPost"
SCOPES = "read:accounts write:statuses write:media"
USER_AGENT = "trypost-mastodon/1"
# Uploads of a large video take a while; connecting must not.
TIMEOUT = aiohttp.ClientTimeout(total=120, sock_connect=10)
DEFAULT_MAX_CHARS = 500


@dataclass(frozen=True)
class MediaLimits:
    """A stock instance's limits (``/api/v2/instance`` ``configuration``), for checks
    at schedule time; an instance may differ, and its own 422 has the last word."""

    max_attachments: int
    image_types: frozenset[str]
    video_types: frozenset[str]
    audio_types: frozenset[str]
    image_size_limit: int
    # Mastodon applies the video limit to audio too.
    video_size_limit: int
    image_matrix_limit: int
    video_matrix_limit: int
    video_frame_rate_limit: int
    description_limit: int

    def size_limit(self, content_type: str) -> int | None:
        """The most bytes a file of this type may have; None when it is not taken."""
        kind = content_type.split(";", 1)[0].strip().lower()
        if kind in self.image_types:
            return self.image_size_limit
        if kind in self.video_types or kind in self.audio_types:
            return self.video_size_limit
        return None


# docs.joinmastodon.org/entities/Instance, as mastodon.social (4.5) answers.
MEDIA_LIMITS = MediaLimits(
    max_attachments=4,
    image_types=frozenset(
        {
            "image/jpeg",
            "image/png",
            "image/gif",
            "image/heic",
            "image/heif",
            "image/webp",
            "image/avif",
        }
    ),
    video_types=frozenset(
        {"video/webm", "video/mp4", "video/quicktime", "video/ogg", "video/x-ms-asf"}
    ),
    audio_types=frozenset(
        {
            "audio/wave",
            "audio/wav",
            "audio/x-wav",
            "audio/x-pn-wave",
            "audio/vnd.wave",
            "audio/ogg",
            "audio/vorbis",
            "audio/mpeg",
            "audio/mp3",
            "audio/webm",
            "audio/flac",
            "audio/aac",
            "audio/m4a",
            "audio/x-m4a",
            "audio/mp4",
            "audio/3gpp",
        }
    ),
    image_size_limit=16_777_216,
    video_size_limit=103_809_024,
    image_matrix_limit=33_177_600,
    video_matrix_limit=8_294_400,
    video_frame_rate_limit=120,
    description_limit=1500,
)


# --- the client ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    status: int
    body: dict[str, Any]
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class MastodonClient:
    def __init__(
        self,
        allowed_hosts: Collection[str] = (),
        *,
        poll_interval: float = 1.0,
        processing_timeout: float = 120.0,
        timeout: aiohttp.ClientTimeout = TIMEOUT,
    ) -> None:
        self._allowed = frozenset(allowed_hosts)
        self._poll_interval = poll_interval
        self._processing_timeout = processing_timeout
        self._http = JsonHttp(USER_AGENT, timeout)

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- publishing ------------------------------------------------------------------

    async def publish(self, request: PublishRequest) -> PublishResult:
        base, token = await self._account(request.account)
        media_ids = [await self._upload(base, token, file) for file in request.files]
        headers = {"Idempotency-Key": request.idempotency_key} if request.idempotency_key else {}
        answer = await self._send(
            "POST",
            f"{base}/api/v1/statuses",
            token=token,
            payload={"status": request.text, "media_ids": media_ids, "visibility": "public"},
            headers=headers,
        )
        status_id = text_field(answer.body, "id")
        if not status_id:
            # Created or not, a re-send with the same key tells.
            raise TransientPlatformError("Mastodon answered without a status id")
        url = text_field(answer.body, "url") or text_field(answer.body, "uri")
        return PublishResult(external_id=status_id, url=url)

    async def _account(self, account: SocialAccount) -> tuple[str, str]:
        token = account.credentials.get("token", "")
        if not token:
            raise AuthPlatformError("the account has no Mastodon token; connect it again")
        return await self._base(account.credentials.get("instance", "")), token

    async def _base(self, instance: str) -> str:
        try:
            return await check_api_base(instance, self._allowed)
        except ValidationFailed as refused:
            raise PermanentPlatformError(refused.message) from None

    async def _upload(self, base: str, token: str, file: MediaFile) -> str:
        try:
            data = await asyncio.to_thread(Path(file.path).read_bytes)
        except OSError:
            raise PermanentPlatformError(f"the media file {Path(file.path).name} is gone") from None
        form = aiohttp.FormData()
        form.add_field("file", data, filename=_upload_name(file), content_type=file.content_type)
        if file.alt:
            form.add_field("description", file.alt)
        answer = await self._send("POST", f"{base}/api/v2/media", token=token, data=form)
        media_id = text_field(answer.body, "id")
        if not media_id:
            raise TransientPlatformError("Mastodon answered an upload without a media id")
        if answer.status == 202 or not answer.body.get("url"):
            await self._until_processed(base, token, media_id)
        return media_id

    async def _until_processed(self, base: str, token: str, media_id: str) -> None:
        # The status would be refused while an attachment is still being processed.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._processing_timeout
        while loop.time() + self._poll_interval <= deadline:
            await asyncio.sleep(self._poll_interval)
            answer = await self._send("GET", f"{base}/api/v1/media/{media_id}", token=token)
            if answer.status == 200 and answer.body.get("url"):
                return
        raise TransientPlatformError(
            f"Mastodon is still processing the media after {self._processing_timeout:g}s"
        )

    # --- connecting ------------------------------------------------------------------

    async def register_app(self, instance: str, redirect_uri: str) -> tuple[str, str]:
        base = await self._base(instance)
        answer = await self._send(
            "POST",
            f"{base}/api/v1/apps",
            payload={"client_name": CLIENT_NAME, "redirect_uris": redirect_uri, "scopes": SCOPES},
        )
        client_id, secret = (
            text_field(answer.body, "client_id"),
            text_field(answer.body, "client_secret"),
        )
        if not client_id or not secret:
            raise PermanentPlatformError(f"{_authority(base)} did not register the app")
        return client_id, secret

    def authorize_url(self, instance: str, client_id: str, redirect_uri: str, state: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "scope": SCOPES,
                "state": state,
            },
            quote_via=quote,
        )
        return f"{instance.strip().rstrip('/')}/oauth/authorize?{query}"

    async def exchange_code(
        self, instance: str, client_id: str, client_secret: str, redirect_uri: str, code: str
    ) -> str:
        base = await self._base(instance)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uri": redirect_uri,
            "scope": SCOPES,
        }
        answer = await self._send("POST", f"{base}/oauth/token", data=form, check=False)
        if answer.status in (400, 401):
            # invalid_grant / invalid_client: the member starts over; no account to mark.
            said = _said(answer.body) or f"HTTP {answer.status}"
            raise PermanentPlatformError(f"{_authority(base)} refused the sign-in: {said}")
        if not answer.ok:
            raise _refusal(answer)
        token = text_field(answer.body, "access_token")
        if not token:
            raise PermanentPlatformError(f"{_authority(base)} gave no access token")
        return token

    async def identify(self, instance: str, token: str) -> ConnectedIdentity:
        base = await self._base(instance)
        try:
            me = await self._send("GET", f"{base}/api/v1/accounts/verify_credentials", token=token)
        except AuthPlatformError as refused:
            raise AuthPlatformError(
                f"the token was refused by {_authority(base)}: {refused.reason}"
            ) from None
        username = text_field(me.body, "username")
        if not username:
            raise PermanentPlatformError(f"{_authority(base)} did not say who the token is")
        handle = f"@{username}@{_authority(base)}"
        return ConnectedIdentity(
            name=handle,
            handle=handle,
            credentials={"instance": base, "token": token},
            max_chars=await self._max_chars(base, token),
        )

    async def _max_chars(self, base: str, token: str) -> int:
        try:
            answer = await self._send("GET", f"{base}/api/v2/instance", token=token)
        except PermanentPlatformError:
            # Older than 4.0 (no v2): the stock limit.
            return DEFAULT_MAX_CHARS
        statuses = answer.body.get("configuration", {}).get("statuses", {})
        found = statuses.get("max_characters") if isinstance(statuses, dict) else None
        return found if isinstance(found, int) and found > 0 else DEFAULT_MAX_CHARS

    # --- HTTP ------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        url: str,
        *,
        token: str = "",
        payload: dict[str, Any] | None = None,
        data: aiohttp.FormData | dict[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        check: bool = True,
    ) -> _Answer:
        """One call; a refusal raises the PlatformError it maps to, unless ``check``
        is off (the caller maps it)."""
        try:
            got = await self._http.call(
                method, url, token=token, payload=payload, data=data, headers=headers
            )
        except (aiohttp.ClientError, TimeoutError) as failed:
            # Also a connection dropped after the request went out: the status may
            # exist, and the Idempotency-Key makes the re-send return it.
            raise TransientPlatformError(
                f"{_authority(url)} did not answer ({type(failed).__name__})"
            ) from failed
        answer = _Answer(got.status, got.body, _retry_after(got.headers, datetime.now(UTC)))
        if check and not answer.ok:
            raise _refusal(answer)
        return answer


def _refusal(answer: _Answer) -> PlatformError:
    status = answer.status
    said = _said(answer.body) or f"HTTP {status}"
    if status == 401:
        return AuthPlatformError(f"Mastodon refused the token: {said}")
    if status == 429:
        return TransientPlatformError(f"Mastodon is rate limiting: {said}", answer.retry_after)
    if status == 408 or status >= 500:
        return TransientPlatformError(f"Mastodon had a problem (HTTP {status}): {said}")
    if 300 <= status < 400:
        return PermanentPlatformError(f"Mastodon answered with a redirect (HTTP {status})")
    return PermanentPlatformError(f"Mastodon refused it: {said}")


def _retry_after(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds to wait: ``Retry-After``, else Mastodon's ``X-RateLimit-Reset`` (ISO 8601)."""
    told = retry_after(headers.get("Retry-After", ""), now)
    if told is not None:
        return told
    reset = headers.get("X-RateLimit-Reset", "").strip()
    try:
        return until(datetime.fromisoformat(reset.replace("Z", "+00:00")), now) if reset else None
    except ValueError:
        return None


def _authority(url: str) -> str:
    """host[:port] as the member typed it, less a port the scheme implies."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    default = {"https": 443, "http": 80}.get(parts.scheme.lower())
    return f"{host}:{port}" if port is not None and port != default else host


def _upload_name(file: MediaFile) -> str:
    # Stored files are named by hash; Mastodon checks the extension against the bytes.
    name = Path(file.path).name
    if Path(name).suffix:
        return name
    return name + (mimetypes.guess_extension(file.content_type) or "")


def _said(body: Mapping[str, Any]) -> str:
    """The platform's own words: OAuth errors describe themselves in error_description."""
    return first_said(body, ("error_description", "error"))
