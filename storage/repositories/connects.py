"""Connect-link states and the OAuth apps registered on each server."""

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.connecting import ConnectState, OAuthApp
from core.ports import Duplicate
from storage.crypto import CredentialCipher
from storage.repositories._common import NO_SYNC, fresh_row
from storage.tables import ConnectStateRow, OAuthAppRow


class SqlConnectRepository:
    def __init__(self, session: AsyncSession, cipher: CredentialCipher) -> None:
        self._session = session
        self._cipher = cipher

    async def add_state(self, state: ConnectState) -> ConnectState:
        stmt = (
            insert(ConnectStateRow)
            .values(
                token_hash=state.token_hash,
                platform=state.platform,
                workspace_id=state.workspace_id,
                member_id=state.member_id,
                instance=state.instance,
                account_id=state.account_id,
                created_at=state.created_at,
                expires_at=state.expires_at,
                spent_at=state.spent_at,
                secret_encrypted=self._cipher.encrypt({"secret": state.secret})
                if state.secret
                else None,
            )
            .returning(ConnectStateRow.id)
        )
        state.id = (await self._session.execute(stmt)).scalar_one()
        return state

    async def state(self, token_hash: str) -> ConnectState | None:
        row = await fresh_row(
            self._session, select(ConnectStateRow).where(ConnectStateRow.token_hash == token_hash)
        )
        if row is None:
            return None
        return ConnectState(
            token_hash=row.token_hash,
            platform=row.platform,
            workspace_id=row.workspace_id,
            member_id=row.member_id,
            instance=row.instance,
            created_at=row.created_at,
            expires_at=row.expires_at,
            account_id=row.account_id,
            spent_at=row.spent_at,
            id=row.id,
            secret=self._cipher.decrypt(row.secret_encrypted).get("secret", "")
            if row.secret_encrypted
            else "",
        )

    async def spend(self, state_id: int, at: datetime) -> bool:
        result = await self._session.execute(
            update(ConnectStateRow)
            .where(ConnectStateRow.id == state_id, ConnectStateRow.spent_at.is_(None))
            .values(spent_at=at)
            .execution_options(**NO_SYNC)
        )
        return bool(getattr(result, "rowcount", 0))

    async def app(self, platform: str, instance: str, redirect_uri: str) -> OAuthApp | None:
        row = await fresh_row(
            self._session,
            select(OAuthAppRow).where(
                OAuthAppRow.platform == platform,
                OAuthAppRow.instance == instance,
                OAuthAppRow.redirect_uri == redirect_uri,
            ),
        )
        if row is None:
            return None
        secret = self._cipher.decrypt(row.client_secret_encrypted).get("secret", "")
        return OAuthApp(row.platform, row.instance, row.redirect_uri, row.client_id, secret)

    async def add_app(self, app: OAuthApp) -> None:
        try:
            async with self._session.begin_nested():
                await self._session.execute(
                    insert(OAuthAppRow).values(
                        platform=app.platform,
                        instance=app.instance,
                        redirect_uri=app.redirect_uri,
                        client_id=app.client_id,
                        client_secret_encrypted=self._cipher.encrypt({"secret": app.client_secret}),
                    )
                )
        except IntegrityError:
            raise Duplicate(f"{app.platform} app for {app.instance}") from None
