"""The composition root: settings in, a wired application out.

Only this module knows which adapter implements which port. Nothing is built on
import; ``build_app`` does it, and ``App.aclose`` undoes it.
"""

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web
from prometheus_client import CollectorRegistry
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.commands.connect import Connect, unset_oauth_settings
from bot.discord.surface import DiscordSurface, discord_configured
from bot.email.factory import build_mailer
from bot.email.links import LinkSigner
from bot.metrics import PrometheusMeter, metrics_handler, new_registry, request_timer
from bot.settings import Settings
from bot.slack.surface import SlackSurface, build_slack, slack_configured
from bot.web import create_web_app
from bot.web_connect import add_connect_routes
from core.clock import SystemClock
from core.notifications.gateways import ChatGateways
from core.notifications.outbox import Outbox
from core.notifications.projector import Projector
from core.observe import NO_METER, Meter
from core.ports import Clock, CredentialSaver
from core.scheduling.publisher import Publisher
from core.scheduling.rate_limits import RateLimits
from core.scheduling.runner import MinuteScheduler
from core.scheduling.tick import Ticker
from core.scheduling.tokens import TokenKeeper
from core.usecases.connect import save_credentials
from core.usecases.context import Services
from platforms.bluesky import BlueskyClient
from platforms.directory import Platforms
from platforms.linkedin import LinkedInClient
from platforms.mastodon import MastodonClient
from platforms.sandbox import SandboxClient
from platforms.webhook import WebhookClient
from platforms.x import XClient
from storage.crypto import CredentialCipher, split_secrets
from storage.engine import create_engine_for, session_factory
from storage.media_files import FileMediaStore
from storage.migrate import upgrade_engine
from storage.probe import SqlTickProbe
from storage.processes import HEARTBEAT, SqlProcessRegistry
from storage.uow import SqlUnitOfWorkFactory

log = logging.getLogger(__name__)

# The one task that runs until the app closes; the drain at exit does not wait for it.
HEARTBEAT_TASK = "trypost-heartbeat"


class Closable(Protocol):
    async def aclose(self) -> None: ...


def _credential_saver(uow: SqlUnitOfWorkFactory, clock: Clock) -> CredentialSaver:
    """Renewed sessions go straight to the database, before they are used."""
    services = Services(uow, clock, _NoTrigger())

    async def save(account_id: int, credentials: Mapping[str, str]) -> None:
        await save_credentials(services, account_id, dict(credentials))

    return save


class _NoTrigger:
    async def post_ready(self, post_id: int) -> None:
        """Saving credentials never publishes."""


class SettingError(Exception):
    """A setting that cannot work; the message names it and says what to do."""


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    uow: SqlUnitOfWorkFactory
    clock: Clock
    publisher: Publisher
    ticker: Ticker
    services: Services
    chat: ChatGateways
    projector: Projector
    outbox: Outbox
    links: LinkSigner
    slack: SlackSurface | None = None
    # Built when DISCORD_BOT_TOKEN is set; connected only by the processes that run it.
    discord: DiscordSurface | None = None
    metrics_registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    meter: Meter = NO_METER
    processes: SqlProcessRegistry | None = None
    # Platform clients holding HTTP sessions, closed with the app.
    platform_clients: tuple[Closable, ...] = ()
    # Where connect links point and which typed addresses they may reach.
    connect: Connect = field(default_factory=Connect)
    tokens: TokenKeeper | None = None
    probe: SqlTickProbe | None = None
    _heartbeat: "asyncio.Task[None] | None" = None

    async def start(self) -> None:
        """Announce this process and keep saying it is alive: any process may publish
        (a Slack publish-now runs in the web process), so every one beats."""
        if self.processes is not None and self._heartbeat is None:
            await self.processes.beat()
            self._heartbeat = asyncio.create_task(
                self._beat_forever(self.processes), name=HEARTBEAT_TASK
            )

    @staticmethod
    async def _beat_forever(processes: SqlProcessRegistry) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT.total_seconds())
            try:
                await processes.beat()
            except Exception:
                log.warning("heartbeat not written", exc_info=True)

    def scheduler(self) -> MinuteScheduler:
        scheduler = MinuteScheduler(
            self.ticker, self.uow, self.clock, missed_grace=self.settings.missed_grace
        )
        # At start too: notices that waited while the worker was down go out at once.
        scheduler.every(5, self.notify, at_start=True)
        scheduler.every(60, self.outbox.send_digests)
        if self.tokens is not None:
            scheduler.every(3600, self.tokens.keep, at_start=True)
        return scheduler

    async def health(self, scheduler: MinuteScheduler | None = None) -> dict[str, object]:
        """What /healthz reports: the database answers; the scheduler, where this
        process runs one, ticked within the last two minutes."""
        checks: dict[str, object] = {"database": await self._database_answers()}
        if scheduler is not None:
            last = scheduler.last_tick_at
            checks["scheduler"] = last is not None and (
                self.clock.now() - last < timedelta(minutes=2)
            )
        return checks

    async def _database_answers(self) -> bool:
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            log.warning("database health check failed", exc_info=True)
            return False
        return True

    def web_app(self, scheduler: MinuteScheduler | None = None) -> "web.Application":
        """The aiohttp app: health, email pages and, when configured, Slack's endpoints."""
        app = create_web_app(self.services, self.links, lambda: self.health(scheduler))
        app.middlewares.insert(0, request_timer(self.meter))
        app.router.add_get("/metrics", metrics_handler(self.metrics_registry))
        add_connect_routes(app, self.services, self.connect)
        if self.slack is not None:
            self.slack.mount(app)
        return app

    async def notify(self) -> None:
        """Turn new events into notices, then send what is due (and due digests)."""
        await self.projector.run_once()
        await self.outbox.dispatch_due()

    async def aclose(self) -> None:
        if self._heartbeat is not None and self.processes is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            try:
                await self.processes.forget()
            except Exception:
                log.warning("process row not removed; it ages out", exc_info=True)
        if self.slack is not None:
            await self.slack.aclose()
        if self.discord is not None:
            await self.discord.aclose()
        for client in self.platform_clients:
            await client.aclose()
        if self.probe is not None:
            self.probe.close()
        await self.engine.dispose()


async def build_app(settings: Settings, *, clock: Clock | None = None) -> App:
    """Wire storage, platforms and the scheduler; SQLite is migrated on the way up.

    PostgreSQL deployments migrate in their release phase (``trypost db upgrade``) so
    that several workers starting together never race on the schema.
    """
    clock = clock or SystemClock()
    secret = secret_key(settings)
    cipher = CredentialCipher(secret)
    links = LinkSigner(link_keys(secret), settings.public_url, now=lambda: clock.now().timestamp())
    smtp_url = settings.smtp_url.get_secret_value() if settings.smtp_url else None
    try:
        mailer = build_mailer(smtp_url, settings.mail_from, settings.outbox_dir, links)
    except ValueError as bad:
        raise SettingError(str(bad)) from None
    engine = create_engine_for(settings.database_url)
    if settings.uses_sqlite:
        await upgrade_engine(engine)
    else:
        # Fail at start, in one line, rather than on the first tick.
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    uow = SqlUnitOfWorkFactory(session_factory(engine), cipher)
    hosts = settings.private_hosts_allowed
    media = FileMediaStore(settings.media_dir)
    linkedin, x = oauth_clients(settings, clock)
    clients: dict[str, Any] = {
        "webhook": WebhookClient(hosts),
        "mastodon": MastodonClient(hosts),
        "bluesky": BlueskyClient(_credential_saver(uow, clock), hosts),
        **({"linkedin": linkedin} if linkedin else {}),
        **({"x": x} if x else {}),
    }
    platforms = Platforms({"sandbox": SandboxClient(settings.sandbox_dir), **clients})
    tokens = TokenKeeper(
        uow, clock, {name: c for name, c in clients.items() if name in ("linkedin", "x")}
    )
    registry = new_registry()
    meter = PrometheusMeter(registry)
    processes = SqlProcessRegistry(session_factory(engine), secrets.token_hex(8))
    publisher = Publisher(
        uow,
        platforms,
        clock,
        meter=meter,
        process_id=processes.process_id,
        liveness=processes,
        media_path=media.path,
        tokens=tokens,
        limits=RateLimits(clock),
    )
    probe = SqlTickProbe(engine)
    ticker = Ticker(uow, clock, publisher, meter=meter, probe=probe)
    chat = ChatGateways()
    services = Services(
        uow, clock, publisher, media_files=media, media_quota=settings.media_quota_mb * 1_000_000
    )
    connect = Connect.from_settings(settings, linkedin, x)
    slack = (
        build_slack(settings, services, engine, cipher, connect)
        if slack_configured(settings)
        else None
    )
    if slack is not None:
        chat.add(slack.chat)
    discord = DiscordSurface(settings, services, connect) if discord_configured(settings) else None
    if discord is not None:
        chat.add(discord.chat)
    return App(
        settings,
        engine,
        uow,
        clock,
        publisher,
        ticker,
        services,
        chat,
        Projector(uow, clock, chat),
        Outbox(uow, clock, chat, mailer, meter=meter),
        links,
        slack,
        discord,
        registry,
        meter,
        processes,
        tuple(clients.values()),
        connect,
        tokens,
        probe,
    )


def oauth_clients(settings: Settings, clock: Clock) -> tuple[LinkedInClient | None, XClient | None]:
    """The operator's LinkedIn and X apps, where their settings are all there; token
    lifetimes are counted on the bot's clock."""
    unset = unset_oauth_settings(settings)
    linkedin = x = None
    if not unset["linkedin"] and settings.linkedin_client_id and settings.linkedin_client_secret:
        linkedin = LinkedInClient(
            settings.linkedin_client_id,
            settings.linkedin_client_secret.get_secret_value(),
            api_url=settings.linkedin_api_url,
            auth_url=settings.linkedin_auth_url,
            version=settings.linkedin_version,
            company_pages=settings.linkedin_company_pages,
            now=clock.now,
        )
    if not unset["x"] and settings.x_client_id:
        secret = settings.x_client_secret
        x = XClient(
            settings.x_client_id,
            secret.get_secret_value() if secret else None,
            api_url=settings.x_api_url,
            auth_url=settings.x_auth_url,
            upload_url=settings.x_upload_url,
            now=clock.now,
        )
    return linkedin, x


def link_keys(secret: str) -> list[str]:
    """The keys that sign links, oldest first as itsdangerous wants them (the last
    signs): TRYPOST_SECRET_KEY lists the newest first. The whole setting comes first
    too, for links signed before it was ever split (a key that held a comma)."""
    keys = [secret, *split_secrets(secret)[::-1]]
    return list(dict.fromkeys(keys))


def secret_key(settings: Settings) -> str:
    """TRYPOST_SECRET_KEY, or on SQLite a key kept in a file beside the database.

    Several processes on PostgreSQL must share one key, so there it is required.
    """
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    if not settings.uses_sqlite:
        raise SettingError(
            "TRYPOST_SECRET_KEY is required with PostgreSQL: every process must share it "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        return secrets.token_urlsafe(32)
    key_file = Path(database).with_suffix(".key")
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_urlsafe(32), encoding="utf-8")
        log.warning(
            "generated a secret key beside the database; set TRYPOST_SECRET_KEY in production",
            extra={"path": str(key_file)},
        )
    return key_file.read_text(encoding="utf-8").strip()
