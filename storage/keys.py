"""Key rotation: re-encrypt every stored secret with the first key of TRYPOST_SECRET_KEY.

What is sealed with the credential cipher, and where:

- ``social_accounts.credentials_encrypted``: every value is ciphertext;
- ``oauth_apps.client_secret_encrypted``: every value is ciphertext;
- the Slack tokens and incoming webhook URL in slack_sdk's ``slack_installations`` and
  ``slack_bots`` tables, sealed by ``bot.slack.installations`` as ``"enc:" + ciphertext``.
  Storage may not import the bot, so the prefix and the columns are repeated here; a test
  holds them equal to the bot's. Values without the prefix (rows written before a field
  was sealed, or empty) are plain text and left as they are.

Each row is rewritten on its own compare-and-set, in batches of one transaction each, so
a rotation stopped at any point leaves every row sealed with either the old key or the
first one, both readable while both are configured; running it again finishes the job.
A row that no configured key can open is left untouched and reported.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Column, Table, and_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.crypto import CredentialCipher, CredentialsUnreadable
from storage.tables import (
    SLACK_BOTS,
    SLACK_INSTALLATIONS,
    Base,
    OAuthAppRow,
    SocialAccountRow,
)

# bot/slack/installations.py: _SEALED and _SECRETS.
SLACK_SEALED_PREFIX = "enc:"
SLACK_SEALED_COLUMNS = (
    "bot_token",
    "bot_refresh_token",
    "user_token",
    "user_refresh_token",
    "incoming_webhook_url",
)
BATCH_SIZE = 200
# A row rewritten by a running process between our read and our write is read again;
# past this many tries in a row it is reported instead (running again picks it up).
_TRIES = 3


@dataclass(frozen=True)
class _Sealed:
    """Columns of one table holding ciphertext; ``prefix`` marks a sealed value."""

    kind: str
    table: Table
    columns: tuple[str, ...]
    prefix: str = ""


def _table_of(row: type[Base]) -> Table:
    table = row.__table__
    assert isinstance(table, Table)  # a declarative class maps to a Table
    return table


def _slack(table: Table) -> _Sealed:
    # slack_bots holds only the bot's tokens, slack_installations every sealed field.
    columns = tuple(name for name in SLACK_SEALED_COLUMNS if name in table.c)
    return _Sealed("slack", table, columns, SLACK_SEALED_PREFIX)


_EVERYTHING = (
    _Sealed("accounts", _table_of(SocialAccountRow), ("credentials_encrypted",)),
    _Sealed("oauth_apps", _table_of(OAuthAppRow), ("client_secret_encrypted",)),
    _slack(SLACK_INSTALLATIONS),
    _slack(SLACK_BOTS),
)


@dataclass(frozen=True)
class Unrotated:
    """A row left as it was; ``reason`` never quotes a value."""

    table: str
    row_id: int
    reason: str

    def __str__(self) -> str:
        return f"{self.table} row {self.row_id}: {self.reason}"


@dataclass(frozen=True)
class RotationReport:
    """Values re-encrypted (a Slack row may hold several tokens) and rows left as they were."""

    accounts: int
    oauth_apps: int
    slack_tokens: int
    unrotated: tuple[Unrotated, ...]

    @property
    def complete(self) -> bool:
        return not self.unrotated


async def rotate_credentials(
    engine: AsyncEngine, cipher: CredentialCipher, *, batch_size: int = BATCH_SIZE
) -> RotationReport:
    """Re-encrypt every sealed value in the database with the cipher's first key."""
    counts = dict.fromkeys(("accounts", "oauth_apps", "slack"), 0)
    unrotated: list[Unrotated] = []
    for sealed in _EVERYTHING:
        counts[sealed.kind] += await _rotate_table(engine, cipher, sealed, batch_size, unrotated)
    return RotationReport(
        counts["accounts"], counts["oauth_apps"], counts["slack"], tuple(unrotated)
    )


async def _rotate_table(
    engine: AsyncEngine,
    cipher: CredentialCipher,
    sealed: _Sealed,
    batch_size: int,
    unrotated: list[Unrotated],
) -> int:
    table = sealed.table
    key: Column[int] = table.c.id
    columns = [table.c[name] for name in sealed.columns]
    rotated = 0
    after: int | None = None
    while True:
        query = select(key, *columns).order_by(key).limit(batch_size)
        if after is not None:
            query = query.where(key > after)
        # One transaction per batch: short locks for the processes still running, and
        # every committed batch is progress kept if a later one fails.
        async with engine.begin() as connection:
            rows = (await connection.execute(query)).all()
            for row_id, *values in rows:
                rotated += await _rotate_row(connection, cipher, sealed, row_id, values, unrotated)
        if len(rows) < batch_size:
            return rotated
        after = rows[-1][0]


async def _rotate_row(
    connection: AsyncConnection,
    cipher: CredentialCipher,
    sealed: _Sealed,
    row_id: int,
    values: Sequence[object],
    unrotated: list[Unrotated],
) -> int:
    """How many of the row's values were re-encrypted."""
    table = sealed.table
    for _ in range(_TRIES):
        current = {
            name: value
            for name, value in zip(sealed.columns, values, strict=True)
            if isinstance(value, str) and value and value.startswith(sealed.prefix)
        }
        if not current:
            return 0
        try:
            fresh = {
                name: sealed.prefix + cipher.rotate(value[len(sealed.prefix) :])
                for name, value in current.items()
            }
        except CredentialsUnreadable:
            # Untouched, all its columns: half a row on a new key helps nobody.
            unrotated.append(Unrotated(table.name, row_id, "no configured key opens it"))
            return 0
        # Only if no process rewrote the row since we read it: ours would be stale.
        unchanged = [table.c[name] == value for name, value in current.items()]
        result = await connection.execute(
            update(table).where(table.c.id == row_id, and_(*unchanged)).values(fresh)
        )
        if result.rowcount == 1:
            return len(fresh)
        columns = [table.c[name] for name in sealed.columns]
        again = (await connection.execute(select(*columns).where(table.c.id == row_id))).first()
        if again is None:  # deleted meanwhile: nothing left to protect
            return 0
        values = list(again)
    unrotated.append(Unrotated(table.name, row_id, "kept changing while rotating"))
    return 0
