"""What the publishing benchmarks share: a fake platform in a process of its own, a
database filled with posts due at one minute, and our ticker wired as a worker wires it.

The fake answers every POST after a fixed latency and keeps, per ``webhook-id`` (the
entry's idempotency key), how many times it was sent, so a benchmark can count lost and
duplicated publishes on the platform's side, not on ours.
"""

import asyncio
import multiprocessing
import socket
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.accounts import SocialAccount  # noqa: E402
from core.clock import ManualClock  # noqa: E402
from core.posts import PlatformEntry, Post  # noqa: E402
from core.roles import Role  # noqa: E402
from core.scheduling.publisher import CONCURRENCY, Publisher  # noqa: E402
from core.scheduling.tick import Ticker  # noqa: E402
from core.states import PostStatus  # noqa: E402
from core.workspace import Member, Workspace  # noqa: E402
from platforms.directory import Platforms  # noqa: E402
from platforms.webhook import WebhookClient  # noqa: E402
from storage.crypto import CredentialCipher  # noqa: E402
from storage.engine import create_engine_for, session_factory  # noqa: E402
from storage.probe import SqlTickProbe  # noqa: E402
from storage.uow import SqlUnitOfWorkFactory  # noqa: E402

DUE = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
SECRET = "bench-secret"
PG_ADMIN = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


# --- the fake platform ------------------------------------------------------------------


def _serve(port: int, latency: float, first: Any) -> None:
    sent: Counter[str] = Counter()

    async def answer(request: web.Request) -> web.Response:
        if first.value == 0.0:
            first.value = time.perf_counter()
        await request.read()
        await asyncio.sleep(latency)
        # Counted once answered: a publish the platform carried out.
        sent[request.headers.get("webhook-id", "")] += 1
        return web.json_response({"url": "https://fake.example/p"})

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(dict(sent))

    async def reset(_: web.Request) -> web.Response:
        sent.clear()
        first.value = 0.0
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/stats", stats)
    app.router.add_delete("/stats", reset)
    app.router.add_post("/{tail:.*}", answer)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, backlog=4096)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class FakePlatform:
    """The fake in its own process; ``first`` is when its first request arrived
    (``time.perf_counter``, which is system-wide on Linux)."""

    def __init__(self, latency: float) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._first = multiprocessing.Value("d", 0.0)
        self._process = multiprocessing.Process(
            target=_serve, args=(self.port, latency, self._first), daemon=True
        )

    @property
    def first(self) -> float:
        return float(self._first.value)

    async def __aenter__(self) -> "FakePlatform":
        self._process.start()
        async with aiohttp.ClientSession() as session:
            for _ in range(200):
                try:
                    async with session.get(f"{self.url}/stats") as answer:
                        await answer.read()
                        return self
                except aiohttp.ClientError:
                    await asyncio.sleep(0.05)
        raise RuntimeError("the fake platform did not start")

    async def __aexit__(self, *_: object) -> None:
        self._process.terminate()

    async def counts(self) -> Counter[str]:
        async with aiohttp.ClientSession() as session, session.get(f"{self.url}/stats") as got:
            return Counter(await got.json())

    async def reset(self) -> None:
        async with aiohttp.ClientSession() as session, session.delete(f"{self.url}/stats") as got:
            await got.read()


async def bare_loop(url: str, requests: int, accounts: int, connections: int) -> float:
    """The baseline: the same requests from a bare aiohttp loop, ``connections`` at once."""
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(n: int) -> None:
            headers = {"webhook-id": f"bare-{n}"}
            async with session.post(f"{url}/hook/{n % accounts}", json={"n": n}, headers=headers):
                pass

        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(requests)))
        return time.perf_counter() - started


# --- our side ---------------------------------------------------------------------------


@asynccontextmanager
async def fresh_database(database: str, folder: Path) -> AsyncIterator[str]:
    """An empty database for one run: a SQLite file in ``folder``, or (``database`` a
    PostgreSQL URL) a database of its own on that server, dropped afterwards."""
    if not database.startswith("postgresql"):
        yield f"sqlite+aiosqlite:///{folder / f'{uuid.uuid4().hex}.db'}"
        return
    import asyncpg

    name = f"trypost_bench_{uuid.uuid4().hex[:10]}"
    admin = database.replace("postgresql+asyncpg", "postgresql")
    connection = await asyncpg.connect(admin)
    await connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()


async def fill(database: str, url: str, entries: int, accounts: int) -> None:
    """``entries`` posts due at ``DUE``, each with one entry on one of ``accounts``
    webhook accounts pointing at the fake."""
    from storage.migrate import upgrade_engine

    engine = create_engine_for(database)
    await upgrade_engine(engine)
    uow = SqlUnitOfWorkFactory(session_factory(engine), CredentialCipher(SECRET))
    async with uow() as tx:
        workspace = await tx.workspaces.add(Workspace(name="bench"))
        owner = await tx.members.add(Member(workspace.id, "olive", Role.OWNER))
        ids = []
        for n in range(accounts):
            account = SocialAccount(workspace.id, "webhook", f"hook{n}", "127.0.0.1",
                                    credentials={"url": f"{url}/hook/{n}"})  # fmt: skip
            ids.append((await tx.accounts.add(account)).id)
        made = DUE - timedelta(days=1)
        for n in range(entries):
            entry = PlatformEntry(ids[n % accounts], "webhook", "webhook_post")
            post = Post(workspace_id=workspace.id, author_id=owner.id, text=f"post {n}",
                        number=n + 1, status=PostStatus.SCHEDULED, scheduled_at=DUE,
                        created_at=made, updated_at=made, entries=[entry])  # fmt: skip
            await tx.posts.add(post)
        await tx.commit()
    await engine.dispose()


@asynccontextmanager
async def worker(database: str, concurrency: int = CONCURRENCY) -> AsyncIterator[Ticker]:
    """Our ticker and publisher on the webhook client, at the concurrency `trypost
    worker` runs with, on a clock stopped at the due minute."""
    engine = create_engine_for(database)
    uow = SqlUnitOfWorkFactory(session_factory(engine), CredentialCipher(SECRET))
    clock = ManualClock(DUE)
    client = WebhookClient({"127.0.0.1"})
    publisher = Publisher(uow, Platforms({"webhook": client}), clock, concurrency=concurrency)
    try:
        yield Ticker(uow, clock, publisher, probe=SqlTickProbe(engine))
    finally:
        await client.aclose()
        await engine.dispose()


async def unpublished(database: str) -> int:
    """Entries not published (0 once a run is complete)."""
    from sqlalchemy import func, select

    from storage.tables import PlatformEntryRow

    engine = create_engine_for(database)
    try:
        async with engine.connect() as connection:
            stmt = select(func.count()).where(PlatformEntryRow.status != "published")
            return int((await connection.execute(stmt)).scalar_one())
    finally:
        await engine.dispose()
