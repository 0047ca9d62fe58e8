"""The bot client of a Slack workspace, for work that is not a reply (DMs, presence).

A workspace is known by its team id alone. Its bot is, in order: the single token
(token mode); the workspace's own installation, inside an Enterprise Grid org or not;
or the org-wide installation of the org the workspace belongs to. Which org that is,
Slack tells the org's bot (``auth.teams.list``: the workspaces it was granted); the
answer is kept, so the question is asked once per process, not once per DM.
"""

import logging
import time
from collections.abc import Callable

import aiohttp
from slack_sdk.errors import SlackClientError
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.gateway import make_client
from bot.slack.installations import EncryptedInstallationStore

log = logging.getLogger(__name__)

# A workspace no org claimed is asked about again after this long (it may be granted).
UNCLAIMED_FOR = 600.0


class TeamClients:
    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        store: EncryptedInstallationStore | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base_url = base_url
        self._token = token
        self._store = store
        self._monotonic = monotonic
        self._clients: dict[str, AsyncWebClient] = {}
        self._org_of: dict[str, str] = {}  # team id → enterprise id
        self._unclaimed: dict[str, float] = {}  # team id → ask again after

    async def __call__(self, team_id: str) -> AsyncWebClient | None:
        token = self._token
        if self._store is not None:
            bot = await self._store.async_find_team_bot(team_id) or await self._org_bot(team_id)
            token = bot.bot_token if bot else None
        return self.client(token) if token else None

    def client(self, token: str) -> AsyncWebClient:
        if token not in self._clients:
            self._clients[token] = make_client(token, self._base_url)
        return self._clients[token]

    async def _org_bot(self, team_id: str) -> Bot | None:
        assert self._store is not None
        if team_id not in self._org_of and self._unclaimed.get(team_id, 0.0) <= self._monotonic():
            for bot in await self._store.async_org_bots():
                for team in await self._teams_of(bot):
                    self._org_of[team] = str(bot.enterprise_id)
            if team_id not in self._org_of:
                self._unclaimed[team_id] = self._monotonic() + UNCLAIMED_FOR
        enterprise = self._org_of.get(team_id)
        if enterprise is None:
            return None
        return await self._store.async_find_bot(
            enterprise_id=enterprise, team_id=None, is_enterprise_install=True
        )

    async def _teams_of(self, bot: Bot) -> list[str]:
        """The workspaces an org-wide bot was granted, every page of them."""
        assert bot.bot_token is not None
        client, teams, cursor = self.client(bot.bot_token), [], None
        try:
            while True:
                page = await client.auth_teams_list(cursor=cursor, limit=200)
                teams += [str(t["id"]) for t in page.get("teams") or [] if t.get("id")]
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return teams
        except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as error:
            log.warning(
                "slack auth.teams.list failed",
                extra={"enterprise": bot.enterprise_id, "error": type(error).__name__},
            )
            return teams
