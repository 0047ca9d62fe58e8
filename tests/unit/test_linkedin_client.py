"""The LinkedIn client against a loopback LinkedIn (auth and API on one server): the
OAuth 2 sign-in, who can be posted as, refreshes, posts with images, and how each of
LinkedIn's refusals maps to an error class."""

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from PIL import Image

from core.accounts import SocialAccount
from core.ports import (
    AuthPlatformError,
    MediaFile,
    PermanentPlatformError,
    PlatformError,
    PublishRequest,
    TransientPlatformError,
)
from platforms.linkedin import LinkedInAuthor, LinkedInClient, escape_commentary
from platforms.oauth2 import TokenGrant
from tests.fake_linkedin import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, FakeLinkedIn

START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
RESERVED_TEXT = r"a|b {c} @d [e] (f) <g> #h \i *j* _k_ ~l~ 50% off: C:\path\n"


class Clock:
    """One clock for the client and the fake, so token lives are exact."""

    def __init__(self) -> None:
        self.at = START

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> Iterator[FakeLinkedIn]:
    with FakeLinkedIn(now=clock) as server:
        yield server


def make_client(fake: FakeLinkedIn, clock: Clock, **options: object) -> LinkedInClient:
    return LinkedInClient(
        CLIENT_ID,
        CLIENT_SECRET,
        api_url=fake.url,
        auth_url=fake.url,
        now=clock,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
async def client(fake: FakeLinkedIn, clock: Clock) -> AsyncIterator[LinkedInClient]:
    made = make_client(fake, clock)
    yield made
    await made.aclose()


def account_for(token: str, author: str, refresh_token: str = "") -> SocialAccount:
    return SocialAccount(
        workspace_id=1,
        platform="linkedin",
        name="member@linkedin",
        handle="Member",
        credentials={
            "access_token": token,
            "refresh_token": refresh_token,
            "scope": "",
            "author": author,
            "subject": author,
        },
    )


def request_for(
    fake: FakeLinkedIn, text: str = "Hello, LinkedIn", *, files: list[MediaFile] | None = None
) -> tuple[PublishRequest, str]:
    token = fake.add_member("Ada Lovelace", sub="ada")
    account = account_for(token, "urn:li:person:ada")
    return PublishRequest(account=account, text=text, files=files or []), token


def png(tmp_path: Path, name: str = "5d41402abc4b2a76", alt: str = "A pink square") -> MediaFile:
    path = tmp_path / name
    Image.new("RGB", (8, 6), (200, 40, 90)).save(path, format="PNG")
    data = path.read_bytes()
    return MediaFile(str(path), "image/png", len(data), "sha", alt=alt, width=8, height=6)


async def consent(link: str) -> dict[str, list[str]]:
    async with aiohttp.ClientSession() as browser, browser.get(link, allow_redirects=False) as r:
        assert r.status == 302
        return parse_qs(urlsplit(r.headers["Location"]).query)


async def sign_in(client: LinkedInClient) -> TokenGrant:
    answer = await consent(client.authorize_url(REDIRECT_URI, "state-1"))
    return await client.exchange_code(answer["code"][0], REDIRECT_URI)


# --- connecting ----------------------------------------------------------------------


def test_the_sign_in_asks_for_the_member_and_with_pages_for_pages(
    fake: FakeLinkedIn, clock: Clock
) -> None:
    member = make_client(fake, clock)
    pages = make_client(fake, clock, company_pages=True)
    assert member.scopes == "openid profile w_member_social"
    assert (
        pages.scopes == "openid profile w_member_social w_organization_social r_organization_admin"
    )

    link = urlsplit(pages.authorize_url(REDIRECT_URI, "st ate/1"))
    assert f"{link.scheme}://{link.netloc}{link.path}" == f"{fake.url}oauth/v2/authorization"
    assert "scope=openid%20profile%20" in link.query  # spaces quoted, not '+'
    query = parse_qs(link.query)
    assert query == {
        "response_type": ["code"],
        "client_id": [CLIENT_ID],
        "redirect_uri": [REDIRECT_URI],
        "state": ["st ate/1"],
        "scope": [pages.scopes],
    }
    assert CLIENT_SECRET not in repr(pages)


async def test_connecting_end_to_end(
    fake: FakeLinkedIn, client: LinkedInClient, clock: Clock
) -> None:
    answer = await consent(client.authorize_url(REDIRECT_URI, "state-1"))
    assert answer["state"] == ["state-1"]

    grant = await client.exchange_code(answer["code"][0], REDIRECT_URI)
    assert grant.expires_at == START + timedelta(seconds=86400)
    assert grant.refresh_expires_at == START + timedelta(seconds=525600)
    assert grant.refresh_token
    assert grant.access_token not in repr(grant)

    (author,) = await client.authors(grant)
    assert author == LinkedInAuthor("urn:li:person:782bbtaQ", "John Doe", is_page=False)
    # Without company pages, nobody asks which pages the member runs.
    assert ("GET", "/rest/organizationAcls") not in fake.requests

    identity = client.identity(grant, author)
    assert (identity.name, identity.handle, identity.max_chars) == (
        "john-doe@linkedin",
        "John Doe",
        3000,
    )
    assert identity.credentials["author"] == identity.credentials["subject"] == author.urn
    assert identity.credentials["access_token"] == grant.access_token
    assert identity.credentials["refresh_token"] == grant.refresh_token
    assert identity.token.expires_at == grant.expires_at
    assert identity.token.renewable
    assert identity.token.renew_until == grant.refresh_expires_at
    assert grant.access_token not in repr(identity)

    # What it connected can post.
    account = account_for(grant.access_token, author.urn)
    result = await client.publish(PublishRequest(account=account, text="First post"))
    assert fake.post_by_urn(result.external_id).author == author.urn


async def test_a_spent_code_and_a_wrong_secret_are_refused(
    fake: FakeLinkedIn, client: LinkedInClient, clock: Clock
) -> None:
    code = (await consent(client.authorize_url(REDIRECT_URI, "s")))["code"][0]
    await client.exchange_code(code, REDIRECT_URI)
    with pytest.raises(AuthPlatformError, match="authorization code"):
        await client.exchange_code(code, REDIRECT_URI)

    wrong = LinkedInClient(CLIENT_ID, "wrong", api_url=fake.url, auth_url=fake.url, now=clock)
    code = (await consent(client.authorize_url(REDIRECT_URI, "s")))["code"][0]
    try:
        with pytest.raises(PermanentPlatformError, match="client id or secret") as refused:
            await wrong.exchange_code(code, REDIRECT_URI)
    finally:
        await wrong.aclose()
    assert not isinstance(refused.value, AuthPlatformError)


async def test_a_member_who_cancels_comes_back_with_the_error(
    fake: FakeLinkedIn, client: LinkedInClient
) -> None:
    fake.deny_next()
    answer = await consent(client.authorize_url(REDIRECT_URI, "s1"))
    assert answer["error"] == ["user_cancelled_login"] and answer["state"] == ["s1"]
    assert "code" not in answer


async def test_authors_with_company_pages_are_named_by_the_organization_lookup(
    fake: FakeLinkedIn, clock: Clock
) -> None:
    fake.add_member("Grace Hopper", sub="grace", pages={"5515715": "Acme Corp", "42": "Navy Labs"})
    fake.add_member("Someone Else", sub="else", pages={"77": "Not Hers"})
    fake.consenting_sub = "grace"
    client = make_client(fake, clock, company_pages=True)
    try:
        grant = await sign_in(client)
        authors = await client.authors(grant)
    finally:
        await client.aclose()

    assert authors == [
        LinkedInAuthor("urn:li:person:grace", "Grace Hopper", is_page=False),
        LinkedInAuthor("urn:li:organization:5515715", "Acme Corp", is_page=True),
        LinkedInAuthor("urn:li:organization:42", "Navy Labs", is_page=True),
    ]
    page = client.identity(grant, authors[1])
    assert (page.name, page.handle) == ("acme-corp@linkedin", "Acme Corp")
    assert page.credentials["author"] == "urn:li:organization:5515715"


@pytest.mark.parametrize(
    ("author", "name"),
    [
        (LinkedInAuthor("urn:li:person:x", "José Núñez-García", False), "jose-nunez-garcia"),
        (
            LinkedInAuthor("urn:li:person:x", "  Dr. ADA   lovelace, PhD ", False),
            "dr-ada-lovelace-phd",
        ),
        (LinkedInAuthor("urn:li:person:x", "李小龙", False), "member"),
        (LinkedInAuthor("urn:li:organization:9", "株式会社", True), "page-9"),
        (LinkedInAuthor("urn:li:organization:9", "", True), "page-9"),
        (LinkedInAuthor("urn:li:person:x", "a" * 39 + " bcd", False), "a" * 39),
    ],
)
def test_identity_names_are_slugs(
    fake: FakeLinkedIn, clock: Clock, author: LinkedInAuthor, name: str
) -> None:
    grant = TokenGrant(access_token="t")
    identity = make_client(fake, clock).identity(grant, author)
    assert identity.name == f"{name}@linkedin"
    assert identity.handle == author.name
    assert not identity.token.renewable


async def test_a_refresh_keeps_the_refresh_token_and_its_end(
    fake: FakeLinkedIn, client: LinkedInClient, clock: Clock
) -> None:
    grant = await sign_in(client)
    (author,) = await client.authors(grant)
    identity = client.identity(grant, author)
    account = SocialAccount(
        1, "linkedin", identity.name, identity.handle, credentials=identity.credentials
    )
    account.take_token(identity.token)

    clock.at += timedelta(days=1)
    renewed = await client.refresh(account)

    assert fake.refreshes == 1
    assert renewed.credentials["refresh_token"] == grant.refresh_token
    assert renewed.credentials["access_token"] != grant.access_token
    assert renewed.credentials["author"] == author.urn
    assert renewed.life.expires_at == clock.at + timedelta(seconds=86400)
    assert renewed.life.renewable
    assert renewed.life.renew_until == grant.refresh_expires_at
    assert grant.access_token not in repr(renewed)


async def test_a_refresh_without_a_refresh_token_or_with_a_revoked_one_needs_a_sign_in(
    fake: FakeLinkedIn, client: LinkedInClient
) -> None:
    with pytest.raises(AuthPlatformError, match="no refresh token"):
        await client.refresh(account_for("t", "urn:li:person:x"))
    assert fake.requests == []

    grant = await sign_in(client)
    assert grant.refresh_token
    fake.revoke_refresh(grant.refresh_token)
    with pytest.raises(AuthPlatformError, match="invalid, expired or revoked") as refused:
        await client.refresh(
            account_for(grant.access_token, "urn:li:person:x", grant.refresh_token)
        )
    assert grant.refresh_token not in refused.value.reason


# --- publishing ----------------------------------------------------------------------


def test_every_reserved_character_is_escaped_once() -> None:
    assert escape_commentary(r"#tag \o/ @you") == r"\#tag \\o/ \@you"
    assert escape_commentary("|{}@[]()<>#\\*_~") == "".join("\\" + c for c in "|{}@[]()<>#\\*_~")
    assert escape_commentary("plain: text, 100%!") == "plain: text, 100%!"


async def test_text_with_every_reserved_character_shows_as_written(
    fake: FakeLinkedIn, client: LinkedInClient
) -> None:
    request, _ = request_for(fake, RESERVED_TEXT)

    result = await client.publish(request)

    post = fake.post_by_urn(result.external_id)
    assert result.external_id.startswith("urn:li:share:")
    assert result.url == f"https://www.linkedin.com/feed/update/{result.external_id}/"
    assert post.shown_text == RESERVED_TEXT
    assert post.commentary == escape_commentary(RESERVED_TEXT)
    assert post.version == "202610"
    assert post.json == {
        "author": "urn:li:person:ada",
        "commentary": escape_commentary(RESERVED_TEXT),
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }


async def test_the_fake_refuses_an_unescaped_reserved_character(fake: FakeLinkedIn) -> None:
    # The strictness the test above relies on.
    token = fake.add_member("Ada", sub="ada")
    headers = {
        "Authorization": f"Bearer {token}",
        "LinkedIn-Version": "202610",
        "X-Restli-Protocol-Version": "2.0.0",
    }
    body = {
        "author": "urn:li:person:ada",
        "commentary": "#raw",
        "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED"},
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.url}rest/posts", json=body, headers=headers) as answer,
    ):
        assert answer.status == 422
        assert "unescaped reserved character '#'" in (await answer.json())["message"]
    assert fake.posts == []


async def test_one_image_with_its_alt_text(
    fake: FakeLinkedIn, client: LinkedInClient, tmp_path: Path
) -> None:
    image = png(tmp_path)
    request, _ = request_for(fake, "With a picture", files=[image])

    result = await client.publish(request)

    post = fake.post_by_urn(result.external_id)
    (uploaded,) = fake.images
    assert uploaded.owner == "urn:li:person:ada"
    assert uploaded.data == Path(image.path).read_bytes()
    assert uploaded.content_type == "image/png"
    assert post.images == [(uploaded.urn, "A pink square")]
    assert post.json["content"] == {"media": {"id": uploaded.urn, "altText": "A pink square"}}


async def test_two_images_are_a_multi_image_post_in_order(
    fake: FakeLinkedIn, client: LinkedInClient, tmp_path: Path
) -> None:
    files = [png(tmp_path, "first", "One"), png(tmp_path, "second", "Two")]
    request, _ = request_for(fake, "Two pictures", files=files)

    result = await client.publish(request)

    post = fake.post_by_urn(result.external_id)
    first, second = fake.images
    assert post.images == [(first.urn, "One"), (second.urn, "Two")]
    assert post.json["content"] == {
        "multiImage": {
            "images": [{"id": first.urn, "altText": "One"}, {"id": second.urn, "altText": "Two"}]
        }
    }


async def test_a_company_page_posts_as_itself(
    fake: FakeLinkedIn, client: LinkedInClient, tmp_path: Path
) -> None:
    token = fake.add_member("Grace", sub="grace", pages={"5515715": "Acme"})
    account = account_for(token, "urn:li:organization:5515715")
    request = PublishRequest(account=account, text="From the page", files=[png(tmp_path)])

    result = await client.publish(request)

    post = fake.post_by_urn(result.external_id)
    assert post.author == "urn:li:organization:5515715"
    assert fake.images[0].owner == "urn:li:organization:5515715"


@pytest.mark.parametrize(
    ("content_type", "said"),
    [("video/mp4", "not videos"), ("image/webp", "not image/webp")],
)
async def test_anything_but_jpg_png_gif_is_refused_before_any_upload(
    fake: FakeLinkedIn, client: LinkedInClient, tmp_path: Path, content_type: str, said: str
) -> None:
    path = tmp_path / "clip"
    path.write_bytes(b"\x00" * 64)
    request, _ = request_for(fake, files=[MediaFile(str(path), content_type, 64, "x")])
    with pytest.raises(PermanentPlatformError, match=said):
        await client.publish(request)
    assert fake.requests == [] and fake.posts == []


async def test_text_over_3000_characters_is_refused_before_sending(
    fake: FakeLinkedIn, client: LinkedInClient
) -> None:
    request, _ = request_for(fake, "x" * 3001)
    with pytest.raises(PermanentPlatformError, match="at most 3000"):
        await client.publish(request)
    assert fake.requests == []
    # Escaping makes the commentary longer; LinkedIn counts what readers see.
    request, _ = request_for(fake, "#" * 3000)
    result = await client.publish(request)
    assert fake.post_by_urn(result.external_id).shown_text == "#" * 3000


# --- refusals ------------------------------------------------------------------------


async def test_an_expired_token_is_an_auth_failure(
    fake: FakeLinkedIn, client: LinkedInClient
) -> None:
    request, token = request_for(fake)
    fake.expire(token)
    with pytest.raises(AuthPlatformError, match="has expired"):
        await client.publish(request)
    assert fake.posts == []


async def test_a_401_fixture_body_is_an_auth_failure(
    fake: FakeLinkedIn, client: LinkedInClient
) -> None:
    request, _ = request_for(fake)
    fake.fail_next(
        "posts",
        401,
        {
            "status": 401,
            "serviceErrorCode": 65601,
            "code": "REVOKED_ACCESS_TOKEN",
            "message": "The token used in the request has been revoked by the user",
        },
    )
    with pytest.raises(AuthPlatformError, match="revoked by the user"):
        await client.publish(request)


async def test_a_token_without_w_member_social_is_forbidden_not_an_auth_failure(
    fake: FakeLinkedIn, client: LinkedInClient
) -> None:
    token = fake.add_member("Ada", sub="ada", scopes="openid profile")
    request = PublishRequest(account=account_for(token, "urn:li:person:ada"), text="t")
    with pytest.raises(PermanentPlatformError, match="w_member_social") as refused:
        await client.publish(request)
    assert not isinstance(refused.value, AuthPlatformError)


async def test_posting_as_a_page_one_does_not_administer_is_forbidden(
    fake: FakeLinkedIn, client: LinkedInClient
) -> None:
    token = fake.add_member("Ada", sub="ada")
    request = PublishRequest(account=account_for(token, "urn:li:organization:1"), text="t")
    with pytest.raises(PermanentPlatformError, match="not authorized to act as"):
        await client.publish(request)


async def test_a_duplicate_post_is_refused_with_linkedins_message(
    fake: FakeLinkedIn, client: LinkedInClient
) -> None:
    request, _ = request_for(fake, "Same again")
    first = await client.publish(request)
    with pytest.raises(PermanentPlatformError, match=f"duplicate of {first.external_id}"):
        await client.publish(request)
    assert len(fake.posts) == 1


async def test_a_sunset_version_tells_the_operator_what_to_set(
    fake: FakeLinkedIn, clock: Clock
) -> None:
    client = make_client(fake, clock, version="202001")
    request, _ = request_for(fake)
    try:
        with pytest.raises(PermanentPlatformError) as refused:
            await client.publish(request)
    finally:
        await client.aclose()
    reason = refused.value.reason
    assert "TRYPOST_LINKEDIN_VERSION" in reason
    assert "LinkedIn-Version 202001" in reason
    assert "Requested version 202001 is not active" in reason


async def test_a_429_waits_as_retry_after_says(fake: FakeLinkedIn, client: LinkedInClient) -> None:
    request, _ = request_for(fake)
    fake.fail_next("posts", 429, headers={"Retry-After": "42"})
    with pytest.raises(TransientPlatformError) as told:
        await client.publish(request)
    assert told.value.retry_after == 42.0
    assert told.value.rate_limited


async def test_a_429_without_retry_after_waits_until_midnight_utc(
    fake: FakeLinkedIn, client: LinkedInClient, clock: Clock
) -> None:
    clock.at = datetime(2026, 11, 25, 22, 30, tzinfo=UTC)
    request, _ = request_for(fake)
    fake.fail_next("posts", 429)
    with pytest.raises(TransientPlatformError, match="throttle limit") as told:
        await client.publish(request)
    assert told.value.retry_after == 90 * 60
    assert told.value.rate_limited


@pytest.mark.parametrize("status", [500, 503, 408])
async def test_server_errors_are_transient(
    fake: FakeLinkedIn, client: LinkedInClient, status: int
) -> None:
    request, _ = request_for(fake)
    fake.fail_next("posts", status)
    with pytest.raises(TransientPlatformError) as told:
        await client.publish(request)
    assert not told.value.rate_limited


async def test_a_slow_upload_is_transient(fake: FakeLinkedIn, clock: Clock, tmp_path: Path) -> None:
    client = make_client(fake, clock, timeout=aiohttp.ClientTimeout(total=0.2))
    request, _ = request_for(fake, files=[png(tmp_path)])
    fake.timeout_next("upload", 1.0)
    try:
        with pytest.raises(TransientPlatformError, match="did not answer"):
            await client.publish(request)
    finally:
        await client.aclose()
    assert fake.posts == []


async def test_a_redirect_is_not_followed(fake: FakeLinkedIn, client: LinkedInClient) -> None:
    request, _ = request_for(fake)
    fake.fail_next("posts", 302, headers={"Location": f"{fake.url}v2/userinfo"})
    with pytest.raises(PermanentPlatformError, match="redirect"):
        await client.publish(request)
    assert ("GET", "/v2/userinfo") not in fake.requests


FAULTS = [
    ("posts", 401, None),
    ("posts", 403, None),
    ("posts", 422, None),
    ("posts", 426, None),
    ("posts", 429, None),
    ("posts", 500, None),
    ("images", 400, None),
    ("upload", 503, None),
]


@pytest.mark.parametrize(("where", "status", "body"), FAULTS)
async def test_no_reason_holds_the_token(
    fake: FakeLinkedIn,
    client: LinkedInClient,
    tmp_path: Path,
    where: str,
    status: int,
    body: object,
) -> None:
    request, token = request_for(fake, files=[png(tmp_path)])
    fake.fail_next(where, status, body)
    with pytest.raises(PlatformError) as refused:
        await client.publish(request)
    assert token not in refused.value.reason
    assert token not in repr(refused.value) and token not in str(refused.value)
