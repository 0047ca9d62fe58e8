"""Key rotation against real databases (SQLite and PostgreSQL): store with key A, configure
"B,A", rotate, then B alone reads everything — account credentials, OAuth app secrets and
Slack tokens — while rows no key opens are left exactly as they were and reported."""

import asyncio
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from bot.cli import cli
from bot.slack import installations
from bot.slack.installations import EncryptedInstallationStore
from core.accounts import SocialAccount
from core.connecting import OAuthApp
from core.workspace import Workspace
from storage.crypto import CredentialCipher, CredentialsUnreadable
from storage.engine import session_factory
from storage.keys import (
    SLACK_SEALED_COLUMNS,
    SLACK_SEALED_PREFIX,
    RotationReport,
    Unrotated,
    rotate_credentials,
)
from storage.tables import SLACK_BOTS, SLACK_INSTALLATIONS, SocialAccountRow
from storage.uow import SqlUnitOfWorkFactory

A, B = "key A", "key B"
ACCOUNTS = 5
# Smaller than what is stored, so that rows span several batches (and transactions).
BATCH = 2
INSTALL = Installation(
    app_id="A1",
    team_id="T111",
    user_id="U1",
    bot_token="xoxb-111",
    bot_refresh_token="xoxe-111",
    user_token="xoxp-111",
    incoming_webhook_url="https://hooks.slack.com/services/T111/B1/secret",
)
# bot_token, bot_refresh_token, user_token, incoming_webhook_url in slack_installations;
# bot_token and bot_refresh_token in slack_bots.
INSTALL_TOKENS = 6


def test_storage_knows_how_the_slack_store_seals() -> None:
    """storage may not import the bot, so it repeats these; they must not drift apart."""
    assert SLACK_SEALED_PREFIX == installations._SEALED
    assert SLACK_SEALED_COLUMNS == installations._SECRETS


async def _store_everything(engine: AsyncEngine, secret: str) -> None:
    uow = SqlUnitOfWorkFactory(session_factory(engine), CredentialCipher(secret))
    async with uow() as tx:
        workspace = await tx.workspaces.add(Workspace(name="acme"))
        for n in range(ACCOUNTS):
            await tx.accounts.add(
                SocialAccount(
                    workspace.id, "mastodon", f"a{n}", f"@a{n}", credentials={"token": f"t{n}"}
                )
            )
        await tx.connects.add_app(
            OAuthApp("mastodon", "https://m.example", "https://bot/cb", "client", "shh")
        )
        await tx.commit()
    await _slack_store(engine, secret).async_save(INSTALL)


def _slack_store(engine: AsyncEngine, secret: str) -> EncryptedInstallationStore:
    return EncryptedInstallationStore("client-1", engine, CredentialCipher(secret))


async def _read_everything(engine: AsyncEngine, secret: str) -> None:
    """Everything stored opens with ``secret`` (and only what was stored)."""
    uow = SqlUnitOfWorkFactory(session_factory(engine), CredentialCipher(secret))
    async with uow() as tx:
        workspace = await tx.workspaces.by_name("acme")
        assert workspace is not None
        accounts = await tx.accounts.list(workspace.id)
        app = await tx.connects.app("mastodon", "https://m.example", "https://bot/cb")
    assert sorted(a.credentials["token"] for a in accounts) == [f"t{n}" for n in range(ACCOUNTS)]
    assert app is not None and app.client_secret == "shh"
    store = _slack_store(engine, secret)
    found = await store.async_find_installation(enterprise_id=None, team_id="T111")
    assert found is not None
    assert (found.bot_token, found.bot_refresh_token, found.user_token) == (
        "xoxb-111",
        "xoxe-111",
        "xoxp-111",
    )
    assert found.incoming_webhook_url == INSTALL.incoming_webhook_url
    bot = await store.async_find_bot(enterprise_id=None, team_id="T111")
    assert bot is not None and bot.bot_token == "xoxb-111"


async def test_after_rotation_the_new_key_alone_reads_everything(engine: AsyncEngine) -> None:
    await _store_everything(engine, A)

    report = await rotate_credentials(engine, CredentialCipher(f"{B},{A}"), batch_size=BATCH)

    assert report == RotationReport(ACCOUNTS, 1, INSTALL_TOKENS, ())
    assert report.complete
    await _read_everything(engine, B)
    with pytest.raises(CredentialsUnreadable):
        await _read_everything(engine, A)
    # A second run finds everything on the first key already and keeps it readable.
    again = await rotate_credentials(engine, CredentialCipher(B), batch_size=BATCH)
    assert again == report
    await _read_everything(engine, B)


async def test_a_row_no_key_opens_is_left_as_it_was_and_reported(engine: AsyncEngine) -> None:
    await _store_everything(engine, A)
    stranger = CredentialCipher("a key nobody configured").encrypt({"token": "lost"})
    async with engine.begin() as connection:
        await connection.execute(
            update(SocialAccountRow)
            .where(SocialAccountRow.name == "a3")
            .values(credentials_encrypted=stranger)
        )
        # One Slack token of the row unreadable: the whole row stays as it was.
        await connection.execute(
            update(SLACK_BOTS).values(bot_refresh_token=SLACK_SEALED_PREFIX + stranger)
        )
        stranded_id = await connection.scalar(
            select(SocialAccountRow.id).where(SocialAccountRow.name == "a3")
        )
        bot_before = (await connection.execute(select(SLACK_BOTS))).one()
    assert stranded_id is not None

    report = await rotate_credentials(engine, CredentialCipher(f"{B},{A}"), batch_size=BATCH)

    assert report.accounts == ACCOUNTS - 1 and report.oauth_apps == 1
    assert report.slack_tokens == INSTALL_TOKENS - 2
    assert not report.complete
    assert report.unrotated == (
        Unrotated("social_accounts", stranded_id, "no configured key opens it"),
        Unrotated("slack_bots", bot_before.id, "no configured key opens it"),
    )
    assert "lost" not in str(report) and stranger not in str(report)
    async with engine.connect() as connection:
        left = await connection.scalar(
            select(SocialAccountRow.credentials_encrypted).where(SocialAccountRow.id == stranded_id)
        )
        bot_after = (await connection.execute(select(SLACK_BOTS))).one()
    assert left == stranger
    assert bot_after == bot_before


async def test_plain_slack_values_from_before_sealing_stay_plain(engine: AsyncEngine) -> None:
    await _store_everything(engine, A)
    async with engine.begin() as connection:
        await connection.execute(
            update(SLACK_INSTALLATIONS).values(
                incoming_webhook_url="https://hooks.slack.com/old", user_token=None
            )
        )

    report = await rotate_credentials(engine, CredentialCipher(f"{B},{A}"))

    assert report.slack_tokens == INSTALL_TOKENS - 2 and report.complete
    async with engine.connect() as connection:
        row = (await connection.execute(select(SLACK_INSTALLATIONS))).one()
    assert row.incoming_webhook_url == "https://hooks.slack.com/old" and row.user_token is None
    assert row.bot_token.startswith(SLACK_SEALED_PREFIX)


class _Crash(Exception):
    pass


class _CrashingCipher(CredentialCipher):
    """Stops the rotation after a few values, the way a killed process would."""

    def __init__(self, secret: str, after: int) -> None:
        super().__init__(secret)
        self._left = after

    def rotate(self, token: str) -> str:
        if self._left == 0:
            raise _Crash
        self._left -= 1
        return super().rotate(token)


async def test_a_stopped_rotation_leaves_every_row_readable(engine: AsyncEngine) -> None:
    await _store_everything(engine, A)

    with pytest.raises(_Crash):
        await rotate_credentials(engine, _CrashingCipher(f"{B},{A}", after=3), batch_size=BATCH)

    # Old and new ciphertext side by side, all of it open while both keys are configured.
    async with engine.connect() as connection:
        sealed = (await connection.scalars(select(SocialAccountRow.credentials_encrypted))).all()
    on_b = [s for s in sealed if _opens(B, s)]
    on_a = [s for s in sealed if _opens(A, s)]
    assert len(on_b) == BATCH and len(on_a) == ACCOUNTS - BATCH, "the first batch committed"
    await _read_everything(engine, f"{B},{A}")
    # Running it again finishes the job.
    assert (await rotate_credentials(engine, CredentialCipher(f"{B},{A}"))).complete
    await _read_everything(engine, B)


def _opens(secret: str, token: str) -> bool:
    try:
        CredentialCipher(secret).decrypt(token)
    except CredentialsUnreadable:
        return False
    return True


def test_trypost_keys_rotate_reports_and_exits_1_on_unreadable_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command in-process (typer's runner); tests/integration/test_key_rotation.py
    runs it as a subprocess."""
    from storage.engine import create_engine_for
    from storage.migrate import upgrade_engine

    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    url = f"sqlite+aiosqlite:///{tmp_path / 'trypost.db'}"

    async def store() -> None:
        engine = create_engine_for(url)
        await upgrade_engine(engine)
        await _store_everything(engine, A)
        await engine.dispose()

    async def read() -> None:
        engine = create_engine_for(url)
        try:
            await _read_everything(engine, B)
        finally:
            await engine.dispose()

    # Sync: the command runs its own event loop, as from a shell.
    asyncio.run(store())
    env = {"TRYPOST_DATABASE_URL": url}
    runner = CliRunner()

    refused = runner.invoke(cli, ["keys", "rotate"], env={**env, "TRYPOST_SECRET_KEY": "C"})
    assert refused.exit_code == 1
    assert "re-encrypted 0 account credentials" in refused.output
    assert "social_accounts row 1: no configured key opens it" in refused.output
    assert "trypost: left as it was: slack_bots row 1" in refused.output

    done = runner.invoke(cli, ["keys", "rotate"], env={**env, "TRYPOST_SECRET_KEY": f"{B},{A}"})
    assert done.exit_code == 0, done.output
    assert (
        f"re-encrypted {ACCOUNTS} account credentials, 1 OAuth app secrets and "
        f"{INSTALL_TOKENS} Slack tokens with the first key of TRYPOST_SECRET_KEY"
    ) in done.output
    assert "you can now remove the other keys" in done.output
    assert A not in done.output and B not in done.output
    asyncio.run(read())

    blank = runner.invoke(cli, ["keys", "rotate"], env={**env, "TRYPOST_SECRET_KEY": " , "})
    assert blank.exit_code == 2
    assert "must not be empty" in blank.output


async def test_rotated_slack_rows_hold_no_plaintext_token(engine: AsyncEngine) -> None:
    await _store_everything(engine, A)
    await rotate_credentials(engine, CredentialCipher(f"{B},{A}"))
    async with engine.connect() as connection:
        dump = str((await connection.execute(text("SELECT * FROM slack_installations"))).all())
    assert "xoxb-111" not in dump and "hooks.slack.com" not in dump


async def test_credentials_renewed_during_rotation_are_not_overwritten(
    engine: AsyncEngine,
) -> None:
    """A process renewing a session (Bluesky) between the rotation's read and its write:
    the write must not put the stale credentials back."""
    from storage import keys

    await _store_everything(engine, A)
    async with engine.begin() as connection:
        row_id, stale = (
            await connection.execute(
                select(SocialAccountRow.id, SocialAccountRow.credentials_encrypted).where(
                    SocialAccountRow.name == "a0"
                )
            )
        ).one()
        renewed = CredentialCipher(A).encrypt({"token": "renewed"})
        await connection.execute(
            update(SocialAccountRow)
            .where(SocialAccountRow.id == row_id)
            .values(credentials_encrypted=renewed)
        )
        unrotated: list[Unrotated] = []
        accounts = keys._EVERYTHING[0]
        assert accounts.table.name == "social_accounts"
        rotated = await keys._rotate_row(
            connection, CredentialCipher(f"{B},{A}"), accounts, row_id, [stale], unrotated
        )
    assert rotated == 1 and unrotated == []
    async with engine.connect() as connection:
        now = await connection.scalar(
            select(SocialAccountRow.credentials_encrypted).where(SocialAccountRow.id == row_id)
        )
    assert now is not None and CredentialCipher(B).decrypt(now) == {"token": "renewed"}
