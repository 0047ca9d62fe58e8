"""The sandbox platform: publishes to a local folder, for trying the bot and for tests.

Each account's ``mode`` credential decides how it behaves (``ok``, ``fail``,
``auth-fail``, ``flaky``, ``slow``), so a demo can show a partial publish or a
disconnected account without any real platform.
"""

import asyncio
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from core.ports import (
    AuthPlatformError,
    PermanentPlatformError,
    PublishRequest,
    PublishResult,
    TransientPlatformError,
)

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


class SandboxClient:
    def __init__(self, folder: Path, *, slow_seconds: float = 3.0) -> None:
        self._folder = folder
        self._slow = slow_seconds
        # Counts attempts per idempotency key so "flaky" fails once, then succeeds.
        self._attempts: dict[str, int] = {}

    async def publish(self, request: PublishRequest) -> PublishResult:
        mode = request.account.credentials.get("mode", "ok")
        key = _SAFE.sub("_", request.idempotency_key or f"unkeyed-{datetime.now(UTC):%s%f}")
        path = self._folder / _SAFE.sub("_", request.account.name) / f"{key}.json"
        if path.exists():
            # Same key, same post: the idempotency promise crash recovery relies on.
            return _result(path, json.loads(path.read_text(encoding="utf-8")))
        if mode == "fail":
            raise PermanentPlatformError("the sandbox was told to reject this account's posts")
        if mode == "auth-fail":
            raise AuthPlatformError("the sandbox token was revoked (simulated)")
        if mode == "flaky":
            self._attempts[key] = self._attempts.get(key, 0) + 1
            if self._attempts[key] == 1:
                raise TransientPlatformError("the sandbox is briefly unavailable (simulated 503)")
        if mode == "slow":
            await asyncio.sleep(self._slow)
        record = {
            "id": key,
            "account": request.account.name,
            "handle": request.account.handle,
            "text": request.text,
            "media": list(request.media),
            "labels": list(request.labels),
            "published_at": datetime.now(UTC).isoformat(),
        }
        await asyncio.to_thread(_write, path, record)
        return _result(path, record)


def _write(path: Path, record: Mapping[str, object]) -> None:
    """Written whole or not at all: a full disk leaves no half post behind."""
    temporary = path.with_suffix(".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8")
        temporary.replace(path)
    except OSError as failed:
        temporary.unlink(missing_ok=True)
        why = failed.strerror or type(failed).__name__
        raise PermanentPlatformError(
            f"the sandbox folder could not be written ({why}); retry once there is room"
        ) from None


def _result(path: Path, record: Mapping[str, object]) -> PublishResult:
    return PublishResult(external_id=str(record["id"]), url=path.resolve().as_uri())
