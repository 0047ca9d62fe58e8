"""Bluesky: posts with images, through the XRPC API of the account's PDS.

A publish uploads each image (``com.atproto.repo.uploadBlob``), then writes the post
with ``com.atproto.repo.createRecord`` under a record key (rkey) we choose: a TID
derived from the entry's idempotency key, so every retry and every process names the
same record. Bluesky keeps no idempotency keys, but a record key can be looked up:
before any re-send (this process tried the key before, or a createRecord answer was
lost) the client asks ``com.atproto.repo.getRecord`` and returns the post it finds
instead of posting twice. A real PDS answers a createRecord on a taken rkey with a bare
500 (its MST refuses the key), which is looked up the same way.

Sessions: the account's credentials hold an access and a refresh JWT (and the app
password). When a call answers ``ExpiredToken``, the session is renewed once per
account at a time (``refreshSession`` rotates the refresh token: two concurrent
refreshes would kill each other's), falling back to ``createSession`` with the app
password when the refresh token is dead too. New tokens are saved before they are used.

Why not the ``atproto`` SDK: its client decides itself when to refresh (decoding the
JWT's ``exp`` before each call, per client object rather than per account), retargets
every call at the DID document's PDS after a login or refresh (an account connected
``at <PDS URL>`` must keep that URL), and speaks httpx where our other clients speak
aiohttp. The slice we need is six XRPC calls.

The PDS URL was typed in chat or came from a DID document, so it is checked again at
every publish. Tokens and the app password go in one header or body only: no reason
and no log line ever holds them.
"""

import asyncio
import hashlib
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from core.accounts import SocialAccount
from core.errors import ValidationFailed
from core.ports import (
    AuthPlatformError,
    ConnectedIdentity,
    CredentialSaver,
    MediaFile,
    PermanentPlatformError,
    PlatformError,
    PublishRequest,
    PublishResult,
    TransientPlatformError,
)
from core.text_length import grapheme_length
from platforms.addresses import check_api_base
from platforms.answers import client_session, json_object
from platforms.bluesky_facets import MAX_GRAPHEMES, facets
from platforms.waits import retry_after

DEFAULT_PDS = "https://bsky.social"
POST_COLLECTION = "app.bsky.feed.post"
# app.bsky.embed.images: up to 4 images, each of at most 1,000,000 bytes (the limit
# every PDS enforces; the lexicon has since allowed 2 MB).
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 1_000_000
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
MAX_CHARS = MAX_GRAPHEMES
# The post lexicon's second bound on ``text``: UTF-8 bytes (300 emoji can exceed it).
MAX_TEXT_BYTES = 3000
USER_AGENT = "trypost-bluesky/1"
TIMEOUT = aiohttp.ClientTimeout(total=60, sock_connect=10)
# Keys this process has sent, so a later attempt looks its record up first.
REMEMBERED_KEYS = 10_000

# Errors a PDS gives for a session that no renewal can save.
_AUTH_ERRORS = frozenset(
    {"InvalidToken", "ExpiredToken", "AuthMissing", "AccountTakedown", "AccountDeactivated"}
)
# base32-sortable, the alphabet of TIDs (atproto.com/specs/tid).
_S32 = "234567abcdefghijklmnopqrstuvwxyz"


# --- records -------------------------------------------------------------------------


def tid_for(key: str, at: datetime | None = None) -> str:
    """A valid TID (13 characters of base32-sortable, top bit zero) that depends on
    ``key`` (and ``at``) alone, so every attempt at one entry names the same record.

    A TID encodes when it was made (microseconds, then a 10-bit clock id), and readers
    that list a repo sort by it. Given a time that every attempt shares (when the post
    was due), the TID encodes that second, the rest from the key's hash. Without one,
    all 60 low bits are the hash, which reads as a time before 2006: a post filed
    among old ones by rkey-sorting readers, rather than one pinned above everything
    for decades by a far-future time."""
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    if at is None:
        value = digest & ((1 << 60) - 1)
    else:
        micros = int(at.timestamp()) * 1_000_000 + digest % 1_000_000
        value = (micros << 10) | ((digest >> 20) & 1023)
    return "".join(_S32[(value >> shift) & 31] for shift in range(60, -5, -5))


def build_record(
    text: str,
    created_at: datetime,
    *,
    facets: Sequence[Mapping[str, Any]] = (),
    embed: Mapping[str, Any] | None = None,
    langs: Sequence[str] | None = None,
) -> dict[str, Any]:
    """An ``app.bsky.feed.post`` record. ``langs`` (BCP 47 tags) is for when posts
    know their language; nothing passes it yet, and none is guessed."""
    record: dict[str, Any] = {
        "$type": POST_COLLECTION,
        "text": text,
        "createdAt": _iso(created_at),
    }
    if langs:
        record["langs"] = list(langs)
    if facets:
        record["facets"] = [dict(facet) for facet in facets]
    if embed:
        record["embed"] = dict(embed)
    return record


def post_url(handle: str, rkey: str) -> str:
    return f"https://bsky.app/profile/{handle}/post/{rkey}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- sessions ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Session:
    pds: str
    did: str
    handle: str
    access_jwt: str = field(repr=False)
    refresh_jwt: str = field(repr=False)
    app_password: str = field(default="", repr=False)

    @classmethod
    def of(cls, credentials: Mapping[str, str], pds: str) -> "_Session":
        return cls(
            pds=pds,
            did=credentials.get("did", ""),
            handle=credentials.get("handle", ""),
            access_jwt=credentials.get("access_jwt", ""),
            refresh_jwt=credentials.get("refresh_jwt", ""),
            app_password=credentials.get("app_password", ""),
        )

    def renewed(self, body: Mapping[str, Any]) -> "_Session":
        access, refresh = body.get("accessJwt"), body.get("refreshJwt")
        if not isinstance(access, str) or not isinstance(refresh, str) or not access:
            raise TransientPlatformError("Bluesky renewed the session without tokens")
        if body.get("did") not in (None, self.did):
            raise AuthPlatformError(
                "Bluesky signed in another account than the one connected; reconnect it"
            )
        return replace(
            self, handle=_handle(body) or self.handle, access_jwt=access, refresh_jwt=refresh
        )

    def credentials(self) -> dict[str, str]:
        return {
            "pds": self.pds,
            "did": self.did,
            "handle": self.handle,
            "access_jwt": self.access_jwt,
            "refresh_jwt": self.refresh_jwt,
            "app_password": self.app_password,
        }


@dataclass
class _AccountState:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    session: _Session | None = None
    # Access tokens our renewals replaced: a request still carrying one of them was
    # loaded before the renewal, and the cached session is newer.
    replaced: set[str] = field(default_factory=set)


def _handle(body: Mapping[str, Any]) -> str:
    handle = body.get("handle")
    # A PDS says handle.invalid while an account's handle does not verify.
    return handle if isinstance(handle, str) and handle != "handle.invalid" else ""


# --- answers -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    # 0: no answer at all (timeout, connection dropped), ``failure`` says which.
    status: int
    body: dict[str, Any]
    retry_after: float | None = None
    failure: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def lost(self) -> bool:
        return self.status == 0

    @property
    def error(self) -> str:
        value = self.body.get("error")
        return value if isinstance(value, str) else ""

    @property
    def message(self) -> str:
        value = self.body.get("message")
        return value[:500] if isinstance(value, str) else ""

    @property
    def said(self) -> str:
        return self.message or self.error or f"HTTP {self.status}"


def _refusal(answer: _Answer) -> PlatformError:
    """The PlatformError a failed call maps to."""
    status = answer.status
    if answer.lost:
        return TransientPlatformError(f"Bluesky did not answer ({answer.failure})")
    if status == 401 or (status == 400 and answer.error in _AUTH_ERRORS):
        return AuthPlatformError(
            f"Bluesky refused the account's session ({answer.said}); reconnect it"
        )
    if status == 429:
        return TransientPlatformError(
            f"Bluesky is rate limiting: {answer.said}", answer.retry_after
        )
    if status == 408 or status >= 500:
        return TransientPlatformError(f"Bluesky had a problem (HTTP {status}): {answer.said}")
    if status == 403:
        return PermanentPlatformError(f"Bluesky does not allow it (HTTP 403): {answer.said}")
    if 300 <= status < 400:
        return PermanentPlatformError(f"Bluesky answered with a redirect (HTTP {status})")
    return PermanentPlatformError(f"Bluesky refused the post: {answer.said}")


def _retry_after(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds to wait: the PDS's ``RateLimit-Reset`` (epoch seconds), else
    ``Retry-After``."""
    reset = headers.get("RateLimit-Reset", "").strip()
    if reset:
        try:
            return max(0.0, float(reset) - now.timestamp())
        except ValueError:
            pass
    return retry_after(headers.get("Retry-After", ""), now)


def _not_found(answer: _Answer) -> bool:
    # getRecord's answers for an absent record (its repo known, or not).
    return answer.status == 400 and (
        answer.error == "RecordNotFound" or answer.message.startswith("Could not locate record")
    )


def _says_exists(answer: _Answer) -> bool:
    # A PDS that names the clash rather than failing with a 500.
    words = answer.message.lower()
    return answer.status in (400, 409) and ("already exists" in words or "already a value" in words)


def _pds_of(did_doc: Any) -> str:
    """The ``#atproto_pds`` service endpoint of a DID document, if it names one."""
    services = did_doc.get("service") if isinstance(did_doc, dict) else None
    for service in services if isinstance(services, list) else []:
        if (
            isinstance(service, dict)
            and str(service.get("id", "")).endswith("#atproto_pds")
            and service.get("type") == "AtprotoPersonalDataServer"
            and isinstance(service.get("serviceEndpoint"), str)
        ):
            return str(service["serviceEndpoint"])
    return ""


def _check_text(text: str) -> None:
    # Refused before any upload: the PDS would refuse the record after them.
    length = grapheme_length(text)
    if length > MAX_GRAPHEMES:
        raise PermanentPlatformError(
            f"the text has {length} characters; Bluesky takes {MAX_GRAPHEMES}"
        )
    size = len(text.encode())
    if size > MAX_TEXT_BYTES:
        raise PermanentPlatformError(
            f"the text takes {size:,} bytes; Bluesky takes {MAX_TEXT_BYTES:,} (emoji weigh more)"
        )


# --- images --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Image:
    file: MediaFile
    data: bytes


async def _read_images(files: Sequence[MediaFile]) -> list[_Image]:
    """Every file's bytes, refused before any call when Bluesky would refuse them."""
    if any(file.is_video for file in files):
        raise PermanentPlatformError(
            "Bluesky posts from here carry images only; video is not supported"
        )
    if len(files) > MAX_IMAGES:
        raise PermanentPlatformError(
            f"Bluesky takes at most {MAX_IMAGES} images per post, not {len(files)}"
        )
    images = []
    for file in files:
        name = Path(file.path).name
        kind = file.content_type.split(";", 1)[0].strip().lower()
        if kind not in IMAGE_TYPES:
            raise PermanentPlatformError(f"Bluesky does not take {kind or 'this file'} ({name})")
        try:
            data = await asyncio.to_thread(Path(file.path).read_bytes)
        except OSError:
            raise PermanentPlatformError(f"the media file {name} is gone") from None
        if len(data) > MAX_IMAGE_BYTES:
            raise PermanentPlatformError(
                f"Bluesky takes images of at most {MAX_IMAGE_BYTES:,} bytes; {name} has "
                f"{len(data):,}"
            )
        images.append(_Image(replace(file, content_type=kind), data))
    return images


def _embed(images: Sequence[_Image], blobs: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    if not images:
        return None
    entries = []
    for image, blob in zip(images, blobs, strict=True):
        entry: dict[str, Any] = {"alt": image.file.alt or "", "image": blob}
        width, height = image.file.width, image.file.height
        if width and height and width > 0 and height > 0:
            entry["aspectRatio"] = {"width": width, "height": height}
        entries.append(entry)
    return {"$type": "app.bsky.embed.images", "images": entries}


# --- the client ----------------------------------------------------------------------

_Call = Callable[[_Session], Awaitable[_Answer]]


class BlueskyClient:
    def __init__(
        self,
        save: CredentialSaver,
        allowed_hosts: Collection[str] = (),
        *,
        timeout: aiohttp.ClientTimeout = TIMEOUT,
    ) -> None:
        self._save = save
        self._allowed = frozenset(allowed_hosts)
        self._timeout = timeout
        self._http: aiohttp.ClientSession | None = None
        self._accounts: dict[int, _AccountState] = {}
        self._sent: OrderedDict[tuple[str, str], None] = OrderedDict()

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()

    # --- publishing ------------------------------------------------------------------

    async def publish(self, request: PublishRequest) -> PublishResult:
        account = request.account
        session = self._session_for(account, await self._base(account.credentials.get("pds", "")))
        _check_text(request.text)
        images = await _read_images(request.files)
        rkey = tid_for(request.idempotency_key or secrets.token_hex(16))
        if (session.did, rkey) in self._sent:
            found = await self._checked(session, rkey, "before sending it again")
            if found is not None:
                return found
        blobs = [await self._upload(account, image) for image in images]
        record = build_record(
            request.text,
            datetime.now(UTC),
            facets=await facets(request.text, lambda handle: self._resolve(session.pds, handle)),
            embed=_embed(images, blobs),
        )
        return await self._create(account, rkey, record)

    async def _base(self, pds: str) -> str:
        try:
            return await check_api_base(pds, self._allowed)
        except ValidationFailed as refused:
            raise PermanentPlatformError(refused.message) from None

    async def _upload(self, account: SocialAccount, image: _Image) -> dict[str, Any]:
        async def upload(session: _Session) -> _Answer:
            return await self._xrpc(
                "POST",
                session.pds,
                "com.atproto.repo.uploadBlob",
                token=session.access_jwt,
                data=image.data,
                content_type=image.file.content_type,
            )

        answer = await self._authed(account, upload)
        if not answer.ok:
            raise _refusal(answer)
        blob = answer.body.get("blob")
        if not isinstance(blob, dict) or not blob.get("ref"):
            raise TransientPlatformError("Bluesky answered an upload without a blob")
        return blob

    async def _create(
        self, account: SocialAccount, rkey: str, record: dict[str, Any]
    ) -> PublishResult:
        async def create(session: _Session) -> _Answer:
            self._remember((session.did, rkey))
            return await self._xrpc(
                "POST",
                session.pds,
                "com.atproto.repo.createRecord",
                token=session.access_jwt,
                payload={
                    "repo": session.did,
                    "collection": POST_COLLECTION,
                    "rkey": rkey,
                    "record": record,
                },
            )

        answer = await self._authed(account, create)
        session = self._current(account)
        if answer.ok:
            uri = answer.body.get("uri")
            return self._result(session, rkey, uri if isinstance(uri, str) else "")
        refusal = _refusal(answer)
        # Lost, failed on the server's side, or refused as a duplicate: the record may
        # exist (made now, or by an earlier attempt), and only a lookup tells.
        if answer.lost or answer.status >= 500 or _says_exists(answer):
            return await self._reconcile(session, rkey, refusal)
        raise refusal

    async def _reconcile(
        self, session: _Session, rkey: str, refusal: PlatformError
    ) -> PublishResult:
        found = await self._checked(session, rkey, f"after: {refusal.reason}")
        if found is not None:
            return found
        raise refusal

    async def _checked(self, session: _Session, rkey: str, when: str) -> PublishResult | None:
        """A lookup whose failure is always worth another try: whatever getRecord
        answered, posting without knowing could post twice."""
        try:
            return await self._lookup(session, rkey)
        except PlatformError as failed:
            raise TransientPlatformError(
                f"whether the post was made could not be checked ({failed.reason}) {when}"
            ) from None

    async def _lookup(self, session: _Session, rkey: str) -> PublishResult | None:
        """The post at ``rkey`` if the repo has it; raises when the PDS cannot say."""
        # Records are public: no token, so no session to renew on the way.
        answer = await self._xrpc(
            "GET",
            session.pds,
            "com.atproto.repo.getRecord",
            params={"repo": session.did, "collection": POST_COLLECTION, "rkey": rkey},
        )
        if _not_found(answer):
            return None
        if not answer.ok:
            raise _refusal(answer)
        uri = answer.body.get("uri")
        return self._result(session, rkey, uri if isinstance(uri, str) else "")

    def _result(self, session: _Session, rkey: str, uri: str) -> PublishResult:
        uri = uri or f"at://{session.did}/{POST_COLLECTION}/{rkey}"
        return PublishResult(external_id=uri, url=post_url(session.handle or session.did, rkey))

    def _remember(self, sent: tuple[str, str]) -> None:
        self._sent[sent] = None
        self._sent.move_to_end(sent)
        while len(self._sent) > REMEMBERED_KEYS:
            self._sent.popitem(last=False)

    async def _resolve(self, pds: str, handle: str) -> str | None:
        answer = await self._xrpc(
            "GET", pds, "com.atproto.identity.resolveHandle", params={"handle": handle}
        )
        did = answer.body.get("did") if answer.ok else None
        # Any failure leaves the mention as plain text rather than failing the post.
        return did if isinstance(did, str) and did.startswith("did:") else None

    # --- sessions --------------------------------------------------------------------

    def _state(self, account_id: int) -> _AccountState:
        return self._accounts.setdefault(account_id, _AccountState())

    def _session_for(self, account: SocialAccount, pds: str) -> _Session:
        """The newest session known for the account: ours when the request carries
        tokens we already replaced, else the request's (a reconnect, or another
        process that renewed)."""
        given = _Session.of(account.credentials, pds)
        if not given.did or not (given.access_jwt or given.app_password):
            raise AuthPlatformError("the Bluesky account has no session; reconnect it")
        state = self._state(account.id)
        current = state.session
        if current is not None and given.access_jwt in state.replaced | {current.access_jwt}:
            return current
        state.session = given
        return given

    def _current(self, account: SocialAccount) -> _Session:
        session = self._state(account.id).session
        assert session is not None, "publish sets the session first"
        return session

    async def _authed(self, account: SocialAccount, call: _Call) -> _Answer:
        """``call`` with the account's session, renewed once if it expired."""
        session = self._current(account)
        answer = await call(session) if session.access_jwt else _expired()
        if answer.error == "ExpiredToken":
            session = await self._renew(account.id, session)
            answer = await call(session)
        return answer

    async def _renew(self, account_id: int, stale: _Session) -> _Session:
        """A fresh session, made by one task per account at a time and saved before
        anyone uses it. Tasks that waited take the one made meanwhile."""
        state = self._state(account_id)
        async with state.lock:
            current = state.session
            if current is not None and current.access_jwt != stale.access_jwt:
                return current
            fresh = await self._refreshed(stale)
            try:
                await self._save(account_id, fresh.credentials())
            except Exception as failed:
                # Unsaved tokens are never used: a rotated refresh token must not live
                # in memory only. The app password signs in again next time.
                raise TransientPlatformError(
                    f"the renewed Bluesky session could not be saved ({type(failed).__name__})"
                ) from failed
            state.replaced.add(stale.access_jwt)
            state.session = fresh
            return fresh

    async def _refreshed(self, stale: _Session) -> _Session:
        if stale.refresh_jwt:
            answer = await self._xrpc(
                "POST", stale.pds, "com.atproto.server.refreshSession", token=stale.refresh_jwt
            )
            if answer.ok:
                return stale.renewed(answer.body)
            if not (answer.status == 401 or answer.error in ("ExpiredToken", "InvalidToken")):
                raise _refusal(answer)
        # The refresh token expired or was revoked: sign in again with the app password.
        return await self._signed_in(stale)

    async def _signed_in(self, stale: _Session) -> _Session:
        if not stale.app_password:
            raise AuthPlatformError("the Bluesky session ended; reconnect the account")
        answer = await self._xrpc(
            "POST",
            stale.pds,
            "com.atproto.server.createSession",
            payload={"identifier": stale.did, "password": stale.app_password},
        )
        if answer.status == 401:
            raise AuthPlatformError(
                f"Bluesky refused the app password ({answer.said}); reconnect the account"
            )
        if not answer.ok:
            raise _refusal(answer)
        return stale.renewed(answer.body)

    # --- connecting ------------------------------------------------------------------

    async def login(
        self,
        handle: str,
        app_password: str,
        pds: str = DEFAULT_PDS,
        *,
        explicit_pds: bool = False,
    ) -> ConnectedIdentity:
        """Sign in with an app password. Calls go to ``pds`` when the member named it,
        else to the PDS the account's DID document names (where the account lives)."""
        base = await self._base(pds)
        handle = handle.strip().lstrip("@")
        answer = await self._xrpc(
            "POST",
            base,
            "com.atproto.server.createSession",
            payload={"identifier": handle, "password": app_password},
        )
        if answer.status == 401:
            raise AuthPlatformError("Bluesky refused that handle and app password")
        if not answer.ok:
            raise _refusal(answer)
        did = answer.body.get("did")
        if not isinstance(did, str) or not did.startswith("did:"):
            raise PermanentPlatformError("Bluesky signed in without saying which account")
        home = "" if explicit_pds else _pds_of(answer.body.get("didDoc"))
        session = _Session(
            pds=await self._base(home) if home else base,
            did=did,
            handle=_handle(answer.body) or handle,
            access_jwt="",
            refresh_jwt="",
            app_password=app_password,
        ).renewed(answer.body)
        return ConnectedIdentity(
            name=session.handle,
            handle=session.handle,
            credentials=session.credentials(),
            max_chars=MAX_CHARS,
        )

    # --- HTTP ------------------------------------------------------------------------

    async def _xrpc(
        self,
        method: str,
        base: str,
        nsid: str,
        *,
        token: str = "",
        params: Mapping[str, str] | None = None,
        payload: Mapping[str, Any] | None = None,
        data: bytes | None = None,
        content_type: str = "",
    ) -> _Answer:
        """One XRPC call. Never raises for what the PDS answered or failed to answer:
        the caller decides, since a lost createRecord answer means something else than
        a lost upload answer."""
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if content_type:
            headers["Content-Type"] = content_type
        if self._http is None or self._http.closed:
            self._http = client_session(self._timeout)
        try:
            async with self._http.request(
                method,
                f"{base}/xrpc/{nsid}",
                params=params,
                json=payload,
                data=data,
                headers=headers,
                allow_redirects=False,
            ) as response:
                status, raw = response.status, await response.read()
                retry_after = _retry_after(response.headers, datetime.now(UTC))
        except (aiohttp.ClientError, TimeoutError) as failed:
            return _Answer(0, {}, failure=f"{_host(base)}: {type(failed).__name__}")
        return _Answer(status, json_object(raw), retry_after)


def _expired() -> _Answer:
    # A session saved without an access token (only the app password): renew first.
    return _Answer(400, {"error": "ExpiredToken", "message": "no access token"})


def _host(url: str) -> str:
    return urlsplit(url).netloc
