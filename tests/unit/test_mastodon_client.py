"""The Mastodon client against a loopback instance: media, idempotent re-sends, error
classes (DESIGN §2), the OAuth connect helpers (§4a) and Mastodon's length rule."""

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
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
    PublishRequest,
    TransientPlatformError,
)
from core.text_length import mastodon_length as status_length
from platforms.mastodon import MEDIA_LIMITS, SCOPES, MastodonClient
from tests.fake_mastodon import FakeMastodon

REDIRECT = "https://trypost.example/connect/mastodon/callback"


@pytest.fixture
def fake() -> Iterator[FakeMastodon]:
    with FakeMastodon() as server:
        yield server


@pytest.fixture
async def client() -> AsyncIterator[MastodonClient]:
    made = MastodonClient({"127.0.0.1"}, poll_interval=0.01, processing_timeout=2)
    yield made
    await made.aclose()


def request_for(
    fake: FakeMastodon, text: str = "Hello, fediverse", *, token: str = "", key: str = "entry-1"
) -> PublishRequest:
    account = SocialAccount(
        workspace_id=1,
        platform="mastodon",
        name=f"@alice@{fake.authority}",
        handle=f"@alice@{fake.authority}",
        credentials={"instance": fake.url, "token": token or fake.add_token("alice")},
    )
    return PublishRequest(account=account, text=text, idempotency_key=key)


def png(tmp_path: Path) -> MediaFile:
    path = tmp_path / "5d41402abc4b2a76b9719d911017c592"
    Image.new("RGB", (8, 6), (200, 40, 90)).save(path, format="PNG")
    data = path.read_bytes()
    return MediaFile(str(path), "image/png", len(data), "sha", alt="A pink square", width=8)


# --- publishing ----------------------------------------------------------------------


async def test_text_and_an_image_are_published_once_the_upload_is_processed(
    fake: FakeMastodon, client: MastodonClient, tmp_path: Path
) -> None:
    fake.process_uploads(3)
    image = png(tmp_path)
    request = request_for(fake)
    request = PublishRequest(
        account=request.account, text="With a picture", idempotency_key="k", files=[image]
    )

    result = await client.publish(request)

    (status,) = fake.statuses
    assert result.external_id == status.id
    assert result.url == f"{fake.url}/@alice/{status.id}"
    assert status.text == "With a picture"
    assert status.visibility == "public"
    (media,) = fake.media
    assert status.media_ids == [media.id]
    assert media.data == Path(image.path).read_bytes()
    assert media.description == "A pink square"
    assert media.content_type == "image/png"
    # Named by hash in the store; the instance sees an extension matching the bytes.
    assert media.filename.endswith(".png")
    polls = [r for r in fake.requests if r == ("GET", f"/api/v1/media/{media.id}")]
    assert len(polls) == 4  # three 206 answers, then the 200 with a url


async def test_an_upload_still_processing_at_the_deadline_is_transient(
    fake: FakeMastodon, tmp_path: Path
) -> None:
    fake.process_uploads(1000)
    client = MastodonClient({"127.0.0.1"}, poll_interval=0.01, processing_timeout=0.1)
    request = request_for(fake)
    request = PublishRequest(account=request.account, text="t", files=[png(tmp_path)])
    try:
        with pytest.raises(TransientPlatformError, match="still processing"):
            await client.publish(request)
    finally:
        await client.aclose()
    assert fake.statuses == []


async def test_a_refused_upload_keeps_the_platforms_reason(
    fake: FakeMastodon, client: MastodonClient, tmp_path: Path
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not an image")
    request = request_for(fake)
    request = PublishRequest(
        account=request.account, text="t", files=[MediaFile(str(path), "text/plain", 12, "x")]
    )
    with pytest.raises(PermanentPlatformError, match="File content type is invalid"):
        await client.publish(request)


async def test_a_resend_after_a_crash_returns_the_first_status(
    fake: FakeMastodon, client: MastodonClient
) -> None:
    request = request_for(fake)

    first = await client.publish(request)
    # The worker died before recording the result; recovery sends the same entry again.
    again = await client.publish(request)

    assert again == first
    assert len(fake.statuses) == 1
    assert fake.statuses[0].idempotency_key == "entry-1"


async def test_a_connection_dropped_after_the_commit_is_transient_and_the_retry_is_the_same(
    fake: FakeMastodon, client: MastodonClient
) -> None:
    request = request_for(fake)
    fake.drop_after_commit_next()

    with pytest.raises(TransientPlatformError):
        await client.publish(request)
    assert len(fake.statuses) == 1  # made, though the answer was lost

    result = await client.publish(request)
    assert result.external_id == fake.statuses[0].id
    assert len(fake.statuses) == 1


async def test_another_entry_is_another_status(fake: FakeMastodon, client: MastodonClient) -> None:
    token = fake.add_token("alice")
    await client.publish(request_for(fake, "one", token=token, key="entry-1"))
    await client.publish(request_for(fake, "two", token=token, key="entry-2"))
    assert [s.text for s in fake.statuses] == ["one", "two"]


async def test_a_revoked_token_is_an_auth_failure_without_the_token_in_the_reason(
    fake: FakeMastodon, client: MastodonClient
) -> None:
    token = fake.add_token("alice")
    fake.revoke(token)
    with pytest.raises(AuthPlatformError, match="The access token was revoked") as refused:
        await client.publish(request_for(fake, token=token))
    assert token not in refused.value.reason
    assert fake.statuses == []


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (403, "This action is not allowed"),
        (422, "Validation failed: Text character limit of 500 exceeded"),
        (404, "Record not found"),
    ],
)
async def test_refusals_are_permanent_with_the_platforms_reason(
    fake: FakeMastodon, client: MastodonClient, status: int, message: str
) -> None:
    fake.fail_next("/api/v1/statuses", status, body={"error": message})
    with pytest.raises(PermanentPlatformError) as refused:
        await client.publish(request_for(fake))
    assert not isinstance(refused.value, AuthPlatformError)
    assert message in refused.value.reason


async def test_text_over_the_instances_limit_is_refused_by_the_instance(
    fake: FakeMastodon, client: MastodonClient
) -> None:
    with pytest.raises(PermanentPlatformError, match="character limit of 500 exceeded"):
        await client.publish(request_for(fake, "x" * 501))
    # A long link weighs 23, so this fits.
    await client.publish(request_for(fake, "x" * 470 + " https://example.com/" + "a" * 300))
    assert len(fake.statuses) == 1


async def test_a_429_waits_as_retry_after_says(fake: FakeMastodon, client: MastodonClient) -> None:
    fake.fail_next("statuses", 429, headers={"Retry-After": "42"})
    with pytest.raises(TransientPlatformError) as told:
        await client.publish(request_for(fake))
    assert told.value.retry_after == 42.0


async def test_a_429_with_an_http_date_waits_until_then(
    fake: FakeMastodon, client: MastodonClient
) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    fake.fail_next("statuses", 429, headers={"Retry-After": when})
    with pytest.raises(TransientPlatformError) as told:
        await client.publish(request_for(fake))
    assert told.value.retry_after is not None
    assert 85 <= told.value.retry_after <= 90


async def test_a_429_without_retry_after_waits_for_the_rate_limit_reset(
    fake: FakeMastodon, client: MastodonClient
) -> None:
    reset = (datetime.now(UTC) + timedelta(seconds=300)).isoformat(timespec="microseconds")
    fake.fail_next(
        "statuses",
        429,
        headers={"X-RateLimit-Reset": reset.replace("+00:00", "Z"), "X-RateLimit-Remaining": "0"},
    )
    with pytest.raises(TransientPlatformError) as told:
        await client.publish(request_for(fake))
    assert told.value.retry_after is not None
    assert 295 <= told.value.retry_after <= 300


async def test_a_reset_in_the_past_waits_no_time(
    fake: FakeMastodon, client: MastodonClient
) -> None:
    reset = (datetime.now(UTC) - timedelta(seconds=30)).isoformat()
    fake.fail_next("statuses", 429, headers={"X-RateLimit-Reset": reset})
    with pytest.raises(TransientPlatformError) as told:
        await client.publish(request_for(fake))
    assert told.value.retry_after == 0.0


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_transient(
    fake: FakeMastodon, client: MastodonClient, status: int
) -> None:
    fake.fail_next("statuses", status)
    with pytest.raises(TransientPlatformError):
        await client.publish(request_for(fake))


async def test_a_slow_instance_is_transient(fake: FakeMastodon) -> None:
    client = MastodonClient({"127.0.0.1"}, timeout=aiohttp.ClientTimeout(total=0.2))
    fake.timeout_next("statuses", 1.0)
    try:
        with pytest.raises(TransientPlatformError, match="did not answer"):
            await client.publish(request_for(fake))
    finally:
        await client.aclose()


async def test_plain_http_to_a_public_host_is_refused(client: MastodonClient) -> None:
    account = SocialAccount(
        1, "mastodon", "@a@x", "@a@x", credentials={"instance": "http://8.8.8.8", "token": "t"}
    )
    with pytest.raises(PermanentPlatformError, match="https"):
        await client.publish(PublishRequest(account=account, text="t"))


async def test_an_instance_the_operator_did_not_allow_is_refused(fake: FakeMastodon) -> None:
    client = MastodonClient(poll_interval=0.01)
    try:
        with pytest.raises(PermanentPlatformError, match="private or local"):
            await client.publish(request_for(fake))
    finally:
        await client.aclose()
    assert fake.requests == []


# --- connecting ----------------------------------------------------------------------


async def test_connecting_end_to_end(fake: FakeMastodon, client: MastodonClient) -> None:
    fake.max_characters = 1000
    client_id, secret = await client.register_app(fake.url + "/", REDIRECT)
    (app,) = fake.apps
    assert (app.name, app.client_id, app.client_secret) == ("TryPost", client_id, secret)
    assert app.redirect_uris == [REDIRECT]
    assert app.scopes == SCOPES.split()

    link = client.authorize_url(fake.url, client_id, REDIRECT, "st ate/1")
    query = parse_qs(urlsplit(link).query)
    assert query["scope"] == [SCOPES] and query["state"] == ["st ate/1"]
    async with (
        aiohttp.ClientSession() as browser,
        browser.get(link, allow_redirects=False) as consent,
    ):
        assert consent.status == 302
        back = urlsplit(consent.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == REDIRECT
    answer = parse_qs(back.query)
    assert answer["state"] == ["st ate/1"]

    token = await client.exchange_code(fake.url, client_id, secret, REDIRECT, answer["code"][0])
    identity = await client.identify(fake.url, token)

    assert identity.name == identity.handle == f"@alice@127.0.0.1:{fake.port}"
    assert identity.credentials == {"instance": fake.url, "token": token}
    assert identity.max_chars == 1000
    assert token not in repr(identity)
    # The token it got can post.
    await client.publish(request_for(fake, token=token))
    assert len(fake.statuses) == 1


async def test_a_spent_code_is_refused_with_the_platforms_description(
    fake: FakeMastodon, client: MastodonClient
) -> None:
    client_id, secret = await client.register_app(fake.url, REDIRECT)
    code = await _consent(client.authorize_url(fake.url, client_id, REDIRECT, "s"))
    await client.exchange_code(fake.url, client_id, secret, REDIRECT, code)
    with pytest.raises(PermanentPlatformError, match="authorization grant is invalid"):
        await client.exchange_code(fake.url, client_id, secret, REDIRECT, code)


async def test_a_wrong_client_secret_is_refused(fake: FakeMastodon, client: MastodonClient) -> None:
    client_id, _ = await client.register_app(fake.url, REDIRECT)
    code = await _consent(client.authorize_url(fake.url, client_id, REDIRECT, "s"))
    with pytest.raises(PermanentPlatformError, match="Client authentication failed") as refused:
        await client.exchange_code(fake.url, client_id, "wrong", REDIRECT, code)
    assert not isinstance(refused.value, AuthPlatformError)


async def test_identify_with_a_bad_token_is_an_auth_failure(
    fake: FakeMastodon, client: MastodonClient
) -> None:
    with pytest.raises(AuthPlatformError, match="the token was refused"):
        await client.identify(fake.url, "not-a-token")


async def test_an_instance_without_v2_has_the_stock_limit(
    fake: FakeMastodon, client: MastodonClient
) -> None:
    fake.fail_next("instance", 404)
    identity = await client.identify(fake.url, fake.add_token("bob"))
    assert identity.max_chars == 500
    assert identity.name == f"@bob@{fake.authority}"


async def _consent(link: str) -> str:
    async with aiohttp.ClientSession() as browser, browser.get(link, allow_redirects=False) as r:
        return parse_qs(urlsplit(r.headers["Location"]).query)["code"][0]


# --- length and limits ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("hello", 5),
        ("https://example.com/a/very/long/path?with=query", 23),
        ("see http://x.example/p.", 4 + 23 + 1),
        ("@a@b.c", 2),
        ("hi @alice@mastodon.social!", 3 + 6 + 1),
        ("@alice", 6),
        ("https://mastodon.social/@alice", 23),
        ("mail me: a@b.c", 14),
        ("👍", 1),
        ("👩‍👩‍👧 family", 8),
        ("é", 1),  # e + combining acute: one character to the member and to Mastodon
    ],
)
def test_status_length_counts_as_mastodon_does(text: str, length: int) -> None:
    assert status_length(text) == length


def test_media_limits_are_the_stock_instances() -> None:
    assert MEDIA_LIMITS.max_attachments == 4
    assert MEDIA_LIMITS.size_limit("image/png") == 16_777_216
    assert MEDIA_LIMITS.size_limit("video/mp4") == 103_809_024
    assert MEDIA_LIMITS.size_limit("application/pdf") is None
