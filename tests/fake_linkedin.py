"""LinkedIn on 127.0.0.1, in its own thread: the OAuth endpoints of www.linkedin.com and
the slice of api.linkedin.com the bot uses, on ONE server (``auth_url = api_url =
fake.url``), answering with the shapes of ``../shared/fixtures/platforms/linkedin/``
and ``doc_samples/linkedin_*.json``.

It is as strict as LinkedIn where a client could go wrong: every ``/rest/`` call needs
a supported ``LinkedIn-Version`` (else 426) and ``X-Restli-Protocol-Version: 2.0.0``;
a post's author must be the token's member or a page they administer, with the scope
for it; its images must have been uploaded for that author; and its commentary is
parsed as little text, refusing (422) a reserved character left unescaped. Posts are
kept with ``shown_text``, the commentary as a reader sees it.

OAuth: ``/oauth/v2/authorization`` is a member who always consents (the last one
added, or John Doe of ``doc_samples/linkedin_userinfo.json``) unless ``deny_next``;
codes are single-use; refreshes answer the same refresh token with what is left of its
life, as LinkedIn does. Faults are queued per route name or path, like FakeMastodon's.
"""

import itertools
import json
import secrets
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from tests.scripted_faults import FaultyServer

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# fixtures/platforms/linkedin/token_refresh_request.txt
CLIENT_ID = "861hhm46p48to2"
CLIENT_SECRET = "fake-linkedin-client-secret"
REDIRECT_URI = "https://trypost.example/connect/linkedin/callback"
# doc_samples/linkedin_userinfo.json
DEFAULT_SUB = "782bbtaQ"
DEFAULT_NAME = "John Doe"
EVERY_SCOPE = frozenset(
    {
        "openid",
        "profile",
        "email",
        "w_member_social",
        "w_organization_social",
        "r_organization_social",
        "r_organization_admin",
        "rw_organization_admin",
    }
)
MEMBER_AND_PAGES = "openid profile w_member_social w_organization_social r_organization_admin"
# LinkedIn supports a monthly version for a year.
SUPPORTED_VERSIONS = frozenset(
    [f"2025{m:02d}" for m in range(11, 13)] + [f"2026{m:02d}" for m in range(1, 11)]
)
RESERVED = frozenset("\\|{}@[]()<>#*_~")
MAX_COMMENTARY = 3000
MAX_ALT_TEXT = 4086

# fixtures/platforms/linkedin/error_401*.json
EMPTY_TOKEN = {"message": "Empty oauth2_access_token", "serviceErrorCode": 401, "status": 401}
INVALID_TOKEN = {
    "status": 401,
    "serviceErrorCode": 65600,
    "code": "INVALID_ACCESS_TOKEN",
    "message": "Invalid access token",
}
REVOKED_TOKEN = {
    "status": 401,
    "serviceErrorCode": 65601,
    "code": "REVOKED_ACCESS_TOKEN",
    "message": "The token used in the request has been revoked by the user",
}
EXPIRED_TOKEN = {
    "status": 401,
    "serviceErrorCode": 65602,
    "code": "EXPIRED_ACCESS_TOKEN",
    "message": "The token used in the request has expired",
}
_DEFAULT_ERRORS = {
    400: "Bad Request",
    401: "Invalid access token",
    403: "Not enough permissions to access: partnerApiPostsExternal.CREATE.20261001",
    404: "Not Found",
    422: "Unprocessable Entity",
    429: "Resource level throttle limit for calls to this resource is reached.",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")


@dataclass
class Member:
    sub: str
    name: str
    # Page id → localizedName, for the pages the member administers.
    pages: dict[str, str]

    @property
    def urn(self) -> str:
        return f"urn:li:person:{self.sub}"


@dataclass
class Token:
    token: str
    sub: str
    scopes: frozenset[str]
    expires_at: datetime
    expired: bool = False
    revoked: bool = False


@dataclass
class RefreshToken:
    token: str
    sub: str
    scopes: frozenset[str]
    # Fixed when the code was exchanged: refreshes never extend it.
    expires_at: datetime
    revoked: bool = False


@dataclass
class Image:
    id: str
    owner: str
    data: bytes | None = None
    content_type: str = ""

    @property
    def urn(self) -> str:
        return f"urn:li:image:{self.id}"

    @property
    def available(self) -> bool:
        return self.data is not None and self.data.startswith(_IMAGE_MAGIC)


@dataclass
class Post:
    urn: str
    author: str
    # As sent (escaped little text), and as a reader sees it.
    commentary: str
    shown_text: str
    visibility: str
    # (image URN, alt text), in order.
    images: list[tuple[str, str]]
    version: str
    json: dict[str, Any]


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    sub: str
    scopes: frozenset[str]


class FakeLinkedIn(FaultyServer):
    name = "the LinkedIn fake"

    def __init__(
        self,
        *,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        redirect_uris: Collection[str] = (REDIRECT_URI,),
        expires_in: int = 86400,
        refresh_token_expires_in: int = 525600,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris = set(redirect_uris)
        # What the app's products grant; a scope outside is refused at authorization.
        self.app_scopes = set(EVERY_SCOPE)
        self.versions = set(SUPPORTED_VERSIONS)
        # Token lifetimes the token endpoint gives (fixtures: token_exchange_response).
        self.expires_in = expires_in
        self.refresh_token_expires_in = refresh_token_expires_in
        self.now = now
        self.posts: list[Post] = []
        self.images: list[Image] = []
        self.members: dict[str, Member] = {}
        self.refreshes = 0
        self.consenting_sub: str | None = None
        self._tokens: dict[str, Token] = {}
        self._refresh: dict[str, RefreshToken] = {}
        self._codes: dict[str, _Code] = {}
        self._deny = 0
        self._ids = itertools.count(6844785523593134080)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    # --- helpers for tests -----------------------------------------------------------

    def add_member(
        self,
        name: str,
        sub: str | None = None,
        pages: dict[str, str] | None = None,
        *,
        scopes: str = MEMBER_AND_PAGES,
    ) -> str:
        """A member (administering ``pages``: id → name) and a working access token of
        theirs; they are the one who consents at the next authorization."""
        member = Member(sub or secrets.token_urlsafe(6), name, dict(pages or {}))
        with self._lock:
            self.members[member.sub] = member
            self.consenting_sub = member.sub
        return self._issue(member.sub, frozenset(scopes.split())).token

    def expire(self, token: str) -> None:
        with self._lock:
            self._tokens[token].expired = True

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens[token].revoked = True

    def revoke_refresh(self, refresh_token: str) -> None:
        with self._lock:
            self._refresh[refresh_token].revoked = True

    def deny_next(self) -> None:
        """The next authorization is cancelled by the member."""
        with self._lock:
            self._deny += 1

    def post_by_urn(self, urn: str) -> Post:
        return next(p for p in self.posts if p.urn == urn)

    # --- lifecycle -------------------------------------------------------------------

    def application(self) -> web.Application:
        app = web.Application(middlewares=[self.faulty], client_max_size=64 * 1024 * 1024)
        app.router.add_get("/oauth/v2/authorization", self._authorize, name="authorize")
        app.router.add_post("/oauth/v2/accessToken", self._token, name="token")
        app.router.add_get("/v2/userinfo", self._userinfo, name="userinfo")
        app.router.add_get("/rest/organizationAcls", self._acls, name="organization_acls")
        app.router.add_get("/rest/organizations/{id}", self._organization, name="organization")
        app.router.add_post("/rest/images", self._initialize_upload, name="images")
        app.router.add_put("/dms-uploads/{id}/{rest:.*}", self._upload, name="upload")
        app.router.add_post("/rest/posts", self._create_post, name="posts")
        return app

    def fault_body(self, status: int) -> Any:
        message = _DEFAULT_ERRORS.get(status, f"HTTP {status}")
        return {"status": status, "message": message}

    # --- OAuth -----------------------------------------------------------------------

    async def _authorize(self, request: web.Request) -> web.Response:
        query = request.query
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id:
            return _oauth_error(401, "invalid_client", "Client authentication failed")
        if redirect_uri not in self.redirect_uris:
            return _oauth_error(
                400, "invalid_request", "The redirect_uri does not match the registered value"
            )
        state = query.get("state", "")
        if query.get("response_type") != "code":
            return _redirect(redirect_uri, {"error": "unsupported_response_type", "state": state})
        scopes = frozenset(query.get("scope", "").split())
        unknown = sorted(scopes - self.app_scopes)
        if not scopes or unknown:
            description = f'Scope "{",".join(unknown)}" is not authorized for your application'
            return _redirect(
                redirect_uri,
                {
                    "error": "unauthorized_scope_error",
                    "error_description": description,
                    "state": state,
                },
            )
        with self._lock:
            denied, self._deny = self._deny > 0, max(0, self._deny - 1)
        if denied:
            return _redirect(
                redirect_uri,
                {
                    "error": "user_cancelled_login",
                    "error_description": "The user cancelled LinkedIn login",
                    "state": state,
                },
            )
        code = secrets.token_urlsafe(24)
        with self._lock:
            sub = self._consenting()
            self._codes[code] = _Code(self.client_id, redirect_uri, sub, scopes)
        return _redirect(redirect_uri, {"code": code, "state": state})

    def _consenting(self) -> str:
        """The member who signs in (hold the lock)."""
        if self.consenting_sub is None:
            self.members[DEFAULT_SUB] = Member(DEFAULT_SUB, DEFAULT_NAME, {})
            self.consenting_sub = DEFAULT_SUB
        return self.consenting_sub

    async def _token(self, request: web.Request) -> web.Response:
        if request.content_type != "application/x-www-form-urlencoded":
            return _oauth_error(400, "invalid_request", "A form body is required")
        form = {key: str(value) for key, value in (await request.post()).items()}
        if (form.get("client_id"), form.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return _oauth_error(401, "invalid_client", "Client authentication failed")
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange(form)
        if grant_type == "refresh_token":
            return self._renew(form)
        return _oauth_error(400, "unsupported_grant_type", "The grant type is not supported")

    def _exchange(self, form: dict[str, str]) -> web.Response:
        with self._lock:
            code = self._codes.pop(form.get("code", ""), None)
        if code is None or code.redirect_uri != form.get("redirect_uri"):
            # LinkedIn's own words for a spent, unknown or mismatched code.
            return _oauth_error(
                400,
                "invalid_request",
                "Unable to retrieve access token: appid/redirect uri/code verifier does not "
                "match authorization code. Or authorization code expired.",
            )
        access = self._issue(code.sub, code.scopes)
        refresh = RefreshToken(
            f"fake-linkedin-refresh-token-{secrets.token_urlsafe(12)}",
            code.sub,
            code.scopes,
            self.now() + timedelta(seconds=self.refresh_token_expires_in),
        )
        with self._lock:
            self._refresh[refresh.token] = refresh
        return self._grant_json(access, refresh)

    def _renew(self, form: dict[str, str]) -> web.Response:
        with self._lock:
            refresh = self._refresh.get(form.get("refresh_token", ""))
        if refresh is None or refresh.revoked or refresh.expires_at <= self.now():
            return _oauth_error(
                400,
                "invalid_grant",
                "The provided authorization grant or refresh token is invalid, expired or revoked",
            )
        with self._lock:
            self.refreshes += 1
        # The same refresh token back: its life is not extended (token_refresh_response).
        return self._grant_json(self._issue(refresh.sub, refresh.scopes), refresh)

    def _issue(self, sub: str, scopes: frozenset[str]) -> Token:
        token = Token(
            f"fake-linkedin-access-token-{secrets.token_urlsafe(16)}",
            sub,
            scopes,
            self.now() + timedelta(seconds=self.expires_in),
        )
        with self._lock:
            self._tokens[token.token] = token
        return token

    def _grant_json(self, access: Token, refresh: RefreshToken) -> web.Response:
        # fixtures/platforms/linkedin/token_exchange_response.json; LinkedIn lists the
        # granted scopes comma-separated.
        left = int((refresh.expires_at - self.now()).total_seconds())
        return web.json_response(
            {
                "access_token": access.token,
                "expires_in": self.expires_in,
                "refresh_token": refresh.token,
                "refresh_token_expires_in": left,
                "scope": ",".join(sorted(access.scopes)),
                "token_type": "Bearer",
            }
        )

    # --- who is who ------------------------------------------------------------------

    async def _userinfo(self, request: web.Request) -> web.Response:
        token = self._authorized(request, {"openid"})
        if isinstance(token, web.Response):
            return token
        member = self.members[token.sub]
        given, _, family = member.name.partition(" ")
        # doc_samples/linkedin_userinfo.json
        body: dict[str, Any] = {"sub": member.sub}
        if "profile" in token.scopes:
            body |= {
                "name": member.name,
                "given_name": given,
                "family_name": family,
                "picture": "https://media.licdn-ei.com/dms/image/C5F03AQHqK8v7tB1HCQ/"
                "profile-displayphoto-shrink_100_100/0/",
                "locale": "en-US",
            }
        if "email" in token.scopes:
            body |= {"email": f"{member.sub.lower()}@email.com", "email_verified": True}
        return web.json_response(body)

    async def _acls(self, request: web.Request) -> web.Response:
        token = self._rest(request, {"r_organization_admin", "rw_organization_admin"})
        if isinstance(token, web.Response):
            return token
        query = request.query
        if query.get("q") != "roleAssignee":
            return _error(400, "Invalid finder: q must be roleAssignee or organization")
        member = self.members[token.sub]
        rows = [
            {
                "roleAssignee": member.urn,
                "state": "APPROVED",
                "role": "ADMINISTRATOR",
                "organization": f"urn:li:organization:{org_id}",
            }
            for org_id in member.pages
            if query.get("role", "ADMINISTRATOR") == "ADMINISTRATOR"
            and query.get("state", "APPROVED") == "APPROVED"
        ]
        start, count = int(query.get("start", "0")), int(query.get("count", "10"))
        return web.json_response(
            {
                "paging": {"start": start, "count": count, "links": [], "total": len(rows)},
                "elements": rows[start : start + count],
            }
        )

    async def _organization(self, request: web.Request) -> web.Response:
        token = self._rest(request, {"r_organization_admin", "rw_organization_admin"})
        if isinstance(token, web.Response):
            return token
        org_id = request.match_info["id"]
        owner = next((m for m in self.members.values() if org_id in m.pages), None)
        if owner is None:
            return _error(404, f"Organization {org_id} not found")
        if owner.sub != token.sub:
            return _error(403, f"Not enough permissions to access: organizations.GET.{org_id}")
        name = owner.pages[org_id]
        return web.json_response(
            {
                "id": int(org_id) if org_id.isdigit() else org_id,
                "localizedName": name,
                "vanityName": name.lower().replace(" ", "-"),
                "name": {
                    "localized": {"en_US": name},
                    "preferredLocale": {"country": "US", "language": "en"},
                },
                "primaryOrganizationType": "NONE",
            }
        )

    # --- images ----------------------------------------------------------------------

    async def _initialize_upload(self, request: web.Request) -> web.Response:
        token = self._rest(request)
        if isinstance(token, web.Response):
            return token
        if request.query.get("action") != "initializeUpload":
            return _error(400, "Unknown action")
        body = await _json_body(request)
        owner = body.get("initializeUploadRequest", {}).get("owner") if body else None
        if not isinstance(owner, str):
            return _error(422, "/initializeUploadRequest/owner :: field is required")
        refused = self._may_post_as(token, owner)
        if refused is not None:
            return refused
        image = Image(f"C4E10AQ{secrets.token_hex(6)}", owner)
        with self._lock:
            self.images.append(image)
        # doc_samples/linkedin_images_initialize_upload.json
        expires = int((datetime.now(UTC) + timedelta(hours=1)).timestamp() * 1000)
        ticket = urlencode({"ca": "vector_ads", "cn": "uploads", "sync": "0", "v": "beta"})
        return web.json_response(
            {
                "value": {
                    "uploadUrlExpiresAt": expires,
                    "uploadUrl": f"{self.url}dms-uploads/{image.id}/uploaded-image/0?{ticket}",
                    "image": image.urn,
                }
            }
        )

    async def _upload(self, request: web.Request) -> web.Response:
        token = self._authorized(request)
        if isinstance(token, web.Response):
            return token
        image = self._image(f"urn:li:image:{request.match_info['id']}")
        if image is None:
            return _error(404, "Not Found")
        if self._may_post_as(token, image.owner) is not None:
            return _error(403, "Not the owner of this upload")
        data = await request.read()
        with self._lock:
            image.data, image.content_type = data, request.content_type
        return web.Response(status=201)

    # --- posts -----------------------------------------------------------------------

    async def _create_post(self, request: web.Request) -> web.Response:
        token = self._rest(request)
        if isinstance(token, web.Response):
            return token
        body = await _json_body(request)
        if body is None:
            return _error(400, "The request body is not JSON")
        author = body.get("author")
        if not isinstance(author, str):
            return _error(422, "/author :: field is required")
        refused = self._may_post_as(token, author)
        if refused is not None:
            return refused
        problem = _check_fields(body)
        if problem:
            return _error(422, problem)
        commentary = body.get("commentary", "")
        shown = _unescape(commentary) if isinstance(commentary, str) else None
        if isinstance(shown, _Refusal):
            return _error(422, shown.message)
        if shown is None:
            return _error(422, "/commentary :: must be a string")
        if len(shown) > MAX_COMMENTARY:
            return _error(422, f"/commentary :: length {len(shown)} exceeds {MAX_COMMENTARY}")
        images = self._post_images(body.get("content"), author)
        if isinstance(images, web.Response):
            return images
        duplicate = self._duplicate(author, shown, images)
        if duplicate is not None:
            return _error(422, f"Content is a duplicate of {duplicate.urn}", "DUPLICATE_POST")
        post = Post(
            f"urn:li:share:{next(self._ids)}",
            author,
            commentary,
            shown,
            str(body["visibility"]),
            images,
            request.headers["LinkedIn-Version"],
            body,
        )
        with self._lock:
            self.posts.append(post)
        # fixtures/platforms/linkedin/posts_create_response_201.http.json
        return web.Response(status=201, headers={"x-restli-id": post.urn})

    def _post_images(self, content: object, author: str) -> list[tuple[str, str]] | web.Response:
        if content is None:
            return []
        given = _given_images(content)
        if isinstance(given, str):
            return _error(422, given)
        found: list[tuple[str, str]] = []
        for item in given:
            urn = item.get("id") if isinstance(item, dict) else None
            alt = item.get("altText", "") if isinstance(item, dict) else ""
            image = self._image(urn) if isinstance(urn, str) else None
            if image is None or image.owner != author:
                return _error(422, f"Image {urn} was not uploaded for {author}")
            if not image.available:
                return _error(
                    422, f"Image {urn} is not AVAILABLE (nothing uploaded, or not an image)"
                )
            if not isinstance(alt, str) or len(alt) > MAX_ALT_TEXT:
                return _error(422, f"/altText :: at most {MAX_ALT_TEXT} characters")
            found.append((image.urn, alt))
        return found

    def _duplicate(self, author: str, shown: str, images: list[tuple[str, str]]) -> Post | None:
        # LinkedIn refuses the same content posted twice by the same author.
        with self._lock:
            return next(
                (
                    p
                    for p in self.posts
                    if p.author == author and p.shown_text == shown and p.images == images
                ),
                None,
            )

    # --- checks ----------------------------------------------------------------------

    def _rest(self, request: web.Request, needs: Collection[str] = ()) -> Token | web.Response:
        """What every /rest/ call goes through: version, protocol, then the token."""
        version = request.headers.get("LinkedIn-Version", "")
        if not version:
            return _error(
                400,
                "A version must be present. Please specify a version by adding the "
                "LinkedIn-Version header.",
                "VERSION_MISSING",
            )
        if version not in self.versions:
            return _error(426, f"Requested version {version} is not active", "NONEXISTENT_VERSION")
        if request.headers.get("X-Restli-Protocol-Version") != "2.0.0":
            return _error(400, "X-Restli-Protocol-Version 2.0.0 is required here")
        return self._authorized(request, needs)

    def _authorized(
        self, request: web.Request, needs: Collection[str] = ()
    ) -> Token | web.Response:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or not header.removeprefix("Bearer ").strip():
            return web.json_response(EMPTY_TOKEN, status=401)
        with self._lock:
            token = self._tokens.get(header.removeprefix("Bearer ").strip())
        if token is None:
            return web.json_response(INVALID_TOKEN, status=401)
        if token.revoked:
            return web.json_response(REVOKED_TOKEN, status=401)
        if token.expired or token.expires_at <= self.now():
            return web.json_response(EXPIRED_TOKEN, status=401)
        if needs and not set(needs) & token.scopes:
            route = request.match_info.route.name or request.path
            return _error(
                403, f"Not enough permissions to access: {route}.{request.method}", "ACCESS_DENIED"
            )
        return token

    def _may_post_as(self, token: Token, author: str) -> web.Response | None:
        member = self.members[token.sub]
        if author == member.urn:
            needs = "w_member_social"
        elif author.removeprefix("urn:li:organization:") in member.pages:
            needs = "w_organization_social"
        else:
            return _error(
                403,
                f"Member {member.urn} is not authorized to act as {author}",
                "ACCESS_DENIED",
            )
        if needs not in token.scopes:
            return _error(
                403,
                f"Not enough permissions to access: partnerApiPostsExternal.CREATE ({needs})",
                "ACCESS_DENIED",
            )
        return None

    def _image(self, urn: str) -> Image | None:
        with self._lock:
            return next((i for i in self.images if i.urn == urn), None)


@dataclass(frozen=True)
class _Refusal:
    message: str


def _unescape(commentary: str) -> str | _Refusal:
    """Little text as a strict parser reads it, with no markup allowed: a backslash
    escapes a reserved character; anything else reserved is refused."""
    shown: list[str] = []
    chars = iter(enumerate(commentary))
    for at, char in chars:
        if char == "\\":
            following = next(chars, (at + 1, ""))[1]
            if following not in RESERVED:
                return _Refusal(f"/commentary :: stray backslash at {at}")
            shown.append(following)
        elif char in RESERVED:
            return _Refusal(f"/commentary :: unescaped reserved character {char!r} at {at}")
        else:
            shown.append(char)
    return "".join(shown)


def _given_images(content: object) -> list[Any] | str:
    """The image references of a post's content, or what is wrong with it."""
    if not isinstance(content, dict) or len(content) != 1:
        return "/content :: exactly one of media, multiImage, article, poll"
    if "media" in content:
        return [content["media"]]
    if "multiImage" not in content:
        return f"/content :: {next(iter(content))} is not supported here"
    multi = content["multiImage"]
    images = multi.get("images") if isinstance(multi, dict) else None
    if not isinstance(images, list) or not 2 <= len(images) <= 20:
        return "/content/multiImage/images :: 2 to 20 images"
    return images


def _check_fields(body: dict[str, Any]) -> str:
    """What the Posts API requires beside the author, commentary and content."""
    distribution = body.get("distribution")
    if body.get("visibility") not in ("PUBLIC", "CONNECTIONS", "LOGGED_IN", "CONTAINER"):
        return "/visibility :: PUBLIC, CONNECTIONS, LOGGED_IN or CONTAINER"
    if not isinstance(distribution, dict) or distribution.get("feedDistribution") not in (
        "MAIN_FEED",
        "NONE",
    ):
        return "/distribution/feedDistribution :: MAIN_FEED or NONE"
    if body.get("lifecycleState") not in ("PUBLISHED", "DRAFT"):
        return "/lifecycleState :: PUBLISHED or DRAFT"
    if not isinstance(body.get("isReshareDisabledByAuthor"), bool):
        return "/isReshareDisabledByAuthor :: must be a boolean"
    return ""


async def _json_body(request: web.Request) -> dict[str, Any] | None:
    try:
        found = json.loads(await request.read())
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _error(status: int, message: str, code: str = "") -> web.Response:
    body: dict[str, Any] = {"status": status, "message": message}
    if code:
        body["code"] = code
    return web.json_response(body, status=status)


def _oauth_error(status: int, error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=status)


def _redirect(uri: str, query: dict[str, str]) -> web.Response:
    joiner = "&" if "?" in uri else "?"
    return web.Response(status=302, headers={"Location": f"{uri}{joiner}{urlencode(query)}"})
