"""The sandbox platform writes real files and keeps its idempotency promise."""

import json
from pathlib import Path

import pytest

from core.accounts import SocialAccount
from core.ports import (
    AuthPlatformError,
    PermanentPlatformError,
    PublishRequest,
    TransientPlatformError,
)
from platforms.sandbox import SandboxClient


def request(mode: str = "ok", key: str = "trypost-entry-7-0") -> PublishRequest:
    account = SocialAccount(1, "sandbox", "brand", "@brand", credentials={"mode": mode})
    return PublishRequest(account, "Hello 👋", media=("a.png",), idempotency_key=key)


async def test_a_published_entry_is_a_json_file_with_a_file_url(tmp_path: Path) -> None:
    result = await SandboxClient(tmp_path).publish(request())
    path = tmp_path / "brand" / "trypost-entry-7-0.json"
    assert result.url == path.resolve().as_uri()
    record = json.loads(path.read_text(encoding="utf-8"))
    assert (record["text"], record["media"], record["handle"]) == ("Hello 👋", ["a.png"], "@brand")


async def test_the_same_key_never_posts_twice(tmp_path: Path) -> None:
    client = SandboxClient(tmp_path)
    first = await client.publish(request())
    again = await client.publish(request())
    assert first == again
    assert len(list(tmp_path.rglob("*.json"))) == 1


@pytest.mark.parametrize(
    ("mode", "error"),
    [("fail", PermanentPlatformError), ("auth-fail", AuthPlatformError)],
)
async def test_failing_modes_raise_the_matching_error(
    tmp_path: Path, mode: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await SandboxClient(tmp_path).publish(request(mode))
    assert not list(tmp_path.rglob("*.json"))


async def test_flaky_fails_once_then_publishes(tmp_path: Path) -> None:
    client = SandboxClient(tmp_path)
    with pytest.raises(TransientPlatformError):
        await client.publish(request("flaky"))
    assert (await client.publish(request("flaky"))).external_id == "trypost-entry-7-0"


async def test_slow_takes_its_time(tmp_path: Path) -> None:
    client = SandboxClient(tmp_path, slow_seconds=0.05)
    assert await client.publish(request("slow"))
