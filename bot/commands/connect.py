"""Connecting real accounts from chat, and what a surface needs for it.

Mastodon answers with a one-time sign-in link to our web app (or takes a token made in
the instance's Development settings); Bluesky takes a handle and an app password,
typed on the console or, from Slack and Discord, in our web form so the password never
passes through chat. The platform calls themselves are the platform clients'.
"""

from dataclasses import dataclass, field

from bot.settings import Settings
from core.errors import ValidationFailed
from core.ports import ConnectedIdentity, CredentialSaver
from platforms.addresses import check_api_base
from platforms.bluesky import BlueskyClient
from platforms.mastodon import MastodonClient

DEFAULT_PDS = "https://bsky.social"
# Connected by sign-in links to our web app; LinkedIn and X arrive with their clients.
LINK_PLATFORMS = ("mastodon", "bluesky")


async def _no_save(account_id: int, credentials: object) -> None:
    """A login makes a new session; nothing is stored until the account is saved."""


@dataclass(frozen=True)
class Connect:
    """Where connect links point and which hosts typed addresses may reach."""

    public_url: str = "http://localhost:8000"
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Connect":
        return cls(settings.public_url, settings.private_hosts_allowed)

    def start_link(self, platform: str, token: str) -> str:
        return f"{self.public_url.rstrip('/')}/connect/{platform}/start?state={token}"

    def redirect_uri(self, platform: str) -> str:
        return f"{self.public_url.rstrip('/')}/connect/{platform}/callback"

    async def instance(self, url: str) -> str:
        return await check_api_base(url, self.allowed_hosts)

    async def mastodon_identity(self, instance: str, token: str) -> ConnectedIdentity:
        client = MastodonClient(self.allowed_hosts)
        try:
            return await client.identify(await self.instance(instance), token)
        finally:
            await client.aclose()

    async def bluesky_identity(
        self, handle: str, password: str, pds: str | None
    ) -> ConnectedIdentity:
        if not handle or not password:
            raise ValidationFailed("Give the handle and an app password.")
        base = await self.instance(pds or DEFAULT_PDS)
        saver: CredentialSaver = _no_save
        client = BlueskyClient(saver, self.allowed_hosts)
        try:
            return await client.login(handle, password, base, explicit_pds=pds is not None)
        finally:
            await client.aclose()
