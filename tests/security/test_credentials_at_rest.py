"""Issue 13, security: no credential can be read from the raw database rows.

Every kind of secret the bot keeps — platform tokens and refresh tokens, app passwords,
webhook signing secrets, OAuth app secrets, a flow's PKCE verifier, connect-state
tokens, Slack bot, user and refresh tokens and incoming-webhook URLs — is stored through
the real repositories and Slack installation store on SQLite and PostgreSQL; then every
column of every table is read with plain SQL and none of them appears, in plain text or
base64. The same values read back through the repositories: they were stored, just sealed.
"""

import base64
from datetime import UTC, datetime
from pathlib import Path

from slack_sdk.oauth.installation_store import Installation
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.slack.installations import EncryptedInstallationStore
from core.accounts import SocialAccount
from core.clock import ManualClock
from core.connecting import OAuthApp
from core.scheduling.publisher import Publisher
from core.usecases import connect
from core.usecases.context import Services
from platforms.directory import Platforms
from platforms.sandbox import SandboxClient
from storage.crypto import CredentialCipher
from storage.uow import SqlUnitOfWorkFactory
from tests.integration.test_workspace_walls import _team
from tests.security.db_state import dump

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
WEBHOOK_SECRET = "whsec_c2VjcmV0LXdlYmhvb2sta2V5LTEyMzQ1Ng=="
SECRETS = {
    "mastodon": {"access_token": "masto-AT-9f3b1c7e5d"},
    "bluesky": {"app_password": "bsky-app-pw-4k2j-8h1q", "refresh_jwt": "bsky-refresh-77aa"},
    "linkedin": {"access_token": "li-AT-1q2w3e4r", "refresh_token": "li-RT-5t6y7u8i"},
    "x": {"access_token": "x-AT-zz91kk", "refresh_token": "x-RT-mm42pp"},
    "webhook": {"url": "https://hooks.example/in", "secret": WEBHOOK_SECRET},
}
OAUTH_CLIENT_SECRET = "oauth-client-secret-0xdeadbeef"
PKCE_VERIFIER = "pkce-verifier-Qm9vbGVhbkxvZ2lj"
INSTALL = Installation(
    app_id="A1",
    team_id="T111",
    user_id="U1",
    bot_token="xoxb-at-rest-111",
    bot_refresh_token="xoxe-at-rest-111",
    user_token="xoxp-at-rest-111",
    incoming_webhook_url="https://hooks.slack.com/services/T111/B1/at-rest-secret",
)


def _forms(secret: str) -> list[str]:
    """How a secret could show: as itself, or base64 of it (padding left off)."""
    b64 = base64.b64encode(secret.encode()).decode().rstrip("=")
    return [secret, b64, base64.urlsafe_b64encode(secret.encode()).decode().rstrip("=")]


async def test_no_credential_is_readable_in_any_raw_row(
    engine: AsyncEngine, uow_factory: SqlUnitOfWorkFactory, cipher: CredentialCipher,
    tmp_path: Path,
) -> None:  # fmt: skip
    clock = ManualClock(NOW)
    publisher = Publisher(uow_factory, Platforms({"sandbox": SandboxClient(tmp_path)}), clock)
    svc = Services(uow_factory, clock, publisher)
    owner = await _team(svc, "acme")
    async with uow_factory() as uow:
        for platform, credentials in SECRETS.items():
            await uow.accounts.add(
                SocialAccount(
                    owner.workspace_id, platform, platform, f"@{platform}", credentials=credentials
                )  # fmt: skip
            )
        await uow.connects.add_app(
            OAuthApp(
                "mastodon", "https://m.example", "https://bot/cb", "client", OAUTH_CLIENT_SECRET
            )
        )
        await uow.commit()
    state_token = await connect.connect_link_state(svc, owner, "x", "")
    state = await connect.spend_state(svc, state_token, "x")
    next_token = await connect.next_step_state(svc, state, "linkedin", PKCE_VERIFIER)
    store = EncryptedInstallationStore("client-1", engine, cipher)
    await store.async_save(INSTALL)

    secrets = [
        *(value for credentials in SECRETS.values() for value in credentials.values()),
        WEBHOOK_SECRET,
        WEBHOOK_SECRET.removeprefix("whsec_"),
        OAUTH_CLIENT_SECRET,
        PKCE_VERIFIER,
        state_token,
        next_token,
        *(s for s in (INSTALL.bot_token, INSTALL.bot_refresh_token, INSTALL.user_token) if s),
        "at-rest-secret",  # the incoming webhook URL's secret part
    ]
    raw = "\n".join(
        f"{table}: {row}" for table, rows in (await dump(engine, skip=frozenset())).items()
        for row in rows
    )  # fmt: skip
    assert "acme" in raw and "@mastodon" in raw, "the rows were read"
    leaked = [secret for secret in secrets for form in _forms(secret) if form in raw]
    assert leaked == [], leaked

    # They were stored: the repositories open them again.
    async with uow_factory() as uow:
        accounts = {a.platform: a for a in await uow.accounts.list(owner.workspace_id)}
        app = await uow.connects.app("mastodon", "https://m.example", "https://bot/cb")
    for platform, credentials in SECRETS.items():
        assert accounts[platform].credentials == credentials
    assert app is not None and app.client_secret == OAUTH_CLIENT_SECRET
    assert (await connect.open_state(svc, next_token, "linkedin")).secret == PKCE_VERIFIER
    found = await store.async_find_installation(enterprise_id=None, team_id="T111")
    assert found is not None and found.bot_token == INSTALL.bot_token
