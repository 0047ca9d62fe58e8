"""How fast /trypost acks and replies, next to bare Bolt apps, in the same run.

    .venv/bin/python bench/slack_ack.py [--requests 500] [--concurrency 50] [--runs 3]

N signed ``/trypost list`` commands go over HTTP to ``/slack/events`` of our full app
(``build_app`` + ``App.web_app()``: SQLite in a temporary folder, a sandbox account, logs
configured as ``trypost serve`` configures them), each with its own response_url on a
FakeSlack (``tests/slack_fake.py``), in two phases:

- burst: C requests in flight at a time, the next sent as soon as an ack comes back.
  Measured: the ack (the HTTP answer), and for information the reply (until the fake has
  the POST on that response_url). The burst's replies queue behind up to N commands,
  not C: they measure how fast a backlog of N drains, not what anyone waits.
- users: C users each send a command and wait for its reply before sending the next,
  so C commands are in progress at any time, each until its reply. Measured: the reply
  latency and the server's CPU per command.

"50 concurrent" in the target is read as the users phase: a command is in progress
until its reply, which is what its user waits for. The same load goes to a bare
``slack_bolt`` AsyncApp with the same signing secret whose ``/trypost`` listener only
acks (the floor for the ack, burst phase), and to one whose listener acks and posts a
fixed reply to the response_url (the least a bot that answers can do: the floor for the
reply and CPU, users phase; its burst is shown too). Runs alternate which goes first.

Targets (issue 13, P4): ack p99 ≤ 1.5 × the acking app's; reply p99 ≤ 3 × the replying
app's; server CPU per command ≤ 5 × the replying app's. (Issue 9's: reply p99 ≤ 250 ms
with 50 users each waiting for their reply.)

Each server runs in a process of its own, and so does the FakeSlack, so neither the
load generator nor the fake shares an event loop with the server it measures. Reply
times compare ``time.perf_counter()`` across processes: on Linux that is
CLOCK_MONOTONIC, one clock for the whole machine. Both servers get warm-up requests
that are not measured. Not a test: nothing asserts a timing, but the exit status is 1
when the median of the runs misses a target.
"""

import argparse
import asyncio
import contextlib
import gc
import math
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parents[1]
if str(ROOT) not in sys.path:  # bot/, core/… and tests/ (the FakeSlack)
    sys.path.insert(0, str(ROOT))

SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-000-bench"
TEAM = "T111"
USER = "U1"
ACK_RATIO_TARGET = 1.5
REPLY_P99_TARGET = 0.250
REPLY_RATIO_TARGET = 3.0
CPU_RATIO_TARGET = 5.0
REPLY_WAIT = 60.0
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


# --- the servers, each in a child process ------------------------------------------


def _ready(*facts: object) -> None:
    """Tell the parent we listen, on the one line it waits for."""
    sys.stdout.write("READY " + " ".join(str(f) for f in facts) + "\n")
    sys.stdout.flush()


async def _until_parent_lets_go() -> None:
    """A child runs until its stdin closes: the parent's way of stopping it."""
    await asyncio.to_thread(sys.stdin.read)


class _Arrivals(dict[str, float]):
    """The fake's ``responded_at`` (it only ever calls ``setdefault``), telling whoever
    waits for a name the moment its reply arrives: 50 waiters polling the dict every few
    milliseconds cost the fake more CPU than the replies did, in both apps' users phase."""

    def __init__(self) -> None:
        super().__init__()
        self._waiting: dict[str, asyncio.Future[None]] = {}

    def setdefault(self, key: str, default: float) -> float:
        found = super().setdefault(key, default)
        waiter = self._waiting.pop(key, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        return found

    async def arrived(self, name: str) -> None:
        if name in self:
            return
        waiter = self._waiting.get(name)
        if waiter is None:
            waiter = self._waiting[name] = asyncio.get_running_loop().create_future()
        await asyncio.shield(waiter)


async def _serve_fake() -> None:
    """FakeSlack, plus a side door where the parent reads when replies arrived."""
    from tests.slack_fake import FakeSlack

    async with FakeSlack(team_id=TEAM) as slack:

        async def responded(request: web.Request) -> web.Response:
            return web.json_response(slack.responded_at)

        async def replies(request: web.Request) -> web.Response:
            return web.json_response(slack.responses_to(request.match_info["name"]))

        arrivals = _Arrivals()
        slack.responded_at = arrivals

        async def wait(request: web.Request) -> web.Response:
            name = request.match_info["name"]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrivals.arrived(name), REPLY_WAIT)
            return web.json_response(arrivals.get(name))

        side = web.Application()
        side.router.add_get("/wait/{name}", wait)
        side.router.add_get("/responded", responded)
        side.router.add_get("/replies/{name}", replies)
        runner = web.AppRunner(side, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        try:
            _ready(slack.url, f"http://127.0.0.1:{port}/")
            await _until_parent_lets_go()
        finally:
            await runner.cleanup()


async def _serve_ours(fake_url: str, workdir: Path) -> None:
    """Our whole app, as ``trypost serve`` runs it, on a free port."""
    from bot.app import build_app
    from bot.logs import configure_logging
    from bot.settings import Settings
    from bot.web import serve

    configure_logging("INFO", json=True)
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{workdir / 'trypost.db'}",
        secret_key="bench-secret",
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=f"{fake_url}api/",
        sandbox_dir=workdir / "sandbox-posts",
        outbox_dir=workdir / "outbox",
        public_url="https://trypost.example.com",
    )
    app = await build_app(settings)
    gc.collect()  # as `trypost serve` does after start-up
    gc.freeze()
    runner = await serve(app.web_app(), 0, host="127.0.0.1")
    try:
        _ready(runner.addresses[0][1])
        await _until_parent_lets_go()
    finally:
        await runner.cleanup()
        await app.aclose()


async def _serve_bare(fake_url: str, *, replying: bool = False) -> None:
    """The floors: Bolt's own request path and a listener that only acks, or that acks
    and posts one fixed reply to the response_url."""
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
    from slack_sdk.web.async_client import AsyncWebClient

    bolt = AsyncApp(
        signing_secret=SIGNING_SECRET,
        client=AsyncWebClient(token=BOT_TOKEN, base_url=f"{fake_url}api/"),
    )

    if replying:

        @bolt.command("/trypost")
        async def ack_and_reply(ack: AsyncAck, respond: AsyncRespond) -> None:
            await ack()
            await respond("No posts yet.")

    else:

        @bolt.command("/trypost")
        async def only_ack(ack: AsyncAck) -> None:
            await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    app = web.Application()
    app.router.add_post("/slack/events", events)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        _ready(runner.addresses[0][1])
        await _until_parent_lets_go()
    finally:
        await runner.cleanup()


# --- the parent: start children, send the load, measure ------------------------------


@dataclass
class Child:
    role: str
    process: asyncio.subprocess.Process
    facts: list[str]
    log: Path


def _child_env() -> dict[str, str]:
    """slack_sdk sends through HTTP(S)_PROXY when set: never to a loopback fake."""
    proxies = {*_PROXY_VARIABLES, *(name.lower() for name in _PROXY_VARIABLES)}
    return {k: v for k, v in os.environ.items() if k not in proxies}


async def _start(role: str, log: Path, *args: str) -> Child:
    with log.open("wb") as errors:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(SCRIPT),
            "--serve",
            role,
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=errors,
            env=_child_env(),
        )
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 60)
    except TimeoutError:
        line = b""
    if not line.startswith(b"READY "):
        process.kill()
        await process.wait()
        raise RuntimeError(f"the {role} server did not start; its log: {log}")
    return Child(role, process, line.decode().split()[1:], log)


async def _stop(child: Child) -> None:
    assert child.process.stdin is not None
    child.process.stdin.close()
    try:
        await asyncio.wait_for(child.process.wait(), 15)
    except TimeoutError:
        child.process.kill()
        await child.process.wait()


def _command(text: str, response_url: str, trigger: str) -> tuple[str, dict[str, str]]:
    """A slash command as Slack posts it, signed with v0 HMAC-SHA256."""
    body = urlencode(
        {
            "token": "x",
            "team_id": TEAM,
            "team_domain": "bench",
            "channel_id": "C1",
            "channel_name": "general",
            "user_id": USER,
            "user_name": USER.lower(),
            "command": "/trypost",
            "text": text,
            "api_app_id": "A1",
            "response_url": response_url,
            "trigger_id": trigger,
        }
    )
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=timestamp, body=body)
    assert signature is not None  # None only without a timestamp or a body
    headers = {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return body, headers


@dataclass
class Shot:
    name: str
    sent: float
    ack: float
    status: int


@dataclass
class Measured:
    acks: list[float]
    replies: list[float] = field(default_factory=list)
    bad_acks: int = 0
    missing_replies: int = 0
    sample_reply: str = ""
    # The server's CPU seconds per command (ack and reply work), in the users phase.
    cpu_per_command: float = float("nan")
    burst_cpu: float = float("nan")  # the same, in the burst
    replies_done: float = float("nan")  # seconds from the first send to the last reply
    # Reply latency when each of ``concurrency`` users waits for a reply before the next.
    user_replies: list[float] = field(default_factory=list)


class Load:
    """Signed commands to one server, ``concurrency`` in flight at a time."""

    def __init__(self, http: aiohttp.ClientSession, server: str, fake: Child) -> None:
        self._http = http
        self._events = f"{server}/slack/events"
        self._fake_url, self._side = fake.facts

    async def fire(self, names: Sequence[str], text: str, concurrency: int) -> list[Shot]:
        slots = asyncio.Semaphore(concurrency)

        async def one(name: str) -> Shot:
            body, headers = _command(text, f"{self._fake_url}respond/{name}", f"t-{name}")
            async with slots:
                sent = time.perf_counter()
                async with self._http.post(self._events, data=body, headers=headers) as answer:
                    await answer.read()
                    acked = time.perf_counter()
            return Shot(name, sent, acked - sent, answer.status)

        return list(await asyncio.gather(*(one(name) for name in names)))

    async def users(self, names: Sequence[str], text: str, users: int) -> list[float]:
        """``users`` people each send a command and wait for its reply before the next:
        the reply latency a team sees when the bot is this busy."""
        slots = asyncio.Semaphore(users)

        async def one(name: str) -> float:
            body, headers = _command(text, f"{self._fake_url}respond/{name}", f"t-{name}")
            async with slots:
                sent = time.perf_counter()
                async with self._http.post(self._events, data=body, headers=headers) as answer:
                    await answer.read()
                async with self._http.get(f"{self._side}wait/{name}") as waited:
                    seen = await waited.json()
                return float(seen) - sent if seen is not None else float("nan")

        return list(await asyncio.gather(*(one(name) for name in names)))

    async def replies(self, names: Sequence[str]) -> dict[str, float]:
        """When the fake got each reply, once all came (or REPLY_WAIT ran out)."""
        deadline = time.monotonic() + REPLY_WAIT
        while True:
            async with self._http.get(f"{self._side}responded") as answer:
                seen: dict[str, float] = await answer.json()
            if all(name in seen for name in names) or time.monotonic() > deadline:
                return seen
            await asyncio.sleep(0.05)

    async def reply_text(self, name: str) -> str:
        async with self._http.get(f"{self._side}replies/{name}") as answer:
            bodies: list[dict[str, Any]] = await answer.json()
        return " / ".join(str(body.get("text", "")) for body in bodies)


async def _measure(
    role: str, run: int, fake: Child, workdir: Path, requests: int, concurrency: int
) -> Measured:
    args = ["--fake", fake.facts[0]]
    if role == "ours":
        args += ["--workdir", str(workdir)]
    server = await _start(role, workdir / f"{role}.log", *args)
    try:
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as http:
            load = Load(http, f"http://127.0.0.1:{server.facts[0]}", fake)
            if role == "ours":
                setup = [f"r{run}-setup"]
                shots = await load.fire(setup, "accounts add sandbox brand", 1)
                await load.replies(setup)
                if shots[0].status != 200 or "brand" not in await load.reply_text(setup[0]):
                    raise RuntimeError(f"could not add the sandbox account; see {server.log}")
            warm = [f"r{run}-{role}-warm{i}" for i in range(min(requests, 2 * concurrency))]
            await load.fire(warm, "list", concurrency)
            if role != "bare":
                await load.replies(warm)
            names = [f"r{run}-{role}-{i}" for i in range(requests)]
            cpu_before = _cpu_seconds(server.process.pid)
            start = time.perf_counter()
            shots = await load.fire(names, "list", concurrency)
            measured = Measured(
                acks=[s.ack for s in shots if s.status == 200],
                bad_acks=sum(1 for s in shots if s.status != 200),
            )
            if role != "bare":
                seen = await load.replies(names)
                measured.replies = [seen[s.name] - s.sent for s in shots if s.name in seen]
                measured.missing_replies = sum(1 for s in shots if s.name not in seen)
                measured.replies_done = max((seen[n] for n in names if n in seen), default=start)
                measured.replies_done -= start
                measured.sample_reply = await load.reply_text(names[0])
            measured.burst_cpu = (_cpu_seconds(server.process.pid) - cpu_before) / requests
            if role != "bare":
                team = [f"r{run}-{role}-user{i}" for i in range(requests)]
                cpu_before = _cpu_seconds(server.process.pid)
                measured.user_replies = await load.users(team, "list", concurrency)
                cpu = _cpu_seconds(server.process.pid) - cpu_before
                measured.cpu_per_command = cpu / requests
                measured.missing_replies += sum(1 for r in measured.user_replies if math.isnan(r))
            else:
                measured.cpu_per_command = measured.burst_cpu
            return measured
    finally:
        await _stop(server)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux's /proc; NaN elsewhere)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return float("nan")
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class RunResult:
    ours: Measured
    bare: Measured
    replying: Measured

    @property
    def figures(self) -> dict[str, float]:
        figures = {
            "ours_p50": _percentile(self.ours.acks, 50),
            "ours_p99": _percentile(self.ours.acks, 99),
            "bare_p50": _percentile(self.bare.acks, 50),
            "bare_p99": _percentile(self.bare.acks, 99),
            "burst_p99": _percentile(self.ours.replies, 99),
            "replies_done": self.ours.replies_done,
            "floor_burst_p99": _percentile(self.replying.replies, 99),
            "users_p50": _percentile(self.ours.user_replies, 50),
            "users_p99": _percentile(self.ours.user_replies, 99),
            "floor_users_p99": _percentile(self.replying.user_replies, 99),
            "ours_cpu": self.ours.cpu_per_command,
            "floor_cpu": self.replying.cpu_per_command,
        }
        figures["ratio"] = figures["ours_p99"] / figures["bare_p99"]
        figures["burst_ratio"] = figures["burst_p99"] / figures["floor_burst_p99"]
        figures["reply_ratio"] = figures["users_p99"] / figures["floor_users_p99"]
        figures["cpu_ratio"] = figures["ours_cpu"] / figures["floor_cpu"]
        return figures

    @property
    def errors(self) -> int:
        return (
            self.ours.bad_acks
            + self.bare.bad_acks
            + self.replying.bad_acks
            + self.ours.missing_replies
            + self.replying.missing_replies
        )


def _percentile(values: Sequence[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


async def _run(index: int, requests: int, concurrency: int, scratch: Path) -> RunResult:
    workdir = scratch / f"run{index}"
    workdir.mkdir()
    fake = await _start("fake", workdir / "fake.log")
    try:
        # Alternate which server goes first, so drift in the machine favours neither.
        order = ("ours", "bare", "replying") if index % 2 else ("replying", "bare", "ours")
        done = {
            role: await _measure(role, index, fake, workdir, requests, concurrency)
            for role in order
        }
    finally:
        await _stop(fake)
    return RunResult(done["ours"], done["bare"], done["replying"])


def _verdict(figures: dict[str, float], errors: int) -> str:
    misses = []
    if figures["ratio"] > ACK_RATIO_TARGET:
        misses.append(f"ack p99 {figures['ratio']:.2f}x bare > {ACK_RATIO_TARGET}x")
    # "50 concurrent": at most 50 commands in progress, each until its reply is visible
    # (the users phase); the burst's replies are shown, not judged.
    if figures["users_p99"] > REPLY_P99_TARGET:
        misses.append(f"reply p99 {_ms(figures['users_p99'])} > {_ms(REPLY_P99_TARGET)}")
    if figures["reply_ratio"] > REPLY_RATIO_TARGET:
        misses.append(f"reply p99 {figures['reply_ratio']:.2f}x the replying app's")
    if figures["cpu_ratio"] > CPU_RATIO_TARGET:
        misses.append(f"CPU {figures['cpu_ratio']:.2f}x the replying app's")
    if errors:
        misses.append(f"{errors} failed acks or missing replies")
    return "PASS" if not misses else "FAIL (" + "; ".join(misses) + ")"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


_COLUMNS = (
    # (figure, heading, width); times in milliseconds
    ("ours_p50", "ours p50", 9),
    ("ours_p99", "ours p99", 9),
    ("bare_p50", "bare p50", 9),
    ("bare_p99", "bare p99", 9),
    ("ratio", "ack ratio", 10),
    ("burst_p99", "burst rp99", 11),
    ("replies_done", "last reply", 11),
    ("floor_burst_p99", "floor brp99", 12),
    ("burst_ratio", "burst ratio", 12),
    ("users_p50", "users p50", 10),
    ("users_p99", "users p99", 10),
    ("floor_users_p99", "floor up99", 11),
    ("reply_ratio", "rp99 ratio", 11),
    ("ours_cpu", "CPU ours", 9),
    ("floor_cpu", "CPU floor", 10),
    ("cpu_ratio", "CPU ratio", 10),
)


def _header(out: TextIO) -> None:
    out.write(
        "ack = HTTP answer to the command, all commands sent as fast as acks allow (a burst);"
        " bare = the Bolt app\nthat only acks; burst rp99 = reply p99 in that burst (until "
        "the fake Slack has the response_url POST;\ninformation: it measures a backlog of "
        "every command sent); last reply = from the first send to the\nlast reply of the "
        "burst; users = reply latency when C users each wait for their reply before\nsending "
        "again (C commands in progress: the reply target applies to it); CPU = the server "
        "process's\nCPU per command in the users phase; floor = the Bolt app that acks and "
        "posts a fixed reply (same\nphases). Times in ms.\n"
    )
    out.write(f"{'':<7}" + "".join(f"{h:>{w}}" for _, h, w in _COLUMNS) + "  verdict\n")


def _line(label: str, figures: dict[str, float], errors: int, out: TextIO) -> None:
    cells = "".join(
        f"{figures[key]:>{w - 1}.2f}x"
        if key.endswith("ratio")
        else f"{figures[key] * 1000:>{w}.1f}"
        for key, _, w in _COLUMNS
    )
    out.write(f"{label:<7}{cells}  {_verdict(figures, errors)}\n")


async def _bench(requests: int, concurrency: int, runs: int, out: TextIO) -> bool:
    import slack_bolt

    out.write(
        f"{requests} signed '/trypost list', {concurrency} at a time, {runs} run(s); "
        f"Python {platform.python_version()}, slack_bolt {slack_bolt.version.__version__}, "
        f"aiohttp {aiohttp.__version__}, {os.cpu_count()} CPU(s), "
        f"perf_counter: {time.get_clock_info('perf_counter').implementation}\n"
    )
    _header(out)
    results: list[RunResult] = []
    with tempfile.TemporaryDirectory(prefix="trypost-bench-") as scratch:
        for index in range(1, runs + 1):
            result = await _run(index, requests, concurrency, Path(scratch))
            results.append(result)
            _line(f"run {index}", result.figures, result.errors, out)
            out.flush()
    median = {key: statistics.median(r.figures[key] for r in results) for key in results[0].figures}
    errors = sum(r.errors for r in results)
    _line("median", median, errors, out)
    out.write(f"a reply, as the fake got it: {results[-1].ours.sample_reply[:120]!r}\n")
    out.write(
        f"targets: ack p99 <= {ACK_RATIO_TARGET}x bare Bolt's, reply p99 <= "
        f"{REPLY_RATIO_TARGET}x and CPU <= {CPU_RATIO_TARGET}x the replying app's; users' "
        f"reply p99 <= {_ms(REPLY_P99_TARGET)}\n"
    )
    command = [
        ".venv/bin/python",
        "bench/slack_ack.py",
        f"--requests={requests}",
        f"--concurrency={concurrency}",
        f"--runs={runs}",
    ]
    out.write(f"reproduce: (cd {shlex.quote(str(ROOT))} && {shlex.join(command)})\n")
    return _verdict(median, errors) == "PASS"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    # The children: the same script, started by the parent.
    parser.add_argument(
        "--serve", choices=("fake", "ours", "bare", "replying"), help=argparse.SUPPRESS
    )
    parser.add_argument("--fake", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve == "fake":
        asyncio.run(_serve_fake())
    elif args.serve == "ours":
        asyncio.run(_serve_ours(args.fake, args.workdir))
    elif args.serve == "bare":
        asyncio.run(_serve_bare(args.fake))
    elif args.serve == "replying":
        asyncio.run(_serve_bare(args.fake, replying=True))
    else:
        if min(args.requests, args.concurrency, args.runs) < 1:
            parser.error("--requests, --concurrency and --runs must be at least 1")
        passed = asyncio.run(_bench(args.requests, args.concurrency, args.runs, sys.stdout))
        return 0 if passed else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
