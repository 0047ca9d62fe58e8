"""The web app on real storage: one-click unsubscribe, the post page, health."""

import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.email.compose import compose
from bot.email.links import LinkSigner
from bot.web import create_web_app, serve
from core.accounts import SocialAccount
from core.clock import ManualClock
from core.messages import Button, Reply
from core.notifications.model import Preferences
from core.notifications.ports import EmailNotice
from core.notifications.types import Category, NoticeType
from core.posts import PlatformEntry, Post
from core.roles import Role
from core.states import EntryStatus, PostStatus
from core.usecases.context import Services
from core.workspace import Member, Workspace
from storage.uow import SqlUnitOfWorkFactory

PUBLIC_URL = "https://trypost.example.com"
SECRET = "web-test-secret"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class NoPublishing:
    """The publish port; these pages never publish."""

    async def post_ready(self, post_id: int) -> None:
        raise AssertionError("the web pages must not publish")


@dataclass
class Team:
    workspace: Workspace
    member: Member
    post: Post


class HealthProbe:
    """What the process would report; tests flip the checks."""

    def __init__(self) -> None:
        self.checks: dict[str, object] = {"database": True, "scheduler": True}
        self.broken = False

    async def __call__(self) -> Mapping[str, object]:
        if self.broken:
            raise RuntimeError("database exploded")
        return self.checks


@pytest.fixture
def links() -> LinkSigner:
    return LinkSigner(SECRET, PUBLIC_URL)


@pytest.fixture
def health() -> HealthProbe:
    return HealthProbe()


@pytest.fixture
async def team(uow_factory: SqlUnitOfWorkFactory) -> Team:
    async with uow_factory() as uow:
        workspace = await uow.workspaces.add(Workspace(name="acme", timezone="Europe/Paris"))
        member = await uow.members.add(
            Member(workspace.id, "ann", Role.OWNER, email="ann@example.com")
        )
        account = await uow.accounts.add(
            SocialAccount(workspace.id, "x", "brand-x", "@brand", credentials={"token": "t0k"})
        )
        post = Post(
            workspace_id=workspace.id,
            author_id=member.id,
            text="Spring <sale> & more",
            status=PostStatus.PARTIALLY_PUBLISHED,
            scheduled_at=T0,
            finished_at=T0,
            created_at=T0,
            updated_at=T0,
            labels=["spring"],
            entries=[
                PlatformEntry(
                    account.id,
                    "x",
                    "x_post",
                    status=EntryStatus.FAILED,
                    error_message="text over 280 characters",
                ),
                PlatformEntry(
                    account.id,
                    "x",
                    "x_post",
                    status=EntryStatus.PUBLISHED,
                    platform_url="https://x.example/brand/status/1",
                    published_at=T0,
                ),
            ],
        )
        post.number = await uow.workspaces.next_post_number(workspace.id)
        await uow.posts.add(post)
        await uow.commit()
    return Team(workspace, member, post)


@pytest.fixture
async def client(
    uow_factory: SqlUnitOfWorkFactory, links: LinkSigner, health: HealthProbe
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    services = Services(uow_factory, ManualClock(T0), NoPublishing())
    async with TestClient(TestServer(create_web_app(services, links, health))) as client:
        yield client


def _notice(team: Team) -> EmailNotice:
    number = team.post.number
    return EmailNotice(
        key="trypost-delivery-1",
        to="ann@example.com",
        recipient_name="ann",
        recipient_id=team.member.id,
        workspace_id=team.workspace.id,
        subject=f"Post {number} failed",
        items=[
            Reply(title=f"Post {number} failed", buttons=(Button("Open", "show", str(number)),))
        ],
        categories=[Category.PUBLISHING],
    )


def _unsubscribe_path(team: Team, links: LinkSigner) -> str:
    header = compose(_notice(team), "bot@example.com", links)["List-Unsubscribe"]
    url = str(header).strip("<>")
    assert url.startswith(PUBLIC_URL)
    return url.removeprefix(PUBLIC_URL)


async def _preferences(uow_factory: SqlUnitOfWorkFactory, member_id: int) -> Preferences:
    async with uow_factory() as uow:
        return await uow.preferences.get(member_id)


# --- unsubscribe -------------------------------------------------------------------


async def test_opening_the_unsubscribe_link_asks_first_and_changes_nothing(
    client: TestClient[web.Request, web.Application],
    team: Team,
    links: LinkSigner,
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    response = await client.get(_unsubscribe_path(team, links))

    assert response.status == 200
    page = await response.text()
    assert '<form method="post">' in page
    assert "publishing" in page
    prefs = await _preferences(uow_factory, team.member.id)
    assert prefs.wants_email(NoticeType.POST_FAILED)
    assert prefs.email == {}


async def test_one_click_post_turns_off_email_for_the_notices_category_only(
    client: TestClient[web.Request, web.Application],
    team: Team,
    links: LinkSigner,
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    response = await client.post(
        _unsubscribe_path(team, links),
        data="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status == 200
    assert "unsubscribed" in await response.text()
    prefs = await _preferences(uow_factory, team.member.id)
    assert prefs.email[NoticeType.POST_FAILED] is False
    assert not prefs.wants_email(NoticeType.POST_PUBLISHED)
    assert prefs.wants_email(NoticeType.ACCOUNT_DISCONNECTED)
    assert prefs.wants_email(NoticeType.APPROVAL_REQUESTED)
    assert prefs.wants_chat(NoticeType.POST_FAILED)


async def test_the_all_email_link_turns_off_every_email(
    client: TestClient[web.Request, web.Application],
    team: Team,
    links: LinkSigner,
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    path = links.unsubscribe_url(team.member.id, None).removeprefix(PUBLIC_URL)

    response = await client.post(path, data={"List-Unsubscribe": "One-Click"})

    assert response.status == 200
    prefs = await _preferences(uow_factory, team.member.id)
    assert not any(prefs.wants_email(notice) for notice in NoticeType)


async def test_a_forged_unsubscribe_link_is_refused_with_a_friendly_page(
    client: TestClient[web.Request, web.Application],
    team: Team,
    links: LinkSigner,
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    forged = LinkSigner("someone else's key", PUBLIC_URL).unsubscribe_url(team.member.id, None)
    post_token_as_unsubscribe = f"/unsubscribe/{links.post_token(team.workspace.id, 1)}"

    for path in (forged.removeprefix(PUBLIC_URL), post_token_as_unsubscribe):
        for method in ("GET", "POST"):
            response = await client.request(method, path)
            assert response.status == 400
            assert "This link does not work" in await response.text()
    assert (await _preferences(uow_factory, team.member.id)).email == {}


async def test_unsubscribing_a_member_who_left_says_so(
    client: TestClient[web.Request, web.Application], team: Team, links: LinkSigner
) -> None:
    path = links.unsubscribe_url(team.member.id + 1000, None).removeprefix(PUBLIC_URL)

    response = await client.post(path)

    assert response.status == 404
    assert "no longer exists" in await response.text()


# --- the post page -----------------------------------------------------------------


async def test_the_post_link_shows_text_status_and_each_platforms_result(
    client: TestClient[web.Request, web.Application], team: Team, links: LinkSigner
) -> None:
    path = links.post_url(team.workspace.id, team.post.number).removeprefix(PUBLIC_URL)

    response = await client.get(path)

    assert response.status == 200
    page = await response.text()
    assert "Spring &lt;sale&gt; &amp; more" in page
    assert "Partially published" in page
    assert "brand-x (x)" in page
    assert "text over 280 characters" in page
    assert 'href="https://x.example/brand/status/1"' in page
    # Times in the workspace's zone, with UTC beside them.
    assert "2026-03-01 10:00 CET (2026-03-01 09:00 UTC)" in page
    assert "t0k" not in page
    assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_a_post_link_to_a_post_that_is_gone_is_not_found(
    client: TestClient[web.Request, web.Application], team: Team, links: LinkSigner
) -> None:
    for workspace_id, number in ((team.workspace.id, 999), (team.workspace.id + 1000, 1)):
        path = links.post_url(workspace_id, number).removeprefix(PUBLIC_URL)

        response = await client.get(path)

        assert response.status == 404
        assert "Post not found" in await response.text()


async def test_a_forged_post_link_is_refused(
    client: TestClient[web.Request, web.Application], team: Team
) -> None:
    forged = LinkSigner("someone else's key", PUBLIC_URL).post_url(team.workspace.id, 1)

    response = await client.get(forged.removeprefix(PUBLIC_URL))

    assert response.status == 400


# --- health ------------------------------------------------------------------------


async def test_healthz_is_200_when_every_check_passes(
    client: TestClient[web.Request, web.Application],
) -> None:
    response = await client.get("/healthz")

    assert response.status == 200
    assert await response.json() == {
        "status": "ok",
        "checks": {"database": True, "scheduler": True},
    }


async def test_healthz_is_503_when_a_check_fails_or_the_probe_breaks(
    client: TestClient[web.Request, web.Application], health: HealthProbe
) -> None:
    health.checks = {"database": True, "scheduler": False}
    failing = await client.get("/healthz")
    assert failing.status == 503
    assert (await failing.json())["checks"]["scheduler"] is False

    health.broken = True
    broken = await client.get("/healthz")
    assert broken.status == 503
    assert (await broken.json())["status"] == "unhealthy"


# --- serving -----------------------------------------------------------------------


async def test_served_app_logs_routes_never_the_tokens_in_paths(
    uow_factory: SqlUnitOfWorkFactory,
    team: Team,
    links: LinkSigner,
    health: HealthProbe,
    caplog: pytest.LogCaptureFixture,
) -> None:
    services = Services(uow_factory, ManualClock(T0), NoPublishing())
    runner = await serve(create_web_app(services, links, health), port=0, host="127.0.0.1")
    caplog.set_level(logging.INFO)
    try:
        host, port = runner.addresses[0][:2]
        token = links.post_token(team.workspace.id, team.post.number)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://{host}:{port}/posts/{token}") as response,
        ):
            assert response.status == 200
    finally:
        await runner.cleanup()

    access = [r for r in caplog.records if r.getMessage() == "http request"]
    assert [getattr(r, "route", None) for r in access] == ["/posts/{token}"]
    assert token not in caplog.text
