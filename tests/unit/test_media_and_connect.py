"""The media store's quota and notices, per-platform checks at schedule time, and
connect-link states (core use cases over the in-memory fakes)."""

import hashlib
from dataclasses import replace
from datetime import timedelta

import pytest

from core.errors import NotFound, ValidationFailed
from core.ports import ConnectedIdentity, MediaFacts
from core.usecases import connect
from core.usecases import posts as cases
from core.usecases.media import store_media
from core.usecases.posts import NewPost
from tests.unit.conftest import World


class MemoryFiles:
    """The bytes side of the media store; every file is told to be a PNG of ``size``."""

    def __init__(self) -> None:
        self.written: dict[str, bytes] = {}

    async def inspect(self, data: bytes) -> MediaFacts:
        return MediaFacts(hashlib.sha256(data).hexdigest(), "image/png", len(data), 4, 3)

    async def write(self, facts: MediaFacts, data: bytes) -> None:
        self.written[facts.sha256] = data

    def path(self, sha256: str) -> str:
        return f"/media/{sha256}"


def _with_store(world: World, quota: int) -> World:
    return replace(world, svc=replace(world.svc, media_files=MemoryFiles(), media_quota=quota))


async def test_owners_hear_at_80_and_95_percent_once_each_and_past_100_nothing_is_kept(
    world: World,
) -> None:
    w = _with_store(world, quota=1000)
    await store_media(w.svc, w.owner, "a.png", b"a" * 700)
    assert w.events("storage_limit") == []
    await store_media(w.svc, w.owner, "b.png", b"b" * 150)  # 850: past 80 %
    await store_media(w.svc, w.owner, "b.png", b"b" * 150)  # the same bytes: no new use
    await store_media(w.svc, w.owner, "c.png", b"c" * 100)  # 950: past 95 %
    assert [e.payload["percent"] for e in w.events("storage_limit")] == [80, 95]  # type: ignore[attr-defined]
    with pytest.raises(ValidationFailed, match="media storage is full"):
        await store_media(w.svc, w.owner, "d.png", b"d" * 51)
    files = w.svc.media_files
    assert isinstance(files, MemoryFiles) and len(files.written) == 3


async def test_media_a_platform_does_not_take_is_refused_at_schedule_time(world: World) -> None:
    w = _with_store(world, quota=10_000_000)
    big = await store_media(w.svc, w.owner, "big.png", b"x" * 1_500_000)
    await w.account("sky", "bluesky")
    with pytest.raises(ValidationFailed, match=r"Bluesky takes an image of at most 1\.0 MB"):
        await cases.schedule_post(
            w.svc, w.owner, NewPost("Hi", ("sky",), media=(big,), when="in 1 hour")
        )
    many = [await store_media(w.svc, w.owner, f"{n}.png", bytes([n]) * 10) for n in range(5)]
    with pytest.raises(ValidationFailed, match="at most 4 files"):
        await cases.schedule_post(
            w.svc, w.owner, NewPost("Hi", ("masto",), media=tuple(many), when="in 1 hour")
        )
    post = await cases.schedule_post(
        w.svc, w.owner, NewPost("Hi", ("masto",), media=(big,), when="in 1 hour")
    )
    assert post.number


async def test_mastodon_counts_links_as_23_and_an_instance_may_allow_more(world: World) -> None:
    link = "https://example.org/" + "a" * 600
    post = await cases.schedule_post(
        world.svc, world.owner, NewPost(f"See {link}", ("masto",), when="in 1 hour")
    )
    assert post.number, "a long link weighs 23"
    with pytest.raises(ValidationFailed, match="Mastodon allows 500"):
        await cases.schedule_post(
            world.svc, world.owner, NewPost("x" * 501, ("masto",), when="in 1 hour")
        )


async def test_a_connect_state_works_once_and_only_for_15_minutes(world: World) -> None:
    token = await connect.connect_link_state(world.svc, world.owner, "mastodon", "https://m.x")
    state = await connect.open_state(world.svc, token, "mastodon")
    assert await connect.open_state(world.svc, token, "mastodon") == state, "a GET spends nothing"
    with pytest.raises(NotFound):
        await connect.open_state(world.svc, token, "bluesky")
    with pytest.raises(NotFound):
        await connect.open_state(world.svc, token + "x", "mastodon")
    await connect.spend_state(world.svc, token, "mastodon")
    with pytest.raises(ValidationFailed, match="used already"):
        await connect.spend_state(world.svc, token, "mastodon")
    late = await connect.connect_link_state(world.svc, world.owner, "mastodon", "https://m.x")
    world.clock.advance(timedelta(minutes=16))
    with pytest.raises(ValidationFailed, match="older than 15 minutes"):
        await connect.open_state(world.svc, late, "mastodon")


async def test_connecting_the_same_account_again_reconnects_it_in_place(world: World) -> None:
    first = ConnectedIdentity("@a@m.x", "@a@m.x", {"token": "one"}, 800)
    account, again = await connect.save_connected(world.svc, world.owner, "mastodon", first)
    assert not again and account.char_limit == 800
    second = replace(first, credentials={"token": "two"})
    same, again = await connect.save_connected(world.svc, world.owner, "mastodon", second)
    assert again and same.id == account.id
    async with world.uow() as uow:
        stored = await uow.accounts.get(account.id)
    assert stored is not None and stored.credentials == {"token": "two"}
    with pytest.raises(ValidationFailed, match="already a Mastodon account"):
        await connect.save_connected(world.svc, world.owner, "bluesky", first)


async def test_a_reconnect_link_reconnects_its_account_even_after_a_rename(world: World) -> None:
    def x_identity(username: str, subject: str) -> ConnectedIdentity:
        credentials = {"access_token": f"t-{username}", "subject": subject}
        return ConnectedIdentity(f"@{username}", f"@{username}", credentials)

    account, _ = await connect.save_connected(world.svc, world.owner, "x", x_identity("acme", "42"))
    renamed = x_identity("acme_hq", "42")
    again, existed = await connect.save_connected(world.svc, world.owner, "x", renamed, account.id)
    assert existed and again.id == account.id and again.name == "@acme"
    assert again.credentials["access_token"] == "t-acme_hq"
    # Someone else's X account through the same link is a new account, not a takeover.
    other, existed = await connect.save_connected(
        world.svc, world.owner, "x", x_identity("rival", "7"), account.id
    )
    assert not existed and other.id != account.id
    async with world.uow() as uow:
        kept = await uow.accounts.get(account.id)
    assert kept is not None and kept.credentials["subject"] == "42"
