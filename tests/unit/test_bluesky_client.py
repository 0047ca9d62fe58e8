"""The Bluesky client against a loopback PDS: images and facets, sessions renewed once
per account and saved before use, re-sends that look the record up first, error
classes (DESIGN §2) and connecting with an app password (§4a)."""

import asyncio
import re
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

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
from platforms.bluesky import (
    IMAGE_TYPES,
    MAX_IMAGE_BYTES,
    MAX_IMAGES,
    BlueskyClient,
    build_record,
    tid_for,
)
from tests.fake_bluesky import FakeBluesky
from tests.waiting import until

HANDLE = "alice.test"
PASSWORD = "abcd-efgh-ijkl-mnop"
CREATE = "com.atproto.repo.createRecord"
GET = "com.atproto.repo.getRecord"
UPLOAD = "com.atproto.repo.uploadBlob"
TID = r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$"


@dataclass
class Saver:
    """Records each save, and whether the PDS had seen the new access token by then."""

    fake: FakeBluesky
    saved: list[dict[str, str]] = field(default_factory=list)
    used_before_saved: list[bool] = field(default_factory=list)

    async def __call__(self, account_id: int, credentials: Mapping[str, str]) -> None:
        seen = {token for _, token in self.fake.requests}
        self.used_before_saved.append(credentials["access_jwt"] in seen)
        self.saved.append(dict(credentials))


@pytest.fixture
def fake() -> Iterator[FakeBluesky]:
    with FakeBluesky() as server:
        server.add_account(HANDLE, PASSWORD)
        server.add_account("bob.test", "bob-pass")
        yield server


@pytest.fixture
def saver(fake: FakeBluesky) -> Saver:
    return Saver(fake)


@pytest.fixture
async def client(saver: Saver) -> AsyncIterator[BlueskyClient]:
    made = BlueskyClient(saver, {"127.0.0.1"})
    yield made
    await made.aclose()


def account_of(credentials: Mapping[str, str], account_id: int = 7) -> SocialAccount:
    return SocialAccount(
        workspace_id=1,
        platform="bluesky",
        name=HANDLE,
        handle=HANDLE,
        id=account_id,
        credentials=dict(credentials),
    )


def request_for(
    account: SocialAccount, text: str = "Hello, sky", *, key: str = "entry-1", **more: object
) -> PublishRequest:
    return PublishRequest(account=account, text=text, idempotency_key=key, **more)  # type: ignore[arg-type]


def png(tmp_path: Path, *, alt: str = "A pink square", size: tuple[int, int] = (8, 6)) -> MediaFile:
    path = tmp_path / f"png-{size[0]}x{size[1]}"
    Image.new("RGB", size, (200, 40, 90)).save(path, format="PNG")
    data = path.read_bytes()
    return MediaFile(
        str(path), "image/png", len(data), "sha", alt=alt, width=size[0], height=size[1]
    )


# --- publishing ----------------------------------------------------------------------


async def test_text_and_an_image_make_one_post_with_embed_and_facets(
    fake: FakeBluesky, client: BlueskyClient, tmp_path: Path
) -> None:
    image = png(tmp_path)
    unnamed = png(tmp_path, alt="", size=(3, 4))
    text = "Launch 🚀 with @bob.test and @nobody.test at https://example.com/launch. #TryPost"
    account = account_of(fake.session(HANDLE))

    result = await client.publish(request_for(account, text, files=[image, unnamed]))

    (record,) = fake.records
    rkey = tid_for("entry-1")
    assert record.rkey == rkey
    assert result.external_id == record.uri == f"at://{record.did}/app.bsky.feed.post/{rkey}"
    assert result.url == f"https://bsky.app/profile/{HANDLE}/post/{rkey}"
    value = record.value
    assert value["$type"] == "app.bsky.feed.post"
    assert value["text"] == text
    assert value["createdAt"].endswith("Z")
    assert "langs" not in value
    embed = value["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    first, second = embed["images"]
    assert first["alt"] == "A pink square"
    assert first["aspectRatio"] == {"width": 8, "height": 6}
    assert second["alt"] == ""
    assert second["aspectRatio"] == {"width": 3, "height": 4}
    blobs = fake.blobs
    assert [b.data for b in blobs] == [
        Path(image.path).read_bytes(),
        Path(unnamed.path).read_bytes(),
    ]
    assert first["image"]["ref"]["$link"] == blobs[0].cid
    assert first["image"]["mimeType"] == "image/png"
    raw = text.encode()
    spans = {
        raw[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(): f["features"][0]
        for f in value["facets"]
    }
    bob = fake.session("bob.test")["did"]
    assert spans == {
        "@bob.test": {"$type": "app.bsky.richtext.facet#mention", "did": bob},
        "https://example.com/launch": {
            "$type": "app.bsky.richtext.facet#link",
            "uri": "https://example.com/launch",
        },
        "#TryPost": {"$type": "app.bsky.richtext.facet#tag", "tag": "TryPost"},
    }


async def test_a_text_only_post_has_no_embed(fake: FakeBluesky, client: BlueskyClient) -> None:
    await client.publish(request_for(account_of(fake.session(HANDLE)), "Just words"))
    (record,) = fake.records
    assert set(record.value) == {"$type", "text", "createdAt"}


async def test_three_hundred_graphemes_fit_and_one_more_does_not(
    fake: FakeBluesky, client: BlueskyClient
) -> None:
    account = account_of(fake.session(HANDLE))
    accented = "e\u0301"  # one grapheme, two code points
    await client.publish(request_for(account, accented * 300, key="fits"))
    assert len(fake.records) == 1

    with pytest.raises(PermanentPlatformError, match="301 characters; Bluesky takes 300"):
        await client.publish(request_for(account, accented * 301, key="long"))
    # 300 family emoji are 300 graphemes but 5,400 bytes: over the lexicon's 3,000.
    with pytest.raises(PermanentPlatformError, match="5,400 bytes"):
        await client.publish(request_for(account, "👩‍👩‍👧" * 300, key="heavy"))
    assert len(fake.records) == 1
    assert fake.calls(CREATE) == 1


async def test_video_too_many_and_too_large_images_are_refused_before_any_call(
    fake: FakeBluesky, client: BlueskyClient, tmp_path: Path
) -> None:
    account = account_of(fake.session(HANDLE))
    video = tmp_path / "clip"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    clip = MediaFile(str(video), "video/mp4", 12, "v")
    big = tmp_path / "big"
    big.write_bytes(b"\x89PNG" + b"\x00" * MAX_IMAGE_BYTES)
    heavy = MediaFile(str(big), "image/png", MAX_IMAGE_BYTES + 4, "b")

    with pytest.raises(PermanentPlatformError, match="video is not supported"):
        await client.publish(request_for(account, files=[clip]))
    with pytest.raises(PermanentPlatformError, match="at most 4 images"):
        await client.publish(request_for(account, files=[png(tmp_path)] * (MAX_IMAGES + 1)))
    with pytest.raises(PermanentPlatformError, match="at most 1,000,000 bytes"):
        await client.publish(request_for(account, files=[heavy]))
    assert fake.requests == []
    assert {"image/jpeg", "image/png", "image/gif", "image/webp"} == IMAGE_TYPES


async def test_a_repeat_in_this_process_finds_the_post_instead_of_posting_again(
    fake: FakeBluesky, client: BlueskyClient
) -> None:
    account = account_of(fake.session(HANDLE))
    first = await client.publish(request_for(account))
    again = await client.publish(request_for(account))

    assert again == first
    assert len(fake.records) == 1
    assert fake.calls(CREATE) == 1
    assert fake.calls(GET) == 1


async def test_another_process_resending_finds_the_post_the_first_one_made(
    fake: FakeBluesky, client: BlueskyClient, saver: Saver
) -> None:
    account = account_of(fake.session(HANDLE))
    first = await client.publish(request_for(account))
    # A fresh process knows nothing of the first send: the PDS refuses the taken rkey
    # (with a 500, as the reference PDS does) and the lookup finds the post.
    other = BlueskyClient(saver, {"127.0.0.1"})
    try:
        again = await other.publish(request_for(account))
    finally:
        await other.aclose()

    assert again == first
    assert len(fake.records) == 1


async def test_another_entry_is_another_post(fake: FakeBluesky, client: BlueskyClient) -> None:
    account = account_of(fake.session(HANDLE))
    await client.publish(request_for(account, "one", key="entry-1"))
    await client.publish(request_for(account, "two", key="entry-2"))
    assert [r.value["text"] for r in fake.records] == ["one", "two"]
    assert fake.records[0].rkey != fake.records[1].rkey


# --- sessions ------------------------------------------------------------------------


async def test_two_publishes_needing_a_refresh_refresh_once_and_save_before_use(
    fake: FakeBluesky, client: BlueskyClient, saver: Saver
) -> None:
    stale = fake.session(HANDLE)
    fake.expire_access_tokens()
    account = account_of(stale)

    results = await asyncio.gather(
        client.publish(request_for(account, "one", key="entry-1")),
        client.publish(request_for(account, "two", key="entry-2")),
    )

    assert len(results) == 2
    assert sorted(r.value["text"] for r in fake.records) == ["one", "two"]
    assert fake.refreshes == 1
    (saved,) = saver.saved
    assert saver.used_before_saved == [False]
    assert saved["access_jwt"] != stale["access_jwt"]
    assert saved["refresh_jwt"] != stale["refresh_jwt"]
    assert {k: saved[k] for k in ("pds", "did", "handle", "app_password")} == {
        k: stale[k] for k in ("pds", "did", "handle", "app_password")
    }
    creates = [token for nsid, token in fake.requests if nsid == CREATE]
    assert creates.count(saved["access_jwt"]) == 2

    # A request loaded before the refresh still carries the old tokens: the client
    # uses the session it renewed rather than refreshing again.
    await client.publish(request_for(account, "three", key="entry-3"))
    assert fake.refreshes == 1
    assert len(fake.records) == 3


async def test_a_reconnected_account_brings_tokens_that_replace_the_cached_ones(
    fake: FakeBluesky, client: BlueskyClient
) -> None:
    await client.publish(request_for(account_of(fake.session(HANDLE)), "one", key="entry-1"))
    fresh = fake.session(HANDLE)
    await client.publish(request_for(account_of(fresh), "two", key="entry-2"))
    assert [t for nsid, t in fake.requests if nsid == CREATE][-1] == fresh["access_jwt"]


async def test_a_dead_refresh_token_falls_back_to_the_app_password(
    fake: FakeBluesky, client: BlueskyClient, saver: Saver
) -> None:
    stale = fake.session(HANDLE)
    fake.expire_access_tokens()
    fake.expire_refresh_tokens()

    await client.publish(request_for(account_of(stale)))

    assert len(fake.records) == 1
    assert fake.refreshes == 1
    assert fake.sessions_created == 1
    (saved,) = saver.saved
    assert saved["access_jwt"] not in (stale["access_jwt"], "")
    assert saver.used_before_saved == [False]


async def test_a_session_with_only_the_app_password_signs_in_first(
    fake: FakeBluesky, client: BlueskyClient, saver: Saver
) -> None:
    credentials = {**fake.session(HANDLE), "access_jwt": "", "refresh_jwt": ""}
    await client.publish(request_for(account_of(credentials)))
    assert len(fake.records) == 1
    assert fake.sessions_created == 1
    assert len(saver.saved) == 1


async def test_a_revoked_app_password_is_an_auth_failure_without_secrets_in_the_reason(
    fake: FakeBluesky, client: BlueskyClient
) -> None:
    credentials = fake.session(HANDLE)
    fake.revoke(HANDLE)

    with pytest.raises(AuthPlatformError, match="reconnect") as refused:
        await client.publish(request_for(account_of(credentials)))

    for secret in (credentials["access_jwt"], credentials["refresh_jwt"], PASSWORD):
        assert secret not in refused.value.reason
    assert fake.records == []


async def test_an_invalid_token_is_an_auth_failure(
    fake: FakeBluesky, client: BlueskyClient
) -> None:
    fake.fail_next(
        CREATE, 400, body={"error": "InvalidToken", "message": "Token could not be verified"}
    )
    with pytest.raises(AuthPlatformError, match="Token could not be verified"):
        await client.publish(request_for(account_of(fake.session(HANDLE))))
    assert fake.refreshes == 0


async def test_a_token_still_expired_after_renewal_is_an_auth_failure_not_a_loop(
    fake: FakeBluesky, client: BlueskyClient
) -> None:
    fake.fail_next(
        CREATE, 400, body={"error": "ExpiredToken", "message": "Token has expired"}, times=2
    )
    with pytest.raises(AuthPlatformError, match="Token has expired"):
        await client.publish(request_for(account_of(fake.session(HANDLE))))
    assert fake.refreshes == 1


async def test_an_unsaved_renewal_is_never_used(fake: FakeBluesky) -> None:
    async def broken(account_id: int, credentials: Mapping[str, str]) -> None:
        raise OSError("the database is gone")

    client = BlueskyClient(broken, {"127.0.0.1"})
    stale = fake.session(HANDLE)
    fake.expire_access_tokens()
    try:
        with pytest.raises(TransientPlatformError, match="could not be saved"):
            await client.publish(request_for(account_of(stale)))
    finally:
        await client.aclose()
    creates = [token for nsid, token in fake.requests if nsid == CREATE]
    assert creates == [stale["access_jwt"]]
    assert fake.records == []


async def test_authentication_required_is_an_auth_failure(
    fake: FakeBluesky, client: BlueskyClient
) -> None:
    fake.fail_next(CREATE, 401)
    with pytest.raises(AuthPlatformError, match="reconnect"):
        await client.publish(request_for(account_of(fake.session(HANDLE))))
    assert fake.refreshes == 0


# --- lost answers --------------------------------------------------------------------


async def test_a_connection_dropped_after_the_commit_is_reconciled_by_lookup(
    fake: FakeBluesky, client: BlueskyClient
) -> None:
    fake.drop_after_commit_next()

    result = await client.publish(request_for(account_of(fake.session(HANDLE))))

    (record,) = fake.records
    assert result.external_id == record.uri
    assert fake.calls(CREATE) == 1
    assert fake.calls(GET) == 1


async def test_a_lost_answer_that_cannot_be_checked_is_transient_then_the_retry_finds_it(
    fake: FakeBluesky, client: BlueskyClient
) -> None:
    account = account_of(fake.session(HANDLE))
    fake.drop_after_commit_next()
    fake.fail_next(GET, 503)

    with pytest.raises(TransientPlatformError, match="could not be checked"):
        await client.publish(request_for(account))
    assert len(fake.records) == 1

    result = await client.publish(request_for(account))
    assert result.external_id == fake.records[0].uri
    assert len(fake.records) == 1
    assert fake.calls(CREATE) == 1


async def test_a_resend_that_cannot_look_first_does_not_post(
    fake: FakeBluesky, client: BlueskyClient
) -> None:
    account = account_of(fake.session(HANDLE))
    fake.fail_next(CREATE, 503)
    with pytest.raises(TransientPlatformError):
        await client.publish(request_for(account))
    fake.fail_next(GET, 400, body={"error": "InvalidRequest", "message": "Something odd"})

    with pytest.raises(TransientPlatformError, match="Something odd"):
        await client.publish(request_for(account))
    assert fake.calls(CREATE) == 1
    assert fake.records == []


async def test_a_timeout_is_transient_and_the_retry_finds_what_the_slow_pds_made(
    fake: FakeBluesky, saver: Saver
) -> None:
    client = BlueskyClient(saver, {"127.0.0.1"}, timeout=aiohttp.ClientTimeout(total=0.5))
    account = account_of(fake.session(HANDLE))
    fake.timeout_next(CREATE, 1.5)
    try:
        with pytest.raises(TransientPlatformError, match="did not answer"):
            await client.publish(request_for(account))
        await until(lambda: fake.records, "the slow PDS to make the post")

        result = await client.publish(request_for(account))
    finally:
        await client.aclose()
    assert result.external_id == fake.records[0].uri
    assert len(fake.records) == 1
    assert fake.calls(CREATE) == 1


async def test_a_server_error_with_no_post_made_is_transient_and_the_retry_posts(
    fake: FakeBluesky, client: BlueskyClient
) -> None:
    account = account_of(fake.session(HANDLE))
    fake.fail_next(CREATE, 500)

    with pytest.raises(TransientPlatformError, match="HTTP 500"):
        await client.publish(request_for(account))
    assert fake.records == []

    await client.publish(request_for(account))
    assert len(fake.records) == 1
    # Each attempt asked first (or after) whether the post existed.
    assert fake.calls(GET) == 2


# --- error classes -------------------------------------------------------------------


async def test_rejected_content_is_permanent_with_the_platforms_message(
    fake: FakeBluesky, client: BlueskyClient
) -> None:
    message = "Invalid app.bsky.feed.post record: Record/langs/0 must be a valid language"
    fake.fail_next(CREATE, 400, body={"error": "InvalidRequest", "message": message})
    with pytest.raises(PermanentPlatformError) as refused:
        await client.publish(request_for(account_of(fake.session(HANDLE))))
    assert not isinstance(refused.value, AuthPlatformError)
    assert message in refused.value.reason


async def test_forbidden_is_permanent(
    fake: FakeBluesky, client: BlueskyClient, tmp_path: Path
) -> None:
    fake.fail_next(UPLOAD, 403, body={"error": "Forbidden", "message": "Account is suspended"})
    with pytest.raises(PermanentPlatformError, match="Account is suspended") as refused:
        await client.publish(request_for(account_of(fake.session(HANDLE)), files=[png(tmp_path)]))
    assert not isinstance(refused.value, AuthPlatformError)


async def test_a_429_waits_until_ratelimit_reset(fake: FakeBluesky, client: BlueskyClient) -> None:
    reset = int(time.time()) + 120
    fake.fail_next(CREATE, 429, headers={"RateLimit-Reset": str(reset), "RateLimit-Remaining": "0"})
    with pytest.raises(TransientPlatformError) as told:
        await client.publish(request_for(account_of(fake.session(HANDLE))))
    assert told.value.retry_after is not None
    assert 110 <= told.value.retry_after <= 121
    # Rate limited before the handler ran: nothing to look up.
    assert fake.calls(GET) == 0


async def test_a_429_with_retry_after_only(
    fake: FakeBluesky, client: BlueskyClient, tmp_path: Path
) -> None:
    fake.fail_next(UPLOAD, 429, headers={"Retry-After": "30"})
    with pytest.raises(TransientPlatformError) as told:
        await client.publish(request_for(account_of(fake.session(HANDLE)), files=[png(tmp_path)]))
    assert told.value.retry_after == 30.0


async def test_an_upload_server_error_is_transient(
    fake: FakeBluesky, client: BlueskyClient, tmp_path: Path
) -> None:
    fake.fail_next(UPLOAD, 502)
    with pytest.raises(TransientPlatformError, match="HTTP 502"):
        await client.publish(request_for(account_of(fake.session(HANDLE)), files=[png(tmp_path)]))
    assert fake.records == []


async def test_plain_http_to_a_host_that_is_not_loopback_is_refused(
    fake: FakeBluesky, saver: Saver
) -> None:
    client = BlueskyClient(saver, {"127.0.0.1", "pds.example"})
    credentials = {**fake.session(HANDLE), "pds": "http://pds.example"}
    try:
        with pytest.raises(PermanentPlatformError, match="must use https"):
            await client.publish(request_for(account_of(credentials)))
        with pytest.raises(PermanentPlatformError, match="must use https"):
            await client.login(HANDLE, PASSWORD, "http://pds.example", explicit_pds=True)
    finally:
        await client.aclose()
    assert [nsid for nsid, _ in fake.requests] == []


# --- connecting ----------------------------------------------------------------------


async def test_login_uses_the_pds_of_the_did_document(fake: FakeBluesky, saver: Saver) -> None:
    fake.did_doc_pds = "https://pds.example"
    client = BlueskyClient(saver, {"127.0.0.1", "pds.example"})
    try:
        identity = await client.login(f"@{HANDLE}", PASSWORD, fake.url)
    finally:
        await client.aclose()
    assert identity.name == identity.handle == HANDLE
    assert identity.max_chars == 300
    credentials = identity.credentials
    assert credentials["pds"] == "https://pds.example"
    assert credentials["did"] == fake.session(HANDLE)["did"]
    assert credentials["handle"] == HANDLE
    assert credentials["app_password"] == PASSWORD
    assert credentials["access_jwt"] and credentials["refresh_jwt"]
    assert saver.saved == []


async def test_login_at_an_explicit_pds_keeps_it(fake: FakeBluesky, saver: Saver) -> None:
    fake.did_doc_pds = "https://pds.example"
    client = BlueskyClient(saver, {"127.0.0.1", "pds.example"})
    try:
        identity = await client.login(HANDLE, PASSWORD, fake.url + "/", explicit_pds=True)
        # The session it made works for publishing at once.
        result = await client.publish(request_for(account_of(identity.credentials)))
    finally:
        await client.aclose()
    assert identity.credentials["pds"] == fake.url
    assert result.external_id == fake.records[0].uri


async def test_a_wrong_app_password_is_refused(fake: FakeBluesky, client: BlueskyClient) -> None:
    with pytest.raises(AuthPlatformError, match="refused that handle and app password"):
        await client.login(HANDLE, "wrong-pass", fake.url)


# --- records -------------------------------------------------------------------------


def test_the_rkey_is_a_valid_tid_that_depends_on_the_key_only() -> None:
    keys = [f"trypost-{n:024x}-{g}" for n in range(200) for g in range(3)]
    tids = [tid_for(key) for key in keys]
    assert all(len(tid) == 13 for tid in tids)
    assert all(re.match(TID, tid) for tid in tids)
    assert len(set(tids)) == len(tids)
    assert tids == [tid_for(key) for key in keys]


def test_a_tid_given_a_time_encodes_that_time() -> None:
    due = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    tid = tid_for("trypost-abc-0", due)
    alphabet = "234567abcdefghijklmnopqrstuvwxyz"
    value = 0
    for char in tid:
        value = value * 32 + alphabet.index(char)
    assert (value >> 10) // 1_000_000 == int(due.timestamp())
    assert tid == tid_for("trypost-abc-0", due)
    assert tid != tid_for("trypost-abc-1", due)


def test_langs_are_passed_only_when_given() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert build_record("hi", now) == {
        "$type": "app.bsky.feed.post",
        "text": "hi",
        "createdAt": "2026-01-02T03:04:05.678Z",
    }
    assert build_record("สวัสดี", now, langs=["th", "en-US"])["langs"] == ["th", "en-US"]
