"""The confirmation email and its page: GET shows a button and changes nothing, POST
confirms once; a forged, expired, used or orphaned link gets a clear 4xx page."""

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.email.compose import compose_confirmation
from bot.email.links import LinkSigner
from bot.web import create_web_app
from core.usecases.email_address import request_email_change
from tests.unit.conftest import Pipes, World

NEW = "olive@new.example.org"
PUBLIC_URL = "https://trypost.example.com"

Client = TestClient[web.Request, web.Application]


async def healthy() -> dict[str, object]:
    return {"database": True}


@pytest.fixture
def links() -> LinkSigner:
    return LinkSigner("page-test-secret", PUBLIC_URL)


@pytest.fixture
async def client(world: World, links: LinkSigner) -> AsyncIterator[Client]:
    async with TestClient(TestServer(create_web_app(world.svc, links, healthy))) as http:
        yield http


async def asked(world: World, pipes: Pipes, links: LinkSigner) -> str:
    """Ask for NEW; return the path of the link in the email that went out."""
    await request_email_change(world.svc, world.owner, NEW)
    await pipes.flush()
    [sent] = pipes.mail.confirmations
    message = compose_confirmation(sent, "bot@example.com", links)
    text = message.get_body(("plain",))
    assert text is not None
    url = re.search(r"https://\S+/email/confirm/\S+", text.get_content())
    assert url is not None
    return url.group(0).removeprefix(PUBLIC_URL)


async def email_of(world: World) -> str | None:
    async with world.uow() as uow:
        member = await uow.members.get(world.owner.member_id)
    return member.email if member else None


async def test_the_email_goes_to_the_new_address_with_the_link_in_both_parts(
    world: World, pipes: Pipes, links: LinkSigner
) -> None:
    await request_email_change(world.svc, world.owner, NEW)
    await pipes.flush()
    [sent] = pipes.mail.confirmations
    message = compose_confirmation(sent, "Trypost <bot@example.com>", links)
    assert message["To"].addresses[0].addr_spec == NEW
    assert message["Message-ID"] == f"<{sent.key}@example.com>"
    assert message["List-Unsubscribe"] is None, "the new address's reader cannot opt us out"
    url = links.confirm_url(sent.request_id, sent.recipient_id, sent.workspace_id, NEW)
    for kind in ("plain", "html"):
        part = message.get_body((kind,))
        assert part is not None and url in part.get_content()
    assert "2026-11-26 10:00 UTC" in str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]


async def test_get_shows_a_button_and_changes_nothing_post_confirms_once(
    world: World, pipes: Pipes, links: LinkSigner, client: Client
) -> None:
    path = await asked(world, pipes, links)
    page = await client.get(path)
    body = await page.text()
    assert page.status == 200 and NEW in body and '<form method="post">' in body
    assert await email_of(world) == "olive@example.test"
    done = await client.post(path)
    assert done.status == 200 and "Confirmed" in await done.text()
    assert await email_of(world) == NEW
    again = await client.post(path)
    assert again.status == 409 and "used already" in await again.text()
    assert (await client.get(path)).status == 409


async def test_a_forged_or_foreign_link_is_400(
    world: World, pipes: Pipes, links: LinkSigner, client: Client
) -> None:
    path = await asked(world, pipes, links)
    for bad in (path[:-3] + "xyz", "/email/confirm/forged", links.unsubscribe_url(1, None)):
        token = bad.rsplit("/", 1)[1]
        for method in (client.get, client.post):
            answer = await method(f"/email/confirm/{token}")
            assert answer.status == 400, bad
    assert await email_of(world) == "olive@example.test"


async def test_an_expired_link_is_410(
    world: World, pipes: Pipes, links: LinkSigner, client: Client
) -> None:
    path = await asked(world, pipes, links)
    world.clock.advance(timedelta(hours=25))
    for method in (client.get, client.post):
        answer = await method(path)
        assert answer.status == 410 and "expired" in await answer.text()
    assert await email_of(world) == "olive@example.test"


async def test_a_link_for_someone_gone_is_404(
    world: World, pipes: Pipes, links: LinkSigner, client: Client
) -> None:
    path = await asked(world, pipes, links)
    async with world.uow() as uow:
        await uow.members.remove(world.owner.member_id)
        await uow.commit()
    answer = await client.post(path)
    assert answer.status == 404
