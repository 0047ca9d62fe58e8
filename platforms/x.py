"""X (Twitter): posts with media through the API v2, for accounts connected by OAuth 2.

Connecting is OAuth 2 with PKCE: the member consents at ``/i/oauth2/authorize``, the
code is traded at ``/2/oauth2/token`` (HTTP Basic for a confidential client, the client
id in the form for a public one), then ``/2/users/me`` says whose token it is. Access
tokens last two hours. ``offline.access`` brings a refresh token that works ONCE: every
refresh answers with a new one and the old one is refused from then on, so a renewal
must be saved before anything uses it (the core's CredentialSaver does).

A publish uploads each file with the v2 chunked upload (initialize, append in chunks of
at most 4 MiB, finalize, then STATUS while X processes a video or GIF), gives it its alt
text (``/2/media/metadata``), then creates the post. X keeps no idempotency key: a
re-send of a post whose answer was lost is refused as duplicate content (403).

Redirects are never followed, and the token goes in one header only: no reason, no log
line ever holds it.
"""

import asyncio
import itertools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, urlencode, urlsplit

import aiohttp

from core.accounts import SocialAccount
from core.ports import (
    AuthPlatformError,
    ConnectedIdentity,
    MediaFile,
    PermanentPlatformError,
    PlatformError,
    PublishRequest,
    PublishResult,
    RateQuota,
    Renewal,
    TransientPlatformError,
)
from platforms.answers import JsonHttp, text_field
from platforms.oauth2 import (
    TokenGrant,
    access_token,
    grant_credentials,
    grant_life,
    read_grant,
    renewal,
    token_refusal,
)
from platforms.waits import retry_after, until

WHO = "X"
SCOPES = "tweet.read tweet.write users.read media.write offline.access"
USER_AGENT = "trypost-x/1"
# Uploads of a large video take a while; connecting must not.
TIMEOUT = aiohttp.ClientTimeout(total=120, sock_connect=10)
# X takes append segments of up to 5 MB; 4 MiB leaves room for the multipart framing.
CHUNK_BYTES = 4 * 1024 * 1024
# STATUS polls before a still-processing upload is given up (and tried again later).
MAX_POLLS = 60


def media_category(content_type: str) -> str | None:
    """X's ``media_category`` for a file; None when X takes no such file in a post."""
    kind = _bare(content_type)
    if kind == "image/gif":
        # Animated GIFs are processed like videos, and have their own size limit.
        return "tweet_gif"
    if kind.startswith("image/"):
        return "tweet_image"
    if kind.startswith("video/"):
        return "tweet_video"
    return None


@dataclass(frozen=True)
class _Answer:
    status: int
    body: dict[str, Any]
    # What the x-rate-limit-* headers said, when they said it.
    quota: RateQuota | None = None
    # Seconds until the rate limit resets (or Retry-After), for a 429.
    wait: float | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class XClient:
    def __init__(
        self,
        client_id: str,
        client_secret: str | None = None,
        *,
        api_url: str = "https://api.x.com/",
        auth_url: str = "https://x.com/",
        upload_url: str = "https://api.x.com/2/media/upload",
        timeout: aiohttp.ClientTimeout = TIMEOUT,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        poll_interval: float = 1.0,
    ) -> None:
        self._client_id = client_id
        # Empty or None: a public client, which proves itself with PKCE alone.
        self._client_secret = client_secret or None
        self._api = api_url.rstrip("/") + "/"
        self._auth = auth_url.rstrip("/") + "/"
        self._upload_url = upload_url.rstrip("/")
        self._http = JsonHttp(USER_AGENT, timeout)
        self._now = now
        # How long one of X's ``check_after_secs`` lasts: a second, less in tests.
        self._poll_interval = poll_interval

    def __repr__(self) -> str:
        return f"XClient(client_id={self._client_id!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- connecting ------------------------------------------------------------------

    def authorize_url(self, redirect_uri: str, state: str, code_challenge: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self._client_id,
                "redirect_uri": redirect_uri,
                "scope": SCOPES,
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            },
            quote_via=quote,
        )
        return f"{self._auth}i/oauth2/authorize?{query}"

    async def exchange_code(self, code: str, redirect_uri: str, verifier: str) -> TokenGrant:
        return await self._grant(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            }
        )

    async def identify(self, grant: TokenGrant) -> ConnectedIdentity:
        answer = await self._send("GET", f"{self._api}2/users/me", token=grant.access_token)
        me = _data(answer.body)
        user_id, username = text_field(me, "id"), text_field(me, "username")
        if not user_id or not username:
            raise PermanentPlatformError("X did not say whose token it is")
        handle = f"@{username}"
        return ConnectedIdentity(
            name=handle,
            handle=handle,
            credentials=grant_credentials(
                grant, user_id=user_id, username=username, subject=user_id
            ),
            token=grant_life(grant),
            max_chars=None,
        )

    async def refresh(self, account: SocialAccount) -> Renewal:
        held = account.credentials.get("refresh_token", "")
        if not held:
            raise AuthPlatformError("the X account has no refresh token; connect it again")
        # The answer holds the only refresh token that works from now on.
        grant = await self._grant({"grant_type": "refresh_token", "refresh_token": held})
        return renewal(account, grant)

    async def _grant(self, form: dict[str, str]) -> TokenGrant:
        headers: dict[str, str] = {}
        if self._client_secret is None:
            form = {**form, "client_id": self._client_id}
        else:
            basic = aiohttp.BasicAuth(self._client_id, self._client_secret)
            headers["Authorization"] = basic.encode()
        # Taken before asking: the token's two hours started no later than this.
        asked_at = self._now()
        answer = await self._send(
            "POST", f"{self._api}2/oauth2/token", data=form, headers=headers, check=False
        )
        if 300 <= answer.status < 400:
            raise _refusal(answer)
        if not answer.ok:
            raise token_refusal(answer.status, answer.body, WHO)
        return read_grant(answer.body, asked_at, WHO)

    # --- publishing ------------------------------------------------------------------

    async def publish(self, request: PublishRequest) -> PublishResult:
        token = access_token(request.account, WHO)
        media_ids = [await self._upload(token, file) for file in request.files]
        payload: dict[str, Any] = {"text": request.text}
        if media_ids:
            payload["media"] = {"media_ids": media_ids}
        answer = await self._send("POST", f"{self._api}2/tweets", token=token, payload=payload)
        post_id = text_field(_data(answer.body), "id")
        if not post_id:
            # Not transient: the post may exist, and a re-send would be a duplicate.
            raise PermanentPlatformError("X answered without a post id; check the account")
        return PublishResult(
            external_id=post_id,
            url=_post_url(request.account.credentials.get("username", ""), post_id),
            quota=answer.quota,
        )

    async def _upload(self, token: str, file: MediaFile) -> str:
        category = media_category(file.content_type)
        if category is None:
            raise PermanentPlatformError(f"X does not take {_bare(file.content_type)} files")
        name = Path(file.path).name
        try:
            handle = await asyncio.to_thread(_open, file.path)
        except OSError:
            raise PermanentPlatformError(f"the media file {name} is gone") from None
        with handle:
            started = await self._send(
                "POST",
                f"{self._upload_url}/initialize",
                token=token,
                payload={
                    "media_type": _bare(file.content_type),
                    # The bytes on disk, not what was noted when they were stored.
                    "total_bytes": os.fstat(handle.fileno()).st_size,
                    "media_category": category,
                },
            )
            media_id = text_field(_data(started.body), "id")
            if not media_id:
                raise TransientPlatformError("X answered an upload without a media id")
            await self._append(token, media_id, handle, name)
        finished = await self._send("POST", f"{self._upload_url}/{media_id}/finalize", token=token)
        await self._until_processed(token, media_id, _data(finished.body))
        if file.alt:
            await self._describe(token, media_id, file.alt)
        return media_id

    async def _append(self, token: str, media_id: str, handle: BinaryIO, name: str) -> None:
        # Chunk by chunk, so a large video is never all in memory.
        for index in itertools.count():
            try:
                chunk = await asyncio.to_thread(handle.read, CHUNK_BYTES)
            except OSError:
                raise PermanentPlatformError(f"the media file {name} could not be read") from None
            if not chunk:
                return
            form = aiohttp.FormData()
            form.add_field("segment_index", str(index))
            form.add_field(
                "media", chunk, filename="media", content_type="application/octet-stream"
            )
            await self._send(
                "POST", f"{self._upload_url}/{media_id}/append", token=token, data=form
            )

    async def _until_processed(self, token: str, media_id: str, data: dict[str, Any]) -> None:
        # A post with media still processing would be refused.
        status_url = f"{self._upload_url}?{urlencode({'media_id': media_id, 'command': 'STATUS'})}"
        for polls in itertools.count():
            info = data.get("processing_info")
            if not isinstance(info, dict):
                return  # nothing to process: most images
            state = info.get("state")
            if state == "succeeded":
                return
            if state == "failed":
                raise PermanentPlatformError(f"X could not process the media: {_failure(info)}")
            if polls >= MAX_POLLS:
                raise TransientPlatformError(
                    f"X is still processing the media after {MAX_POLLS} checks"
                )
            await asyncio.sleep(self._poll_interval * _check_after(info))
            answer = await self._send("GET", status_url, token=token)
            data = _data(answer.body)

    async def _describe(self, token: str, media_id: str, alt: str) -> None:
        await self._send(
            "POST",
            f"{self._api}2/media/metadata",
            token=token,
            payload={"id": media_id, "metadata": {"alt_text": {"text": alt}}},
        )

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
            # Also a connection dropped after a post went out: it may exist.
            raise TransientPlatformError(
                f"X did not answer {urlsplit(url).path} ({type(failed).__name__})"
            ) from failed
        answer = _Answer(got.status, got.body, _quota(got.headers), _wait(got.headers, self._now()))
        if check and not answer.ok:
            raise _refusal(answer)
        return answer


def _refusal(answer: _Answer) -> PlatformError:
    status = answer.status
    said = _said(answer.body) or f"HTTP {status}"
    if status == 401:
        # The core refreshes the token and tries once more.
        return AuthPlatformError(f"X refused the token: {said}")
    if status == 429:
        return TransientPlatformError(
            f"X is rate limiting the account: {said}", answer.wait, rate_limited=True
        )
    if status == 408 or status >= 500:
        return TransientPlatformError(f"X had a problem (HTTP {status}): {said}")
    if 300 <= status < 400:
        return PermanentPlatformError(f"X answered with a redirect (HTTP {status})")
    # 403 (duplicate content, a missing scope), 400 and 422 (invalid parameters).
    return PermanentPlatformError(f"X refused it: {said}")


def _said(body: Mapping[str, Any]) -> str:
    """X's own words: a problem's ``detail`` and the ``errors`` messages under it
    (the detail of a 400 is generic, the messages say which parameter)."""
    parts: list[str] = []
    detail = body.get("detail")
    if isinstance(detail, str) and detail:
        parts.append(detail)
    errors = body.get("errors")
    for error in errors if isinstance(errors, list) else []:
        message = error.get("message") if isinstance(error, dict) else None
        if isinstance(message, str) and message and message not in parts:
            parts.append(message)
    if not parts:
        for key in ("title", "error_description", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                parts.append(value)
                break
    return "; ".join(parts)[:500]


def _wait(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds until the reset X names (epoch seconds), else ``Retry-After``. A user's
    24-hour post cap has its own header: when it is spent, that reset is the one."""
    daily_left = _int(headers.get("x-user-limit-24hour-remaining", ""))
    daily_reset = _int(headers.get("x-user-limit-24hour-reset", ""))
    reset = _int(headers.get("x-rate-limit-reset", ""))
    if daily_left == 0 and daily_reset is not None:
        reset = daily_reset
    if reset is not None:
        return until(datetime.fromtimestamp(reset, UTC), now)
    return retry_after(headers.get("Retry-After", ""), now)


def _quota(headers: Mapping[str, str]) -> RateQuota | None:
    remaining = _int(headers.get("x-rate-limit-remaining", ""))
    reset = _int(headers.get("x-rate-limit-reset", ""))
    if remaining is None or reset is None:
        return None
    return RateQuota(remaining=remaining, resets_at=datetime.fromtimestamp(reset, UTC))


def _int(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None


def _check_after(info: Mapping[str, Any]) -> float:
    told = info.get("check_after_secs")
    if isinstance(told, bool) or not isinstance(told, int | float) or told <= 0:
        return 1.0
    return float(told)


def _failure(info: Mapping[str, Any]) -> str:
    error = info.get("error")
    if isinstance(error, dict):
        message = error.get("message") or error.get("name")
        if isinstance(message, str) and message:
            return message[:300]
    return "processing failed"


def _post_url(username: str, post_id: str) -> str:
    if username:
        return f"https://x.com/{quote(username)}/status/{post_id}"
    # X's own address for a post whose author is not known here.
    return f"https://x.com/i/web/status/{post_id}"


def _data(body: Mapping[str, Any]) -> dict[str, Any]:
    found = body.get("data")
    return found if isinstance(found, dict) else {}


def _bare(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _open(path: str) -> BinaryIO:
    return open(path, "rb")  # noqa: SIM115 (closed by the caller's with)
