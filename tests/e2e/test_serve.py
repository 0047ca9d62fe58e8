"""`trypost serve` and `trypost worker` as an operator runs them: start, answer, stop."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.e2e.processes import read_until
from tests.waiting import WITHIN, until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(command: str, workdir: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", command],
        cwd=workdir,
        env={**os.environ, "TRYPOST_SECRET_KEY": "serve-test-secret", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# Loopback only: never through a proxy the environment may name.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get(url: str) -> tuple[int, str]:
    try:
        with DIRECT.open(url, timeout=2) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def test_serve_answers_healthz_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    process = start("serve", tmp_path, PORT=str(port))
    try:
        deadline = time.monotonic() + WITHIN
        while True:
            try:
                status, body = get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, process.stderr and process.stderr.read()
                time.sleep(0.2)
        assert status == 200 and '"database": true' in body
        status, _ = get(f"http://127.0.0.1:{port}/unsubscribe/forged")
        assert status == 400
        read_until(process, process.stderr, "ready; SIGTERM stops")
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr


def test_worker_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    process = start("worker", tmp_path)
    read_until(process, process.stderr, "ready; SIGTERM stops")
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    assert '"level": "error"' not in stderr


async def test_run_with_slack_settings_serves_slack_and_stops_cleanly(tmp_path: Path) -> None:
    import asyncio
    from urllib.parse import urlencode

    import aiohttp

    from tests.e2e.slack_harness import SIGNING_SECRET, signed_headers
    from tests.slack_fake import FakeSlack

    async with FakeSlack(team_id="T111") as slack:
        port = free_port()
        env = {
            **os.environ,
            "TRYPOST_SECRET_KEY": "run-test-secret",
            "PORT": str(port),
            "SLACK_BOT_TOKEN": "xoxb-000-run",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "TRYPOST_SLACK_API_URL": slack.base_url,
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        body = urlencode(
            {"team_id": "T111", "user_id": "U1", "command": "/trypost",
             "text": "accounts add sandbox brand", "channel_id": "C1",
             "response_url": slack.response_url("run"), "trigger_id": "t"}
        )  # fmt: skip
        try:
            async with aiohttp.ClientSession() as http:
                for _ in range(100):
                    try:
                        async with http.post(
                            f"http://127.0.0.1:{port}/slack/events",
                            data=body,
                            headers=signed_headers(body),
                        ) as answer:
                            assert answer.status == 200
                            break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.2)
            await until(lambda: slack.responses_to("run"), "the reply to reach Slack")
            assert "Added sandbox account brand" in slack.responses_to("run")[0]["text"]
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 20)
        assert process.returncode == 0, stderr.decode()
        assert b"Traceback" not in stderr


def test_version_and_help_answer_without_a_database(tmp_path: Path) -> None:
    for args, expected in ((["--version"], "trypost 0.1.0"), (["--help"], "console")):
        done = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0 and expected in done.stdout, done.stderr
    assert not (tmp_path / "trypost.db").exists()
