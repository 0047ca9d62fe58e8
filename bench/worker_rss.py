"""P7: the resident memory of an idle ``trypost worker`` with many scheduled posts.

    .venv/bin/python bench/worker_rss.py [--posts 100000] [--runs 5] [--settle 12]

A SQLite database (migrated as ``trypost`` migrates it) holds ``--posts`` future posts
with an entry each; ``trypost worker`` starts on it (no chat tokens: scheduler, outbox,
token job), runs ``--settle`` seconds (its catch-up tick, the probe's ticks), then its
``VmRSS`` is read from /proc; each run is a fresh process. For scale, the same figure of
a bare Python that only imports what the worker imports.

Target (issue 13): ≤ 150 MB. Not a test: the exit status is 1 when the median misses it.
"""

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.idle_tick import prepared  # noqa: E402

TARGET_MB = 150.0
IMPORTS = "import bot.app, bot.cli, aiohttp, sqlalchemy, apscheduler, slack_bolt, discord"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def environment(folder: Path, database: Path) -> dict[str, str]:
    keep = {
        k: v for k, v in os.environ.items() if not k.startswith(("TRYPOST_", "SLACK_", "DISCORD_"))
    }
    return {
        **keep,
        "TRYPOST_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "TRYPOST_SECRET_KEY": "bench-secret",
        "TRYPOST_SANDBOX_DIR": str(folder / "sandbox"),
        "TRYPOST_MEDIA_DIR": str(folder / "media"),
        "TRYPOST_OUTBOX_DIR": str(folder / "outbox"),
    }


def one_worker(folder: Path, database: Path, settle: float) -> float:
    worker = subprocess.Popen(
        [sys.executable, "-m", "bot", "worker"],
        cwd=folder,
        env=environment(folder, database),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        time.sleep(settle)
        if worker.poll() is not None:
            raise RuntimeError(f"the worker stopped: {worker.stderr.read().decode()[-500:]}")  # type: ignore[union-attr]
        return rss_mb(worker.pid)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=30)


def bare_imports() -> float:
    probe = subprocess.Popen(
        [sys.executable, "-c", f"{IMPORTS}; import time; time.sleep(5)"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(4)
        return rss_mb(probe.pid)
    finally:
        probe.kill()
        probe.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--settle", type=float, default=12.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        database = asyncio.run(prepared(folder, args.posts))
        figures = []
        for run in range(args.runs):
            figures.append(one_worker(folder, database, args.settle))
            print(f"run {run + 1}: worker RSS {figures[-1]:.1f} MB", flush=True)
    bare = bare_imports()
    ours = statistics.median(figures)
    print(f"\n| figure | value |\n|---|---|\n"
          f"| idle `trypost worker` RSS, {args.posts:,} posts (median of {args.runs}) | "
          f"{ours:.1f} MB |\n"
          f"| bare Python importing the same libraries | {bare:.1f} MB |\n"
          f"| target | ≤ {TARGET_MB:.0f} MB |")  # fmt: skip
    return 0 if ours <= TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
