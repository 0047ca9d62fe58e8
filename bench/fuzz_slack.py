"""Send the Slack endpoint many generated, signed requests and count what should never
happen.

    .venv/bin/python bench/fuzz_slack.py [--requests 10000]

The requests are drawn from the strategies of ``tests/e2e/test_slack_fuzz.py`` (slash
commands and interactive payloads with arbitrary field values; CI runs a small, fixed
profile of them) and go, signed, to ``/slack/events`` of the whole app (SQLite in a
temporary folder, a fake Slack), one bot for the whole run so state carries over.

Printed: answers by status class, 5xx answers, and records logged at ERROR or with a
traceback. The goal is 0 and 0; the exit status is 1 otherwise.
"""

import argparse
import asyncio
import logging
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hypothesis.errors import NonInteractiveExampleWarning  # noqa: E402

from tests.e2e.slack_harness import signed_headers, slack_bot  # noqa: E402
from tests.e2e.test_slack_fuzz import BODIES, Loud  # noqa: E402


async def fuzz(requests: int) -> int:
    warnings.simplefilter("ignore", NonInteractiveExampleWarning)
    bodies = [BODIES.example() for _ in range(requests)]
    loud = Loud()
    logging.getLogger().addHandler(loud)
    statuses: Counter[str] = Counter()
    bad: list[tuple[int, str]] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        async with slack_bot(Path(tmp)) as bot:
            for body in bodies:
                status, _ = await bot.post(body.encode(), signed_headers(body))
                statuses[f"{status // 100}xx"] += 1
                if status >= 500:
                    bad.append((status, body[:200]))
            await asyncio.sleep(0.5)
    logging.getLogger().removeHandler(loud)
    took = time.perf_counter() - started
    print(f"{requests:,} signed requests in {took:.1f} s: {dict(sorted(statuses.items()))}")
    print(f"5xx answers: {len(bad)}; error or traceback log records: {len(loud.records)}")
    for status, body in bad[:5]:
        print(f"  {status}: {body}")
    kinds = Counter(
        f"{r.name}: {r.getMessage()[:80]} ({r.exc_info[1]!r:.120})" if r.exc_info else r.name
        for r in loud.records
    )
    for kind, count in kinds.most_common(5):
        print(f"  {count} × {kind}")
    return 1 if bad or loud.records else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    args = parser.parse_args()
    sys.exit(asyncio.run(fuzz(args.requests)))


if __name__ == "__main__":
    main()
