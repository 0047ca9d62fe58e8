"""P3: what a minute tick costs when nothing is due, with many posts scheduled ahead.

    .venv/bin/python bench/idle_tick.py [--posts 1000000] [--small 10000] [--ticks 300] [--runs 5]

Two SQLite databases (migrated as ``trypost`` migrates them) hold ``--small`` and
``--posts`` future posts, one entry each, in a workspace with a sandbox account; the
rows are generated in SQL (a recursive CTE), so filling a million takes seconds. The
real ``Ticker`` (with the real ``Publisher``, recovery and overdue-review checks) then
ticks ``--ticks`` times on each, nothing being due; each run's figure is the median
tick.

The baseline, in the same run: APScheduler 3's ``SQLAlchemyJobStore`` on SQLite holding
one date job per post (the classic "a job per scheduled post" design): its idle
wake-up (``get_due_jobs`` + ``get_next_run_time``, what the scheduler runs each time it
wakes) and the cost of adding one job at that size.

Targets (issue 13): our idle tick at ``--posts`` ≤ 1.5 × our idle tick at ``--small``
(flat), and ≤ 1 ms. Not a test: nothing asserts a timing, but the exit status is 1
when the median of the runs misses a target.
"""

import argparse
import asyncio
import gc
import pickle
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.clock import ManualClock  # noqa: E402
from core.scheduling.publisher import Publisher  # noqa: E402
from core.scheduling.tick import Ticker  # noqa: E402
from platforms.directory import Platforms  # noqa: E402
from platforms.sandbox import SandboxClient  # noqa: E402
from storage.crypto import CredentialCipher  # noqa: E402
from storage.engine import create_engine_for, session_factory  # noqa: E402
from storage.migrate import upgrade_engine  # noqa: E402
from storage.probe import SqlTickProbe  # noqa: E402
from storage.uow import SqlUnitOfWorkFactory  # noqa: E402

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
FLAT_TARGET = 1.5
ABSOLUTE_TARGET = 0.001
_STAMP = "%Y-%m-%d %H:%M:%S.000000"


def fill_posts(path: Path, count: int) -> None:
    """``count`` scheduled posts, one a minute from tomorrow on, with an entry each."""
    engine = create_engine(f"sqlite:///{path}")
    start = (NOW + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    made = NOW.strftime("%Y-%m-%d %H:%M:%S.000000")
    with engine.begin() as db:
        db.execute(text("INSERT INTO workspaces (name, default_account_ids, next_post_number) "
                        "VALUES ('bench', '[]', :n)"), {"n": count + 1})  # fmt: skip
        db.execute(text("INSERT INTO members (workspace_id, name, role) "
                        "VALUES (1, 'olive', 'owner')"))  # fmt: skip
        db.execute(text("INSERT INTO social_accounts (workspace_id, platform, name, handle, "
                        "status, credentials_encrypted, token_renewable) "
                        "VALUES (1, 'sandbox', 'main', '@main', 'connected', '', 0)"))  # fmt: skip
        db.execute(
            text(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
                "INSERT INTO posts (workspace_id, number, author_id, text, media, status, "
                "review_state, scheduled_at, created_at, updated_at, version, "
                "review_overdue_noted) "
                "SELECT 1, i, 1, 'post ' || i, '[]', 'scheduled', 'none', "
                "strftime('%Y-%m-%d %H:%M:%S.000000', :start, '+' || i || ' minutes'), "
                ":made, :made, 0, 0 FROM n"
            ),
            {"count": count, "start": start, "made": made},
        )
        db.execute(
            text(
                "INSERT INTO platform_entries (post_id, account_id, platform, content_type, "
                "enabled, status, attempts, generation, version, key) "
                "SELECT id, 1, 'sandbox', 'sandbox_post', 1, 'pending', 0, 0, 0, "
                "printf('%024x', id) FROM posts"
            )
        )
        db.execute(text("ANALYZE"))
    engine.dispose()


async def our_idle_ticks(path: Path, ticks: int) -> float:
    """The median idle tick, in seconds, on the database at ``path``."""
    engine = create_engine_for(f"sqlite+aiosqlite:///{path}")
    uow = SqlUnitOfWorkFactory(session_factory(engine), CredentialCipher("bench-secret"))
    clock = ManualClock(NOW)
    with tempfile.TemporaryDirectory() as sandbox:
        platforms = Platforms({"sandbox": SandboxClient(Path(sandbox))})
        probe = SqlTickProbe(engine)
        ticker = Ticker(uow, clock, Publisher(uow, platforms, clock), probe=probe)
        for _ in range(20):  # warm the caches and the statement cache
            await ticker.tick()
        times = []
        gc.disable()
        try:
            for _ in range(ticks):
                started = time.perf_counter()
                report = await ticker.tick()
                times.append(time.perf_counter() - started)
                assert report.claimed == 0 and report.published_posts == 0
        finally:
            gc.enable()
            probe.close()
    await engine.dispose()
    return statistics.median(times)


def apscheduler_baseline(path: Path, jobs: int, wakeups: int) -> tuple[float, float]:
    """APScheduler 3's SQLAlchemyJobStore holding ``jobs`` date jobs: (median idle
    wake-up, median cost of adding one job), in seconds."""
    from apscheduler.job import Job
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.date import DateTrigger

    url = f"sqlite:///{path}"
    store = SQLAlchemyJobStore(url=url)
    scheduler = BackgroundScheduler(timezone=UTC)
    store.start(scheduler, "default")
    template = Job(scheduler, id="template", func="builtins:print", args=("post",), kwargs={},
                   trigger=DateTrigger(NOW + timedelta(days=1)), executor="default",
                   name="post", misfire_grace_time=60, coalesce=True, max_instances=1,
                   next_run_time=NOW + timedelta(days=1))  # fmt: skip
    state = template.__getstate__()
    engine = create_engine(url)
    with engine.begin() as db:
        rows = []
        for i in range(jobs):
            when = NOW + timedelta(days=1, minutes=i)
            job_state = {**state, "id": f"post-{i}", "next_run_time": when}
            rows.append({"id": f"post-{i}", "t": when.timestamp(), "s": pickle.dumps(job_state)})
            if len(rows) == 10_000:
                db.execute(text("INSERT INTO apscheduler_jobs VALUES (:id, :t, :s)"), rows)
                rows = []
        if rows:
            db.execute(text("INSERT INTO apscheduler_jobs VALUES (:id, :t, :s)"), rows)
    engine.dispose()
    wake, add = [], []
    for n in range(wakeups):
        started = time.perf_counter()
        assert not store.get_due_jobs(NOW)
        store.get_next_run_time()
        wake.append(time.perf_counter() - started)
        if n < 50:
            job = Job(scheduler, id=f"new-{n}", func="builtins:print", args=("post",), kwargs={},
                      trigger=DateTrigger(NOW + timedelta(days=2)), executor="default",
                      name="post", misfire_grace_time=60, coalesce=True, max_instances=1,
                      next_run_time=NOW + timedelta(days=2))  # fmt: skip
            started = time.perf_counter()
            store.add_job(job)
            add.append(time.perf_counter() - started)
    store.shutdown()
    return statistics.median(wake), statistics.median(add)


async def prepared(folder: Path, count: int) -> Path:
    path = folder / f"posts-{count}.db"
    engine = create_engine_for(f"sqlite+aiosqlite:///{path}")
    await upgrade_engine(engine)
    await engine.dispose()
    fill_posts(path, count)
    return path


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--ticks", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        small, large = await prepared(folder, args.small), await prepared(folder, args.posts)
        print(f"filled {args.small:,} and {args.posts:,} posts in "
              f"{time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip
        ours_small, ours_large, wake, add = [], [], [], []
        for run in range(args.runs):
            ours_small.append(await our_idle_ticks(small, args.ticks))
            ours_large.append(await our_idle_ticks(large, args.ticks))
            print(f"run {run + 1}: idle tick {ms(ours_small[-1])} at {args.small:,}, "
                  f"{ms(ours_large[-1])} at {args.posts:,}", flush=True)  # fmt: skip
        base = folder / "apscheduler.db"
        wake_s, add_s = apscheduler_baseline(base, args.posts, wakeups=max(args.ticks // 3, 60))
        wake.append(wake_s)
        add.append(add_s)
    small_ms, large_ms = statistics.median(ours_small), statistics.median(ours_large)
    flat = large_ms / small_ms
    print()
    print(f"| figure | value |\n|---|---|\n"
          f"| our idle tick, {args.small:,} posts (median of {args.runs}) | {ms(small_ms)} |\n"
          f"| our idle tick, {args.posts:,} posts (median of {args.runs}) | {ms(large_ms)} |\n"
          f"| ratio (target ≤ {FLAT_TARGET}) | {flat:.2f} |\n"
          f"| absolute (target ≤ 1 ms) | {ms(large_ms)} |\n"
          f"| APScheduler 3 SQLAlchemyJobStore idle wake-up, {args.posts:,} jobs | "
          f"{ms(statistics.median(wake))} |\n"
          f"| APScheduler 3 add one job at {args.posts:,} | {ms(statistics.median(add))} |\n"
          f"| ours ÷ APScheduler idle wake-up | "
          f"{large_ms / statistics.median(wake):.2f} |")  # fmt: skip
    return 0 if flat <= FLAT_TARGET and large_ms <= ABSOLUTE_TARGET else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
