"""Send one bot many generated Discord interactions and count what should never happen.

    .venv/bin/python bench/fuzz_discord.py [--interactions 10000] [--seed 13]

The interactions are drawn from the strategies of ``tests/e2e/discord_fuzzing.py`` (the
ones ``tests/e2e/test_discord_fuzz.py`` runs in CI as a small, fixed profile): ``/trypost``
typed from grammar lines or drawn from the command's registered options (odd values, a
few stale forms), autocomplete, buttons and selects with any custom id, modal
submissions with any inputs, from odd members, DMs and unknown guilds. They reach the
whole app (SQLite in a temporary folder) through its real discord.py client, over the
gateway of the loopback fake Discord (``tests/fake_discord.py``), one bot for the whole
run so state carries over; each is waited for until the bot is done with it.

Printed: interactions not answered (no interaction callback within ``--within``
seconds), records logged at ERROR or with a traceback, crashes (an exception out of the
harness, the bot's gateway connection gone), and the time taken. The goal is 0/0/0; the
exit status is 1 otherwise. The same seed draws the same interactions.
"""

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.e2e.discord_fuzzing import PEOPLE, Traces, play, seed  # noqa: E402
from tests.e2e.discord_fuzzing import drawn as drawn_interactions  # noqa: E402
from tests.e2e.discord_harness import discord_bot  # noqa: E402


async def fuzz(count: int, seed_: int, within: float) -> int:
    drawing = time.perf_counter()
    drawn = drawn_interactions(count, seed_)
    drew = time.perf_counter() - drawing
    traces = Traces()
    root = logging.getLogger()
    root.addHandler(traces)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        async with discord_bot(Path(tmp), PEOPLE) as bot:
            await seed(bot)
            began = time.perf_counter()
            played = await play(bot, drawn, within=within)
            took = time.perf_counter() - began
    root.removeHandler(traces)
    total = time.perf_counter() - started
    mix = sorted(Counter(f.kind for f in drawn).items())
    command = f".venv/bin/python bench/fuzz_discord.py --interactions {count} --seed {seed_}"
    rows = [
        ("interactions drawn", f"{count:,} ({', '.join(f'{k} {n}' for k, n in mix)})"),
        ("sent", f"{played.sent:,} ({played.skipped:,} lines Discord's form cannot hold)"),
        ("not answered", f"{len(played.not_answered)}"),
        ("error or traceback log records", f"{len(traces.records)}"),
        ("crashes", f"{len(played.crashes)}"),
        ("time", f"{took:.1f} s ({played.sent / took:.0f}/s); start-up {total - took:.1f} s, "
                 f"drawing {drew:.1f} s"),
        ("reproduce", command),
    ]  # fmt: skip
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    for payload in played.not_answered[:5]:
        print(f"  not answered: type {payload['type']}, data {str(payload.get('data'))[:200]}")
    for crash in played.crashes[:5]:
        print(f"  crash: {crash[:200]}")
    found = Counter(
        f"{r.name}: {r.getMessage()[:80]} ({r.exc_info[1]!r:.120})" if r.exc_info else r.name
        for r in traces.records
    )
    for kind, times in found.most_common(5):
        print(f"  {times} × {kind}")
    return 1 if played.not_answered or traces.records or played.crashes else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--within", type=float, default=3.0, help="seconds an answer may take (Discord allows 3)"
    )
    args = parser.parse_args()
    sys.exit(asyncio.run(fuzz(args.interactions, args.seed, args.within)))


if __name__ == "__main__":
    main()
