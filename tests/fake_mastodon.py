"""A Mastodon instance on 127.0.0.1, in its own thread: the slice of the API the bot
uses, answering with the shapes of ``../shared/fixtures/platforms/mastodon/`` and
``doc_samples/mastodon_*.json`` (trimmed to what clients read).

It works from sync and async tests alike, and while the bot runs in another loop.
What it was sent is recorded (``apps``, ``media``, ``statuses``: the platform's own
count of what was published), and faults are queued per route or path.

OAuth: ``/oauth/authorize`` is a user who always consents (``consenting_user``): it
checks the client and redirect URI, then redirects with a one-time code.
"""

import asyncio
import contextlib
import html
import itertools
import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from core.text_length import mastodon_length as status_length
from platforms.mastodon import MEDIA_LIMITS
from tests.threaded_server import ThreadedServer

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# fixtures/platforms/mastodon/error_401_invalid_token.json
INVALID_TOKEN = "The access token is invalid"
REVOKED_TOKEN = "The access token was revoked"
# Doorkeeper's own words (fixtures/…/oauth_token_error_invalid_client.json)
INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication "
    "included, or unsupported authentication method."
)
INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client."
)
OUT_OF_SCOPE = "This action is outside the authorized scopes"
OOB = "urn:ietf:wg:oauth:2.0:oob"

_DEFAULT_ERRORS = {
    400: "Bad request",
    401: INVALID_TOKEN,
    403: "This action is not allowed",
    404: "Record not found",
    422: "Validation failed: Text can't be blank",
    429: "Too many requests",
    500: "We're sorry, but something went wrong on our end.",
    502: "Bad gateway",
    503: "Service unavailable",
}
# Which scopes let a token reach a route (Mastodon's doorkeeper_authorize! lines).
_NEEDS = {
    "verify_credentials": {"read", "read:accounts", "profile"},
    "media": {"write", "write:media"},
    "media_poll": {"write", "write:media"},
    "statuses": {"write", "write:statuses"},
}


@dataclass
class App:
    name: str
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    scopes: list[str]
    website: str | None


@dataclass
class Token:
    token: str
    username: str
    scopes: set[str]
    revoked: bool = False


@dataclass
class Media:
    id: str
    username: str
    filename: str
    content_type: str
    data: bytes
    description: str | None
    # GETs still answered 206 before the file is ready.
    polls_left: int
    url: str
    status_id: str | None = None


@dataclass
class Status:
    id: str
    username: str
    text: str
    visibility: str
    media_ids: list[str]
    idempotency_key: str | None
    json: dict[str, Any]

    @property
    def url(self) -> str:
        return str(self.json["url"])


@dataclass
class _Fault:
    key: str
    kind: str  # "fail" | "timeout" | "drop"
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    seconds: float = 0.0
    times: int = 1


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    username: str
    scopes: set[str]


class FakeMastodon(ThreadedServer):
    def __init__(self, *, max_characters: int = 500) -> None:
        self.max_characters = max_characters
        self.consenting_user = "alice"
        self.apps: list[App] = []
        self.media: list[Media] = []
        self.statuses: list[Status] = []
        # (method, path) of every request, in order: polls and re-sends are countable.
        self.requests: list[tuple[str, str]] = []
        self.port = 0
        self._tokens: dict[str, Token] = {}
        self._accounts: dict[str, str] = {}
        self._grants: dict[str, _Grant] = {}
        self._keys: dict[tuple[str, str], Status] = {}
        self._faults: list[_Fault] = []
        self._processing: list[tuple[str, int]] = []
        self._ids = itertools.count(103270115826048975)
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def authority(self) -> str:
        return f"127.0.0.1:{self.port}"

    # --- helpers for tests -----------------------------------------------------------

    def add_token(self, username: str, scopes: str = "read write") -> str:
        """A working token of ``username`` (the account is made on first use)."""
        token = f"fake-mastodon-token-{secrets.token_urlsafe(12)}"
        with self._lock:
            self._account(username)
            self._tokens[token] = Token(token, username, set(scopes.split()))
        return token

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens[token].revoked = True

    def revoke_user(self, username: str) -> None:
        """Every token of the user, however it was made (a sign-in, a reconnect)."""
        with self._lock:
            for token in self._tokens.values():
                if token.username == username:
                    token.revoked = True

    def fail_next(
        self,
        path_or_kind: str,
        status: int,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        times: int = 1,
    ) -> None:
        """The next ``times`` requests to a path (``/api/v1/statuses``) or a route kind
        (apps, authorize, token, verify_credentials, instance, media, media_poll,
        statuses) answer ``status`` with ``body`` (default ``{"error": …}``)."""
        self._queue(_Fault(path_or_kind, "fail", status, headers or {}, body, times=times))

    def timeout_next(self, path_or_kind: str, seconds: float) -> None:
        """The next request there waits ``seconds`` before being handled as usual (so
        a status may be made after the client gave up: as on a slow instance)."""
        self._queue(_Fault(path_or_kind, "timeout", seconds=seconds))

    def drop_after_commit_next(self) -> None:
        """The next POST /api/v1/statuses makes the status, then closes the connection
        without an answer."""
        self._queue(_Fault("statuses", "drop"))

    def hang_after_commit_next(self) -> None:
        """The next POST /api/v1/statuses makes the status, then holds the connection
        without answering until the fake stops (the client is killed meanwhile)."""
        self._queue(_Fault("statuses", "hang"))

    def process_uploads(self, polls: int, *, content_type_prefix: str = "") -> None:
        """Uploads of this type (all by default) answer 202 and are still processing
        (206) for ``polls`` GETs of /api/v1/media/:id, as big files and videos are."""
        with self._lock:
            self._processing.append((content_type_prefix, polls))

    # --- lifecycle -------------------------------------------------------------------

    def application(self) -> web.Application:
        app = web.Application(middlewares=[self._faulty], client_max_size=256 * 1024 * 1024)
        app.router.add_post("/api/v1/apps", self._apps, name="apps")
        app.router.add_get("/oauth/authorize", self._authorize, name="authorize")
        app.router.add_post("/oauth/token", self._token, name="token")
        app.router.add_get(
            "/api/v1/accounts/verify_credentials", self._verify, name="verify_credentials"
        )
        app.router.add_get("/api/v2/instance", self._instance, name="instance")
        app.router.add_post("/api/v2/media", self._upload, name="media")
        app.router.add_get("/api/v1/media/{id}", self._media_poll, name="media_poll")
        app.router.add_post("/api/v1/statuses", self._create_status, name="statuses")
        return app

    # --- faults ----------------------------------------------------------------------

    def _queue(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _take(self, request: web.Request, kinds: set[str]) -> _Fault | None:
        route = request.match_info.route.name or ""
        with self._lock:
            for fault in self._faults:
                if fault.kind in kinds and fault.key in (route, request.path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    @web.middleware
    async def _faulty(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        fault = self._take(request, {"fail", "timeout"})
        if fault is not None and fault.kind == "timeout":
            # Cut short when the server stops, so no handler outlives its loop.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), fault.seconds)
        elif fault is not None:
            body = fault.body
            if body is None:
                body = {"error": _DEFAULT_ERRORS.get(fault.status, f"HTTP {fault.status}")}
            if isinstance(body, str | bytes):
                return web.Response(body=body, status=fault.status, headers=fault.headers)
            return web.json_response(body, status=fault.status, headers=fault.headers)
        return await handler(request)

    # --- OAuth -----------------------------------------------------------------------

    async def _apps(self, request: web.Request) -> web.Response:
        form = await _params(request)
        name = str(form.get("client_name") or "")
        redirects = form.get("redirect_uris") or ""
        uris = redirects if isinstance(redirects, list) else str(redirects).split()
        if not name or not uris:
            return _error(
                422, "Validation failed: Name can't be blank, Redirect URI can't be blank"
            )
        app = App(
            name=name,
            client_id=secrets.token_urlsafe(24),
            client_secret=secrets.token_urlsafe(32),
            redirect_uris=[str(uri) for uri in uris],
            scopes=str(form.get("scopes") or "read").split(),
            website=str(form["website"]) if form.get("website") else None,
        )
        with self._lock:
            self.apps.append(app)
        # fixtures/platforms/mastodon/apps_create_response.json
        return web.json_response(
            {
                "id": str(len(self.apps)),
                "name": app.name,
                "website": app.website,
                "scopes": app.scopes,
                "redirect_uri": "\n".join(app.redirect_uris),
                "redirect_uris": app.redirect_uris,
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "client_secret_expires_at": 0,
            }
        )

    async def _authorize(self, request: web.Request) -> web.Response:
        query = request.query
        app = self._app(query.get("client_id", ""))
        redirect_uri = query.get("redirect_uri", "")
        if app is None:
            return _oauth_error(401, "invalid_client", INVALID_CLIENT)
        if redirect_uri not in app.redirect_uris:
            return _oauth_error(
                400,
                "invalid_redirect_uri",
                "The requested redirect uri is malformed or doesn't match client redirect URI.",
            )
        scopes = set(query.get("scope", "read").split())
        state = query.get("state", "")
        if query.get("response_type") != "code" or not scopes <= set(app.scopes):
            error = (
                "invalid_scope"
                if query.get("response_type") == "code"
                else "unsupported_response_type"
            )
            return _redirect(redirect_uri, {"error": error, "state": state})
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._account(self.consenting_user)
            self._grants[code] = _Grant(app.client_id, redirect_uri, self.consenting_user, scopes)
        if redirect_uri == OOB:
            return web.Response(text=code)
        return _redirect(redirect_uri, {"code": code, "state": state})

    async def _token(self, request: web.Request) -> web.Response:
        form = await _params(request)
        app = self._app(str(form.get("client_id") or ""))
        if app is None or form.get("client_secret") != app.client_secret:
            return _oauth_error(401, "invalid_client", INVALID_CLIENT)
        if form.get("grant_type") != "authorization_code":
            return _oauth_error(
                400,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
            )
        with self._lock:
            grant = self._grants.pop(str(form.get("code") or ""), None)
        if grant is None or (grant.client_id, grant.redirect_uri) != (
            app.client_id,
            form.get("redirect_uri"),
        ):
            return _oauth_error(400, "invalid_grant", INVALID_GRANT)
        token = self.add_token(grant.username, " ".join(sorted(grant.scopes)))
        # fixtures/platforms/mastodon/oauth_token_response.json
        return web.json_response(
            {
                "access_token": token,
                "token_type": "Bearer",
                "scope": " ".join(sorted(grant.scopes)),
                "created_at": int(datetime.now(UTC).timestamp()),
            }
        )

    # --- accounts and instance -------------------------------------------------------

    async def _verify(self, request: web.Request) -> web.Response:
        token = self._authorized(request)
        if isinstance(token, web.Response):
            return token
        return web.json_response(
            {**self._account_json(token.username), "source": {"privacy": "public", "note": ""}}
        )

    async def _instance(self, _: web.Request) -> web.Response:
        # doc_samples/mastodon_instance_v2.json, trimmed.
        limits = MEDIA_LIMITS
        types = sorted(limits.image_types | limits.video_types | limits.audio_types)
        return web.json_response(
            {
                "domain": self.authority,
                "title": "Fake Mastodon",
                "version": "4.5.0",
                "source_url": "https://github.com/mastodon/mastodon",
                "description": "A loopback instance for tests",
                "usage": {"users": {"active_month": len(self._accounts)}},
                "languages": ["en"],
                "configuration": {
                    "urls": {"streaming": f"ws://{self.authority}"},
                    "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
                    "statuses": {
                        "max_characters": self.max_characters,
                        "max_media_attachments": limits.max_attachments,
                        "characters_reserved_per_url": 23,
                    },
                    "media_attachments": {
                        "description_limit": limits.description_limit,
                        "image_matrix_limit": limits.image_matrix_limit,
                        "image_size_limit": limits.image_size_limit,
                        "supported_mime_types": types,
                        "video_frame_rate_limit": limits.video_frame_rate_limit,
                        "video_matrix_limit": limits.video_matrix_limit,
                        "video_size_limit": limits.video_size_limit,
                    },
                },
                "registrations": {"enabled": False, "approval_required": False},
                "rules": [],
            }
        )

    # --- media -----------------------------------------------------------------------

    async def _upload(self, request: web.Request) -> web.Response:
        token = self._authorized(request)
        if isinstance(token, web.Response):
            return token
        form = await request.post()
        file = form.get("file")
        if not isinstance(file, web.FileField):
            return _error(400, "param is missing or the value is empty: file")
        data = file.file.read()
        content_type = file.content_type.split(";", 1)[0].strip().lower()
        description = str(form["description"]) if "description" in form else None
        limit = MEDIA_LIMITS.size_limit(content_type)
        if limit is None:
            # fixtures/platforms/mastodon/media_v2_422.json
            return _error(422, "Validation failed: File content type is invalid, File is invalid")
        if len(data) > limit:
            return _error(422, f"Validation failed: File file size must be less than {limit} Bytes")
        if description and len(description) > MEDIA_LIMITS.description_limit:
            return _error(
                422, "Validation failed: Description is too long (maximum is 1500 characters)"
            )
        media_id = str(next(self._ids))
        media = Media(
            id=media_id,
            username=token.username,
            filename=file.filename,
            content_type=content_type,
            data=data,
            description=description,
            polls_left=self._polls_for(content_type),
            url=f"{self.url}/system/media_attachments/files/{media_id}/original/{file.filename}",
        )
        with self._lock:
            self.media.append(media)
        ready = media.polls_left == 0
        return web.json_response(self._media_json(media), status=200 if ready else 202)

    async def _media_poll(self, request: web.Request) -> web.Response:
        token = self._authorized(request)
        if isinstance(token, web.Response):
            return token
        media = self._media(request.match_info["id"], token.username)
        if media is None:
            return _error(404, "Record not found")
        if media.polls_left > 0:
            media.polls_left -= 1
            return web.json_response(self._media_json(media), status=206)
        return web.json_response(self._media_json(media))

    def _polls_for(self, content_type: str) -> int:
        with self._lock:
            for prefix, polls in self._processing:
                if content_type.startswith(prefix):
                    return polls
        return 0

    def _media_json(self, media: Media) -> dict[str, Any]:
        # fixtures/platforms/mastodon/media_v2_200.json (url null while processing: _202)
        kind = media.content_type.split("/", 1)[0]
        return {
            "id": media.id,
            "type": {"image": "gifv" if media.content_type == "image/gif" else "image"}.get(
                kind, "video" if kind == "video" else "audio"
            ),
            "url": None if media.polls_left > 0 else media.url,
            "preview_url": media.url.replace("/original/", "/small/"),
            "remote_url": None,
            "text_url": None,
            "meta": {},
            "description": media.description,
            "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}",
        }

    # --- statuses --------------------------------------------------------------------

    async def _create_status(self, request: web.Request) -> web.StreamResponse:
        token = self._authorized(request)
        if isinstance(token, web.Response):
            return token
        form = await _params(request)
        key = request.headers.get("Idempotency-Key")
        with self._lock:
            # Mastodon keeps the key per account (an hour), whatever the body says.
            known = self._keys.get((token.username, key)) if key else None
        if known is not None:
            return await self._answer_status(request, known)
        refused, media = self._check_status(form, token.username)
        if refused is not None:
            return refused
        status = self._make_status(form, token.username, media, key)
        return await self._answer_status(request, status)

    async def _answer_status(self, request: web.Request, status: Status) -> web.StreamResponse:
        if self._take(request, {"hang"}) is not None:
            await self._stop.wait()
        if self._take(request, {"drop"}) is not None:
            # Made, and the answer lost: the client cannot tell whether it was.
            assert request.transport is not None
            request.transport.abort()
            raise asyncio.CancelledError
        return web.json_response(status.json)

    def _check_status(
        self, form: dict[str, Any], username: str
    ) -> tuple[web.Response | None, list[Media]]:
        text = str(form.get("status") or "")
        ids = form.get("media_ids") or []
        ids = [str(i) for i in (ids if isinstance(ids, list) else [ids])]
        visibility = str(form.get("visibility") or "public")
        if len(ids) > MEDIA_LIMITS.max_attachments:
            return _error(422, "Cannot attach more than 4 files"), []
        media = [self._media(i, username) for i in ids]
        missing = [i for i, m in zip(ids, media, strict=True) if m is None or m.status_id]
        if missing:
            return _error(
                422,
                f"Media with IDs {', '.join(missing)} not found. Already attached to another post?",
            ), []
        found = [m for m in media if m is not None]
        if any(m.polls_left > 0 for m in found):
            return _error(
                422, "Cannot attach files that have not finished processing. Try again in a moment!"
            ), []
        if not text.strip() and not found:
            # fixtures/platforms/mastodon/status_create_422.json
            return _error(422, "Validation failed: Text can't be blank"), []
        if status_length(text) > self.max_characters:
            return _error(
                422, f"Validation failed: Text character limit of {self.max_characters} exceeded"
            ), []
        if visibility not in ("public", "unlisted", "private", "direct"):
            return _error(422, "Validation failed: Visibility is not included in the list"), []
        return None, found

    def _make_status(
        self, form: dict[str, Any], username: str, media: list[Media], key: str | None
    ) -> Status:
        status_id = str(next(self._ids))
        text = str(form.get("status") or "")
        visibility = str(form.get("visibility") or "public")
        # fixtures/platforms/mastodon/status_create_response.json, trimmed.
        body = {
            "id": status_id,
            "created_at": datetime.now(UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": visibility,
            "language": "en",
            "uri": f"{self.url}/users/{username}/statuses/{status_id}",
            "url": f"{self.url}/@{username}/{status_id}",
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "content": "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n") if p),
            "reblog": None,
            "application": {"name": "TryPost", "website": None},
            "account": self._account_json(username),
            "media_attachments": [self._media_json(m) for m in media],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
        }
        status = Status(status_id, username, text, visibility, [m.id for m in media], key, body)
        with self._lock:
            for m in media:
                m.status_id = status_id
            self.statuses.append(status)
            if key:
                self._keys[(username, key)] = status
        return status

    # --- lookups ---------------------------------------------------------------------

    def _authorized(self, request: web.Request) -> Token | web.Response:
        header = request.headers.get("Authorization", "")
        with self._lock:
            token = self._tokens.get(header.removeprefix("Bearer ").strip())
        if token is None or not header.startswith("Bearer "):
            return _error(401, INVALID_TOKEN)
        if token.revoked:
            return _error(401, REVOKED_TOKEN)
        needs = _NEEDS.get(request.match_info.route.name or "", set())
        if needs and not needs & token.scopes:
            return _error(403, OUT_OF_SCOPE)
        return token

    def _app(self, client_id: str) -> App | None:
        with self._lock:
            return next((a for a in self.apps if a.client_id == client_id), None)

    def _media(self, media_id: str, username: str) -> Media | None:
        with self._lock:
            return next(
                (m for m in self.media if m.id == media_id and m.username == username), None
            )

    def _account(self, username: str) -> str:
        """The account id of ``username``, made on first use (hold the lock)."""
        return self._accounts.setdefault(username, str(len(self._accounts) + 1))

    def _account_json(self, username: str) -> dict[str, Any]:
        # doc_samples/mastodon_credential_account.json, trimmed.
        with self._lock:
            account_id = self._account(username)
        return {
            "id": account_id,
            "username": username,
            "acct": username,
            "display_name": username.title(),
            "locked": False,
            "bot": False,
            "created_at": "2016-11-24T10:02:12.085Z",
            "note": "",
            "url": f"{self.url}/@{username}",
            "avatar": f"{self.url}/avatars/original/missing.png",
            "followers_count": 0,
            "following_count": 0,
            "statuses_count": sum(1 for s in self.statuses if s.username == username),
            "emojis": [],
            "fields": [],
        }


async def _params(request: web.Request) -> dict[str, Any]:
    """JSON or form parameters, as Rails reads either; ``x[]`` fields become lists."""
    if request.content_type == "application/json":
        found = await request.json()
        return found if isinstance(found, dict) else {}
    form = await request.post()
    params: dict[str, Any] = {}
    for name, value in form.items():
        if name.endswith("[]"):
            params.setdefault(name[:-2], []).append(str(value))
        else:
            params[name] = value if isinstance(value, web.FileField) else str(value)
    return params


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)


def _redirect(uri: str, query: dict[str, str]) -> web.Response:
    joiner = "&" if "?" in uri else "?"
    return web.Response(status=302, headers={"Location": f"{uri}{joiner}{urlencode(query)}"})
