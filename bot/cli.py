"""The ``trypost`` command (DESIGN §6)."""

import asyncio
import contextlib
import gc
import getpass
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from importlib.metadata import version
from typing import Annotated

import typer
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from bot.app import HEARTBEAT_TASK, App, SettingError, build_app, secret_key
from bot.discord.surface import DISCORD_TASK
from bot.logs import configure_logging
from bot.settings import ENV_NAMES, Settings
from bot.web import serve as serve_web
from core.clock import ManualClock
from storage.keys import RotationReport

cli = typer.Typer(
    help="trypost-bot: schedule, review and publish social posts from chat.",
    no_args_is_help=False,
    add_completion=False,
    # Rich tracebacks print local variables, and locals can hold secrets.
    pretty_exceptions_enable=False,
)
db = typer.Typer(help="Database maintenance.")
cli.add_typer(db, name="db")
keys = typer.Typer(help="The keys that encrypt stored tokens (TRYPOST_SECRET_KEY).")
cli.add_typer(keys, name="keys")


def _fail(message: str) -> None:
    typer.echo(f"trypost: {message}", err=True)
    raise typer.Exit(2)


def load_settings() -> Settings:
    """Settings, or one clear line naming the bad one and a non-zero exit."""
    try:
        return Settings()
    except ValidationError as invalid:
        first = invalid.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        _fail(f"bad setting {ENV_NAMES.get(field, field.upper())}: {first['msg']}")
        raise AssertionError from invalid


def _with_app(
    settings: Settings, body: Callable[[App], Awaitable[None]], clock: ManualClock | None = None
) -> None:
    async def main() -> None:
        try:
            app = await build_app(settings, clock=clock)
            await app.start()
            # Everything loaded at start-up lives for the whole run: keep it out of the
            # collector's full passes, which otherwise pause a busy server for ~70 ms.
            gc.collect()
            gc.freeze()
        except SettingError as bad:
            _fail(str(bad))
        except (OSError, SQLAlchemyError) as unreachable:
            _fail(_database_problem(settings, unreachable))
        try:
            await body(app)
            await _drain()
        finally:
            await app.aclose()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


# Tasks that run as long as the app does: the drain at exit does not wait for them.
LIFELONG_TASKS = (HEARTBEAT_TASK, DISCORD_TASK)


async def _drain(grace: float = 30.0) -> None:
    """Let work started after an ack (a Slack publish-now, a retry click) finish before
    the process ends, rather than cut a publish in half."""
    current = asyncio.current_task()
    pending = [
        t
        for t in asyncio.all_tasks()
        if t is not current and not t.done() and t.get_name() not in LIFELONG_TASKS
    ]
    if pending:
        await asyncio.wait(pending, timeout=grace)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"trypost {version('trypost-bot')}")
        raise typer.Exit()


@cli.callback()
def _root(
    show_version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Run `trypost run` to start; `trypost console` to try it in a terminal."""


@cli.command()
def run() -> None:
    """Start everything configured; with no chat tokens, the console on SQLite + sandbox."""
    settings = load_settings()
    if not settings.has_chat_tokens:
        configure_logging("WARNING")
        _with_app(settings, lambda app: _console(app, getpass.getuser(), real_clock=True))
        return
    slack_asked = settings.slack_bot_token or settings.slack_client_id
    if slack_asked and settings.slack_signing_secret is None:
        _fail("SLACK_SIGNING_SECRET is required with SLACK_BOT_TOKEN or SLACK_CLIENT_ID")
    configure_logging()
    _with_app(settings, _everything)


async def _everything(app: App) -> None:
    """Web app (Slack events, OAuth, email pages), scheduler, outbox, the Discord bot
    and, with SLACK_APP_TOKEN, a Socket Mode connection: one process for a small team."""
    scheduler = app.scheduler()
    runner = await _listen(app.web_app(scheduler), app.settings.port)
    await _start_discord(app)  # before the scheduler: a refused token stops nothing running
    await scheduler.start()
    socket_mode = None
    if app.slack is not None and app.settings.slack_app_token is not None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        socket_mode = AsyncSocketModeHandler(
            app.slack.bolt, app.settings.slack_app_token.get_secret_value()
        )
        await socket_mode.connect_async()  # type: ignore[no-untyped-call]
    try:
        await _until_signalled()
    finally:
        if socket_mode is not None:
            await socket_mode.close_async()  # type: ignore[no-untyped-call]
        await runner.cleanup()
        await scheduler.stop()


@cli.command()
def console(
    as_name: Annotated[str | None, typer.Option("--as", help="Act as this member.")] = None,
    simulated_clock: Annotated[
        str | None,
        typer.Option(help="Start a simulated clock at this ISO time (moves with :advance)."),
    ] = None,
) -> None:
    """The terminal surface; scripted when stdin is not a terminal."""
    settings = load_settings()
    configure_logging("WARNING")
    clock = None
    if simulated_clock:
        try:
            start = datetime.fromisoformat(simulated_clock.replace("Z", "+00:00"))
        except ValueError:
            _fail(
                f"--simulated-clock wants an ISO time like 2026-12-01T09:00Z: {simulated_clock!r}"
            )
        if start.tzinfo is None:
            _fail("--simulated-clock needs a zone, e.g. 2026-12-01T09:00Z or +01:00")
        clock = ManualClock(start)
    name = as_name or getpass.getuser()
    _with_app(settings, lambda app: _console(app, name, real_clock=clock is None), clock)


async def _console(app: App, name: str, *, real_clock: bool) -> None:
    from bot.console.runner import run_console

    scheduler = app.scheduler() if real_clock else None
    web_runner = None
    if scheduler:
        await scheduler.start()
        try:
            web_runner = await serve_web(
                app.web_app(scheduler), app.settings.port, host="127.0.0.1"
            )
        except OSError as busy:
            # The console works without it; only email links need the web app.
            logging.getLogger(__name__).warning(
                "web app not started", extra={"port": app.settings.port, "reason": str(busy)}
            )
    try:
        await run_console(app, name)
    finally:
        if web_runner:
            await web_runner.cleanup()
        if scheduler:
            await scheduler.stop()


async def _start_discord(app: App) -> None:
    """Connect the Discord bot (when configured), or stop with one line saying why not."""
    if app.discord is None:
        return
    from bot.discord.surface import DiscordStartFailed

    try:
        await app.discord.start()
    except DiscordStartFailed as failed:
        _fail(str(failed))


async def _listen(web_app: web.Application, port: int) -> web.AppRunner:
    """Serve on PORT, or stop with one line saying why not."""
    try:
        return await serve_web(web_app, port)
    except OSError as busy:
        _fail(f"cannot listen on port {port} (PORT): {busy.strerror or busy}")
        raise AssertionError from busy


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # From here on SIGTERM is a clean stop; supervisors and tests may wait for this line.
    logging.getLogger(__name__).info("ready; SIGTERM stops after in-flight work")
    await stop.wait()


@cli.command()
def worker() -> None:
    """The scheduler and the notification outbox, until SIGTERM (in-flight work
    finishes first)."""
    settings = load_settings()
    configure_logging()

    async def body(app: App) -> None:
        scheduler = app.scheduler()
        await _start_discord(app)  # first: a refused token stops nothing half-started
        await scheduler.start()
        await _until_signalled()
        await scheduler.stop()

    _with_app(settings, body)


@cli.command()
def serve() -> None:
    """The web app on $PORT: /healthz, email unsubscribe links, post pages."""
    settings = load_settings()
    configure_logging()

    async def body(app: App) -> None:
        runner = await _listen(app.web_app(), settings.port)
        try:
            await _until_signalled()
        finally:
            await runner.cleanup()

    _with_app(settings, body)


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations up to the newest."""
    from storage.migrate import upgrade

    settings = load_settings()
    configure_logging()
    try:
        asyncio.run(upgrade(settings.database_url))
    except (OSError, SQLAlchemyError) as unreachable:
        _fail(_database_problem(settings, unreachable))
    typer.echo("database is up to date")


@keys.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored token with the first key of TRYPOST_SECRET_KEY.

    Rotation: put the new secret first in every process (``new,old``), run this, then
    drop the old one.
    """
    settings = load_settings()
    configure_logging()
    try:
        report = asyncio.run(_rotate(settings))
    except (SettingError, ValueError) as bad:  # no secret, or only blanks and commas
        _fail(str(bad))
    except (OSError, SQLAlchemyError) as unreachable:
        _fail(_database_problem(settings, unreachable))
    typer.echo(
        f"re-encrypted {report.accounts} account credentials, {report.oauth_apps} OAuth app "
        f"secrets and {report.slack_tokens} Slack tokens with the first key of "
        "TRYPOST_SECRET_KEY"
    )
    if not report.complete:
        for left in report.unrotated:
            typer.echo(f"trypost: left as it was: {left}", err=True)
        raise typer.Exit(1)
    typer.echo("you can now remove the other keys from TRYPOST_SECRET_KEY")


async def _rotate(settings: Settings) -> RotationReport:
    from storage.crypto import CredentialCipher
    from storage.engine import create_engine_for
    from storage.keys import rotate_credentials
    from storage.migrate import upgrade_engine

    cipher = CredentialCipher(secret_key(settings))  # a bad key stops before the database
    engine = create_engine_for(settings.database_url)
    try:
        if settings.uses_sqlite:
            await upgrade_engine(engine)
        return await rotate_credentials(engine, cipher)
    finally:
        await engine.dispose()


def _database_problem(settings: Settings, error: Exception) -> str:
    """One line naming the database (password hidden) and what went wrong."""
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    cause = error.orig if isinstance(error, DBAPIError) and error.orig else error
    reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    return f"cannot use the database {where} (TRYPOST_DATABASE_URL): {reason}"


def main() -> None:
    sys.exit(cli())
