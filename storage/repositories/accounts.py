"""Connected social accounts; credentials are encrypted on the way in, decrypted out."""

from collections.abc import Mapping

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts import AccountStatus, SocialAccount
from storage.crypto import CredentialCipher
from storage.mapping import account_from_row, account_values
from storage.repositories._common import NO_SYNC, fresh_row, fresh_rows
from storage.tables import SocialAccountRow


class SqlAccountRepository:
    def __init__(self, session: AsyncSession, cipher: CredentialCipher) -> None:
        self._session = session
        self._cipher = cipher

    async def add(self, account: SocialAccount) -> SocialAccount:
        stmt = (
            insert(SocialAccountRow)
            .values(**account_values(account, self._cipher))
            .returning(SocialAccountRow.id)
        )
        account.id = (await self._session.execute(stmt)).scalar_one()
        return account

    async def get(self, account_id: int) -> SocialAccount | None:
        return await self._one(select(SocialAccountRow).where(SocialAccountRow.id == account_id))

    async def by_name(self, workspace_id: int, name: str) -> SocialAccount | None:
        """Names compare case-insensitively, as people type them."""
        return await self._one(
            select(SocialAccountRow)
            .where(
                SocialAccountRow.workspace_id == workspace_id,
                func.lower(SocialAccountRow.name) == name.lower(),
            )
            .order_by(SocialAccountRow.id)
        )

    async def list(self, workspace_id: int) -> list[SocialAccount]:
        stmt = (
            select(SocialAccountRow)
            .where(SocialAccountRow.workspace_id == workspace_id)
            .order_by(SocialAccountRow.id)
        )
        rows = await fresh_rows(self._session, stmt)
        return [account_from_row(row, self._cipher) for row in rows]

    async def update(self, account: SocialAccount) -> None:
        await self._session.execute(
            update(SocialAccountRow)
            .where(SocialAccountRow.id == account.id)
            .values(**account_values(account, self._cipher))
            .execution_options(**NO_SYNC)
        )

    async def mark_disconnected(self, account_id: int) -> bool:
        result = await self._session.execute(
            update(SocialAccountRow)
            .where(
                SocialAccountRow.id == account_id,
                SocialAccountRow.status == AccountStatus.CONNECTED.value,
            )
            .values(status=AccountStatus.DISCONNECTED.value)
            .execution_options(**NO_SYNC)
        )
        return bool(getattr(result, "rowcount", 0))

    async def set_credentials(self, account_id: int, credentials: Mapping[str, str]) -> None:
        await self._session.execute(
            update(SocialAccountRow)
            .where(SocialAccountRow.id == account_id)
            .values(credentials_encrypted=self._cipher.encrypt(dict(credentials)))
            .execution_options(**NO_SYNC)
        )

    async def remove(self, account_id: int) -> None:
        await self._session.execute(
            delete(SocialAccountRow)
            .where(SocialAccountRow.id == account_id)
            .execution_options(**NO_SYNC)
        )

    async def _one(self, stmt: Select[SocialAccountRow]) -> SocialAccount | None:
        row = await fresh_row(self._session, stmt)
        return account_from_row(row, self._cipher) if row else None
