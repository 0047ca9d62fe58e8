"""`trypost run` with no chat tokens, as the README promises: the console answers and
the web app answers on $PORT, both at once (issue 8, point 6)."""

import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.console import console_env
from tests.e2e.processes import read_until
from tests.e2e.test_serve import free_port, get


def _healthz(port: int, timeout: float = 30) -> tuple[int, str]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return get(f"http://127.0.0.1:{port}/healthz")
        except OSError:
            assert time.monotonic() < deadline, "the web app never answered"
            time.sleep(0.1)


def test_run_without_tokens_serves_the_console_and_healthz_together(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env={**console_env(), "PORT": str(port)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None
    try:
        process.stdin.write("accounts add sandbox brand\n")
        process.stdin.flush()
        read_until(process, process.stdout, "brand")
        status, body = _healthz(port)  # the console is still running: stdin is open
        assert status == 200 and '"database": true' in body
        process.stdin.write("accounts\n")
        process.stdin.close()  # end of the script: the console stops by itself
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.stderr is not None
    assert "Traceback" not in process.stderr.read()
