"""P1 and P2: how fast due posts go out, next to a bare aiohttp loop, in the same run.

    .venv/bin/python bench/publish_rate.py [--entries 1000] [--accounts 1000]
        [--latency 0.1] [--connections 256] [--runs 5] [--database URL]

A fake platform (an aiohttp server in a process of its own, ``bench/publishing_rig.py``)
answers every POST after ``--latency`` seconds and counts each entry's publishes.
``--entries`` posts, each with one entry on one of ``--accounts`` webhook accounts, are
all due at the same minute in a fresh database (a SQLite file, or with ``--database
postgresql+asyncpg://postgres@127.0.0.1:5432/test`` a new database on that server); the
real ``Ticker`` + ``Publisher`` (at the concurrency ``trypost worker`` runs with) +
``WebhookClient`` publish them in one tick. Measured: how long after the tick began the
first request reached the fake, how long until every entry was published, and on the
fake's own counters how many were lost or sent twice. The baseline: a bare aiohttp loop
sending the same number of requests to the same fake with ``--connections`` connections.

Targets (issue 13): P1 (1,000 entries) the first request ≤ 100 ms after the minute and
all within 1.3 × the bare loop's time; P2 (10,000 entries on 1,000 accounts) rate ÷ the
bare loop's ≥ 0.5 on SQLite, ≥ 0.7 on PostgreSQL. Not a test: the exit status is 1 when
the median misses its target (P1 when ``--entries`` ≤ 1,000, else P2) or an entry was
lost or doubled.
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from publishing_rig import FakePlatform, bare_loop, fill, fresh_database, worker  # noqa: E402


async def ours(
    args: argparse.Namespace, fake: FakePlatform, folder: Path
) -> tuple[float, float, int, int]:
    """(first request after the tick began, all published, lost, doubled)."""
    async with fresh_database(args.database, folder) as database:
        await fill(database, fake.url, args.entries, args.accounts)
        await fake.reset()
        async with worker(database) as ticker:
            started = time.perf_counter()
            report = await ticker.tick()
            took = time.perf_counter() - started
        assert report.claimed == args.entries, report
        counts = await fake.counts()
    lost = args.entries - len(counts)
    doubled = sum(n - 1 for n in counts.values())
    return fake.first - started, took, lost, doubled


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", default="")
    args = parser.parse_args()
    firsts, ours_s, bares, faults = [], [], [], [0, 0]
    with tempfile.TemporaryDirectory() as tmp:
        async with FakePlatform(args.latency) as fake:
            for run in range(args.runs):
                bares.append(
                    await bare_loop(fake.url, args.entries, args.accounts, args.connections)
                )
                lead, took, lost, doubled = await ours(args, fake, Path(tmp))
                firsts.append(lead)
                ours_s.append(took)
                faults[0] += lost
                faults[1] += doubled
                print(f"run {run + 1}: ours {took:.2f} s (first request +{lead * 1000:.0f} ms, "
                      f"{lost} lost, {doubled} doubled), bare loop {bares[-1]:.2f} s",
                      flush=True)  # fmt: skip
    took, base, lead = (statistics.median(x) for x in (ours_s, bares, firsts))
    ratio = took / base
    where = "PostgreSQL" if args.database.startswith("postgresql") else "SQLite"
    print(f"\n| figure | value |\n|---|---|\n"
          f"| database, entries, accounts, fake latency | {where}, {args.entries:,}, "
          f"{args.accounts:,}, {args.latency * 1000:.0f} ms |\n"
          f"| ours: all published (median of {args.runs}) | {took:.3f} s "
          f"({args.entries / took:,.0f}/s) |\n"
          f"| bare aiohttp loop, {args.connections} connections | {base:.3f} s "
          f"({args.entries / base:,.0f}/s) |\n"
          f"| time ratio (P1 target ≤ 1.3) | {ratio:.2f} |\n"
          f"| rate ratio (P2 target ≥ 0.5 SQLite, ≥ 0.7 PostgreSQL) | {base / took:.2f} |\n"
          f"| first request after the minute (P1 target ≤ 100 ms) | {lead * 1000:.0f} ms |\n"
          f"| lost, doubled (all runs, fake's counts) | {faults[0]}, {faults[1]} |")  # fmt: skip
    if any(faults):
        return 1
    if args.entries <= 1000:
        return 0 if lead <= 0.1 and ratio <= 1.3 else 1
    return 0 if base / took >= (0.7 if where == "PostgreSQL" else 0.5) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
