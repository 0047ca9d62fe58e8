"""A Bluesky PDS on 127.0.0.1, in its own thread: the XRPC slice the bot uses, with
the shapes of ``../shared/fixtures/platforms/bluesky/`` and the errors the reference
PDS (bluesky-social/atproto ``packages/pds``) gives.

What it holds is the platform's own truth: ``records`` (the posts made), ``blobs``
(uploaded bytes), ``refreshes`` (refreshSession calls), ``sessions_created``
(createSession calls that succeeded) and ``requests`` (every call, in order). Faults
are queued per method (NSID).

Tokens are opaque random strings: the client never decodes them. Expiry is what the
tests say (``expire_access_tokens``), not a clock.

As on the reference PDS:
- an expired access token answers 400 ``ExpiredToken`` "Token has expired"; a token it
  never issued 400 ``InvalidToken``; a revoked session 400 ``ExpiredToken`` "Token has
  been revoked" (fixtures error_expired_token.json, error_token_revoked.json);
- refreshSession rotates: the refresh token it was given is dead afterwards;
- a wrong identifier or password answers 401 ``AuthenticationRequired`` "Invalid
  identifier or password";
- createRecord on an rkey already taken answers a bare 500 (the MST refuses the key
  and the PDS hides the reason), not a 400;
- getRecord of an absent record answers 400 ``RecordNotFound``.
"""

import asyncio
import base64
import contextlib
import hashlib
import json
import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import regex
from aiohttp import web

from platforms.bluesky import MAX_IMAGE_BYTES, MAX_IMAGES, POST_COLLECTION
from platforms.bluesky_facets import MAX_GRAPHEMES, grapheme_length
from tests.threaded_server import ThreadedServer

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

EXPIRED = {"error": "ExpiredToken", "message": "Token has expired"}
REVOKED = {"error": "ExpiredToken", "message": "Token has been revoked"}
INVALID = {"error": "InvalidToken", "message": "Token could not be verified"}
BAD_LOGIN = {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
_TID = regex.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
# xrpc ResponseType names and strings, for faults queued without a body.
_DEFAULT_ERRORS = {
    400: ("InvalidRequest", "Invalid Request"),
    401: ("AuthenticationRequired", "Authentication Required"),
    403: ("Forbidden", "Forbidden"),
    404: ("XRPCNotSupported", "XRPC Not Supported"),
    413: ("PayloadTooLarge", "Payload Too Large"),
    429: ("RateLimitExceeded", "Rate Limit Exceeded"),
    500: ("InternalServerError", "Internal Server Error"),
    502: ("UpstreamFailure", "Upstream Failure"),
    503: ("NotEnoughResources", "Not Enough Resources"),
    504: ("UpstreamTimeout", "Upstream Timeout"),
}


@dataclass
class Account:
    handle: str
    did: str
    password: str
    revoked: bool = False


@dataclass
class Token:
    value: str
    did: str
    kind: str  # "access" | "refresh"
    expired: bool = False
    # A refresh token once used (rotated) is dead.
    used: bool = False


@dataclass
class Blob:
    cid: str
    did: str
    mime_type: str
    data: bytes


@dataclass
class Record:
    uri: str
    cid: str
    did: str
    rkey: str
    value: dict[str, Any]


@dataclass
class _Fault:
    method: str
    kind: str  # "fail" | "timeout" | "drop"
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    seconds: float = 0.0
    times: int = 1


class FakeBluesky(ThreadedServer):
    def __init__(self) -> None:
        self.records: list[Record] = []
        self.blobs: list[Blob] = []
        self.refreshes = 0
        self.sessions_created = 0
        # (NSID, access token or "") of every call, in order.
        self.requests: list[tuple[str, str]] = []
        # What didDoc says the PDS is (default: this fake's own URL).
        self.did_doc_pds: str | None = None
        self.port = 0
        self._accounts: dict[str, Account] = {}
        self._tokens: dict[str, Token] = {}
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- helpers for tests -----------------------------------------------------------

    def add_account(self, handle: str, password: str) -> str:
        """An account with this app password; returns its DID."""
        did = "did:plc:" + base64.b32encode(secrets.token_bytes(15)).decode().lower()
        with self._lock:
            self._accounts[did] = Account(handle, did, password)
        return did

    def session(self, handle: str) -> dict[str, str]:
        """A working session of ``handle``, as the client's credentials name it."""
        account = self._by_identifier(handle)
        assert account is not None, f"no account {handle}"
        access, refresh = self._issue(account.did)
        return {
            "pds": self.url,
            "did": account.did,
            "handle": account.handle,
            "access_jwt": access,
            "refresh_jwt": refresh,
            "app_password": account.password,
        }

    def expire_access_tokens(self) -> None:
        """Every access token issued so far answers ExpiredToken; new ones work."""
        with self._lock:
            for token in self._tokens.values():
                if token.kind == "access":
                    token.expired = True

    def expire_refresh_tokens(self) -> None:
        """Every refresh token issued so far is past its lifetime."""
        with self._lock:
            for token in self._tokens.values():
                if token.kind == "refresh":
                    token.expired = True

    def revoke(self, handle: str) -> None:
        """The member deleted the app password: its sessions are revoked and it no
        longer signs in."""
        account = self._by_identifier(handle)
        assert account is not None, f"no account {handle}"
        with self._lock:
            account.revoked = True

    def fail_next(
        self,
        method: str,
        status: int,
        headers: dict[str, str] | None = None,
        body: Any = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` calls of ``method`` (an NSID) answer ``status`` with
        ``body`` (default: the XRPC error of that status)."""
        self._queue(_Fault(method, "fail", status, headers or {}, body, times=times))

    def timeout_next(self, method: str, seconds: float) -> None:
        """The next call of ``method`` waits ``seconds``, then is handled as usual (so
        a record may be made after the client gave up, as on a slow PDS)."""
        self._queue(_Fault(method, "timeout", seconds=seconds))

    def drop_after_commit_next(self) -> None:
        """The next createRecord stores the record, then closes the connection
        without an answer."""
        self._queue(_Fault("com.atproto.repo.createRecord", "drop"))

    def calls(self, method: str) -> int:
        return sum(1 for nsid, _ in self.requests if nsid == method)

    # --- lifecycle -------------------------------------------------------------------

    def application(self) -> web.Application:
        app = web.Application(middlewares=[self._faulty], client_max_size=64 * 1024 * 1024)
        routes: dict[str, tuple[str, _Handler]] = {
            "com.atproto.server.createSession": ("POST", self._create_session),
            "com.atproto.server.refreshSession": ("POST", self._refresh_session),
            "com.atproto.repo.uploadBlob": ("POST", self._upload_blob),
            "com.atproto.repo.createRecord": ("POST", self._create_record),
            "com.atproto.repo.getRecord": ("GET", self._get_record),
            "com.atproto.identity.resolveHandle": ("GET", self._resolve_handle),
        }
        for nsid, (method, handler) in routes.items():
            app.router.add_route(method, f"/xrpc/{nsid}", handler, name=nsid.replace(".", "_"))
        return app

    # --- faults ----------------------------------------------------------------------

    def _queue(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _take(self, method: str, kinds: set[str]) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.kind in kinds and fault.method == method:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    @web.middleware
    async def _faulty(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        method = request.path.removeprefix("/xrpc/")
        with self._lock:
            self.requests.append((method, _bearer(request)))
        fault = self._take(method, {"fail", "timeout"})
        if fault is not None and fault.kind == "timeout":
            # The body arrives first, so the call is handled even if the client hangs up.
            await request.read()
            # Cut short when the server stops, so no handler outlives its loop.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), fault.seconds)
        elif fault is not None:
            body = fault.body
            if body is None:
                error, message = _DEFAULT_ERRORS.get(fault.status, ("Unknown", "Unknown"))
                body = {"error": error, "message": message}
            if isinstance(body, str | bytes):
                return web.Response(body=body, status=fault.status, headers=fault.headers)
            return web.json_response(body, status=fault.status, headers=fault.headers)
        return await handler(request)

    # --- sessions --------------------------------------------------------------------

    async def _create_session(self, request: web.Request) -> web.Response:
        body = await _body(request)
        account = self._by_identifier(str(body.get("identifier") or ""))
        if account is None or account.revoked or body.get("password") != account.password:
            return web.json_response(BAD_LOGIN, status=401)
        access, refresh = self._issue(account.did)
        with self._lock:
            self.sessions_created += 1
        return web.json_response(self._session_json(account, access, refresh))

    async def _refresh_session(self, request: web.Request) -> web.Response:
        with self._lock:
            self.refreshes += 1
        token = self._token(request)
        if isinstance(token, web.Response):
            return token
        if token.kind != "refresh":
            return _error(400, "InvalidToken", "Bad token scope")
        if token.used:
            return web.json_response(REVOKED, status=400)
        token.used = True
        account = self._accounts[token.did]
        access, refresh = self._issue(account.did)
        return web.json_response(self._session_json(account, access, refresh))

    def _issue(self, did: str) -> tuple[str, str]:
        access = f"fake-access-{secrets.token_urlsafe(16)}"
        refresh = f"fake-refresh-{secrets.token_urlsafe(16)}"
        with self._lock:
            self._tokens[access] = Token(access, did, "access")
            self._tokens[refresh] = Token(refresh, did, "refresh")
        return access, refresh

    def _session_json(self, account: Account, access: str, refresh: str) -> dict[str, Any]:
        # fixtures: createSession's answer as bsky.social gives it.
        return {
            "did": account.did,
            "didDoc": self._did_doc(account),
            "handle": account.handle,
            "email": f"{account.handle.split('.', 1)[0]}@example.com",
            "emailConfirmed": True,
            "emailAuthFactor": False,
            "accessJwt": access,
            "refreshJwt": refresh,
            "active": True,
        }

    def _did_doc(self, account: Account) -> dict[str, Any]:
        return {
            "@context": [
                "https://www.w3.org/ns/did/v1",
                "https://w3id.org/security/multikey/v1",
                "https://w3id.org/security/suites/secp256k1-2019/v1",
            ],
            "id": account.did,
            "alsoKnownAs": [f"at://{account.handle}"],
            "verificationMethod": [
                {
                    "id": f"{account.did}#atproto",
                    "type": "Multikey",
                    "controller": account.did,
                    "publicKeyMultibase": "zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF",
                }
            ],
            "service": [
                {
                    "id": "#atproto_pds",
                    "type": "AtprotoPersonalDataServer",
                    "serviceEndpoint": self.did_doc_pds or self.url,
                }
            ],
        }

    # --- repo ------------------------------------------------------------------------

    async def _upload_blob(self, request: web.Request) -> web.Response:
        token = self._access(request)
        if isinstance(token, web.Response):
            return token
        data = await request.read()
        mime_type = request.headers.get("Content-Type", "*/*").split(";", 1)[0].strip()
        blob = Blob(_cid("bafkrei", data), token.did, mime_type, data)
        with self._lock:
            self.blobs.append(blob)
        # fixtures/platforms/bluesky/uploadBlob_response.json
        return web.json_response({"blob": _blob_json(blob)})

    async def _create_record(self, request: web.Request) -> web.StreamResponse:
        token = self._access(request)
        if isinstance(token, web.Response):
            return token
        body = await _body(request)
        account = self._by_identifier(str(body.get("repo") or ""))
        if account is None or account.did != token.did:
            return _error(401, "AuthenticationRequired", "Authentication Required")
        rkey = str(body.get("rkey") or "")
        refused = self._check_post(body.get("collection"), rkey, body.get("record"), token.did)
        if refused is not None:
            return refused
        uri = f"at://{token.did}/{POST_COLLECTION}/{rkey}"
        record = Record(
            uri,
            _cid("bafyrei", json.dumps(body["record"]).encode()),
            token.did,
            rkey,
            body["record"],
        )
        with self._lock:
            if any(r.uri == uri for r in self.records):
                # "There is already a value at key", hidden behind a 500.
                return _error(500, "InternalServerError", "Internal Server Error")
            self.records.append(record)
        if self._take("com.atproto.repo.createRecord", {"drop"}) is not None:
            # Committed, and the answer lost: the client cannot tell whether it was.
            assert request.transport is not None
            request.transport.abort()
            raise asyncio.CancelledError
        # fixtures/platforms/bluesky/createRecord_response.json, with what PDSes add.
        return web.json_response(
            {
                "uri": uri,
                "cid": record.cid,
                "commit": {"cid": _cid("bafyrei", uri.encode()), "rev": rkey},
                "validationStatus": "valid",
            }
        )

    def _check_post(self, collection: Any, rkey: str, record: Any, did: str) -> web.Response | None:
        if collection != POST_COLLECTION:
            return _error(400, "InvalidRequest", f"Unsupported collection: {collection}")
        if not _TID.match(rkey):
            return _invalid(
                f"Invalid record key for {POST_COLLECTION}: TID syntax not valid (regex)"
            )
        if not isinstance(record, dict) or record.get("$type") != POST_COLLECTION:
            kind = record.get("$type") if isinstance(record, dict) else None
            return _invalid(f"Invalid $type: expected {POST_COLLECTION}, got {kind}")
        text = record.get("text")
        if not isinstance(text, str):
            return _invalid_record('Record must have the property "text"')
        if grapheme_length(text) > MAX_GRAPHEMES:
            return _invalid_record(f"Record/text must not be longer than {MAX_GRAPHEMES} graphemes")
        if len(text.encode()) > 3000:
            return _invalid_record("Record/text must not be longer than 3000 characters")
        try:
            datetime.fromisoformat(str(record.get("createdAt")).replace("Z", "+00:00"))
        except ValueError:
            return _invalid_record("Record/createdAt must be an valid atproto datetime")
        return self._check_facets(text, record.get("facets")) or self._check_embed(
            record.get("embed"), did
        )

    def _check_facets(self, text: str, facets: Any) -> web.Response | None:
        size = len(text.encode())
        for i, facet in enumerate(facets or []):
            index = facet.get("index", {}) if isinstance(facet, dict) else {}
            start, end = index.get("byteStart"), index.get("byteEnd")
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= size):
                return _invalid_record(f"Record/facets/{i}/index is out of range")
        return None

    def _check_embed(self, embed: Any, did: str) -> web.Response | None:
        if embed is None:
            return None
        kind = embed.get("$type") if isinstance(embed, dict) else None
        images = embed.get("images") if isinstance(embed, dict) else None
        if kind != "app.bsky.embed.images" or not isinstance(images, list):
            return _invalid_record("Record/embed is invalid")
        if len(images) > MAX_IMAGES:
            return _invalid_record(
                f"Record/embed/images must not have more than {MAX_IMAGES} elements"
            )
        for i, image in enumerate(images):
            path = f"Record/embed/images/{i}"
            if not isinstance(image.get("alt"), str):
                return _invalid_record(f'{path} must have the property "alt"')
            ratio = image.get("aspectRatio")
            if ratio is not None and not all(
                isinstance(ratio.get(side), int) and ratio[side] >= 1
                for side in ("width", "height")
            ):
                return _invalid_record(f"{path}/aspectRatio/width must be an integer of at least 1")
            ref = image.get("image", {}).get("ref", {}).get("$link")
            with self._lock:
                blob = next((b for b in self.blobs if b.cid == ref and b.did == did), None)
            if blob is None:
                return _error(400, "InvalidRequest", f"Could not find blob: {ref}")
            if not blob.mime_type.startswith("image/"):
                return _invalid_record(f"{path}/image mimeType is not accepted")
            if len(blob.data) > MAX_IMAGE_BYTES:
                return _invalid_record(f"{path}/image file is too large")
        return None

    async def _get_record(self, request: web.Request) -> web.Response:
        query = request.query
        account = self._by_identifier(query.get("repo", ""))
        if account is None:
            return _error(400, "InvalidRequest", "Could not locate record")
        uri = f"at://{account.did}/{query.get('collection', '')}/{query.get('rkey', '')}"
        with self._lock:
            found = next((r for r in self.records if r.uri == uri), None)
        if found is None:
            return _error(400, "RecordNotFound", f"Could not locate record: {uri}")
        return web.json_response({"uri": found.uri, "cid": found.cid, "value": found.value})

    async def _resolve_handle(self, request: web.Request) -> web.Response:
        handle = request.query.get("handle", "").lower()
        with self._lock:
            account = next((a for a in self._accounts.values() if a.handle == handle), None)
        if account is None:
            return _error(400, "InvalidRequest", "Unable to resolve handle")
        return web.json_response({"did": account.did})

    # --- lookups ---------------------------------------------------------------------

    def _by_identifier(self, identifier: str) -> Account | None:
        wanted = identifier.lower().lstrip("@")
        with self._lock:
            for account in self._accounts.values():
                if wanted in (account.did, account.handle.lower()):
                    return account
        return None

    def _token(self, request: web.Request) -> Token | web.Response:
        value = _bearer(request)
        if not value:
            return _error(401, "AuthMissing", "Authentication Required")
        with self._lock:
            token = self._tokens.get(value)
        if token is None:
            return web.json_response(INVALID, status=400)
        if self._accounts[token.did].revoked:
            return web.json_response(REVOKED, status=400)
        if token.expired:
            return web.json_response(EXPIRED, status=400)
        return token

    def _access(self, request: web.Request) -> Token | web.Response:
        token = self._token(request)
        if isinstance(token, Token) and token.kind != "access":
            return _error(400, "InvalidToken", "Bad token scope")
        return token


def _bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        found = await request.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _blob_json(blob: Blob) -> dict[str, Any]:
    return {
        "$type": "blob",
        "ref": {"$link": blob.cid},
        "mimeType": blob.mime_type,
        "size": len(blob.data),
    }


def _cid(prefix: str, data: bytes) -> str:
    # CID-looking (base32 multibase of a sha-256): enough for refs to compare.
    digest = base64.b32encode(hashlib.sha256(data).digest()).decode().lower().rstrip("=")
    return prefix + digest[:52]


def _error(status: int, error: str, message: str) -> web.Response:
    return web.json_response({"error": error, "message": message}, status=status)


def _invalid(message: str) -> web.Response:
    return _error(400, "InvalidRequest", message)


def _invalid_record(detail: str) -> web.Response:
    # prepareCreate's words around the lexicon validator's.
    return _invalid(f"Invalid {POST_COLLECTION} record: {detail}")
