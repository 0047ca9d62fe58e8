"""Runs a console session: interactive with history and completion, or scripted.

Scripted (stdin is not a TTY) reads one line at a time, echoes it after a ``›`` so
the output reads as a transcript, and exits 0 at end of input.

The terminal is the conversation, so no traceback is printed there: a logged exception
shows as its one-line event, and the traceback goes whole to ``trypost-console.log`` in
the working folder (beside ``trypost.db`` by default).
"""

import asyncio
import logging
import re
import sys
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import WordCompleter
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.patch_stdout import patch_stdout

from bot.app import App
from bot.commands.help import HELP
from bot.console.session import ConsoleSession

CONSOLE_LINES = [":as", ":role", ":presence", ":clock", ":advance", ":tick", ":quit"]
ERROR_LOG = Path("trypost-console.log")


def _say(text: str) -> None:
    print(text, flush=True)


class TracebacksToFile(logging.Filter):
    """Put on a terminal's handler: a record with a traceback is written whole to a file
    first, then reaches the terminal without it, naming the file (``details``)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._file = _QuietFile(path, encoding="utf-8", delay=True)
        self._file.setFormatter(_WithRef("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info or record.stack_info:
            self._file.handle(record)
            # The record is shared, but on the console the terminal is its only handler.
            record.exc_info = record.exc_text = record.stack_info = None
            # What formatting the file line left on the record is no field of the event.
            for left in ("message", "asctime"):
                record.__dict__.pop(left, None)
            record.details = str(self.path)
        return True

    def close(self) -> None:
        self._file.close()


class _QuietFile(logging.FileHandler):
    def handleError(self, record: logging.LogRecord) -> None:
        # An unwritable folder must not print logging's own traceback on the terminal;
        # the event still reaches the terminal in its one line.
        return None


class _WithRef(logging.Formatter):
    """Plain lines for the file, with the reference a reply quoted, to find its traceback."""

    def format(self, record: logging.LogRecord) -> str:
        ref = getattr(record, "ref", None)
        line = super().format(record)
        return line.replace(": ", f" [ref {ref}]: ", 1) if ref else line


def keep_tracebacks_off_the_terminal(path: Path = ERROR_LOG) -> TracebacksToFile:
    """Filter every handler of the root logger through one ``TracebacksToFile``."""
    divert = TracebacksToFile(path)
    for handler in logging.getLogger().handlers:
        handler.addFilter(divert)
    return divert


async def run_console(app: App, name: str, *, scripted: bool | None = None) -> None:
    scripted = not sys.stdin.isatty() if scripted is None else scripted
    divert = keep_tracebacks_off_the_terminal()
    try:
        await _run(app, name, scripted=scripted)
    finally:
        for handler in logging.getLogger().handlers:
            handler.removeFilter(divert)
        divert.close()


async def _run(app: App, name: str, *, scripted: bool) -> None:
    if scripted:
        await _scripted(app, name)
    else:
        await _interactive(app, name)


async def _read_line() -> str | None:
    line = await asyncio.to_thread(sys.stdin.readline)
    return line.rstrip("\n") if line else None


_SECRET = re.compile(r"(\b(?:secret|token)\s+)(\S+)", re.IGNORECASE)
# ``accounts connect bluesky <handle> <app password>``: the word after the handle.
_APP_PASSWORD = re.compile(r"(\bconnect\s+bluesky\s+\S+\s+)(\S+)", re.IGNORECASE)


def masked(line: str) -> str:
    """The line as echoed into a transcript: secrets, tokens and app passwords as •••."""
    return _APP_PASSWORD.sub(r"\1•••", _SECRET.sub(r"\1•••", line))


async def _scripted(app: App, name: str) -> None:
    async def ask(prompt: str) -> str | None:
        answer = await _read_line()
        _say(f"{prompt}{answer or ''}")
        return answer

    session = ConsoleSession(app, ask, _say)
    await session.start(name)
    while (line := await _read_line()) is not None:
        if line.strip():
            _say(f"› {masked(line)}")
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
