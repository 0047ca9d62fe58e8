"""X (Twitter) on 127.0.0.1, in its own thread: the slice of the API v2 the bot uses,
answering with the shapes of ``../shared/fixtures/platforms/x/`` and
``doc_samples/x_*.json`` (trimmed to what clients read).

One server plays every X host: ``url`` is the API (``api_url``), the consent page
(``auth_url``) and, with ``2/media/upload``, the upload endpoint.

OAuth 2 with PKCE: ``/i/oauth2/authorize`` is a user who always consents
(``consenting_user``) unless told to deny (``deny_next``); it checks the client, the
redirect URI, the scopes and the S256 challenge, then redirects with a one-time code.
``/2/oauth2/token`` checks the verifier against that challenge and the client's proof
(HTTP Basic when the fake has a secret, the client id in the form when not). Refresh
tokens are single-use, as X's: a refresh answers with a new one, and the old one is
refused from then on.

What it was sent is recorded (``tweets``, ``media``, ``requests``, counters), faults
are queued per route name or path, and ``POST /2/tweets`` keeps a per-user rate limit
with X's ``x-rate-limit-*`` headers.
"""

import base64
import hashlib
import itertools
import secrets
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from core.text_length import x_length
from tests.scripted_faults import FaultyServer

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CLIENT_ID = "rG9n6402A3dbUJKzXTNX4oWHJ"  # fixtures/platforms/x/oauth2_refresh_token_request.txt
REDIRECT_URI = "https://trypost.example/connect/x/callback"
KNOWN_SCOPES = frozenset(
    {
        "tweet.read",
        "tweet.write",
        "users.read",
        "media.write",
        "offline.access",
        "like.read",
        "like.write",
        "follows.read",
        "follows.write",
    }
)
DEFAULT_SCOPES = "tweet.read tweet.write users.read media.write offline.access"
MAX_TWEET_LENGTH = 280
# X's words (developer forums, the token endpoint's answers).
INVALID_TOKEN_VALUE = "Value passed for the token was invalid."
MISSING_AUTH_HEADER = "Missing valid authorization header"
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
TOO_LONG = "Your Tweet text is too long."
INVALID_PARAMETERS = "One or more parameters to your request was invalid."
RATE_LIMIT_EXCEEDED = {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}
# Which scopes a token needs for a route (X's endpoint docs).
_NEEDS = {
    "users_me": {"tweet.read", "users.read"},
    "tweets": {"tweet.read", "tweet.write", "users.read"},
    "media_initialize": {"media.write"},
    "media_append": {"media.write"},
    "media_finalize": {"media.write"},
    "media_status": {"media.write"},
    "media_metadata": {"media.write"},
}
_SIZE_LIMITS = {
    "tweet_image": 5 * 1024 * 1024,
    "tweet_gif": 15 * 1024 * 1024,
    "tweet_video": 512 * 1024 * 1024,
}
# X refuses append segments over 5 MB.
MAX_SEGMENT = 5 * 1024 * 1024
_TITLES = {
    400: "Invalid Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass
class Token:
    token: str
    username: str
    scopes: set[str]
    expired: bool = False


@dataclass
class Media:
    id: str
    username: str
    media_type: str
    category: str
    total_bytes: int
    segments: dict[int, bytes] = field(default_factory=dict)
    finalized: bool = False
    # Processed after finalize (videos, GIFs): the answers carry processing_info.
    processing: bool = False
    # STATUS answers still "in_progress" before "succeeded" (or "failed").
    polls_left: int = 0
    fails: bool = False
    alt: str | None = None
    tweet_id: str | None = None

    @property
    def data(self) -> bytes:
        return b"".join(self.segments[i] for i in sorted(self.segments))

    @property
    def processed(self) -> bool:
        return self.finalized and self.polls_left == 0 and not self.fails


@dataclass
class Tweet:
    id: str
    username: str
    text: str
    media_ids: list[str]
    json: dict[str, Any]


@dataclass
class TokenCall:
    """One call of the token endpoint, and how the client proved itself."""

    grant_type: str
    client_auth: str  # "basic" | "body" | "none"


@dataclass
class _Code:
    redirect_uri: str
    challenge: str
    username: str
    scopes: set[str]


@dataclass
class _Window:
    """A user's rate-limit window on POST /2/tweets."""

    reset: int
    used: int = 0


class FakeX(FaultyServer):
    name = "the fake X"

    def __init__(
        self,
        *,
        client_id: str = CLIENT_ID,
        client_secret: str | None = None,
        redirect_uris: Collection[str] = (REDIRECT_URI,),
        expires_in: int = 7200,
        tweet_limit: int = 200,
        window_seconds: int = 900,
    ) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = set(redirect_uris)
        self.expires_in = expires_in
        self.tweet_limit = tweet_limit
        self.window_seconds = window_seconds
        self.consenting_user = "XDevelopers"
        self.tweets: list[Tweet] = []
        self.media: list[Media] = []
        self.token_calls: list[TokenCall] = []
        self.exchanges = 0
        self.refreshes = 0
        self.port = 0
        self._users: dict[str, str] = {}
        self._tokens: dict[str, Token] = {}
        # refresh token → its owner and scopes; a spent one is taken out.
        self._refresh: dict[str, Token] = {}
        self._codes: dict[str, _Code] = {}
        self._windows: dict[str, _Window] = {}
        self._processing: list[tuple[str, int, bool]] = []
        self._deny = 0
        self._hang = 0
        self._ids = itertools.count(1456012973835788293)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def upload_url(self) -> str:
        return f"{self.url}2/media/upload"

    # --- helpers for tests -----------------------------------------------------------

    def add_user(self, username: str, scopes: str = DEFAULT_SCOPES) -> str:
        """A working access token of ``username`` (the user is made on first use)."""
        return self.add_tokens(username, scopes)[0]

    def add_tokens(self, username: str, scopes: str = DEFAULT_SCOPES) -> tuple[str, str]:
        """A working access token and refresh token of ``username``."""
        with self._lock:
            return self._issue(username, set(scopes.split()))

    def user_id(self, username: str) -> str:
        with self._lock:
            return self._user(username)

    def expire(self, token: str) -> None:
        """The access token's two hours are over: it answers 401 from now on."""
        with self._lock:
            self._tokens[token].expired = True

    def revoke_refresh(self, refresh_token: str) -> None:
        """The member revoked the app (or the token expired): refreshing is refused."""
        with self._lock:
            self._refresh.pop(refresh_token, None)

    def hang_after_commit_next(self) -> None:
        """The next POST /2/tweets makes the tweet, then holds the connection without
        answering until the fake stops."""
        with self._lock:
            self._hang += 1

    def deny_next(self) -> None:
        """The next consent is refused: the redirect carries error=access_denied."""
        with self._lock:
            self._deny += 1

    def rate_reset(self, username: str) -> int:
        """When the user's current window on POST /2/tweets ends (epoch seconds)."""
        with self._lock:
            return self._window(username).reset

    def process_uploads(
        self, polls: int, *, content_type_prefix: str = "", fail: bool = False
    ) -> None:
        """Uploads of this type (all by default) finalize as "pending" and answer
        "in_progress" to ``polls`` STATUS calls, then "succeeded" (or "failed")."""
        with self._lock:
            self._processing.append((content_type_prefix, polls, fail))

    def media_by_id(self, media_id: str) -> Media | None:
        with self._lock:
            return next((m for m in self.media if m.id == media_id), None)

    # --- lifecycle -------------------------------------------------------------------

    def application(self) -> web.Application:
        app = web.Application(middlewares=[self.faulty], client_max_size=16 * 1024 * 1024)
        app.router.add_get("/i/oauth2/authorize", self._authorize, name="authorize")
        app.router.add_post("/2/oauth2/token", self._token, name="token")
        app.router.add_get("/2/users/me", self._me, name="users_me")
        app.router.add_post("/2/tweets", self._create_tweet, name="tweets")
        app.router.add_post("/2/media/upload/initialize", self._initialize, name="media_initialize")
        app.router.add_post("/2/media/upload/{id}/append", self._append, name="media_append")
        app.router.add_post("/2/media/upload/{id}/finalize", self._finalize, name="media_finalize")
        app.router.add_get("/2/media/upload", self._status, name="media_status")
        app.router.add_post("/2/media/metadata", self._metadata, name="media_metadata")
        return app

    def fault_body(self, status: int) -> Any:
        return _default_body(status)

    # --- OAuth -----------------------------------------------------------------------

    async def _authorize(self, request: web.Request) -> web.Response:
        query = request.query
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or redirect_uri not in self.redirect_uris:
            # X shows an error page, never redirecting to a URI it does not know.
            return web.Response(status=400, text="Something went wrong: invalid client")
        state = query.get("state", "")
        scopes = set(query.get("scope", "").split())
        refused = self._refuse_authorize(query, scopes)
        if refused:
            return _redirect(redirect_uri, {"error": refused, "state": state})
        with self._lock:
            if self._deny:
                self._deny -= 1
                return _redirect(redirect_uri, {"error": "access_denied", "state": state})
            self._user(self.consenting_user)
            code = secrets.token_urlsafe(24)
            self._codes[code] = _Code(
                redirect_uri, query["code_challenge"], self.consenting_user, scopes
            )
        return _redirect(redirect_uri, {"code": code, "state": state})

    @staticmethod
    def _refuse_authorize(query: Mapping[str, str], scopes: set[str]) -> str:
        if query.get("response_type") != "code":
            return "unsupported_response_type"
        if not scopes or not scopes <= KNOWN_SCOPES:
            return "invalid_scope"
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return "invalid_request"
        return ""

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        grant_type = form.get("grant_type", "")
        auth = self._client_auth(request, form)
        with self._lock:
            self.token_calls.append(TokenCall(grant_type, auth))
        if auth == "none":
            if self.client_secret is not None:
                return _oauth_error(401, "unauthorized_client", MISSING_AUTH_HEADER)
            return _oauth_error(400, "invalid_request", "Missing required parameter [client_id].")
        if grant_type == "authorization_code":
            return self._exchange(form)
        if grant_type == "refresh_token":
            return self._refresh_grant(form)
        return _oauth_error(400, "invalid_request", "Missing required parameter [grant_type].")

    def _client_auth(self, request: web.Request, form: dict[str, str]) -> str:
        """How the client proved itself: "basic", "body", or "none" (not as it must)."""
        if self.client_secret is None:
            return "body" if form.get("client_id") == self.client_id else "none"
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        header = request.headers.get("Authorization", "")
        return "basic" if header == f"Basic {expected}" else "none"

    def _exchange(self, form: dict[str, str]) -> web.Response:
        with self._lock:
            # Single-use: gone whether this try is right or not.
            code = self._codes.pop(form.get("code", ""), None)
            self.exchanges += 1
        if (
            code is None
            or code.redirect_uri != form.get("redirect_uri")
            or _s256(form.get("code_verifier", "")) != code.challenge
        ):
            return _oauth_error(400, "invalid_request", INVALID_TOKEN_VALUE)
        with self._lock:
            access, refresh = self._issue(code.username, code.scopes)
        return self._grant_json(access, refresh, code.scopes)

    def _refresh_grant(self, form: dict[str, str]) -> web.Response:
        with self._lock:
            self.refreshes += 1
            # Rotated: the refresh token presented is spent, right or wrong.
            held = self._refresh.pop(form.get("refresh_token", ""), None)
            if held is None:
                return _oauth_error(400, "invalid_request", INVALID_TOKEN_VALUE)
            access, refresh = self._issue(held.username, held.scopes)
        return self._grant_json(access, refresh, held.scopes)

    def _grant_json(self, access: str, refresh: str, scopes: set[str]) -> web.Response:
        # fixtures/platforms/x/oauth2_token_response.json
        body: dict[str, Any] = {
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "access_token": access,
            "scope": " ".join(sorted(scopes)),
        }
        if "offline.access" in scopes:
            body["refresh_token"] = refresh
        return web.json_response(body)

    # --- users -----------------------------------------------------------------------

    async def _me(self, request: web.Request) -> web.Response:
        token = self._authorized(request)
        if isinstance(token, web.Response):
            return token
        # doc_samples/x_users_me.json
        return web.json_response(
            {
                "data": {
                    "id": self.user_id(token.username),
                    "name": token.username,
                    "username": token.username,
                    "created_at": "2013-12-14T04:35:55.000Z",
                    "description": "",
                    "verified": False,
                    "profile_image_url": "https://pbs.twimg.com/profile_images/fake.jpg",
                    "public_metrics": {
                        "followers_count": 0,
                        "following_count": 0,
                        "tweet_count": sum(1 for t in self.tweets if t.username == token.username),
                        "listed_count": 0,
                    },
                }
            }
        )

    # --- tweets ----------------------------------------------------------------------

    async def _create_tweet(self, request: web.Request) -> web.Response:
        token = self._authorized(request)
        if isinstance(token, web.Response):
            return token
        limited, headers = self._count_call(token.username)
        if limited:
            # fixtures/platforms/x/error_429_rate_limit.http.json
            return web.json_response(RATE_LIMIT_EXCEEDED, status=429, headers=headers)
        body = await _json_body(request)
        if body is None:
            return _invalid("The request body is not valid JSON.", headers)
        text = body.get("text")
        media = body.get("media")
        ids = [str(i) for i in (media.get("media_ids") or [])] if isinstance(media, dict) else []
        refused = self._check_tweet(token.username, text, ids)
        if refused is not None:
            refused.headers.update(headers)
            return refused
        tweet = self._make_tweet(token.username, str(text or ""), ids)
        if self._hang:
            self._hang -= 1
            await self._stop.wait()  # made, never answered: the client is killed meanwhile
        # fixtures/platforms/x/tweets_create_response_recorded.http.json
        headers["location"] = f"https://api.twitter.com/2/tweets/{tweet.id}"
        return web.json_response(tweet.json, status=201, headers=headers)

    def _count_call(self, username: str) -> tuple[bool, dict[str, str]]:
        with self._lock:
            window = self._window(username)
            limited = window.used >= self.tweet_limit
            if not limited:
                window.used += 1
            headers = {
                "x-rate-limit-limit": str(self.tweet_limit),
                "x-rate-limit-remaining": str(max(0, self.tweet_limit - window.used)),
                "x-rate-limit-reset": str(window.reset),
            }
        return limited, headers

    def _check_tweet(self, username: str, text: Any, ids: list[str]) -> web.Response | None:
        if text is not None and not isinstance(text, str):
            return _invalid("text must be a string")
        if not text and not ids:
            return _invalid("Tweet needs to have either text or media.")
        if len(ids) > 4:
            return _invalid("Your media IDs are invalid.")
        with self._lock:
            found = [
                m for m in self.media if m.id in ids and m.username == username and m.processed
            ]
            unused = all(m.tweet_id is None for m in found)
            duplicate = bool(text) and any(
                t.username == username and t.text == text for t in self.tweets
            )
        if len(found) != len(set(ids)) or not unused:
            return _invalid("Your media IDs are invalid.")
        if text and x_length(text) > MAX_TWEET_LENGTH:
            return _problem(403, TOO_LONG)
        if duplicate:
            return _problem(403, DUPLICATE)
        return None

    def _make_tweet(self, username: str, text: str, ids: list[str]) -> Tweet:
        tweet_id = str(next(self._ids))
        # fixtures/platforms/x/tweets_create_response.json
        tweet = Tweet(tweet_id, username, text, ids, {"data": {"id": tweet_id, "text": text}})
        with self._lock:
            for media in self.media:
                if media.id in ids:
                    media.tweet_id = tweet_id
            self.tweets.append(tweet)
        return tweet

    # --- media -----------------------------------------------------------------------

    async def _initialize(self, request: web.Request) -> web.Response:
        token = self._authorized(request)
        if isinstance(token, web.Response):
            return token
        body = await _json_body(request) or {}
        media_type = str(body.get("media_type") or "")
        category = str(body.get("media_category") or "")
        total = body.get("total_bytes")
        if category not in _SIZE_LIMITS or not _fits(media_type, category):
            return _invalid(f"{media_type} is not a valid media type for {category}")
        if not isinstance(total, int) or total <= 0 or total > _SIZE_LIMITS[category]:
            return _invalid(f"total_bytes must be between 1 and {_SIZE_LIMITS[category]}")
        processing = self._processing_for(media_type)
        polls, fails = processing or (0, False)
        media = Media(
            id=str(next(self._ids)),
            username=token.username,
            media_type=media_type,
            category=category,
            total_bytes=total,
            processing=processing is not None,
            polls_left=polls,
            fails=fails,
        )
        with self._lock:
            self.media.append(media)
        # doc_samples/x_media_upload_initialize.json
        return web.json_response(
            {
                "data": {
                    "id": media.id,
                    "media_key": f"3_{media.id}",
                    "expires_after_secs": 86400,
                }
            }
        )

    async def _append(self, request: web.Request) -> web.Response:
        token = self._authorized(request)
        if isinstance(token, web.Response):
            return token
        media = self._own_media(request.match_info["id"], token.username)
        if media is None or media.finalized:
            return _invalid("The media_id is invalid or already finalized.")
        form = await request.post()
        chunk, index = form.get("media"), str(form.get("segment_index", ""))
        if not isinstance(chunk, web.FileField) or not index.isdigit():
            return _invalid("media and segment_index are required")
        data = chunk.file.read()
        if len(data) > MAX_SEGMENT:
            return _invalid(f"A segment may have at most {MAX_SEGMENT} bytes.")
        with self._lock:
            media.segments[int(index)] = data
        return web.Response(status=200, text="")

    async def _finalize(self, request: web.Request) -> web.Response:
        token = self._authorized(request)
        if isinstance(token, web.Response):
            return token
        media = self._own_media(request.match_info["id"], token.username)
        if media is None:
            return _invalid("The media_id is invalid.")
        contiguous = sorted(media.segments) == list(range(len(media.segments)))
        if not contiguous or len(media.data) != media.total_bytes:
            return _invalid("File size does not match total_bytes given at initialize.")
        with self._lock:
            media.finalized = True
        return web.json_response({"data": self._media_json(media, first=True)})

    async def _status(self, request: web.Request) -> web.Response:
        token = self._authorized(request)
        if isinstance(token, web.Response):
            return token
        if request.query.get("command") != "STATUS":
            return _invalid("command must be STATUS")
        media = self._own_media(request.query.get("media_id", ""), token.username)
        if media is None or not media.finalized:
            return _invalid("The media_id is invalid.")
        with self._lock:
            answer = self._media_json(media, first=False)
            # Counted after answering: ``polls`` answers say in_progress.
            media.polls_left = max(0, media.polls_left - 1)
        return web.json_response({"data": answer})

    async def _metadata(self, request: web.Request) -> web.Response:
        token = self._authorized(request)
        if isinstance(token, web.Response):
            return token
        body = await _json_body(request) or {}
        media = self._own_media(str(body.get("id") or ""), token.username)
        metadata = body.get("metadata")
        alt = metadata.get("alt_text") if isinstance(metadata, dict) else None
        text = alt.get("text") if isinstance(alt, dict) else None
        if media is None or not isinstance(text, str):
            return _invalid("id and metadata.alt_text.text are required")
        if len(text) > 1000:
            return _invalid("alt_text.text must have at most 1000 characters")
        with self._lock:
            media.alt = text
        return web.json_response({"data": {"associated_metadata": True, "id": media.id}})

    @staticmethod
    def _media_json(media: Media, *, first: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": media.id,
            "media_key": f"3_{media.id}",
            "size": media.total_bytes,
            "expires_after_secs": 86400,
        }
        if not media.processing:
            return data  # an image needs no processing: no processing_info at all
        if media.polls_left > 0:
            state = "pending" if first else "in_progress"
            data["processing_info"] = {"state": state, "check_after_secs": 1}
        elif media.fails:
            data["processing_info"] = {
                "state": "failed",
                "error": {"code": 1, "name": "InvalidMedia", "message": "Unsupported video"},
            }
        else:
            data["processing_info"] = {"state": "succeeded", "progress_percent": 100}
        return data

    def _processing_for(self, media_type: str) -> tuple[int, bool] | None:
        """The STATUS polls and outcome of a type that is processed; None: not."""
        with self._lock:
            for prefix, polls, fail in self._processing:
                if media_type.startswith(prefix):
                    return polls, fail
        return None

    # --- lookups ---------------------------------------------------------------------

    def _authorized(self, request: web.Request) -> Token | web.Response:
        header = request.headers.get("Authorization", "")
        with self._lock:
            token = self._tokens.get(header.removeprefix("Bearer ").strip())
        if token is None or token.expired or not header.startswith("Bearer "):
            # fixtures/platforms/x/error_401_unauthorized.json
            return _problem(401, "Unauthorized")
        needs = _NEEDS.get(request.match_info.route.name or "", set())
        missing = needs - token.scopes
        if missing:
            return _problem(
                403,
                "Your client app does not have the required scopes: " + ", ".join(sorted(missing)),
            )
        return token

    def _own_media(self, media_id: str, username: str) -> Media | None:
        with self._lock:
            return next(
                (m for m in self.media if m.id == media_id and m.username == username), None
            )

    def _issue(self, username: str, scopes: set[str]) -> tuple[str, str]:
        """New access and refresh tokens (hold the lock)."""
        self._user(username)
        access = f"fake-x-access-{secrets.token_urlsafe(12)}"
        refresh = f"fake-x-refresh-{secrets.token_urlsafe(12)}"
        self._tokens[access] = Token(access, username, set(scopes))
        if "offline.access" in scopes:
            self._refresh[refresh] = Token(refresh, username, set(scopes))
        return access, refresh

    def _user(self, username: str) -> str:
        """The user id of ``username``, made on first use (hold the lock)."""
        return self._users.setdefault(username, str(2244994945 + len(self._users)))

    def _window(self, username: str) -> _Window:
        """The user's current window, a new one once the last ended (hold the lock)."""
        now = int(time.time())
        window = self._windows.get(username)
        if window is None or window.reset <= now:
            window = self._windows[username] = _Window(reset=now + self.window_seconds)
        return window


def _fits(media_type: str, category: str) -> bool:
    if category == "tweet_gif":
        return media_type == "image/gif"
    if category == "tweet_image":
        return media_type.startswith("image/")
    return media_type.startswith("video/")


def _s256(verifier: str) -> str:
    # Worked out here, not with platforms.oauth2, so the fake checks the client's PKCE.
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


async def _json_body(request: web.Request) -> dict[str, Any] | None:
    try:
        found = await request.json()
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _default_body(status: int) -> dict[str, Any]:
    if status == 429:
        return RATE_LIMIT_EXCEEDED
    title = _TITLES.get(status, f"HTTP {status}")
    return {"title": title, "type": "about:blank", "status": status, "detail": title}


def _problem(status: int, detail: str) -> web.Response:
    # X's problem shape (fixtures/platforms/x/error_401_unauthorized.json).
    title = _TITLES.get(status, f"HTTP {status}")
    return web.json_response(
        {"title": title, "type": "about:blank", "status": status, "detail": detail},
        status=status,
    )


def _invalid(message: str, headers: dict[str, str] | None = None) -> web.Response:
    # A 400 names the parameter in errors[], its detail is generic.
    return web.json_response(
        {
            "errors": [{"parameters": {}, "message": message}],
            "title": "Invalid Request",
            "detail": INVALID_PARAMETERS,
            "type": "https://api.twitter.com/2/problems/invalid-request",
        },
        status=400,
        headers=headers,
    )


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)


def _redirect(uri: str, query: dict[str, str]) -> web.Response:
    joiner = "&" if "?" in uri else "?"
    return web.Response(status=302, headers={"Location": f"{uri}{joiner}{urlencode(query)}"})
