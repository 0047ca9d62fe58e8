"""Issue 13, faults: a ``trypost worker`` SIGKILLed mid-publish, then started again.

The platforms made the posts and the worker died before hearing back. After the
restart nothing is lost and nothing is posted twice, by the fakes' own counters:
Mastodon gets the same Idempotency-Key again and answers with the status it made;
X keeps no key, so its entry is not sent again but fails as interrupted, and the team
is told to look before retrying."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.accounts import SocialAccount, TokenLife
from core.posts import PlatformEntry, Post
from core.roles import Role
from core.states import PostStatus
from core.workspace import Member, Workspace
from storage.crypto import CredentialCipher
from storage.engine import create_engine_for, session_factory
from storage.migrate import upgrade_engine
from storage.uow import SqlUnitOfWorkFactory
from tests.e2e.console import console_env
from tests.fake_mastodon import FakeMastodon
from tests.fake_x import CLIENT_ID, FakeX
from tests.waiting import WITHIN

SECRET = "crash-test-secret"


async def _prepare(database: Path, masto: FakeMastodon, x: FakeX) -> None:
    engine = create_engine_for(f"sqlite+aiosqlite:///{database}")
    await upgrade_engine(engine)
    uow = SqlUnitOfWorkFactory(session_factory(engine), CredentialCipher(SECRET))
    now = datetime.now(UTC)
    async with uow() as tx:
        workspace = await tx.workspaces.add(Workspace(name="acme"))
        owner = await tx.members.add(Member(workspace.id, "olive", Role.OWNER))
        toot = await tx.accounts.add(
            SocialAccount(
                workspace.id,
                "mastodon",
                f"@alice@{masto.authority}",
                "@alice",
                credentials={"instance": masto.url, "token": masto.add_token("alice")},
                owner_member_id=owner.id,
            )  # fmt: skip
        )
        access, refresh = x.add_tokens("acme")
        tweeter = SocialAccount(workspace.id, "x", "@acme", "@acme", owner_member_id=owner.id,
                                credentials={"access_token": access, "refresh_token": refresh,
                                             "username": "acme"})  # fmt: skip
        tweeter.take_token(TokenLife(now + timedelta(hours=2), renewable=True))
        await tx.accounts.add(tweeter)
        await tx.posts.add(
            Post(
                workspace_id=workspace.id,
                author_id=owner.id,
                text="Launch!",
                number=1,
                status=PostStatus.SCHEDULED,
                scheduled_at=now - timedelta(seconds=5),
                created_at=now,
                updated_at=now,
                entries=[
                    PlatformEntry(toot.id, "mastodon", "mastodon_status"),
                    PlatformEntry(tweeter.id, "x", "x_post"),
                ],
            )  # fmt: skip
        )
        await tx.commit()
    await engine.dispose()


def _worker(tmp_path: Path, x: FakeX) -> "subprocess.Popen[str]":
    env = {
        **console_env(),
        "TRYPOST_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'trypost.db'}",
        "TRYPOST_SECRET_KEY": SECRET,
        "TRYPOST_ALLOW_PRIVATE_HOSTS": "127.0.0.1",
        "TRYPOST_SANDBOX_DIR": str(tmp_path / "sandbox"),
        "TRYPOST_MEDIA_DIR": str(tmp_path / "media"),
        "TRYPOST_OUTBOX_DIR": str(tmp_path / "outbox"),
        "X_CLIENT_ID": CLIENT_ID,
        "TRYPOST_X_API_URL": x.url,
        "TRYPOST_X_AUTH_URL": x.url,
        "TRYPOST_X_UPLOAD_URL": x.upload_url,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "worker"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _entries(database: Path) -> dict[str, tuple[str, str | None]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as connection:
        rows = connection.execute(
            "SELECT platform, status, error_message FROM platform_entries ORDER BY id"
        )
        return {platform: (status, error) for platform, status, error in rows}


def _final(entries: dict[str, tuple[str, str | None]]) -> bool:
    return all(status in ("published", "failed") for status, _ in entries.values())


def _wait(condition: object, what: str) -> None:
    deadline = time.monotonic() + WITHIN
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


async def test_a_worker_killed_mid_publish_loses_nothing_and_posts_nothing_twice(
    tmp_path: Path,
) -> None:
    database = tmp_path / "trypost.db"
    with FakeMastodon() as masto, FakeX() as x:
        await _prepare(database, masto, x)
        masto.hang_after_commit_next()
        x.hang_after_commit_next()

        first = _worker(tmp_path, x)
        try:
            _wait(lambda: len(masto.statuses) == 1 and len(x.tweets) == 1, "both posts made")
            assert set(_entries(database).values()) == {("publishing", None)}
        finally:
            os.kill(first.pid, signal.SIGKILL)
            first.wait(10)

        second = _worker(tmp_path, x)
        try:
            _wait(lambda: _final(_entries(database)), "recovered and finished after the restart")
            entries = _entries(database)
        finally:
            second.send_signal(signal.SIGTERM)
            _, stderr = second.communicate(timeout=30)
        assert second.returncode == 0, stderr

    assert len(masto.statuses) == 1, "the re-send with the same key got the first status"
    assert entries["mastodon"] == ("published", None)
    assert len(x.tweets) == 1, "X's entry was not sent again"
    status, error = entries["x"]
    assert status == "failed" and error and "interrupted" in error
    with sqlite3.connect(database) as connection:
        [(post_status,)] = connection.execute("SELECT status FROM posts")
        kinds = [row[0] for row in connection.execute("SELECT kind FROM domain_events")]
    assert post_status == "partially_published"
    assert kinds.count("entry_failed") == 1, "the team is told once"
