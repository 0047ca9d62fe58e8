"""Drive ``trypost console`` as a subprocess, the way a newcomer's terminal would."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

START = "2026-11-25T10:00:00Z"


@dataclass
class Transcript:
    output: str
    stderr: str
    returncode: int

    def answers(self) -> list[tuple[str, str]]:
        """Every command line with what the console printed for it, in order."""
        chunks = ("\n" + self.output).split("\n› ")[1:]
        return [(chunk.split("\n", 1)[0], chunk.split("\n", 1)[1:2][0] if "\n" in chunk else "")
                for chunk in chunks]  # fmt: skip

    def after(self, line: str) -> str:
        """What the console printed in answer to ``line`` (up to the next command)."""
        marker = f"› {line}\n"
        assert marker in self.output, f"{line!r} not in transcript:\n{self.output}"
        rest = self.output.split(marker, 1)[1]
        return rest.split("\n› ", 1)[0]


def console_env() -> dict[str, str]:
    """The environment of a newcomer's shell: none of the operator's settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TRYPOST_", "SLACK_", "DISCORD_"))
    }
    env["TRYPOST_SECRET_KEY"] = "test-secret-key-for-console"
    return env


def run_console(
    workdir: Path,
    script: str,
    *,
    as_name: str = "alice",
    clock: str | None = START,
    command: str = "console",
    env: dict[str, str] | None = None,
) -> Transcript:
    env = {**console_env(), **(env or {})}
    args = [sys.executable, "-m", "bot", command]
    if command == "console":
        args += ["--as", as_name]
    if clock:
        args += ["--simulated-clock", clock]
    done = subprocess.run(
        args,
        input=script,
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
        timeout=120,
        check=False,
    )
    return Transcript(done.stdout, done.stderr, done.returncode)
