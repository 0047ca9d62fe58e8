"""The connect pages: ``/connect/<platform>/start`` and ``/connect/<platform>/callback``.

A start link's state is bound to the member and workspace that asked for it and lives
15 minutes (``core.usecases.connect``). Its GET never spends it (link unfurlers open
links); Mastodon's callback spends it before the code exchange, the Bluesky form once
the app password proved good, so a mistyped password does not cost a new link.
"""

import logging
from typing import Any

from aiohttp import web

from bot.commands.connect import Connect
from bot.web import page, problem_page
from core.errors import DomainError, ValidationFailed
from core.ports import PlatformError
from core.usecases import connect
from core.usecases.context import Actor, Services
from platforms.mastodon import MastodonClient

log = logging.getLogger(__name__)


def add_connect_routes(app: web.Application, services: Services, links: Connect) -> None:
    pages = ConnectPages(services, links)
    app.router.add_get("/connect/mastodon/start", pages.mastodon_start)
    app.router.add_get("/connect/mastodon/callback", pages.mastodon_callback)
    app.router.add_get("/connect/bluesky/start", pages.bluesky_form)
    app.router.add_post("/connect/bluesky/callback", pages.bluesky_callback)


class ConnectPages:
    def __init__(self, services: Services, links: Connect) -> None:
        self._svc = services
        self._links = links

    async def mastodon_start(self, request: web.Request) -> web.StreamResponse:
        token = request.query.get("state", "")
        client = MastodonClient(self._links.allowed_hosts)
        try:
            state = await connect.open_state(self._svc, token, "mastodon")
            redirect_uri = self._links.redirect_uri("mastodon")
            app = await connect.oauth_app(
                self._svc,
                "mastodon",
                state.instance,
                redirect_uri,
                lambda: client.register_app(state.instance, redirect_uri),
            )
        except (DomainError, PlatformError) as refused:
            return _refused(refused)
        finally:
            await client.aclose()
        raise web.HTTPFound(
            client.authorize_url(state.instance, app.client_id, redirect_uri, token)
        )

    async def mastodon_callback(self, request: web.Request) -> web.Response:
        token = request.query.get("state", "")
        if request.query.get("error"):
            return problem_page(
                400, "Not connected", "The instance said no (or you declined); nothing changed."
            )
        client = MastodonClient(self._links.allowed_hosts)
        try:
            state = await connect.spend_state(self._svc, token, "mastodon")
            redirect_uri = self._links.redirect_uri("mastodon")
            app = await connect.oauth_app(
                self._svc, "mastodon", state.instance, redirect_uri, _never_register
            )
            access = await client.exchange_code(
                state.instance,
                app.client_id,
                app.client_secret,
                redirect_uri,
                request.query.get("code", ""),
            )
            identity = await client.identify(state.instance, access)
            account, again = await connect.save_connected(
                self._svc, Actor(state.workspace_id, state.member_id), "mastodon", identity
            )
        except (DomainError, PlatformError) as refused:
            return _refused(refused)
        finally:
            await client.aclose()
        return _done(account.name, again)

    async def bluesky_form(self, request: web.Request) -> web.Response:
        token = request.query.get("state", "")
        try:
            state = await connect.open_state(self._svc, token, "bluesky")
        except DomainError as refused:
            return _refused(refused)
        handle = ""
        if state.account_id is not None:
            handle = await connect.account_handle(self._svc, state)
        return _form(token, handle, state.instance, None)

    async def bluesky_callback(self, request: web.Request) -> web.Response:
        form = await request.post()
        token, handle = str(form.get("state", "")), str(form.get("handle", "")).strip()
        password, pds = str(form.get("password", "")), str(form.get("pds", "")).strip()
        try:
            state = await connect.open_state(self._svc, token, "bluesky")
        except DomainError as refused:
            return _refused(refused)
        try:
            identity = await self._links.bluesky_identity(handle.lstrip("@"), password, pds or None)
        except (DomainError, PlatformError) as refused:
            return _form(token, handle, pds, _reason(refused), status=400)
        try:
            await connect.spend_state(self._svc, token, "bluesky")
            account, again = await connect.save_connected(
                self._svc, Actor(state.workspace_id, state.member_id), "bluesky", identity
            )
        except DomainError as refused:
            return _refused(refused)
        return _done(account.name, again)


async def _never_register() -> tuple[str, str]:
    # The start page registered the app; a callback without one is not ours.
    raise ValidationFailed("This sign-in did not start here; ask the bot for a new link.")


def _reason(refused: DomainError | PlatformError) -> str:
    return refused.reason if isinstance(refused, PlatformError) else refused.message


def _refused(refused: DomainError | PlatformError) -> web.Response:
    return problem_page(400, "Not connected", _reason(refused))


def _done(name: str, again: bool) -> web.Response:
    what = "reconnected" if again else "connected"
    return problem_page(
        200,
        f"{name} is {what}",
        "You can close this tab. Back in chat, `accounts` lists it"
        + (" and `retry <post>` sends what failed while it was disconnected." if again else "."),
    )


def _form(
    token: str, handle: str, pds: str, problem: str | None, status: int = 200
) -> web.Response:
    context: dict[str, Any] = {
        "heading": "Connect a Bluesky account",
        "action": "/connect/bluesky/callback",
        "state": token,
        "handle": handle,
        "pds": pds,
        "problem": problem,
    }
    return page("page_bluesky_connect.html.j2", context, status=status)
