"""Runs a console session: interactive with history and completion, or scripted.

Scripted (stdin is not a TTY) reads one line at a time, echoes it after a ``›`` so
the output reads as a transcript, and exits 0 at end of input.
"""

import asyncio
import sys

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import WordCompleter
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.patch_stdout import patch_stdout

from bot.app import App
from bot.commands.help import HELP
from bot.console.session import ConsoleSession

CONSOLE_LINES = [":as", ":role", ":presence", ":clock", ":advance", ":tick", ":quit"]


def _say(text: str) -> None:
    print(text, flush=True)


async def run_console(app: App, name: str, *, scripted: bool | None = None) -> None:
    scripted = not sys.stdin.isatty() if scripted is None else scripted
    if scripted:
        await _scripted(app, name)
    else:
        await _interactive(app, name)


async def _read_line() -> str | None:
    line = await asyncio.to_thread(sys.stdin.readline)
    return line.rstrip("\n") if line else None


async def _scripted(app: App, name: str) -> None:
    async def ask(prompt: str) -> str | None:
        answer = await _read_line()
        _say(f"{prompt}{answer or ''}")
        return answer

    session = ConsoleSession(app, ask, _say)
    await session.start(name)
    while (line := await _read_line()) is not None:
        if line.strip():
            _say(f"› {line}")
        if not await session.handle(line):
            break


async def _interactive(app: App, name: str) -> None:
    words = sorted({*HELP, *CONSOLE_LINES})
    prompt: PromptSession[str] = PromptSession(
        history=InMemoryHistory(), completer=WordCompleter(words, sentence=True)
    )

    async def ask(text: str) -> str | None:
        try:
            return await prompt.prompt_async(text)
        except (EOFError, KeyboardInterrupt):
            return None

    session = ConsoleSession(app, ask, _say)
    await session.start(name)
    _say(
        f"trypost console — you are @{session.name}. Type `help`, or `:quit` to leave.\n"
        "Start with: accounts add sandbox brand"
    )
    with patch_stdout():
        while True:
            line = await ask(session.prompt)
            if line is None or not await session.handle(line):
                break
