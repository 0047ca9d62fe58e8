"""Connecting real accounts from chat, and what a surface needs for it.

Mastodon answers with a one-time sign-in link to our web app (or takes a token made in
the instance's Development settings); Bluesky takes a handle and an app password,
typed on the console or, from Slack and Discord, in our web form so the password never
passes through chat; LinkedIn and X answer with a sign-in link through the OAuth app the
operator registered. The platform calls themselves are the platform clients'.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.settings import Settings
from core.errors import ValidationFailed
from core.ports import ConnectedIdentity, CredentialSaver
from platforms.addresses import check_api_base
from platforms.bluesky import BlueskyClient
from platforms.linkedin import LinkedInClient
from platforms.mastodon import MastodonClient
from platforms.x import XClient

DEFAULT_PDS = "https://bsky.social"
# Connected by sign-in links to our web app.
LINK_PLATFORMS = ("mastodon", "bluesky", "linkedin", "x")


def unset_oauth_settings(settings: Settings) -> dict[str, tuple[str, ...]]:
    """The settings each OAuth platform still needs before members can connect to it."""
    needed: dict[str, dict[str, object]] = {
        "linkedin": {
            "LINKEDIN_CLIENT_ID": settings.linkedin_client_id,
            "LINKEDIN_CLIENT_SECRET": settings.linkedin_client_secret,
        },
        # A public client: PKCE alone, no secret needed.
        "x": {"X_CLIENT_ID": settings.x_client_id},
    }
    return {
        platform: tuple(name for name, value in names.items() if not value)
        for platform, names in needed.items()
    }


async def _no_save(account_id: int, credentials: object) -> None:
    """A login makes a new session; nothing is stored until the account is saved."""


@dataclass(frozen=True)
class Connect:
    """Where connect links point and which hosts typed addresses may reach."""

    public_url: str = "http://localhost:8000"
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)
    # The operator's OAuth apps; None where their settings are missing.
    linkedin: LinkedInClient | None = None
    x: XClient | None = None
    unset: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "linkedin": ("LINKEDIN_CLIENT_ID", "LINKEDIN_CLIENT_SECRET"),
            "x": ("X_CLIENT_ID",),
        }
    )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        linkedin: LinkedInClient | None = None,
        x: XClient | None = None,
    ) -> "Connect":
        return cls(
            settings.public_url,
            settings.private_hosts_allowed,
            linkedin,
            x,
            unset_oauth_settings(settings),
        )

    def not_set_up(self, platform: str) -> str | None:
        """Why members cannot connect ``platform`` here, in the operator's terms."""
        client = {"linkedin": self.linkedin, "x": self.x}.get(platform, True)
        if client is not None:
            return None
        names = " and ".join(self.unset.get(platform, ())) or "its client settings"
        label = "LinkedIn" if platform == "linkedin" else "X"
        return (
            f"{label} is not set up on this bot: the operator must set {names} "
            f"(the README's “{label} app” section says how)."
        )

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
