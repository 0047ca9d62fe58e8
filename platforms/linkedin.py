"""LinkedIn: posts with images through the Posts and Images APIs, as the member or as a
company page they administer.

A publish uploads each image in two steps (``POST /rest/images?action=initializeUpload``
names an image URN and an upload URL, then the bytes are PUT there), then creates the
post (``POST /rest/posts``); LinkedIn answers 201 with the post's URN in ``x-restli-id``.
LinkedIn keeps no idempotency key, so a post whose answer was lost cannot be looked up
by one: the core treats LinkedIn as a platform that must not be re-sent blindly.

The commentary is in LinkedIn's "little text" format, where a handful of characters
are markup (mentions, hashtags, templates): :func:`escape_commentary` escapes them so
the post shows exactly what the member wrote.

Connecting is OAuth 2 with OpenID Connect: the authorization and token endpoints live
on www.linkedin.com (the *auth* base), the API on api.linkedin.com (the *api* base).
Who signed in comes from ``/v2/userinfo``; with company pages on, the pages they
administer come from ``/rest/organizationAcls`` and each page's name from
``/rest/organizations/{id}``. Access tokens last 60 days; LinkedIn refreshes them
without rotating the refresh token, which keeps its first end date.

Every ``/rest/`` call names the API version (``LinkedIn-Version: YYYYMM``): LinkedIn
supports each monthly version for a year, then answers 426, which tells the operator
to move ``TRYPOST_LINKEDIN_VERSION`` on. Redirects are never followed, and the token
goes in the Authorization header only: no reason, no log line ever holds it.
"""

import asyncio
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
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
    Renewal,
    TransientPlatformError,
)
from platforms.answers import Answer, JsonHttp, first_said, text_field
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

WHO = "LinkedIn"
USER_AGENT = "trypost-linkedin/1"
# Uploads of several large images take a while; the rest must not.
TIMEOUT = aiohttp.ClientTimeout(total=120, sock_connect=10)
MAX_CHARS = 3000
# The Images API takes these; videos go through another API (not supported here).
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif"})
# A multiImage post holds 2 to 20 images.
MAX_IMAGES = 20
# Sign in with LinkedIn using OpenID Connect, and Share on LinkedIn.
MEMBER_SCOPES = ("openid", "profile", "w_member_social")
# Community Management API: w_organization_social posts as a page the member
# administers; r_organization_admin is the read-only permission LinkedIn documents for
# the organizationAcls roleAssignee finder and for looking up an administered page.
PAGE_SCOPES = ("w_organization_social", "r_organization_admin")
# How many access-control rows one organizationAcls page asks for, and how many pages
# are read at most (nobody administers thousands of company pages).
_ACL_PAGE = 100
_ACL_PAGES = 10
_SLUG_MAX = 40

_PERSON = "urn:li:person:"
_ORGANIZATION = "urn:li:organization:"
# The little text format's reserved characters, backslash included: escaped in one
# pass, so a backslash we add is never escaped again.
_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")


def escape_commentary(text: str) -> str:
    """The text in LinkedIn's little text format, showing exactly as written: each of
    ``| { } @ [ ] ( ) < > # \\ * _ ~`` gets a backslash (LinkedIn would otherwise read
    them as mentions, hashtags or templates, or drop the post as malformed)."""
    return _RESERVED.sub(r"\\\1", text)


@dataclass(frozen=True)
class LinkedInAuthor:
    """Who a post can be published as: the member, or a page they administer."""

    urn: str  # "urn:li:person:<sub>" or "urn:li:organization:<id>"
    name: str  # the member's name or the page's localizedName
    is_page: bool


class LinkedInClient:
    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        api_url: str = "https://api.linkedin.com/",
        auth_url: str = "https://www.linkedin.com/",
        version: str = "202610",
        company_pages: bool = False,
        timeout: aiohttp.ClientTimeout = TIMEOUT,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._api = _base(api_url)
        self._auth = _base(auth_url)
        self._version = version
        self._company_pages = company_pages
        self._http = JsonHttp(USER_AGENT, timeout)
        self._now = now

    def __repr__(self) -> str:
        # Never the client secret.
        return f"LinkedInClient(api_url={self._api!r}, version={self._version!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def scopes(self) -> str:
        """What the sign-in asks for: ``openid profile w_member_social``, and with
        company pages ``w_organization_social r_organization_admin`` too (post as a
        page; list the pages administered and read their names)."""
        wanted = MEMBER_SCOPES + (PAGE_SCOPES if self._company_pages else ())
        return " ".join(wanted)

    # --- connecting ------------------------------------------------------------------

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self._client_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "scope": self.scopes,
            },
            quote_via=quote,
        )
        return f"{self._auth}oauth/v2/authorization?{query}"

    async def exchange_code(self, code: str, redirect_uri: str) -> TokenGrant:
        return await self._grant(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )

    async def refresh(self, account: SocialAccount) -> Renewal:
        refresh_token = account.credentials.get("refresh_token", "")
        if not refresh_token:
            raise AuthPlatformError("LinkedIn gave this account no refresh token; connect it again")
        grant = await self._grant({"grant_type": "refresh_token", "refresh_token": refresh_token})
        # LinkedIn answers with the same refresh token and what is left of its life.
        return renewal(account, grant)

    async def _grant(self, form: dict[str, str]) -> TokenGrant:
        sent = {**form, "client_id": self._client_id, "client_secret": self._client_secret}
        answer = await self._send("POST", f"{self._auth}oauth/v2/accessToken", data=sent)
        if not answer.ok:
            raise token_refusal(answer.status, answer.body, WHO)
        return read_grant(answer.body, self._now(), WHO)

    async def authors(self, grant: TokenGrant) -> list[LinkedInAuthor]:
        """The member first, then (with company pages on) the pages they administer."""
        token = grant.access_token
        member = await self._member(token)
        if not self._company_pages:
            return [member]
        pages = [await self._page(token, org_id) for org_id in await self._page_ids(token)]
        return [member, *pages]

    async def _member(self, token: str) -> LinkedInAuthor:
        answer = await self._checked("GET", f"{self._api}v2/userinfo", token=token)
        sub = text_field(answer.body, "sub")
        if not sub:
            raise PermanentPlatformError("LinkedIn did not say who signed in")
        name = text_field(answer.body, "name") or " ".join(
            part
            for part in (
                text_field(answer.body, "given_name"),
                text_field(answer.body, "family_name"),
            )
            if part
        )
        return LinkedInAuthor(urn=f"{_PERSON}{sub}", name=name, is_page=False)

    async def _page_ids(self, token: str) -> list[str]:
        found: list[str] = []
        for page in range(_ACL_PAGES):
            url = (
                f"{self._api}rest/organizationAcls?q=roleAssignee&role=ADMINISTRATOR"
                f"&state=APPROVED&start={page * _ACL_PAGE}&count={_ACL_PAGE}"
            )
            answer = await self._checked("GET", url, token=token, rest=True)
            elements = answer.body.get("elements")
            rows = elements if isinstance(elements, list) else []
            for row in rows:
                org = text_field(row, "organization") if isinstance(row, dict) else ""
                org_id = org.removeprefix(_ORGANIZATION)
                if org.startswith(_ORGANIZATION) and org_id and org_id not in found:
                    found.append(org_id)
            if len(rows) < _ACL_PAGE:
                break
        return found

    async def _page(self, token: str, org_id: str) -> LinkedInAuthor:
        url = f"{self._api}rest/organizations/{quote(org_id, safe='')}"
        answer = await self._checked("GET", url, token=token, rest=True)
        name = text_field(answer.body, "localizedName")
        return LinkedInAuthor(urn=f"{_ORGANIZATION}{org_id}", name=name, is_page=True)

    def identity(self, grant: TokenGrant, author: LinkedInAuthor) -> ConnectedIdentity:
        return ConnectedIdentity(
            name=f"{_slug(author)}@linkedin",
            handle=author.name,
            credentials=grant_credentials(grant, author=author.urn, subject=author.urn),
            max_chars=MAX_CHARS,
            token=grant_life(grant),
        )

    # --- publishing ------------------------------------------------------------------

    async def publish(self, request: PublishRequest) -> PublishResult:
        token = access_token(request.account, WHO)
        author = request.account.credentials.get("author", "")
        if not author:
            raise AuthPlatformError(
                "the account does not say who posts on LinkedIn; connect it again"
            )
        # Everything that can be refused here is, before anything is uploaded.
        _check_text(request.text)
        _check_files(request.files)
        images = [await self._upload(token, author, file) for file in request.files]
        body = _post_body(author, escape_commentary(request.text), images)
        answer = await self._checked(
            "POST", f"{self._api}rest/posts", token=token, payload=body, rest=True
        )
        urn = answer.headers.get("x-restli-id", "").strip()
        if not urn:
            raise PermanentPlatformError(
                "LinkedIn answered without the post's id; check the page before posting again"
            )
        return PublishResult(external_id=urn, url=f"https://www.linkedin.com/feed/update/{urn}/")

    async def _upload(self, token: str, author: str, file: MediaFile) -> dict[str, str]:
        """The image's ``{"id", "altText"}`` once its bytes are with LinkedIn."""
        data = await _read(file)
        answer = await self._checked(
            "POST",
            f"{self._api}rest/images?action=initializeUpload",
            token=token,
            payload={"initializeUploadRequest": {"owner": author}},
            rest=True,
        )
        value = answer.body.get("value")
        value = value if isinstance(value, dict) else {}
        upload_url, image = text_field(value, "uploadUrl"), text_field(value, "image")
        if not upload_url or not image:
            raise TransientPlatformError("LinkedIn did not say where to upload the image")
        self._check_upload_url(upload_url)
        await self._checked(
            "PUT", upload_url, token=token, raw=data, headers={"Content-Type": file.content_type}
        )
        return {"id": image, "altText": file.alt}

    def _check_upload_url(self, url: str) -> None:
        # The bearer token goes with the bytes: only to LinkedIn (or where the operator
        # pointed the client), never to a host an answer happened to name.
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        ours = {urlsplit(self._api).hostname, urlsplit(self._auth).hostname}
        linkedin = host == "linkedin.com" or host.endswith(".linkedin.com")
        if host in ours or (linkedin and parts.scheme == "https"):
            return
        raise PermanentPlatformError(f"LinkedIn named an upload address off LinkedIn ({host})")

    # --- HTTP ------------------------------------------------------------------------

    async def _checked(
        self,
        method: str,
        url: str,
        *,
        token: str,
        payload: dict[str, Any] | None = None,
        raw: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        rest: bool = False,
    ) -> Answer:
        """One API call; a refusal raises the PlatformError it maps to."""
        sent = {"Authorization": f"Bearer {token}", **(headers or {})}
        if rest:
            sent |= {"LinkedIn-Version": self._version, "X-Restli-Protocol-Version": "2.0.0"}
        answer = await self._send(method, url, payload=payload, data=raw, headers=sent)
        if not answer.ok:
            raise self._refusal(answer)
        return answer

    async def _send(
        self,
        method: str,
        url: str,
        *,
        payload: dict[str, Any] | None = None,
        data: bytes | dict[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        try:
            return await self._http.call(method, url, payload=payload, data=data, headers=headers)
        except (aiohttp.ClientError, TimeoutError) as failed:
            # Never the URL's query: an upload URL carries LinkedIn's own upload ticket.
            raise TransientPlatformError(
                f"LinkedIn did not answer ({type(failed).__name__})"
            ) from failed

    def _refusal(self, answer: Answer) -> PlatformError:
        status = answer.status
        said = _said(answer.body) or f"HTTP {status}"
        if status == 401:
            return AuthPlatformError(f"LinkedIn refused the token: {said}")
        if status == 403:
            return PermanentPlatformError(
                f"LinkedIn does not allow it (a missing permission, or not a page admin): {said}"
            )
        if status == 426:
            return PermanentPlatformError(
                f"LinkedIn no longer accepts LinkedIn-Version {self._version} ({said}); the "
                "operator should set TRYPOST_LINKEDIN_VERSION to a recent month (YYYYMM)"
            )
        if status == 429:
            return TransientPlatformError(
                f"LinkedIn is rate limiting: {said}", self._wait(answer), rate_limited=True
            )
        if status == 408 or status >= 500:
            return TransientPlatformError(f"LinkedIn had a problem (HTTP {status}): {said}")
        if 300 <= status < 400:
            return PermanentPlatformError(f"LinkedIn answered with a redirect (HTTP {status})")
        return PermanentPlatformError(f"LinkedIn refused it: {said}")

    def _wait(self, answer: Answer) -> float:
        """Retry-After, else until midnight UTC, when LinkedIn's daily limits reset."""
        now = self._now()
        told = retry_after(answer.headers.get("Retry-After", ""), now)
        if told is not None:
            return told
        midnight = datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(), UTC)
        return until(midnight, now)


def _check_text(text: str) -> None:
    if len(text) > MAX_CHARS:
        raise PermanentPlatformError(
            f"LinkedIn takes at most {MAX_CHARS} characters; this post has {len(text)}"
        )


def _check_files(files: Sequence[MediaFile]) -> None:
    if len(files) > MAX_IMAGES:
        raise PermanentPlatformError(f"LinkedIn takes at most {MAX_IMAGES} images in a post")
    for file in files:
        name = Path(file.path).name
        if file.is_video:
            raise PermanentPlatformError(
                f"LinkedIn posts here take images only (JPG, PNG, GIF), not videos ({name})"
            )
        if file.content_type.split(";", 1)[0].strip().lower() not in IMAGE_TYPES:
            raise PermanentPlatformError(
                f"LinkedIn takes JPG, PNG and GIF images only, not {file.content_type} ({name})"
            )


async def _read(file: MediaFile) -> bytes:
    try:
        return await asyncio.to_thread(Path(file.path).read_bytes)
    except OSError:
        raise PermanentPlatformError(f"the media file {Path(file.path).name} is gone") from None


def _post_body(author: str, commentary: str, images: list[dict[str, str]]) -> dict[str, Any]:
    """fixtures/platforms/linkedin/posts_create_request.json, with the images."""
    body: dict[str, Any] = {
        "author": author,
        "commentary": commentary,
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }
    if len(images) == 1:
        body["content"] = {"media": images[0]}
    elif images:
        body["content"] = {"multiImage": {"images": images}}
    return body


def _slug(author: LinkedInAuthor) -> str:
    """Lowercase ASCII letters and digits, runs joined by '-', at most 40 characters."""
    folded = unicodedata.normalize("NFKD", author.name).encode("ascii", "ignore").decode()
    slug = "-".join(re.findall(r"[a-z0-9]+", folded.lower()))[:_SLUG_MAX].strip("-")
    if slug:
        return slug
    return f"page-{author.urn.removeprefix(_ORGANIZATION)}" if author.is_page else "member"


def _base(url: str) -> str:
    return url.strip().rstrip("/") + "/"


def _said(body: Mapping[str, Any]) -> str:
    """LinkedIn's own words: API errors say ``message``; OAuth errors describe
    themselves in ``error_description``."""
    return first_said(body, ("message", "error_description", "error"))
