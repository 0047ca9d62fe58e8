"""Feed the console generated lines and count what should never happen.

    .venv/bin/python bench/fuzz.py [--lines 10000] [--seed 14] [--show 5]

The lines come from ``tests/console_fuzzing.py`` (command shapes with huge numbers,
Unicode digits, extreme dates, quoted text, console ``:`` lines, and noise), drawn from
``random.Random(seed)``: the same seed gives the same lines. They go one by one through
``ConsoleSession.handle`` of a console built as ``trypost console --simulated-clock``
builds it (SQLite in a temporary folder, the sandbox platform), so state carries over
from line to line as it does at a terminal.

Printed: how many lines crashed the handler (the console would exit), how many logged a
traceback, how many got "something went wrong" instead of a refusal, and the time
taken. The goal is 0/0/0; the exit status is 1 otherwise. Not a test: a CI job runs the
hypothesis fuzz in ``tests/unit/test_console_fuzz.py`` instead.
"""

import argparse
import asyncio
import logging
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bot/, core/… and tests/ (the harness)
    sys.path.insert(0, str(ROOT))

from tests.console_fuzzing import Outcome, console, random_line  # noqa: E402


async def fuzz(lines: int, seed: int, show: int) -> int:
    rng = random.Random(seed)
    generated = [random_line(rng) for _ in range(lines)]
    counts: Counter[str] = Counter()
    bad: list[Outcome] = []
    started = time.perf_counter()
    async with console() as under:
        for line in generated:
            # The composer (a bare `schedule`) gets a generated text and time as answers.
            under.answers = [random_line(rng), random_line(rng), "", ""]
            outcome = await under.run(line)
            counts["crashes"] += outcome.crashed is not None
            counts["tracebacks"] += outcome.tracebacks
            counts["internal errors"] += outcome.internal_error
            if outcome.crashed or outcome.tracebacks or outcome.internal_error:
                bad.append(outcome)
    took = time.perf_counter() - started
    print(
        f"{lines} lines (seed {seed}) in {took:.1f} s ({lines / took:.0f} lines/s): "
        f"{counts['crashes']} crashes, {counts['tracebacks']} tracebacks, "
        f"{counts['internal errors']} internal-error replies"
    )
    for outcome in bad[:show]:
        why = repr(outcome.crashed) if outcome.crashed else outcome.said.splitlines()[:1]
        print(f"  {outcome.line!r}: {why}")
    return 1 if bad else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--show", type=int, default=5, help="print this many bad lines")
    options = parser.parse_args()
    # The tracebacks are counted, not printed: the figures are the output.
    root = logging.getLogger()
    root.setLevel(logging.ERROR)
    root.handlers[:] = [logging.NullHandler()]
    sys.exit(asyncio.run(fuzz(options.lines, options.seed, options.show)))


if __name__ == "__main__":
    main()
