"""The operator's settings: environment variables or a ``.env`` file (DESIGN §6).

The names are a contract: scripts and deployments rely on them. Built once in the
composition root and passed down; nothing reads the environment on import.
"""

import re
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./trypost.db"
_DURATION = re.compile(r"(\d+)\s*([smhd])?")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # --- core and storage ---
    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias=_env("TRYPOST_DATABASE_URL"))
    secret_key: SecretStr | None = Field(None, validation_alias=_env("TRYPOST_SECRET_KEY"))
    public_url: str = Field("http://localhost:8000", validation_alias=_env("TRYPOST_PUBLIC_URL"))
    port: int = Field(8000, ge=1, le=65535, validation_alias=_env("PORT"))
    missed_grace: timedelta = Field(
        timedelta(minutes=15), validation_alias=_env("TRYPOST_MISSED_GRACE")
    )
    sandbox_dir: Path = Field(Path("sandbox-posts"), validation_alias=_env("TRYPOST_SANDBOX_DIR"))
    media_dir: Path = Field(Path("media"), validation_alias=_env("TRYPOST_MEDIA_DIR"))
    # What each workspace may keep in the media store, in megabytes (10^6 bytes).
    media_quota_mb: int = Field(1000, ge=1, validation_alias=_env("TRYPOST_MEDIA_QUOTA_MB"))
    outbox_dir: Path = Field(Path("outbox"), validation_alias=_env("TRYPOST_OUTBOX_DIR"))
    # Hosts that links from chat (media, webhooks) may reach although they resolve to a
    # private or local address; comma-separated. Empty: none.
    allow_private_hosts: str = Field("", validation_alias=_env("TRYPOST_ALLOW_PRIVATE_HOSTS"))

    # --- email ---
    smtp_url: SecretStr | None = Field(None, validation_alias=_env("TRYPOST_SMTP_URL"))
    mail_from: str = Field("trypost@localhost", validation_alias=_env("TRYPOST_MAIL_FROM"))

    # --- Slack ---
    slack_bot_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_SIGNING_SECRET")
    )
    slack_app_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_client_id: str | None = Field(None, validation_alias=_env("SLACK_CLIENT_ID"))
    slack_client_secret: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_CLIENT_SECRET")
    )
    slack_api_url: str = Field(
        "https://slack.com/api/", validation_alias=_env("TRYPOST_SLACK_API_URL")
    )

    # --- Discord ---
    discord_bot_token: SecretStr | None = Field(None, validation_alias=_env("DISCORD_BOT_TOKEN"))
    discord_api_url: str = Field(
        "https://discord.com/api/v10", validation_alias=_env("TRYPOST_DISCORD_API_URL")
    )
    discord_gateway_url: str = Field(
        "wss://gateway.discord.gg/", validation_alias=_env("TRYPOST_DISCORD_GATEWAY_URL")
    )
    # Where /trypost is registered: each guild (shows at once) or globally (up to an hour).
    discord_commands: Literal["guild", "global"] = Field(
        "guild", validation_alias=_env("TRYPOST_DISCORD_COMMANDS")
    )

    # --- social platforms ---
    linkedin_client_id: str | None = Field(None, validation_alias=_env("LINKEDIN_CLIENT_ID"))
    linkedin_client_secret: SecretStr | None = Field(
        None, validation_alias=_env("LINKEDIN_CLIENT_SECRET")
    )
    linkedin_api_url: str = Field(
        "https://api.linkedin.com/", validation_alias=_env("TRYPOST_LINKEDIN_API_URL")
    )
    linkedin_auth_url: str = Field(
        "https://www.linkedin.com/", validation_alias=_env("TRYPOST_LINKEDIN_AUTH_URL")
    )
    # LinkedIn-Version: LinkedIn supports each monthly version for a year.
    linkedin_version: str = Field(
        "202610",
        pattern=r"^20\d{2}(0[1-9]|1[0-2])$",
        validation_alias=_env("TRYPOST_LINKEDIN_VERSION"),
    )
    # Asks for w_organization_social too, so members can post as company pages they
    # administer (needs LinkedIn's Community Management API product).
    linkedin_company_pages: bool = Field(
        False, validation_alias=_env("TRYPOST_LINKEDIN_COMPANY_PAGES")
    )
    x_client_id: str | None = Field(None, validation_alias=_env("X_CLIENT_ID"))
    x_client_secret: SecretStr | None = Field(None, validation_alias=_env("X_CLIENT_SECRET"))
    x_api_url: str = Field("https://api.x.com/", validation_alias=_env("TRYPOST_X_API_URL"))
    x_auth_url: str = Field("https://x.com/", validation_alias=_env("TRYPOST_X_AUTH_URL"))
    x_upload_url: str = Field(
        "https://api.x.com/2/media/upload", validation_alias=_env("TRYPOST_X_UPLOAD_URL")
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, url: str) -> str:
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "use sqlite+aiosqlite:///path/to/file.db or postgresql+asyncpg://user@host/db"
            )
        return url

    @field_validator("missed_grace", mode="before")
    @classmethod
    def _duration_words(cls, raw: object) -> object:
        """Accept "900" (seconds), "15m", "2h", "1d" as well as ISO 8601 ("PT15M")."""
        if isinstance(raw, str):
            match = _DURATION.fullmatch(raw.strip().lower())
            if match:
                return timedelta(seconds=int(match[1]) * _UNIT_SECONDS[match[2] or "s"])
        return raw

    @field_validator("missed_grace")
    @classmethod
    def _non_negative(cls, grace: timedelta) -> timedelta:
        if grace < timedelta(0):
            raise ValueError("must not be negative")
        return grace

    @property
    def private_hosts_allowed(self) -> frozenset[str]:
        return frozenset(
            h.strip().lower() for h in self.allow_private_hosts.split(",") if h.strip()
        )

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def has_chat_tokens(self) -> bool:
        return bool(self.slack_bot_token or self.slack_client_id or self.discord_bot_token)


ENV_NAMES: dict[str, str] = {
    name: str(field.validation_alias.choices[0])  # type: ignore[union-attr]
    for name, field in Settings.model_fields.items()
}
