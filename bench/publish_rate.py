"""P1 and P2: how fast due posts go out, next to a bare aiohttp loop, in the same run.

    .venv/bin/python bench/publish_rate.py [--entries 1000] [--accounts 1000]
        [--latency 0.1] [--concurrency 256] [--runs 5] [--database URL]

A fake platform (an aiohttp server in a process of its own) answers every POST after
``--latency`` seconds. ``--entries`` posts, each with one entry on one of ``--accounts``
webhook accounts, are all due at the same minute in a fresh database (SQLite in a
temporary folder, or ``--database``, e.g. a PostgreSQL URL); the real ``Ticker`` +
``Publisher`` + ``WebhookClient`` publish them in one tick. Measured: how long after the
tick began the first request reached the fake, and how long until every entry was
published. The baseline: a bare aiohttp loop sending the same number of requests to the
same fake with ``--concurrency`` connections.

Targets (issue 13): P1 (1,000 entries) the first request ≤ 100 ms after the minute and
all within 1.3 × the bare loop's time; P2 (10,000 entries on 1,000 accounts) rate ÷ the
bare loop's ≥ 0.5 on SQLite, ≥ 0.7 on PostgreSQL. Not a test: the exit status is 1 when
the median misses a target.
"""

import argparse
import asyncio
import multiprocessing
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.accounts import SocialAccount  # noqa: E402
from core.clock import ManualClock  # noqa: E402
from core.posts import PlatformEntry, Post  # noqa: E402
from core.roles import Role  # noqa: E402
from core.scheduling.publisher import Publisher  # noqa: E402
from core.scheduling.tick import Ticker  # noqa: E402
from core.states import PostStatus  # noqa: E402
from core.workspace import Member, Workspace  # noqa: E402
from platforms.directory import Platforms  # noqa: E402
from platforms.webhook import WebhookClient  # noqa: E402
from storage.crypto import CredentialCipher  # noqa: E402
from storage.engine import create_engine_for, session_factory  # noqa: E402
from storage.migrate import upgrade_engine  # noqa: E402
from storage.probe import SqlTickProbe  # noqa: E402
from storage.uow import SqlUnitOfWorkFactory  # noqa: E402

DUE = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


# --- the fake platform, in its own process -------------------------------------------


def _serve(
    port: int, latency: float, first: "multiprocessing.sharedctypes.Synchronized[float]"
) -> None:
    async def answer(request: web.Request) -> web.Response:
        if first.value == 0.0:
            first.value = time.perf_counter()
        await request.read()
        await asyncio.sleep(latency)
        return web.json_response({"url": "https://fake.example/p"})

    app = web.Application()
    app.router.add_post("/{tail:.*}", answer)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- our side ------------------------------------------------------------------------


async def _fill(uow: SqlUnitOfWorkFactory, url: str, entries: int, accounts: int) -> None:
    async with uow() as tx:
        workspace = await tx.workspaces.add(Workspace(name="bench"))
        owner = await tx.members.add(Member(workspace.id, "olive", Role.OWNER))
        ids = []
        for n in range(accounts):
            account = SocialAccount(workspace.id, "webhook", f"hook{n}", "127.0.0.1",
                                    credentials={"url": f"{url}/hook/{n}"})  # fmt: skip
            ids.append((await tx.accounts.add(account)).id)
        for n in range(entries):
            entry = PlatformEntry(ids[n % accounts], "webhook", "webhook_post")
            made = DUE - timedelta(days=1)
            post = Post(workspace_id=workspace.id, author_id=owner.id, text=f"post {n}",
                        number=n + 1, status=PostStatus.SCHEDULED, scheduled_at=DUE,
                        created_at=made, updated_at=made, entries=[entry])  # fmt: skip
            await tx.posts.add(post)
        await tx.commit()


async def ours(
    args: argparse.Namespace, url: str, first: "multiprocessing.sharedctypes.Synchronized[float]"
) -> tuple[float, float]:
    """(first request after the tick began, all published), in seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        database = args.database or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        engine = create_engine_for(database)
        await upgrade_engine(engine)
        uow = SqlUnitOfWorkFactory(session_factory(engine), CredentialCipher("bench-secret"))
        await _fill(uow, url, args.entries, args.accounts)
        clock = ManualClock(DUE)
        client = WebhookClient({"127.0.0.1"})
        publisher = Publisher(uow, Platforms({"webhook": client}), clock,
                              concurrency=args.concurrency)  # fmt: skip
        ticker = Ticker(uow, clock, publisher, probe=SqlTickProbe(engine))
        first.value = 0.0
        started = time.perf_counter()
        report = await ticker.tick()
        done = time.perf_counter() - started
        assert report.claimed == args.entries, report
        await client.aclose()
        await engine.dispose()
    return first.value - started, done


async def bare(args: argparse.Namespace, url: str) -> float:
    """The same requests from a bare aiohttp loop with ``--concurrency`` connections."""
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(n: int) -> None:
            async with session.post(f"{url}/hook/{n % args.accounts}", json={"n": n}) as r:
                await r.read()

        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(args.entries)))
        return time.perf_counter() - started


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", default="")
    args = parser.parse_args()
    port = _free_port()
    first = multiprocessing.Value("d", 0.0)
    server = multiprocessing.Process(target=_serve, args=(port, args.latency, first), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            await bare(argparse.Namespace(**{**vars(args), "entries": 1}), url)
            break
        except aiohttp.ClientError:
            await asyncio.sleep(0.05)
    firsts, ours_s, bares = [], [], []
    try:
        for run in range(args.runs):
            bares.append(await bare(args, url))
            lead, took = await ours(args, url, first)
            firsts.append(lead)
            ours_s.append(took)
            print(f"run {run + 1}: ours {took:.2f} s (first request +{lead * 1000:.0f} ms), "
                  f"bare loop {bares[-1]:.2f} s", flush=True)  # fmt: skip
    finally:
        server.terminate()
    took, base, lead = (statistics.median(x) for x in (ours_s, bares, firsts))
    ratio = took / base
    print(f"\n| figure | value |\n|---|---|\n"
          f"| entries, accounts, fake latency, connections | {args.entries:,}, {args.accounts:,}, "
          f"{args.latency * 1000:.0f} ms, {args.concurrency} |\n"
          f"| ours: all published (median of {args.runs}) | {took:.3f} s "
          f"({args.entries / took:,.0f}/s) |\n"
          f"| bare aiohttp loop | {base:.3f} s ({args.entries / base:,.0f}/s) |\n"
          f"| time ratio (P1 target ≤ 1.3) | {ratio:.2f} |\n"
          f"| rate ratio (P2 target ≥ 0.5 SQLite, ≥ 0.7 PostgreSQL) | {base / took:.2f} |\n"
          f"| first request after the minute (P1 target ≤ 100 ms) | "
          f"{lead * 1000:.0f} ms |")  # fmt: skip
    return 0 if lead <= 0.1 and ratio <= 1.3 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
