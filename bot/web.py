"""The aiohttp web app: health, one-click unsubscribe, the post page of emails and the
page that confirms a member's new email address.

Links from emails carry their authority in a signature (``bot.email.links``), so
these pages need no login. Nothing changes on GET: mail scanners open every link in
an email, and an unsubscribe must wait for the reader's POST (or the RFC 8058
one-click POST a mail client makes). The lead's other routes (Slack events, OAuth
callbacks) are added to the same application.
"""

import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.typedefs import Handler

from bot.email.links import BadLink, ExpiredLink, LinkSigner
from bot.email.templating import environment
from core.errors import DomainError, NotFound, ValidationFailed
from core.notifications.types import Category
from core.posts import Post
from core.timeparse import show_time
from core.usecases.context import Services
from core.usecases.email_address import (
    ConfirmationExpired,
    ConfirmationLink,
    ConfirmationUsed,
    OpenRequest,
    check_email_confirmation,
    confirm_email,
)
from core.usecases.notifications import unsubscribe
from core.usecases.queries import PostDetails, post_for_link

log = logging.getLogger(__name__)

Health = Callable[[], Awaitable[Mapping[str, object]]]

_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # Signed links must not leak to other sites through the Referer header.
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "; ".join(
        (
            "default-src 'none'",
            "style-src 'unsafe-inline'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    ),
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
}


def create_web_app(services: Services, links: LinkSigner, health: Health) -> web.Application:
    """The application with ``/healthz``, ``/unsubscribe/{token}``, ``/posts/{token}``
    and ``/email/confirm/{token}``."""
    pages = _Pages(services, links, health)
    app = web.Application(middlewares=[_security_headers])
    app.router.add_get("/healthz", pages.healthz)
    app.router.add_get("/unsubscribe/{token}", pages.confirm_unsubscribe)
    app.router.add_post("/unsubscribe/{token}", pages.unsubscribe)
    app.router.add_get("/posts/{token}", pages.post)
    app.router.add_get("/email/confirm/{token}", pages.ask_email_confirmation)
    app.router.add_post("/email/confirm/{token}", pages.confirm_email)
    return app


async def serve(app: web.Application, port: int, host: str = "0.0.0.0") -> web.AppRunner:
    """Start listening; ``await runner.cleanup()`` stops. Port 0 picks a free port
    (``runner.addresses`` tells which)."""
    runner = web.AppRunner(app, access_log_class=RouteAccessLogger)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("web app listening", extra={"host": host, "port": port})
    return runner


QUIET_ROUTES = frozenset({"/slack/events", "/healthz", "/metrics"})


class RouteAccessLogger(AbstractAccessLogger):
    """Logs the route (``/unsubscribe/{token}``), never the path: paths hold tokens."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        route = getattr(request, "match_info", None)
        resource = route.route.resource if route is not None else None
        canonical = resource.canonical if resource is not None else "(unmatched)"
        # Slack's event traffic is the bulk of all requests and /metrics already counts it
        # by status: a line each only when something went wrong (or at DEBUG).
        quiet = canonical in QUIET_ROUTES and response.status < 400
        if quiet and not self.logger.isEnabledFor(logging.DEBUG):
            return
        (self.logger.debug if quiet else self.logger.info)(
            "http request",
            extra={
                "method": request.method,
                "route": canonical,
                "status": response.status,
                "seconds": round(time, 4),
            },
        )


@web.middleware
async def _security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    for name, value in _SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


class _Pages:
    def __init__(self, services: Services, links: LinkSigner, health: Health) -> None:
        self._services = services
        self._links = links
        self._health = health

    async def healthz(self, request: web.Request) -> web.Response:
        """200 when every check is truthy, else 503; a check that raises is a failure."""
        try:
            checks = dict(await self._health())
        except Exception as error:
            log.exception("health check failed")
            checks = {"health": False, "error": type(error).__name__}
        ok = bool(checks) and all(bool(value) for value in checks.values())
        body = {"status": "ok" if ok else "unhealthy", "checks": checks}
        return web.Response(
            text=json.dumps(body, default=str),
            status=200 if ok else 503,
            content_type="application/json",
        )

    async def confirm_unsubscribe(self, request: web.Request) -> web.Response:
        try:
            asked = self._links.read_unsubscribe_token(request.match_info["token"])
        except BadLink as bad:
            return _bad_link(bad)
        question = f"Stop email about {_kinds(asked.categories)}?"
        return page("page_unsubscribe.html.j2", {"question": question})

    async def unsubscribe(self, request: web.Request) -> web.Response:
        """The form's POST and the RFC 8058 one-click POST (``List-Unsubscribe=One-Click``)
        do the same: the signed token is the authority, the body adds nothing."""
        try:
            asked = self._links.read_unsubscribe_token(request.match_info["token"])
        except BadLink as bad:
            return _bad_link(bad)
        try:
            await unsubscribe(self._services, asked.member_id, asked.categories)
        except NotFound as missing:
            return problem_page(404, "Nothing to unsubscribe", missing.message)
        log.info(
            "unsubscribed",
            extra={
                "member_id": asked.member_id,
                "categories": [c.value for c in asked.categories or ()] or "all",
            },
        )
        done = f"You will get no more email about {_kinds(asked.categories)}."
        return page("page_unsubscribed.html.j2", {"done": done})

    async def post(self, request: web.Request) -> web.Response:
        try:
            ref = self._links.read_post_token(request.match_info["token"])
        except BadLink as bad:
            return _bad_link(bad)
        try:
            details = await post_for_link(self._services, ref.workspace_id, ref.number)
        except (NotFound, ValidationFailed):
            return problem_page(
                404,
                "Post not found",
                "This post is no longer here: it may have been deleted.",
            )
        return page("page_post.html.j2", _post_view(details))

    async def ask_email_confirmation(self, request: web.Request) -> web.Response:
        """The page with the Confirm button; a GET changes nothing (mail scanners and
        link unfurlers open every link), but says at once when the link cannot work."""
        link = self._confirmation_link(request)
        if link is None:
            return _bad_link()
        try:
            opened = await check_email_confirmation(self._services, link)
        except DomainError as refused:
            return _confirmation_refused(refused)
        return page("page_confirm_email.html.j2", _confirmation_view(opened))

    async def confirm_email(self, request: web.Request) -> web.Response:
        link = self._confirmation_link(request)
        if link is None:
            return _bad_link()
        try:
            opened = await confirm_email(self._services, link)
        except DomainError as refused:
            return _confirmation_refused(refused)
        log.info(
            "email confirmed",
            extra={"member_id": link.member_id, "workspace_id": link.workspace_id},
        )
        return page("page_email_confirmed.html.j2", _confirmation_view(opened))

    def _confirmation_link(self, request: web.Request) -> ConfirmationLink | None:
        try:
            ref = self._links.read_confirm_token(request.match_info["token"])
        except BadLink:
            return None
        return ConfirmationLink(ref.request_id, ref.member_id, ref.workspace_id, ref.address)


def _confirmation_view(opened: OpenRequest) -> dict[str, str]:
    return {
        "address": opened.address,
        "name": f"@{opened.member.name} in {opened.workspace.name}",
        "until": show_time(opened.expires_at, opened.timezone),
    }


def _confirmation_refused(refused: DomainError) -> web.Response:
    """Expired: 410; used or replaced: 409; a member or request gone: 404."""
    if isinstance(refused, ConfirmationExpired):
        return problem_page(410, "This link has expired", refused.message)
    if isinstance(refused, ConfirmationUsed):
        return problem_page(409, "This link cannot be used again", refused.message)
    if isinstance(refused, NotFound):
        return problem_page(404, "Nothing to confirm", refused.message)
    return problem_page(400, "This link does not work", refused.message)


def _kinds(categories: Sequence[Category] | None) -> str:
    if categories is None:
        return "anything (all trypost email)"
    names = [c.value for c in categories]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{listed} notices"


@dataclass(frozen=True)
class _EntryView:
    account: str
    status: str
    url: str | None
    error: str | None
    when: str | None


def _post_view(details: PostDetails) -> dict[str, Any]:
    post, zone = details.post, details.timezone
    entries = []
    for entry in post.enabled_entries:
        account = details.accounts.get(entry.account_id)
        entries.append(
            _EntryView(
                account=f"{account.name} ({entry.platform})" if account else entry.platform,
                status=entry.status.value.replace("_", " "),
                url=entry.platform_url if _web_link(entry.platform_url) else None,
                error=entry.error_message,
                when=f"published {show_time(entry.published_at, zone)}"
                if entry.published_at
                else None,
            )
        )
    review = post.review_state.value.replace("_", " ")
    return {
        "post": post,
        "status": post.status.value.replace("_", " ").capitalize(),
        "review": None if review == "none" else f"review: {review}",
        "facts": _facts(post, zone),
        "entries": entries,
    }


def _facts(post: Post, zone: str) -> list[tuple[str, str]]:
    facts: list[tuple[str, str]] = []
    for name, when in (
        ("Scheduled", post.scheduled_at),
        ("Finished", post.finished_at),
        ("Created", post.created_at),
    ):
        if when is not None:
            facts.append((name, show_time(when, zone)))
    if post.labels:
        facts.append(("Labels", ", ".join(post.labels)))
    if post.media:
        facts.append(("Media", f"{len(post.media)} file(s)"))
    return facts


def _web_link(url: str | None) -> bool:
    """Only http(s) becomes a link: escaping does not stop a ``javascript:`` URL."""
    return bool(url) and str(url).lower().startswith(("https://", "http://"))


def page(template: str, context: Mapping[str, Any], *, status: int = 200) -> web.Response:
    html = environment().get_template(template).render(context)
    return web.Response(text=html, status=status, content_type="text/html")


def problem_page(status: int, heading: str, message: str) -> web.Response:
    return page("page_problem.html.j2", {"heading": heading, "message": message}, status=status)


def _bad_link(bad: BadLink | None = None) -> web.Response:
    if isinstance(bad, ExpiredLink):
        return problem_page(410, "This link has expired", str(bad))
    return problem_page(
        400,
        "This link does not work",
        "The link is incomplete or was changed on the way. Open it again from the "
        "email, or copy the whole address into your browser.",
    )
