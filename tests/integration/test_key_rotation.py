"""Key rotation (issue 11, point 5): several comma-separated secrets, the first
encrypting and each decrypting; ``trypost keys rotate`` moves every stored token to the
first, after which the old secret can go."""

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import link_keys
from bot.email.links import BadLink, LinkSigner
from core.accounts import SocialAccount
from core.workspace import Workspace
from storage.crypto import CredentialCipher, CredentialsUnreadable
from storage.engine import create_engine_for, session_factory
from storage.migrate import upgrade_engine
from storage.tables import SocialAccountRow
from storage.uow import SqlUnitOfWorkFactory
from tests.e2e.console import console_env


def test_links_signed_before_a_rotation_still_open_and_new_ones_use_the_new_key() -> None:
    before = LinkSigner(link_keys("old-secret"), "https://bot.example")
    after = LinkSigner(link_keys("new-secret, old-secret"), "https://bot.example")
    alone = LinkSigner(link_keys("new-secret"), "https://bot.example")
    sent = before.unsubscribe_token(7, None)
    assert after.read_unsubscribe_token(sent).member_id == 7, "an old email's link"
    fresh = after.post_token(3, 4)
    assert alone.read_post_token(fresh).number == 4, "signed with the first key"
    with pytest.raises(BadLink):
        alone.read_unsubscribe_token(sent)


async def _database(path: Path, secret: str) -> None:
    engine = create_engine_for(f"sqlite+aiosqlite:///{path}")
    await upgrade_engine(engine)
    uow = SqlUnitOfWorkFactory(session_factory(engine), CredentialCipher(secret))
    async with uow() as tx:
        workspace = await tx.workspaces.add(Workspace(name="acme"))
        for n in range(3):
            await tx.accounts.add(
                SocialAccount(
                    workspace.id, "mastodon", f"a{n}", f"@a{n}", credentials={"t": f"{n}"}
                )
            )
        await tx.commit()
    await engine.dispose()


async def _read_all(path: Path, secret: str) -> list[dict[str, str]]:
    engine = create_engine_for(f"sqlite+aiosqlite:///{path}")
    cipher = CredentialCipher(secret)
    async with engine.connect() as connection:
        rows = (await connection.execute(select(SocialAccountRow.credentials_encrypted))).all()
    await engine.dispose()
    return [cipher.decrypt(row[0]) for row in rows]


def _rotate(path: Path, secret: str) -> subprocess.CompletedProcess[str]:
    env = {
        **console_env(),
        "TRYPOST_DATABASE_URL": f"sqlite+aiosqlite:///{path}",
        "TRYPOST_SECRET_KEY": secret,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "keys", "rotate"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


async def test_keys_rotate_moves_every_token_to_the_first_key(tmp_path: Path) -> None:
    db = tmp_path / "trypost.db"
    await _database(db, "old-secret")
    done = _rotate(db, "new-secret,old-secret")
    assert done.returncode == 0, done.stderr
    assert "re-encrypted 3 account credentials" in done.stdout
    assert "old-secret" not in done.stdout + done.stderr
    assert await _read_all(db, "new-secret") == [{"t": "0"}, {"t": "1"}, {"t": "2"}]
    with pytest.raises(CredentialsUnreadable):
        await _read_all(db, "old-secret")
    refused = _rotate(db, "other-secret")
    assert refused.returncode == 1 and "left as it was" in refused.stderr
    assert await _read_all(db, "new-secret") == [{"t": "0"}, {"t": "1"}, {"t": "2"}]
