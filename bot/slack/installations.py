"""Slack installations in our database, with every token encrypted at rest.

slack_sdk's SQLAlchemy store keeps tokens (and the incoming webhook URL, which is a
credential too: anyone holding it can post) in plain text; this store seals them with
the same key that protects social-account tokens before they reach a row, and opens
them on the way out. Rows written before a field was sealed are read as they are.

Enterprise Grid: an org-wide installation is stored under the org's id with no team, and
serves every workspace of the org the admin granted it to. A workspace's own
installation wins over the org's.
"""

import copy
from collections.abc import Awaitable, Callable
from typing import TypeVar

import sqlalchemy
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import (
    AsyncSQLAlchemyInstallationStore,
    SQLAlchemyInstallationStore,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.slack.sdk_log import sdk_logger
from storage.crypto import CredentialCipher

_SEALED = "enc:"
_SECRETS = (
    "bot_token",
    "bot_refresh_token",
    "user_token",
    "user_refresh_token",
    "incoming_webhook_url",
)
T = TypeVar("T", Bot, Installation)


class EncryptedInstallationStore(AsyncSQLAlchemyInstallationStore):
    def __init__(
        self,
        client_id: str,
        engine: AsyncEngine,
        cipher: CredentialCipher,
        on_install: Callable[[Installation], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=sdk_logger())
        self._cipher = cipher
        self._on_install = on_install

    async def async_save(self, installation: Installation) -> None:
        await super().async_save(self._seal(installation))
        if self._on_install is not None:
            await self._on_install(installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await super().async_save_bot(self._seal(bot))

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        bot = await super().async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        if bot is None and _in_an_org(enterprise_id, team_id, is_enterprise_install):
            bot = await super().async_find_bot(
                enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True
            )
        return self._open(bot) if bot else None

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found = await super().async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        if found is None and _in_an_org(enterprise_id, team_id, is_enterprise_install):
            # Slack leaves is_enterprise_install out of some payloads of org-wide apps
            # (a button's, a workspace-level slash command's): the org's install serves.
            found = await super().async_find_installation(
                enterprise_id=enterprise_id,
                team_id=None,
                user_id=user_id,
                is_enterprise_install=True,
            )
        return self._open(found) if found else None

    async def async_find_team_bot(self, team_id: str) -> Bot | None:
        """The newest bot installed in this workspace itself, in an org or not (the
        caller knows the team, not always its org)."""
        c = self.bots.c
        query = (
            self.bots.select()
            .where(
                c.client_id == self.client_id,
                c.team_id == team_id,
                c.bot_token.is_not(None),
            )
            .order_by(sqlalchemy.desc(c.installed_at))
            .limit(1)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        return self._open(SQLAlchemyInstallationStore.build_bot_entity(row)) if row else None

    async def async_org_bots(self) -> list[Bot]:
        """The newest org-wide bot of each org."""
        c = self.bots.c
        query = (
            self.bots.select()
            .where(
                c.client_id == self.client_id,
                c.is_enterprise_install.is_(True),
                c.team_id.is_(None),
                c.bot_token.is_not(None),
            )
            .order_by(sqlalchemy.desc(c.installed_at))
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        newest: dict[str, Bot] = {}
        for row in rows:
            bot = SQLAlchemyInstallationStore.build_bot_entity(row)
            if bot.enterprise_id and bot.enterprise_id not in newest:
                newest[bot.enterprise_id] = self._open(bot)
        return list(newest.values())

    def _seal(self, item: T) -> T:
        sealed = copy.copy(item)
        for name in _SECRETS:
            value = getattr(sealed, name, None)
            # async_save hands its (already sealed) bot to async_save_bot: seal once.
            if isinstance(value, str) and value and not value.startswith(_SEALED):
                setattr(sealed, name, _SEALED + self._cipher.encrypt({"t": value}))
        return sealed

    def _open(self, item: T) -> T:
        opened = copy.copy(item)
        for name in _SECRETS:
            value = getattr(opened, name, None)
            if isinstance(value, str) and value.startswith(_SEALED):
                setattr(opened, name, self._cipher.decrypt(value[len(_SEALED) :])["t"])
        return opened


def _in_an_org(
    enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
) -> bool:
    """A workspace of a Grid org asked for by its own id: the org-wide install may serve."""
    return bool(enterprise_id) and bool(team_id) and not is_enterprise_install
