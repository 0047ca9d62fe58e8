"""The connect pages: ``/connect/<platform>/start`` and ``/connect/<platform>/callback``.

A start link's state is bound to the member and workspace that asked for it and lives
15 minutes (``core.usecases.connect``). Its GET never spends it (link unfurlers open
links); the OAuth callbacks (Mastodon, LinkedIn, X) spend it before the code exchange,
the Bluesky form once the app password proved good, so a mistyped password does not
cost a new link. X's PKCE verifier waits with the state, encrypted; a LinkedIn member
who administers company pages picks one on a page of ours, whose own one-time state
holds the grant meanwhile.
"""

import json
import logging
from dataclasses import asdict
from datetime import datetime
from typing import Any, TypeVar

from aiohttp import web

from bot.commands.connect import Connect
from bot.web import page, problem_page
from core.connecting import ConnectState
from core.errors import DomainError, ValidationFailed
from core.ports import PlatformError
from core.usecases import connect
from core.usecases.context import Actor, Services
from platforms.linkedin import LinkedInAuthor, LinkedInClient
from platforms.mastodon import MastodonClient
from platforms.oauth2 import TokenGrant, pkce_challenge
from platforms.x import XClient

OAuthClient = TypeVar("OAuthClient", LinkedInClient, XClient)
# The state of LinkedIn's second page, where the member picks who posts.
LINKEDIN_CHOICE = "linkedin-page"

log = logging.getLogger(__name__)


def add_connect_routes(app: web.Application, services: Services, links: Connect) -> None:
    pages = ConnectPages(services, links)
    app.router.add_get("/connect/mastodon/start", pages.mastodon_start)
    app.router.add_get("/connect/mastodon/callback", pages.mastodon_callback)
    app.router.add_get("/connect/bluesky/start", pages.bluesky_form)
    app.router.add_post("/connect/bluesky/callback", pages.bluesky_callback)
    app.router.add_get("/connect/linkedin/start", pages.linkedin_start)
    app.router.add_get("/connect/linkedin/callback", pages.linkedin_callback)
    app.router.add_post("/connect/linkedin/choose", pages.linkedin_choose)
    app.router.add_get("/connect/x/start", pages.x_start)
    app.router.add_get("/connect/x/callback", pages.x_callback)


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
            return _declined("The instance")
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
                self._svc, _actor(state), "mastodon", identity, state.account_id
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
                self._svc, _actor(state), "bluesky", identity, state.account_id
            )
        except DomainError as refused:
            return _refused(refused)
        return _done(account.name, again)

    # --- LinkedIn ----------------------------------------------------------------------

    async def linkedin_start(self, request: web.Request) -> web.StreamResponse:
        token = request.query.get("state", "")
        try:
            client = self._oauth_client(self._links.linkedin, "linkedin")
            await connect.open_state(self._svc, token, "linkedin")
        except DomainError as refused:
            return _refused(refused)
        raise web.HTTPFound(client.authorize_url(self._links.redirect_uri("linkedin"), token))

    async def linkedin_callback(self, request: web.Request) -> web.Response:
        if request.query.get("error"):
            return _declined("LinkedIn")
        try:
            client = self._oauth_client(self._links.linkedin, "linkedin")
            state = await connect.spend_state(self._svc, request.query.get("state", ""), "linkedin")
            redirect_uri = self._links.redirect_uri("linkedin")
            grant = await client.exchange_code(request.query.get("code", ""), redirect_uri)
            authors = await client.authors(grant)
            if len(authors) > 1:
                return await self._linkedin_choice(state, grant, authors)
            identity = client.identity(grant, authors[0])
            account, again = await connect.save_connected(
                self._svc, _actor(state), "linkedin", identity, state.account_id
            )
        except (DomainError, PlatformError) as refused:
            return _refused(refused)
        return _done(account.name, again)

    async def _linkedin_choice(
        self, state: ConnectState, grant: TokenGrant, authors: list[LinkedInAuthor]
    ) -> web.Response:
        held = json.dumps({"grant": _grant_json(grant), "authors": [asdict(a) for a in authors]})
        token = await connect.next_step_state(self._svc, state, LINKEDIN_CHOICE, held)
        context = {"action": "/connect/linkedin/choose", "state": token, "authors": authors}
        return page("page_linkedin_choose.html.j2", context)

    async def linkedin_choose(self, request: web.Request) -> web.Response:
        form = await request.post()
        token, chosen = str(form.get("state", "")), str(form.get("author", ""))
        try:
            client = self._oauth_client(self._links.linkedin, "linkedin")
            state = await connect.open_state(self._svc, token, LINKEDIN_CHOICE)
            held = json.loads(state.secret)
            authors = [LinkedInAuthor(**a) for a in held["authors"]]
            author = next((a for a in authors if a.urn == chosen), None)
            if author is None:
                # A tampered form costs nothing: the page can be sent again.
                raise ValidationFailed("Choose one of the listed profiles or pages.")
            await connect.spend_state(self._svc, token, LINKEDIN_CHOICE)
            identity = client.identity(_grant_of(held["grant"]), author)
            account, again = await connect.save_connected(
                self._svc, _actor(state), "linkedin", identity, state.account_id
            )
        except (DomainError, PlatformError) as refused:
            return _refused(refused)
        return _done(account.name, again)

    # --- X -----------------------------------------------------------------------------

    async def x_start(self, request: web.Request) -> web.StreamResponse:
        token = request.query.get("state", "")
        try:
            client = self._oauth_client(self._links.x, "x")
            state = await connect.open_state(self._svc, token, "x")
        except DomainError as refused:
            return _refused(refused)
        challenge = pkce_challenge(state.secret)
        raise web.HTTPFound(client.authorize_url(self._links.redirect_uri("x"), token, challenge))

    async def x_callback(self, request: web.Request) -> web.Response:
        if request.query.get("error"):
            return _declined("X")
        try:
            client = self._oauth_client(self._links.x, "x")
            state = await connect.spend_state(self._svc, request.query.get("state", ""), "x")
            grant = await client.exchange_code(
                request.query.get("code", ""), self._links.redirect_uri("x"), state.secret
            )
            identity = await client.identify(grant)
            account, again = await connect.save_connected(
                self._svc, _actor(state), "x", identity, state.account_id
            )
        except (DomainError, PlatformError) as refused:
            return _refused(refused)
        return _done(account.name, again)

    def _oauth_client(self, client: OAuthClient | None, platform: str) -> OAuthClient:
        if client is None:
            raise ValidationFailed(self._links.not_set_up(platform) or "Not set up here.")
        return client


def _actor(state: ConnectState) -> Actor:
    return Actor(state.workspace_id, state.member_id)


def _declined(label: str) -> web.Response:
    return problem_page(
        400, "Not connected", f"{label} said no (or you declined); nothing changed."
    )


def _grant_json(grant: TokenGrant) -> dict[str, str | None]:
    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "access_token": grant.access_token,
        "refresh_token": grant.refresh_token,
        "expires_at": iso(grant.expires_at),
        "refresh_expires_at": iso(grant.refresh_expires_at),
        "scope": grant.scope,
    }


def _grant_of(held: dict[str, str | None]) -> TokenGrant:
    def moment(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    return TokenGrant(
        access_token=held["access_token"] or "",
        refresh_token=held["refresh_token"],
        expires_at=moment(held["expires_at"]),
        refresh_expires_at=moment(held["refresh_expires_at"]),
        scope=held["scope"] or "",
    )


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
