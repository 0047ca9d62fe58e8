"""Slack installations in our database, with every token encrypted at rest.

slack_sdk's SQLAlchemy store keeps tokens in plain text; this store seals them with
the same key that protects social-account tokens before they reach a row, and opens
them on the way out.
"""

import copy
from collections.abc import Awaitable, Callable
from typing import TypeVar

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.crypto import CredentialCipher

_SEALED = "enc:"
_TOKENS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
T = TypeVar("T", Bot, Installation)


class EncryptedInstallationStore(AsyncSQLAlchemyInstallationStore):
    def __init__(
        self,
        client_id: str,
        engine: AsyncEngine,
        cipher: CredentialCipher,
        on_install: Callable[[Installation], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(client_id=client_id, engine=engine)
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
        return self._open(found) if found else None

    def _seal(self, item: T) -> T:
        sealed = copy.copy(item)
        for name in _TOKENS:
            value = getattr(sealed, name, None)
            # async_save hands its (already sealed) bot to async_save_bot: seal once.
            if isinstance(value, str) and value and not value.startswith(_SEALED):
                setattr(sealed, name, _SEALED + self._cipher.encrypt({"t": value}))
        return sealed

    def _open(self, item: T) -> T:
        opened = copy.copy(item)
        for name in _TOKENS:
            value = getattr(opened, name, None)
            if isinstance(value, str) and value.startswith(_SEALED):
                setattr(opened, name, self._cipher.decrypt(value[len(_SEALED) :])["t"])
        return opened
