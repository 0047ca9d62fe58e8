"""`trypost run` and `trypost worker` connect the Discord bot when DISCORD_BOT_TOKEN is
set: the real processes, against the fake Discord in this test's loop."""

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from tests.e2e.console import console_env
from tests.e2e.discord_lines import typed
from tests.e2e.test_serve import free_port
from tests.fake_discord import TOKEN, FakeDiscord, FakeMember
from tests.waiting import WITHIN

OWNER = FakeMember("200000000000000001", "alice")


@pytest.mark.parametrize("command", ["run", "worker"])
async def test_the_process_answers_on_discord_and_stops_cleanly(
    tmp_path: Path, command: str
) -> None:
    fake = FakeDiscord()
    await fake.start()
    guild = fake.add_guild("Team", OWNER)
    env = {
        **console_env(),
        "PORT": str(free_port()),
        "DISCORD_BOT_TOKEN": TOKEN,
        "TRYPOST_DISCORD_API_URL": fake.api_url,
        "TRYPOST_DISCORD_GATEWAY_URL": fake.gateway_url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        command,
        cwd=tmp_path,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    try:
        seen = await asyncio.wait_for(_read_until(process.stderr, b"ready; SIGTERM"), WITHIN)
        assert fake.commands.get(guild.id), "commands synced at start"
        payload = fake.slash(guild, OWNER, typed("accounts add sandbox brand").discord_options())
        answer = await fake.interact(payload)
        for _ in range(int(WITHIN * 10)):
            if "Added sandbox account brand" in answer.texts():
                break
            await asyncio.sleep(0.1)
        assert "Added sandbox account brand" in answer.texts()
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), WITHIN) == 0
        rest = await process.stderr.read()
        assert b"Traceback" not in seen + rest
        assert TOKEN.encode() not in seen + rest, "the token never reaches a log"
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await fake.close()


async def _read_until(stream: asyncio.StreamReader, wanted: bytes) -> bytes:
    seen = b""
    while wanted not in seen:
        line = await stream.readline()
        assert line, f"ended before {wanted!r}:\n{seen.decode(errors='replace')}"
        seen += line
    return seen


async def test_a_refused_token_stops_with_one_line(tmp_path: Path) -> None:
    fake = FakeDiscord()
    await fake.start()
    env = {
        **console_env(),
        "PORT": str(free_port()),
        "DISCORD_BOT_TOKEN": "not-the-token",
        "TRYPOST_DISCORD_API_URL": fake.api_url,
        "TRYPOST_DISCORD_GATEWAY_URL": fake.gateway_url,
    }
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "worker",
            cwd=tmp_path,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(process.communicate(), WITHIN)
        assert process.returncode == 2
        assert "trypost: DISCORD_BOT_TOKEN was refused by Discord" in err.decode()
        assert b"Traceback" not in err and b"not-the-token" not in err
    finally:
        await fake.close()
