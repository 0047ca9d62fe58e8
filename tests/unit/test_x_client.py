"""The X client against a loopback X: OAuth 2 with PKCE (public and confidential
clients), single-use refresh tokens, the v2 chunked media upload with processing and
alt text, error classes and rate-limit quotas, and X's weighted length."""

from collections.abc import AsyncIterator, Callable, Iterator
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
from core.text_length import x_length
from platforms.oauth2 import TokenGrant, pkce_challenge, pkce_verifier
from platforms.x import CHUNK_BYTES, SCOPES, XClient
from tests.fake_x import CLIENT_ID, DEFAULT_SCOPES, REDIRECT_URI, FakeX

SECRET = "fake-x-client-secret"


@pytest.fixture
def fake() -> Iterator[FakeX]:
    with FakeX() as server:
        yield server


def client_for(
    fake: FakeX,
    secret: str | None = None,
    *,
    timeout: aiohttp.ClientTimeout | None = None,
    now: Callable[[], datetime] | None = None,
) -> XClient:
    return XClient(
        CLIENT_ID,
        secret,
        api_url=fake.url,
        auth_url=fake.url,
        upload_url=fake.upload_url,
        timeout=timeout or aiohttp.ClientTimeout(total=10),
        now=now or (lambda: datetime.now(UTC)),
        poll_interval=0.001,
    )


@pytest.fixture
async def client(fake: FakeX) -> AsyncIterator[XClient]:
    made = client_for(fake)
    yield made
    await made.aclose()


def account_for(
    fake: FakeX, username: str = "alice", scopes: str = DEFAULT_SCOPES
) -> SocialAccount:
    access, refresh = fake.add_tokens(username, scopes)
    return SocialAccount(
        workspace_id=1,
        platform="x",
        name=f"@{username}",
        handle=f"@{username}",
        credentials={
            "access_token": access,
            "refresh_token": refresh if "offline.access" in scopes else "",
            "scope": scopes,
            "user_id": fake.user_id(username),
            "username": username,
        },
    )


def request_for(
    fake: FakeX,
    text: str = "Hello from the X API!",
    *,
    account: SocialAccount | None = None,
    files: list[MediaFile] | None = None,
) -> PublishRequest:
    return PublishRequest(account=account or account_for(fake), text=text, files=files or [])


def png(tmp_path: Path, alt: str = "A pink square") -> MediaFile:
    path = tmp_path / "5d41402abc4b2a76b9719d911017c592"
    Image.new("RGB", (8, 6), (200, 40, 90)).save(path, format="PNG")
    data = path.read_bytes()
    return MediaFile(str(path), "image/png", len(data), "sha", alt=alt, width=8, height=6)


def video(tmp_path: Path, size: int = 1000) -> MediaFile:
    # X does not look into the bytes here; the fake keeps them as sent.
    path = tmp_path / "c0ffee"
    path.write_bytes(bytes(i % 251 for i in range(size)))
    return MediaFile(str(path), "video/mp4", size, "sha")


async def consent(link: str) -> dict[str, str]:
    """What X's consent page redirects the browser back with."""
    async with aiohttp.ClientSession() as browser, browser.get(link, allow_redirects=False) as r:
        assert r.status == 302
        location = r.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


# --- connecting ----------------------------------------------------------------------


def test_the_authorize_url_asks_for_a_code_with_pkce(fake: FakeX) -> None:
    link = client_for(fake).authorize_url(REDIRECT_URI, "st-1", "challenge-abc")
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}/" == fake.url
    assert parts.path == "/i/oauth2/authorize"
    assert {k: v[0] for k, v in parse_qs(parts.query).items()} == {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": SCOPES,
        "state": "st-1",
        "code_challenge": "challenge-abc",
        "code_challenge_method": "S256",
    }
    # quote, not quote_plus: spaces in the scope are %20.
    assert "scope=tweet.read%20tweet.write" in parts.query


async def test_a_public_client_connects_with_pkce_alone(fake: FakeX, client: XClient) -> None:
    verifier = pkce_verifier()
    back = await consent(client.authorize_url(REDIRECT_URI, "st-1", pkce_challenge(verifier)))
    assert back["state"] == "st-1"
    before = datetime.now(UTC)

    grant = await client.exchange_code(back["code"], REDIRECT_URI, verifier)
    identity = await client.identify(grant)

    assert fake.token_calls[-1].client_auth == "body"
    assert identity.name == identity.handle == "@XDevelopers"
    assert identity.max_chars is None
    user_id = fake.user_id("XDevelopers")
    assert identity.credentials == {
        "user_id": user_id,
        "username": "XDevelopers",
        "subject": user_id,
        "access_token": grant.access_token,
        "refresh_token": grant.refresh_token,
        "scope": " ".join(sorted(SCOPES.split())),
    }
    assert identity.token.renewable
    assert identity.token.expires_at is not None
    assert before + timedelta(seconds=7190) <= identity.token.expires_at
    assert identity.token.expires_at <= datetime.now(UTC) + timedelta(seconds=7200)
    assert grant.access_token not in repr(grant) and grant.access_token not in repr(identity)


async def test_a_confidential_client_proves_itself_with_basic_auth() -> None:
    with FakeX(client_secret=SECRET) as fake:
        client = client_for(fake, SECRET)
        try:
            verifier = pkce_verifier()
            back = await consent(client.authorize_url(REDIRECT_URI, "s", pkce_challenge(verifier)))
            grant = await client.exchange_code(back["code"], REDIRECT_URI, verifier)
        finally:
            await client.aclose()
        assert grant.refresh_token
        assert [c.client_auth for c in fake.token_calls] == ["basic"]
        assert SECRET not in repr(client)


@pytest.mark.parametrize("secret", [None, "not-the-secret"])
async def test_a_confidential_app_refuses_a_client_without_its_secret(secret: str | None) -> None:
    with FakeX(client_secret=SECRET) as fake:
        client = client_for(fake, secret)
        try:
            verifier = pkce_verifier()
            back = await consent(client.authorize_url(REDIRECT_URI, "s", pkce_challenge(verifier)))
            # The operator's setting to fix, not the member's sign-in.
            with pytest.raises(PermanentPlatformError, match="operator should check") as refused:
                await client.exchange_code(back["code"], REDIRECT_URI, verifier)
            assert not isinstance(refused.value, AuthPlatformError)
            assert "Missing valid authorization header" in refused.value.reason
        finally:
            await client.aclose()


async def test_a_wrong_verifier_is_refused_and_the_code_is_spent(
    fake: FakeX, client: XClient
) -> None:
    verifier = pkce_verifier()
    back = await consent(client.authorize_url(REDIRECT_URI, "s", pkce_challenge(verifier)))
    with pytest.raises(AuthPlatformError, match="Value passed for the token was invalid"):
        await client.exchange_code(back["code"], REDIRECT_URI, pkce_verifier())
    with pytest.raises(AuthPlatformError):
        await client.exchange_code(back["code"], REDIRECT_URI, verifier)


async def test_a_code_is_single_use(fake: FakeX, client: XClient) -> None:
    verifier = pkce_verifier()
    back = await consent(client.authorize_url(REDIRECT_URI, "s", pkce_challenge(verifier)))
    await client.exchange_code(back["code"], REDIRECT_URI, verifier)
    with pytest.raises(AuthPlatformError, match="Value passed for the token was invalid"):
        await client.exchange_code(back["code"], REDIRECT_URI, verifier)


async def test_a_member_who_denies_comes_back_with_access_denied(
    fake: FakeX, client: XClient
) -> None:
    fake.deny_next()
    back = await consent(client.authorize_url(REDIRECT_URI, "st-9", pkce_challenge("v" * 43)))
    assert back == {"error": "access_denied", "state": "st-9"}


async def test_identify_with_a_bad_token_is_an_auth_failure(client: XClient) -> None:
    with pytest.raises(AuthPlatformError, match="Unauthorized") as refused:
        await client.identify(TokenGrant("not-a-token"))
    assert "not-a-token" not in refused.value.reason


# --- refreshing ----------------------------------------------------------------------


async def test_a_refresh_rotates_and_the_old_refresh_token_is_refused(
    fake: FakeX, client: XClient
) -> None:
    account = account_for(fake)
    old = dict(account.credentials)

    renewed = await client.refresh(account)

    assert renewed.credentials["refresh_token"] not in ("", old["refresh_token"])
    assert renewed.credentials["access_token"] != old["access_token"]
    assert renewed.credentials["username"] == "alice"
    assert renewed.credentials["user_id"] == old["user_id"]
    assert renewed.life.renewable and renewed.life.expires_at is not None
    assert fake.refreshes == 1

    # Single-use: a second refresh with the token just traded is refused for good.
    with pytest.raises(AuthPlatformError, match="Value passed for the token was invalid") as no:
        await client.refresh(account)
    assert old["refresh_token"] not in no.value.reason

    # The renewed credentials work: they publish and refresh again.
    account.credentials = renewed.credentials
    await client.publish(request_for(fake, account=account))
    again = await client.refresh(account)
    assert again.credentials["refresh_token"] != renewed.credentials["refresh_token"]
    assert fake.refreshes == 3


async def test_a_confidential_refresh_uses_basic_auth() -> None:
    with FakeX(client_secret=SECRET) as fake:
        client = client_for(fake, SECRET)
        try:
            await client.refresh(account_for(fake))
        finally:
            await client.aclose()
        assert [(c.grant_type, c.client_auth) for c in fake.token_calls] == [
            ("refresh_token", "basic")
        ]


async def test_a_revoked_refresh_token_is_an_auth_failure(fake: FakeX, client: XClient) -> None:
    account = account_for(fake)
    fake.revoke_refresh(account.credentials["refresh_token"])
    with pytest.raises(AuthPlatformError):
        await client.refresh(account)


async def test_no_refresh_token_held_is_an_auth_failure_without_a_call(
    fake: FakeX, client: XClient
) -> None:
    account = account_for(fake, scopes="tweet.read tweet.write users.read media.write")
    with pytest.raises(AuthPlatformError, match="no refresh token"):
        await client.refresh(account)
    assert fake.token_calls == []


async def test_a_token_endpoint_in_trouble_is_transient(fake: FakeX, client: XClient) -> None:
    fake.fail_next("token", 503, body={"error": "temporarily_unavailable"})
    with pytest.raises(TransientPlatformError):
        await client.refresh(account_for(fake))


async def test_the_expiry_follows_expires_in(fake: FakeX, client: XClient) -> None:
    fake.expires_in = 60
    moment = datetime(2026, 1, 16, 12, 0, tzinfo=UTC)
    fixed = client_for(fake, now=lambda: moment)
    try:
        renewed = await fixed.refresh(account_for(fake))
    finally:
        await fixed.aclose()
    assert renewed.life.expires_at == moment + timedelta(seconds=60)


# --- publishing ----------------------------------------------------------------------


async def test_text_is_published_with_its_url_and_quota(fake: FakeX, client: XClient) -> None:
    request = request_for(fake, "Hello from the X API!")

    result = await client.publish(request)

    (tweet,) = fake.tweets
    assert tweet.text == "Hello from the X API!"
    assert tweet.media_ids == []
    assert result.external_id == tweet.id
    assert result.url == f"https://x.com/alice/status/{tweet.id}"
    assert result.quota is not None
    assert result.quota.remaining == fake.tweet_limit - 1
    assert result.quota.resets_at == datetime.fromtimestamp(fake.rate_reset("alice"), UTC)
    assert [r for r in fake.requests if r[1].startswith("/2/media")] == []


async def test_an_image_is_uploaded_in_one_segment_with_its_alt_text(
    fake: FakeX, client: XClient, tmp_path: Path
) -> None:
    image = png(tmp_path, alt="A pink square")

    result = await client.publish(request_for(fake, "Photo of the day!", files=[image]))

    (tweet,) = fake.tweets
    (media,) = fake.media
    assert result.external_id == tweet.id
    assert tweet.media_ids == [media.id]
    assert media.alt == "A pink square"
    assert media.category == "tweet_image"
    assert media.media_type == "image/png"
    assert media.data == Path(image.path).read_bytes()
    assert list(media.segments) == [0]
    assert ("GET", "/2/media/upload") not in fake.requests


async def test_without_alt_text_no_metadata_is_sent(
    fake: FakeX, client: XClient, tmp_path: Path
) -> None:
    await client.publish(request_for(fake, "t", files=[png(tmp_path, alt="")]))
    assert fake.media[0].alt is None
    assert ("POST", "/2/media/metadata") not in fake.requests


async def test_a_video_is_polled_until_processed(
    fake: FakeX, client: XClient, tmp_path: Path
) -> None:
    fake.process_uploads(3, content_type_prefix="video/")

    await client.publish(request_for(fake, "A clip", files=[video(tmp_path)]))

    (media,) = fake.media
    assert media.category == "tweet_video"
    assert fake.tweets[0].media_ids == [media.id]
    # Three in_progress answers, then succeeded.
    assert fake.requests.count(("GET", "/2/media/upload")) == 4


async def test_a_gif_is_a_tweet_gif(fake: FakeX, client: XClient, tmp_path: Path) -> None:
    path = tmp_path / "anim"
    Image.new("RGB", (4, 4)).save(path, format="GIF")
    gif = MediaFile(str(path), "image/gif", path.stat().st_size, "sha")
    await client.publish(request_for(fake, "gif", files=[gif]))
    assert fake.media[0].category == "tweet_gif"


async def test_a_large_video_goes_in_chunks_of_at_most_4_mib(
    fake: FakeX, client: XClient, tmp_path: Path
) -> None:
    clip = video(tmp_path, size=2 * CHUNK_BYTES + 12345)

    await client.publish(request_for(fake, "A long clip", files=[clip]))

    (media,) = fake.media
    assert sorted(media.segments) == [0, 1, 2]
    assert all(len(chunk) <= CHUNK_BYTES for chunk in media.segments.values())
    assert media.data == Path(clip.path).read_bytes()
    assert media.total_bytes == clip.size


async def test_media_that_fails_processing_is_permanent(
    fake: FakeX, client: XClient, tmp_path: Path
) -> None:
    fake.process_uploads(1, fail=True)
    with pytest.raises(PermanentPlatformError, match="Unsupported video"):
        await client.publish(request_for(fake, "t", files=[video(tmp_path)]))
    assert fake.tweets == []


async def test_media_still_processing_after_every_check_is_transient(
    fake: FakeX, client: XClient, tmp_path: Path
) -> None:
    fake.process_uploads(10_000)
    with pytest.raises(TransientPlatformError, match="still processing"):
        await client.publish(request_for(fake, "t", files=[video(tmp_path)]))
    assert fake.tweets == []


async def test_a_file_x_does_not_take_is_refused_before_any_call(
    fake: FakeX, client: XClient, tmp_path: Path
) -> None:
    path = tmp_path / "notes"
    path.write_text("not media")
    with pytest.raises(PermanentPlatformError, match="text/plain"):
        await client.publish(
            request_for(fake, "t", files=[MediaFile(str(path), "text/plain", 9, "x")])
        )
    assert fake.requests == []


async def test_a_missing_file_is_permanent(fake: FakeX, client: XClient, tmp_path: Path) -> None:
    gone = MediaFile(str(tmp_path / "gone"), "image/png", 10, "x")
    with pytest.raises(PermanentPlatformError, match="is gone"):
        await client.publish(request_for(fake, "t", files=[gone]))


async def test_without_a_username_the_url_is_xs_own(fake: FakeX, client: XClient) -> None:
    account = account_for(fake)
    del account.credentials["username"]
    result = await client.publish(request_for(fake, account=account))
    assert result.url == f"https://x.com/i/web/status/{result.external_id}"


async def test_text_of_exactly_280_is_published_and_281_is_refused(
    fake: FakeX, client: XClient
) -> None:
    await client.publish(request_for(fake, "a" * 280))
    with pytest.raises(PermanentPlatformError, match="too long"):
        await client.publish(request_for(fake, "a" * 281))
    assert len(fake.tweets) == 1


# --- refusals ------------------------------------------------------------------------


async def test_an_expired_token_is_an_auth_failure_without_the_token_in_the_reason(
    fake: FakeX, client: XClient
) -> None:
    request = request_for(fake)
    token = request.account.credentials["access_token"]
    fake.expire(token)
    with pytest.raises(AuthPlatformError, match="X refused the token: Unauthorized") as refused:
        await client.publish(request)
    assert token not in refused.value.reason
    assert token not in str(refused.value)
    assert fake.tweets == []


async def test_no_token_held_is_an_auth_failure_without_a_call(
    fake: FakeX, client: XClient
) -> None:
    account = account_for(fake)
    account.credentials["access_token"] = ""
    with pytest.raises(AuthPlatformError):
        await client.publish(request_for(fake, account=account))
    assert fake.requests == []


async def test_duplicate_content_is_permanent_with_xs_detail(fake: FakeX, client: XClient) -> None:
    account = account_for(fake)
    await client.publish(request_for(fake, "same words", account=account))
    with pytest.raises(PermanentPlatformError, match="duplicate content") as refused:
        await client.publish(request_for(fake, "same words", account=account))
    assert not isinstance(refused.value, AuthPlatformError)


async def test_a_missing_scope_is_permanent_not_auth(
    fake: FakeX, client: XClient, tmp_path: Path
) -> None:
    account = account_for(fake, scopes="tweet.read tweet.write users.read offline.access")
    with pytest.raises(PermanentPlatformError, match="required scopes: media.write") as refused:
        await client.publish(request_for(fake, "t", account=account, files=[png(tmp_path)]))
    assert not isinstance(refused.value, AuthPlatformError)


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (
            400,
            {
                "errors": [{"message": "Your media IDs are invalid."}],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
            },
            "Your media IDs are invalid.",
        ),
        (422, {"title": "Unprocessable Entity", "detail": "Nope"}, "Nope"),
        (403, {"title": "Forbidden", "detail": "You are not permitted"}, "You are not permitted"),
        (404, None, "Not Found"),
    ],
)
async def test_refusals_are_permanent_with_xs_words(
    fake: FakeX, client: XClient, status: int, body: dict[str, object] | None, said: str
) -> None:
    fake.fail_next("tweets", status, body=body)
    with pytest.raises(PermanentPlatformError) as refused:
        await client.publish(request_for(fake))
    assert not isinstance(refused.value, AuthPlatformError)
    assert said in refused.value.reason


async def test_a_401_from_any_step_is_an_auth_failure(
    fake: FakeX, client: XClient, tmp_path: Path
) -> None:
    fake.fail_next("media_initialize", 401)
    with pytest.raises(AuthPlatformError):
        await client.publish(request_for(fake, "t", files=[png(tmp_path)]))


async def test_the_rate_limit_waits_until_xs_reset() -> None:
    limited = FakeX(tweet_limit=1)
    with limited:
        reset = limited.rate_reset("alice")
        client = client_for(limited, now=lambda: datetime.fromtimestamp(reset - 120, UTC))
        try:
            account = account_for(limited)
            first = await client.publish(request_for(limited, "one", account=account))
            with pytest.raises(TransientPlatformError, match="Rate limit exceeded") as told:
                await client.publish(request_for(limited, "two", account=account))
        finally:
            await client.aclose()
        assert first.quota is not None and first.quota.remaining == 0
        assert told.value.rate_limited
        assert told.value.retry_after == 120.0
        assert len(limited.tweets) == 1


async def test_a_429_without_a_reset_waits_as_retry_after_says(
    fake: FakeX, client: XClient
) -> None:
    fake.fail_next("tweets", 429, headers={"Retry-After": "42"})
    with pytest.raises(TransientPlatformError) as told:
        await client.publish(request_for(fake))
    assert told.value.rate_limited
    assert told.value.retry_after == 42.0


async def test_a_reset_in_the_past_waits_no_time(fake: FakeX, client: XClient) -> None:
    past = int(datetime.now(UTC).timestamp()) - 30
    fake.fail_next("tweets", 429, headers={"x-rate-limit-reset": str(past)})
    with pytest.raises(TransientPlatformError) as told:
        await client.publish(request_for(fake))
    assert told.value.retry_after == 0.0


@pytest.mark.parametrize("status", [408, 500, 502, 503])
async def test_server_trouble_is_transient_not_rate_limited(
    fake: FakeX, client: XClient, status: int
) -> None:
    fake.fail_next("tweets", status)
    with pytest.raises(TransientPlatformError) as told:
        await client.publish(request_for(fake))
    assert not told.value.rate_limited


async def test_trouble_during_an_upload_is_transient(
    fake: FakeX, client: XClient, tmp_path: Path
) -> None:
    fake.fail_next("media_append", 503)
    with pytest.raises(TransientPlatformError):
        await client.publish(request_for(fake, "t", files=[png(tmp_path)]))
    assert fake.tweets == []


async def test_a_slow_x_is_transient(fake: FakeX) -> None:
    client = client_for(fake, timeout=aiohttp.ClientTimeout(total=0.2))
    fake.timeout_next("tweets", 1.0)
    try:
        with pytest.raises(TransientPlatformError, match="did not answer /2/tweets"):
            await client.publish(request_for(fake))
    finally:
        await client.aclose()


async def test_x_unreachable_is_transient() -> None:
    with FakeX() as gone:
        client = client_for(gone)
    try:
        with pytest.raises(TransientPlatformError, match="did not answer"):
            await client.identify(TokenGrant("t"))
    finally:
        await client.aclose()


async def test_a_redirect_is_not_followed(fake: FakeX, client: XClient) -> None:
    fake.fail_next("tweets", 302, headers={"Location": "https://elsewhere.example/"})
    with pytest.raises(PermanentPlatformError, match="redirect"):
        await client.publish(request_for(fake))
    assert fake.tweets == []


async def test_no_reason_ever_holds_a_token(fake: FakeX, client: XClient, tmp_path: Path) -> None:
    account = account_for(fake)
    secrets = [account.credentials["access_token"], account.credentials["refresh_token"]]
    faults: list[Callable[[], None]] = [
        lambda: fake.fail_next("tweets", 401),
        lambda: fake.fail_next("tweets", 403),
        lambda: fake.fail_next("tweets", 400),
        lambda: fake.fail_next("tweets", 429),
        lambda: fake.fail_next("tweets", 500),
        lambda: fake.fail_next("media_finalize", 400),
    ]
    reasons: list[str] = []
    for fault in faults:
        fault()
        with pytest.raises(PlatformError) as refused:
            await client.publish(request_for(fake, "t", account=account, files=[png(tmp_path)]))
        reasons.append(refused.value.reason)
    fake.revoke_refresh(account.credentials["refresh_token"])
    with pytest.raises(PlatformError) as refused:
        await client.refresh(account)
    reasons.append(refused.value.reason)
    assert all(secret not in reason for secret in secrets for reason in reasons)


# --- length --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("hello", 5),
        ("https://example.com/a/very/long/path?with=query&and=more", 23),
        ("see https://x.com/p.", 4 + 23 + 1),
        ("example.com", 23),
        ("😀", 2),
        ("👩‍👩‍👧", 2),
        ("日本語", 6),
        ("한국", 4),
        ("é", 1),
        ("a" * 280, 280),
        ("a" * 281, 281),
        ("日" * 140, 280),
    ],
)
def test_x_length_weighs_as_x_does(text: str, length: int) -> None:
    assert x_length(text) == length
