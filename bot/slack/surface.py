"""Building the Slack surface from settings: one workspace by token, or many by OAuth."""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.commands.connect import Connect
from bot.commands.media import links_only
from bot.settings import Settings
from bot.slack.app import SlackListeners
from bot.slack.endpoint import SlackEndpoint
from bot.slack.fallbacks import register_fallbacks
from bot.slack.gateway import SlackChat, make_client, user_profile
from bot.slack.installations import EncryptedInstallationStore
from bot.slack.sdk_log import sdk_logger
from bot.slack.teams import TeamClients
from core.errors import NotMember
from core.usecases import identities
from core.usecases.context import Services
from core.workspace import Member
from storage.crypto import CredentialCipher

log = logging.getLogger(__name__)

BOT_SCOPES = [
    "commands",
    "chat:write",
    "files:read",
    "im:write",
    "users:read",
    "users:read.email",
]
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
EVENTS_PATH = "/slack/events"


@dataclass
class SlackSurface:
    bolt: AsyncApp
    chat: SlackChat
    oauth: bool
    listeners: SlackListeners
    endpoint: SlackEndpoint

    async def aclose(self) -> None:
        await self.listeners.aclose()

    def mount(self, web_app: web.Application) -> None:
        """Serve Slack's requests from our aiohttp app (signatures checked before bolt
        parses anything, then again by bolt)."""
        web_app.router.add_post(EVENTS_PATH, self.endpoint.handle)
        flow = self.bolt.oauth_flow
        if flow is not None:

            async def install(request: web.Request) -> web.Response:
                return await to_aiohttp_response(
                    await flow.handle_installation(await to_bolt_request(request))
                )

            async def redirect(request: web.Request) -> web.Response:
                return await to_aiohttp_response(
                    await flow.handle_callback(await to_bolt_request(request))
                )

            web_app.router.add_get(INSTALL_PATH, install)
            web_app.router.add_get(REDIRECT_PATH, redirect)


def slack_configured(settings: Settings) -> bool:
    return settings.slack_signing_secret is not None and (
        settings.slack_bot_token is not None
        or (settings.slack_client_id is not None and settings.slack_client_secret is not None)
    )


def build_slack(
    settings: Settings,
    services: Services,
    engine: AsyncEngine,
    cipher: CredentialCipher,
    connect: Connect,
) -> SlackSurface:
    """Single-workspace with SLACK_BOT_TOKEN; multi-workspace with the OAuth client id and
    secret, installations kept in our database."""
    assert settings.slack_signing_secret is not None
    base_url = settings.slack_api_url
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    store: EncryptedInstallationStore | None = None
    oauth: AsyncOAuthSettings | None = None
    if settings.slack_client_id and settings.slack_client_secret:
        store = EncryptedInstallationStore(
            settings.slack_client_id, engine, cipher, on_install=_installer_owns(services, base_url)
        )
        oauth = AsyncOAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            scopes=BOT_SCOPES,
            installation_store=store,
            state_store=AsyncSQLAlchemyOAuthStateStore(
                expiration_seconds=600, engine=engine, logger=sdk_logger()
            ),
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            redirect_uri=settings.public_url.rstrip("/") + REDIRECT_PATH,
        )
        token = None
    bolt = AsyncApp(
        name="trypost",
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        # SlackEndpoint checks every HTTP request's signature before bolt sees it (and
        # logs a refusal without the body, which bolt's own check would log whole);
        # Socket Mode requests carry no signature.
        request_verification_enabled=False,
        # bolt takes the single workspace's token from the client it is given.
        client=make_client(token or "", base_url),
        oauth_settings=oauth,
        installation_store=store,
        logger=sdk_logger(),
    )
    if store is not None:
        # tokens_revoked and app_uninstalled remove the installation from the store.
        bolt.enable_token_revocation_listeners()
    else:
        # The manifest subscribes to both; with one fixed token there is nothing to
        # forget, but Slack must hear a 200 (it retries, then disables the events).
        bolt.event("app_uninstalled")(_acknowledge_revocation)
        bolt.event("tokens_revoked")(_acknowledge_revocation)

    client_for_team = TeamClients(base_url, token=token, store=store)

    async def client_for(member: Member) -> AsyncWebClient | None:
        async with services.uow(read_only=True) as uow:
            workspace = await uow.workspaces.get(member.workspace_id)
        if workspace is None or workspace.slack_team_id is None:
            return None
        return await client_for_team(workspace.slack_team_id)

    listeners = SlackListeners(
        services,
        client_for_team,
        media=links_only(settings.private_hosts_allowed),
        connect=connect,
        file_hosts=frozenset({"files.slack.com", urlsplit(settings.slack_api_url).hostname or ""}),
    )
    listeners.register(bolt)
    # Last: they take whatever no listener above claimed.
    register_fallbacks(bolt, listeners.responder)
    # The presence cache ages with the bot's clock, so a simulated clock ages it too.
    chat = SlackChat(client_for, monotonic=lambda: services.clock.now().timestamp())
    endpoint = SlackEndpoint(
        settings.slack_signing_secret.get_secret_value(), bolt.async_dispatch, lane=listeners.lane
    )
    return SlackSurface(bolt, chat, oauth=store is not None, listeners=listeners, endpoint=endpoint)


async def _acknowledge_revocation(ack: AsyncAck, event: dict[str, object]) -> None:
    await ack()
    # tokens_revoked may name user tokens only; either way the operator should look.
    log.warning(
        "slack app uninstalled or tokens revoked; SLACK_BOT_TOKEN may need replacing",
        extra={"slack_event": event.get("type")},
    )


def _installer_owns(services: Services, base_url: str) -> Callable[[Installation], Awaitable[None]]:
    """Whoever installs the app into a new team becomes its workspace's owner."""

    async def installed(installation: Installation) -> None:
        team, user = installation.team_id, installation.user_id
        if not team or not user:
            return
        workspace = await identities.slack_workspace(services, team, installation.team_name)
        client = make_client(installation.bot_token or "", base_url)
        name, email, zone = await user_profile(client, user)
        try:
            await identities.slack_member(
                services, workspace.id, identities.ChatProfile(user, name or user, email, zone)
            )
        except NotMember:
            log.info("installer is not a member; an owner can invite them", extra={"team": team})

    return installed
