"""A console killed mid-publish: the next start recovers the entry at once (issue 14).

Before, the entry stayed "publishing" for the whole 10-minute lease, Retry refused it
and nothing reported its end.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.console import START, console_env, run_console


def _entry_statuses(database: Path) -> list[str]:
    if not database.exists():
        return []
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as connection:
        try:
            return [row[0] for row in connection.execute("SELECT status FROM platform_entries")]
        except sqlite3.DatabaseError:
            return []  # created empty, or not migrated yet


def test_an_entry_of_a_killed_console_is_recovered_at_the_next_start(tmp_path: Path) -> None:
    script = 'accounts add sandbox slowpoke\naccounts mode slowpoke slow\nnow "crash test"\n'
    console = subprocess.Popen(
        [sys.executable, "-m", "bot", "console", "--as", "alice", "--simulated-clock", START],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
        env=console_env(),
        text=True,
    )
    assert console.stdin is not None
    console.stdin.write(script)
    console.stdin.flush()
    deadline = time.monotonic() + 60
    while _entry_statuses(tmp_path / "trypost.db") != ["publishing"]:
        assert time.monotonic() < deadline, "the publish never started"
        assert console.poll() is None, "the console ended before publishing"
        time.sleep(0.05)
    os.kill(console.pid, signal.SIGKILL)
    console.wait(timeout=30)

    run = run_console(tmp_path, "accounts mode slowpoke ok\n:tick\nshow 1\n")
    assert run.returncode == 0, run.stderr
    assert "published" in run.after("show 1")
    assert "publishing" not in run.after("show 1")
