"""P5: 1,000 notifications (Slack DM + email) while Slack rate-limits, against the floor.

    .venv/bin/python bench/notify_rate.py [--notifications 1000] [--members 100]
        [--rate 50] [--burst 50] [--runs 5]

The fakes run in a process of their own (one event loop, not ours): the FakeSlack of
``tests/slack_fake.py`` (answers shaped as the shared fixtures) whose ``conversations.open``
and ``chat.postMessage`` each pass through a token bucket of ``--rate`` calls a second
(``--burst`` deep, empty at the start); a call the bucket cannot pay for gets Slack's
429 ``ratelimited`` with a whole-second ``Retry-After`` (the fixture's shape), as Slack
answers a method called above its tier. Beside it an aiosmtpd sink takes every email.

Our side is the app as ``trypost worker`` runs it: ``build_app`` (SQLite in a temporary
folder, SLACK_BOT_TOKEN mode pointed at the fake, TRYPOST_SMTP_URL at the sink, JSON logs
to a file) and ``App.scheduler()`` started, so the real outbox dispatcher sends through
the real ``SlackChat`` and ``SmtpMailer`` at the worker's cadence. Before it starts,
``--notifications`` post_published notices to ``--members`` members (one Slack user and
one address each) wait in the outbox, each with a chat_dm and an email delivery.

Measured: the time from the scheduler's start until the database shows every delivery
sent. The floor: ``--notifications / --rate`` seconds, the least the rate allows for that
many chat.postMessage calls starting from an empty bucket. Counted on the fakes: the DMs
(chat.postMessage answered ok) and the emails (by subject) that reached them for each
notice, so a notice never delivered is lost and one delivered twice is duplicated.

Target (issue 13, P5): the median time ≤ 2 × the floor, 0 lost, 0 duplicated. Not a test:
the exit status is 1 when the median misses the target or any run lost or doubled one.
"""

import argparse
import asyncio
import collections
import email.policy
import logging
import math
import multiprocessing
import multiprocessing.connection
import re
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from aiohttp import web

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parents[1]
if str(ROOT) not in sys.path:  # bot/, core/… and tests/ (the FakeSlack)
    sys.path.insert(0, str(ROOT))

RATIO_TARGET = 2.0
TEAM = "T111"
LIMITED = ("conversations.open", "chat.postMessage")
DM_MARK = re.compile(r"Post (\d+) published")
HOST = "127.0.0.1"


# --- the fakes, in a process of their own --------------------------------------------


class Bucket:
    """``rate`` tokens a second, at most ``burst`` kept; empty at the start."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at = 0.0, time.monotonic()

    def take(self) -> float | None:
        """None when the call may go; else how long until it could."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return None
        return (1.0 - self.tokens) / self.rate


def _fakes(conn: multiprocessing.connection.Connection, rate: float, burst: float) -> None:
    # Forked after a run configured logging: the fakes log nothing (aiosmtpd logs
    # every SMTP line at INFO).
    logging.disable(logging.WARNING)
    asyncio.run(_serve_fakes(conn, rate, burst))


async def _serve_fakes(
    conn: multiprocessing.connection.Connection, rate: float, burst: float
) -> None:
    from aiosmtpd.smtp import SMTP, Envelope, Session

    from tests.slack_fake import FakeSlack, Fault, _fault_response

    limited: collections.Counter[str] = collections.Counter()

    class RateLimitedSlack(FakeSlack):
        """The FakeSlack, with LIMITED methods behind a token bucket each."""

        buckets = {method: Bucket(rate, burst) for method in LIMITED}

        async def _api(self, request: web.Request) -> web.StreamResponse:
            method = request.match_info["method"]
            bucket = self.buckets.get(method)
            wait = bucket.take() if bucket is not None else None
            if wait is not None:
                limited[method] += 1
                # Slack's Retry-After is whole seconds.
                return _fault_response(Fault(429, "ratelimited", max(1, math.ceil(wait))))
            return await super()._api(request)

    emails: collections.Counter[int] = collections.Counter()
    odd_emails: list[str] = []
    headers = BytesHeaderParser(policy=email.policy.default)

    class Sink:
        async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
            content = envelope.original_content or b""
            subject = str(headers.parsebytes(content).get("Subject", ""))
            found = DM_MARK.search(subject)
            if found:
                emails[int(found.group(1))] += 1
            else:
                odd_emails.append(subject)
            return "250 Message accepted for delivery"

    loop = asyncio.get_running_loop()
    smtp_port = _free_port()
    smtp = await loop.create_server(lambda: SMTP(Sink(), hostname=HOST), HOST, smtp_port)
    async with RateLimitedSlack(team_id=TEAM) as slack:
        conn.send(("ready", slack.base_url, smtp_port))
        while True:
            asked = await asyncio.to_thread(conn.recv)
            if asked != "stats":
                break
            dms: collections.Counter[int] = collections.Counter()
            odd_dms = []
            for params in slack.calls_to("chat.postMessage"):  # 429s never get this far
                found = DM_MARK.search(str(params.get("text", "")))
                if found:
                    dms[int(found.group(1))] += 1
                else:
                    odd_dms.append(str(params.get("text", ""))[:80])
            conn.send(
                {
                    "dms": dict(dms),
                    "emails": dict(emails),
                    "odd": odd_dms + odd_emails,
                    "opened": len(slack.calls_to("conversations.open")),
                    "limited": dict(limited),
                }
            )
    smtp.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


# --- our side ------------------------------------------------------------------------


async def _fill(app: Any, notifications: int, members: int) -> None:
    from core.notifications.model import Channel, Delivery, Notification
    from core.notifications.types import NoticeType
    from core.roles import Role
    from core.workspace import Member, Workspace

    now = datetime.now(UTC)
    async with app.uow() as tx:
        workspace = await tx.workspaces.add(Workspace(name="bench", slack_team_id=TEAM))
        ids = []
        for n in range(members):
            member = Member(workspace.id, f"m{n}", Role.EDITOR if n else Role.OWNER,
                            email=f"m{n}@example.test", slack_user_id=f"U{n:06d}")  # fmt: skip
            ids.append((await tx.members.add(member)).id)
        for n in range(1, notifications + 1):
            payload = {"post_number": n, "text": f"bench notice {n}"}
            notice = Notification(workspace.id, ids[n % members], NoticeType.POST_PUBLISHED,
                                  now - timedelta(seconds=1), payload=payload)  # fmt: skip
            notice = await tx.notifications.add(notice)
            for channel in (Channel.CHAT_DM, Channel.EMAIL):
                await tx.deliveries.add(Delivery(notice.id, channel, notice.recipient_id,
                                                 created_at=notice.created_at,
                                                 next_attempt_at=notice.created_at))  # fmt: skip
        await tx.commit()


def _unsent(database: Path) -> int:
    with sqlite3.connect(database) as db:
        (count,) = db.execute("SELECT count(*) FROM deliveries WHERE status != 'sent'").fetchone()
    return int(count)


async def ours(args: argparse.Namespace, slack_url: str, smtp_port: int, log_file: Path) -> float:
    """Seconds from the worker's start until every delivery is recorded sent."""
    from bot.app import build_app
    from bot.logs import configure_logging
    from bot.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.db"
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{database}",
            secret_key="bench-secret",
            slack_bot_token="xoxb-000-bench",
            slack_signing_secret="bench-signing-secret",
            slack_api_url=slack_url,
            smtp_url=f"smtp://{HOST}:{smtp_port}",
            mail_from="trypost <bot@example.test>",
            public_url="https://trypost.example.test",
            sandbox_dir=Path(tmp) / "sandbox",
            media_dir=Path(tmp) / "media",
            outbox_dir=Path(tmp) / "outbox",
        )
        configure_logging("INFO", json=True)
        with log_file.open("a", encoding="utf-8") as log_stream:
            handler = logging.getLogger().handlers[0]
            assert isinstance(handler, logging.StreamHandler)
            handler.setStream(log_stream)
            app = await build_app(settings)
            try:
                await app.start()
                await _fill(app, args.notifications, args.members)
                scheduler = app.scheduler()
                deadline = args.notifications / args.rate * 10 + 60
                started = time.perf_counter()
                await scheduler.start()
                # Polled: the outbox has no "all sent" event to wait on.
                while _unsent(database) and time.perf_counter() - started < deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
                took = time.perf_counter() - started
                await scheduler.stop()
            finally:
                await app.aclose()
                handler.setStream(sys.stderr)
    return took


def _check(stats: dict[str, Any], notifications: int) -> tuple[int, int]:
    """(lost, duplicated) over both channels."""
    lost = duplicated = 0
    for channel in ("dms", "emails"):
        got = stats[channel]
        for n in range(1, notifications + 1):
            times = got.get(n, 0)
            lost += times == 0
            duplicated += max(times - 1, 0)
    return lost, duplicated


def one_run(args: argparse.Namespace, log_file: Path) -> dict[str, Any]:
    parent, child = multiprocessing.Pipe()
    fakes = multiprocessing.Process(target=_fakes, args=(child, args.rate, args.burst), daemon=True)
    fakes.start()
    try:
        _, slack_url, smtp_port = parent.recv()
        took = asyncio.run(ours(args, slack_url, smtp_port, log_file))
        parent.send("stats")
        stats: dict[str, Any] = parent.recv()
        parent.send("stop")
        fakes.join(5)
    finally:
        if fakes.is_alive():
            fakes.terminate()
    lost, duplicated = _check(stats, args.notifications)
    return {"took": took, "lost": lost, "duplicated": duplicated, **stats}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--notifications", type=int, default=1000)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--rate", type=float, default=50.0, help="calls a second per method")
    parser.add_argument("--burst", type=float, default=None, help="bucket depth (default: rate)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    args.burst = args.burst or args.rate
    # slack_sdk sends through HTTP(S)_PROXY when set, ignoring NO_PROXY.
    from tests.slack_fake import no_proxy_env

    floor = args.notifications / args.rate
    log_file = Path(tempfile.gettempdir()) / "notify_rate.log"
    log_file.write_text("", encoding="utf-8")
    runs = []
    with no_proxy_env():
        for run in range(args.runs):
            result = one_run(args, log_file)
            runs.append(result)
            print(f"run {run + 1}: {result['took']:.2f} s ({result['took'] / floor:.2f}× the "
                  f"floor), lost {result['lost']}, duplicated {result['duplicated']}, "
                  f"429s {sum(result['limited'].values())} {result['limited']}, "
                  f"conversations.open {result['opened']}", flush=True)  # fmt: skip
            if result["odd"]:
                print(f"  unmatched messages: {result['odd'][:3]}", flush=True)
    took = statistics.median(r["took"] for r in runs)
    ratio = took / floor
    lost = sum(r["lost"] for r in runs)
    duplicated = sum(r["duplicated"] for r in runs)
    limited = statistics.median(sum(r["limited"].values()) for r in runs)
    errors = sum('"level": "error"' in line for line in log_file.read_text().splitlines())
    print(f"\n| figure | value |\n|---|---|\n"
          f"| notifications × channels, members | {args.notifications:,} × (DM + email), "
          f"{args.members:,} |\n"
          f"| fake Slack rate (conversations.open, chat.postMessage each) | "
          f"{args.rate:g}/s, bucket {args.burst:g}, 429 + Retry-After above it |\n"
          f"| ours: every delivery sent (median of {args.runs}) | {took:.2f} s |\n"
          f"| floor: {args.notifications:,} ÷ {args.rate:g}/s | {floor:.2f} s |\n"
          f"| ratio (P5 target ≤ {RATIO_TARGET:g}) | {ratio:.2f} |\n"
          f"| lost, duplicated (all runs; target 0, 0) | {lost}, {duplicated} |\n"
          f"| 429 answers (median) | {limited:,.0f} |\n"
          f"| error log records (all runs; {log_file}) | {errors} |")  # fmt: skip
    return 0 if ratio <= RATIO_TARGET and lost == 0 and duplicated == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
