"""P6: four workers on one PostgreSQL against one, I/O-bound, in the same run.

    .venv/bin/python bench/workers_pg.py [--entries 4000] [--accounts 1000]
        [--latency 1.0] [--workers 4] [--runs 5] [--database URL]

A fake platform (``bench/publishing_rig.py``) answers every POST after ``--latency``
seconds and counts each entry's publishes. ``--entries`` posts, one entry each, are due
at the same minute in a new PostgreSQL database (created on ``--database``'s server,
default the local one, dropped after the run). Then either one or ``--workers`` worker
processes — each our ``Ticker`` + ``Publisher`` at the concurrency ``trypost worker``
runs with, with an engine of its own — tick at the same instant; the time is until
the last of them finished. Throughput is entries ÷ that time; the figure is the ratio
of the ``--workers`` throughput to the single worker's (target ≥ 3), with 0 lost and 0
published twice, counted on the fake. Not a test: exit status 1 when a target is missed.
"""

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from publishing_rig import PG_ADMIN, FakePlatform, fill, fresh_database, worker  # noqa: E402


def _work(database: str, ready: Any, go: Any, done: Any) -> None:
    async def run() -> None:
        async with worker(database) as ticker:
            ready.wait()
            go.wait()
            report = await ticker.tick()
            done.put((time.perf_counter(), report.claimed))

    asyncio.run(run())


async def one_run(
    args: argparse.Namespace, workers: int, fake: FakePlatform, folder: Path
) -> tuple[float, int, int]:
    """(seconds until every worker finished, lost, doubled)."""
    async with fresh_database(args.database, folder) as database:
        await fill(database, fake.url, args.entries, args.accounts)
        await fake.reset()
        context = multiprocessing.get_context("spawn")
        ready, go, done = context.Barrier(workers + 1), context.Event(), context.Queue()
        processes = [
            context.Process(target=_work, args=(database, ready, go, done)) for _ in range(workers)
        ]
        for process in processes:
            process.start()
        await asyncio.to_thread(ready.wait)
        started = time.perf_counter()
        go.set()
        ends = [await asyncio.to_thread(done.get) for _ in processes]
        for process in processes:
            process.join()
        counts = await fake.counts()
    took = max(end for end, _ in ends) - started
    shares = sorted(claimed for _, claimed in ends)
    print(f"  {workers} worker(s): {took:.2f} s, posts claimed per worker {shares}", flush=True)
    return took, args.entries - len(counts), sum(n - 1 for n in counts.values())


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=4000)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", default=PG_ADMIN)
    args = parser.parse_args()
    singles, many, faults = [], [], [0, 0]
    with tempfile.TemporaryDirectory() as tmp:
        async with FakePlatform(args.latency) as fake:
            for run in range(args.runs):
                print(f"run {run + 1}:", flush=True)
                for count, times in ((1, singles), (args.workers, many)):
                    took, lost, doubled = await one_run(args, count, fake, Path(tmp))
                    times.append(took)
                    faults[0] += lost
                    faults[1] += doubled
    one, several = statistics.median(singles), statistics.median(many)
    ratio = one / several
    print(f"\n| figure | value |\n|---|---|\n"
          f"| entries, accounts, fake latency | {args.entries:,}, {args.accounts:,}, "
          f"{args.latency:g} s |\n"
          f"| 1 worker (median of {args.runs}) | {one:.2f} s ({args.entries / one:,.0f}/s) |\n"
          f"| {args.workers} workers | {several:.2f} s ({args.entries / several:,.0f}/s) |\n"
          f"| throughput ratio (P6 target ≥ 3) | {ratio:.2f} |\n"
          f"| lost, doubled (all runs, fake's counts) | {faults[0]}, {faults[1]} |")  # fmt: skip
    return 0 if ratio >= 3 and not any(faults) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
