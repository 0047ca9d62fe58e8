"""Connected social accounts; credentials are encrypted on the way in, decrypted out."""

import builtins
from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import Select, Update, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.accounts import AccountStatus, SocialAccount
from core.ports import Renewal
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

    async def get_many(self, account_ids: Collection[int]) -> dict[int, SocialAccount]:
        if not account_ids:
            return {}
        stmt = select(SocialAccountRow).where(SocialAccountRow.id.in_(sorted(set(account_ids))))
        rows = await fresh_rows(self._session, stmt)
        return {row.id: account_from_row(row, self._cipher) for row in rows}

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
        return await self._changed(
            update(SocialAccountRow)
            .where(
                SocialAccountRow.id == account_id,
                SocialAccountRow.status == AccountStatus.CONNECTED.value,
            )
            .values(status=AccountStatus.DISCONNECTED.value)
        )

    async def set_credentials(self, account_id: int, credentials: Mapping[str, str]) -> None:
        await self._session.execute(
            update(SocialAccountRow)
            .where(SocialAccountRow.id == account_id)
            .values(credentials_encrypted=self._cipher.encrypt(dict(credentials)))
            .execution_options(**NO_SYNC)
        )

    async def expiring(
        self, before: datetime, limit: int, after_id: int = 0
    ) -> "builtins.list[SocialAccount]":
        stmt = (
            select(SocialAccountRow)
            .where(
                SocialAccountRow.id > after_id,
                SocialAccountRow.status == AccountStatus.CONNECTED.value,
                or_(
                    SocialAccountRow.token_expires_at <= before,
                    SocialAccountRow.token_renew_until <= before,
                ),
            )
            .order_by(SocialAccountRow.id)
            .limit(limit)
        )
        rows = await fresh_rows(self._session, stmt)
        return [account_from_row(row, self._cipher) for row in rows]

    async def take_refresh_lease(
        self, account_id: int, now: datetime, until: datetime, owner: str
    ) -> bool:
        lease = SocialAccountRow.refresh_lease_until
        return await self._changed(
            update(SocialAccountRow)
            .where(SocialAccountRow.id == account_id, or_(lease.is_(None), lease < now))
            .values(refresh_lease_until=until, refresh_lease_owner=owner)
        )

    async def save_renewal(
        self, account_id: int, renewal: Renewal, *, forget_warnings: bool
    ) -> None:
        warnings = {"expiry_warned_days": None} if forget_warnings else {}
        await self._session.execute(
            update(SocialAccountRow)
            .where(SocialAccountRow.id == account_id)
            .values(
                credentials_encrypted=self._cipher.encrypt(dict(renewal.credentials)),
                token_expires_at=renewal.life.expires_at,
                token_renewable=renewal.life.renewable,
                token_renew_until=renewal.life.renew_until,
                refresh_lease_until=None,
                refresh_lease_owner=None,
                **warnings,
            )
            .execution_options(**NO_SYNC)
        )

    async def release_refresh_lease(self, account_id: int, owner: str) -> None:
        await self._changed(
            update(SocialAccountRow)
            .where(SocialAccountRow.id == account_id, SocialAccountRow.refresh_lease_owner == owner)
            .values(refresh_lease_until=None, refresh_lease_owner=None)
        )

    async def end_renewal(self, account_id: int, owner: str) -> bool:
        return await self._changed(
            update(SocialAccountRow)
            .where(SocialAccountRow.id == account_id, SocialAccountRow.refresh_lease_owner == owner)
            .values(token_renewable=False, refresh_lease_until=None, refresh_lease_owner=None)
        )

    async def mark_warned(self, account_id: int, days: int) -> bool:
        warned = SocialAccountRow.expiry_warned_days
        return await self._changed(
            update(SocialAccountRow)
            .where(SocialAccountRow.id == account_id, or_(warned.is_(None), warned > days))
            .values(expiry_warned_days=days)
        )

    async def _changed(self, stmt: Update) -> bool:
        result = await self._session.execute(stmt.execution_options(**NO_SYNC))
        return bool(getattr(result, "rowcount", 0))

    async def remove(self, account_id: int) -> None:
        await self._session.execute(
            delete(SocialAccountRow)
            .where(SocialAccountRow.id == account_id)
            .execution_options(**NO_SYNC)
        )

    async def _one(self, stmt: Select[SocialAccountRow]) -> SocialAccount | None:
        row = await fresh_row(self._session, stmt)
        return account_from_row(row, self._cipher) if row else None
