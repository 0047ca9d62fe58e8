"""Issue 13, security: the tokens that carry authority outside chat — post links and
unsubscribe links in emails, connect states in connect links — cannot be forged or
altered, and those with a lifetime stop working when it is over, counted on the bot's
clock (a ManualClock here: nothing sleeps).

The links are read by the real web app (``trypost serve``'s routes, over HTTP) on a
migrated SQLite database; connect states go through the real repository.
"""

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text

from bot.app import App, build_app
from bot.commands.dispatch import Context, dispatch
from bot.commands.grammar import parse
from bot.email.links import POST_LINK_DAYS, UNSUBSCRIBE_LINK_DAYS, LinkSigner
from bot.settings import Settings
from core.clock import ManualClock
from core.connecting import STATE_LIFETIME
from core.errors import NotFound, ValidationFailed
from core.usecases import connect
from core.usecases.context import Actor
from tests.integration.test_workspace_walls import _team

START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
PUBLIC_URL = "https://trypost.example.com"
SECRET = "links-secret"


@dataclass
class Served:
    app: App
    clock: ManualClock
    http: TestClient[web.Request, web.Application]
    acme: Actor
    globex: Actor


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'trypost.db'}",
        secret_key=SECRET,
        sandbox_dir=tmp_path / "sandbox-posts",
        media_dir=tmp_path / "media",
        outbox_dir=tmp_path / "outbox",
        public_url=PUBLIC_URL,
    )
    clock = ManualClock(START)
    app = await build_app(settings, clock=clock)
    acme, globex = await _team(app.services, "acme"), await _team(app.services, "globex")
    for actor, words in ((acme, "ACME"), (globex, "GLOBEX")):
        for line in ("accounts add sandbox main", f'draft "{words} secret plans"'):
            await dispatch(parse(line), Context(app.services, actor))
    async with TestClient(TestServer(app.web_app())) as http:
        yield Served(app, clock, http, acme, globex)
    await app.aclose()


def _path(url: str) -> str:
    return url.removeprefix(PUBLIC_URL)


def _with_payload(token: str, payload: dict[str, object]) -> str:
    """The token with another payload and its original signature (and timestamp)."""
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
    return body.decode().rstrip("=") + token[token.index(".") :]


def _one_char_off(token: str) -> list[str]:
    """The token with one character changed, at its start, middle and end."""
    flip = {c: ("A" if c != "A" else "B") for c in set(token)}
    return [token[:i] + flip[token[i]] + token[i + 1 :] for i in (0, len(token) // 2, -1)]


async def _get(served: Served, path: str) -> tuple[int, str]:
    response = await served.http.get(path)
    return response.status, await response.text()


async def test_a_post_link_cannot_be_forged_or_pointed_at_another_post(served: Served) -> None:
    links = served.app.links
    token = links.post_token(served.acme.workspace_id, 1)
    status, page = await _get(served, f"/posts/{token}")
    assert status == 200 and "ACME secret plans" in page, "a genuine link opens its post"

    forged = [
        LinkSigner("a guessed key", PUBLIC_URL).post_token(served.globex.workspace_id, 1),
        _with_payload(token, {"w": served.globex.workspace_id, "n": 1}),
        links.unsubscribe_token(served.acme.member_id, None),  # the wrong kind of token
        *_one_char_off(token),
        token.rsplit(".", 1)[0],  # no signature
    ]
    for bad in forged:
        status, page = await _get(served, f"/posts/{bad}")
        assert status in (400, 404), (bad, status)
        assert "secret plans" not in page, bad


async def test_a_post_link_stops_opening_after_its_days_on_the_bots_clock(
    served: Served,
) -> None:
    path = _path(served.app.links.post_url(served.acme.workspace_id, 1))
    served.clock.advance(timedelta(days=POST_LINK_DAYS) - timedelta(minutes=1))
    status, page = await _get(served, path)
    assert status == 200 and "ACME secret plans" in page, "within its days"
    served.clock.advance(timedelta(minutes=2))
    status, page = await _get(served, path)
    assert status == 410 and "secret plans" not in page, "past its days"
    assert "open the post from chat" in page


async def _email_off(served: Served, member_id: int) -> bool:
    async with served.app.uow() as uow:
        prefs = await uow.preferences.get(member_id)
    return bool(prefs and prefs.email)


async def test_an_unsubscribe_link_cannot_be_forged_or_turned_on_someone_else(
    served: Served,
) -> None:
    links = served.app.links
    mine = links.unsubscribe_token(served.acme.member_id, None)
    forged = [
        LinkSigner("a guessed key", PUBLIC_URL).unsubscribe_token(served.globex.member_id, None),
        _with_payload(mine, {"m": served.globex.member_id, "c": None}),
        links.post_token(served.globex.workspace_id, 1),  # the wrong kind of token
        *_one_char_off(mine),
    ]
    for bad in forged:
        response = await served.http.post(f"/unsubscribe/{bad}")
        assert response.status == 400, bad
    assert not await _email_off(served, served.globex.member_id), "nobody was unsubscribed"
    assert not await _email_off(served, served.acme.member_id)

    # Unsubscribe links last 180 days on the bot's clock (CAN-SPAM asks 30), then the
    # page says how to turn email off from chat, and changes nothing.
    served.clock.advance(timedelta(days=UNSUBSCRIBE_LINK_DAYS, minutes=1))
    response = await served.http.post(f"/unsubscribe/{mine}")
    assert response.status == 410
    assert "settings notifications email off" in await response.text()
    assert not await _email_off(served, served.acme.member_id)
    fresh = links.unsubscribe_token(served.acme.member_id, None)
    served.clock.advance(timedelta(days=UNSUBSCRIBE_LINK_DAYS) - timedelta(minutes=1))
    response = await served.http.post(f"/unsubscribe/{fresh}")
    assert response.status == 200, "within its days"
    assert await _email_off(served, served.acme.member_id)
    assert not await _email_off(served, served.globex.member_id)


async def test_a_connect_state_is_unforgeable_bound_and_lives_15_minutes(
    served: Served,
) -> None:
    svc = served.app.services
    token = await connect.connect_link_state(svc, served.acme, "mastodon", "https://m.example")
    async with served.app.engine.connect() as connection:
        rows = str((await connection.execute(text("SELECT * FROM connect_states"))).all())
    assert token not in rows, "only the token's hash is stored: a database read opens nothing"

    for bad in [*_one_char_off(token), token[:-1], token + "x", "", "forged"]:
        with pytest.raises(NotFound):
            await connect.open_state(svc, bad, "mastodon")
    with pytest.raises(NotFound):  # bound to its platform
        await connect.open_state(svc, token, "bluesky")
    state = await connect.open_state(svc, token, "mastodon")
    assert (state.workspace_id, state.member_id) == (
        served.acme.workspace_id,
        served.acme.member_id,
    )

    served.clock.advance(STATE_LIFETIME - timedelta(seconds=1))
    assert await connect.open_state(svc, token, "mastodon"), "alive until its last second"
    served.clock.advance(timedelta(seconds=1))
    with pytest.raises(ValidationFailed, match="older than 15 minutes"):
        await connect.open_state(svc, token, "mastodon")
    with pytest.raises(ValidationFailed):
        await connect.spend_state(svc, token, "mastodon")

    fresh = await connect.connect_link_state(svc, served.acme, "mastodon", "https://m.example")
    await connect.spend_state(svc, fresh, "mastodon")
    with pytest.raises(ValidationFailed, match="used already"):
        await connect.spend_state(svc, fresh, "mastodon")
