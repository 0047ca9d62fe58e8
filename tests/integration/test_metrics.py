"""GET /metrics on the whole app: publishing, ticks, deliveries and request latency.

The app is the real one (``build_app`` on a SQLite file, sandbox platform, email to
the outbox folder); the metrics are read the way Prometheus reads them, over HTTP.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.app import App, build_app
from bot.settings import Settings
from core.clock import ManualClock
from core.usecases.accounts import add_sandbox_account, set_sandbox_mode
from core.usecases.context import Actor
from core.usecases.members import ensure_member, ensure_workspace
from core.usecases.posts import NewPost, publish_now, schedule_post

START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'trypost.db'}",
        secret_key="metrics-secret",
        sandbox_dir=tmp_path / "sandbox-posts",
        outbox_dir=tmp_path / "outbox",
        public_url="https://trypost.example.com",
    )


@dataclass
class Running:
    app: App
    http: TestClient[web.Request, web.Application]
    actor: Actor

    async def metrics(self) -> str:
        answer = await self.http.get("/metrics")
        assert answer.status == 200
        return await answer.text()

    async def samples(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        """Every sample as ``(name, labels) → value``, parsed as Prometheus would."""
        return {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(await self.metrics())
            for sample in family.samples
        }


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    app = await build_app(_settings(tmp_path), clock=ManualClock(START))
    workspace = await ensure_workspace(app.services, "acme")
    alice = await ensure_member(app.services, workspace.id, "alice", email="alice@example.com")
    await ensure_member(app.services, workspace.id, "bob", email="bob@example.com")
    actor = Actor(workspace.id, alice.id)
    await add_sandbox_account(app.services, actor, "sandy")
    async with TestClient(TestServer(app.web_app())) as http:
        try:
            yield Running(app, http, actor)
        finally:
            await app.aclose()


def _labels(**labels: str) -> frozenset[tuple[str, str]]:
    return frozenset(labels.items())


async def test_metrics_count_published_entries_ticks_and_deliveries(running: Running) -> None:
    services = running.app.services
    await publish_now(services, running.actor, NewPost("Hello", accounts=("sandy",)))
    await running.app.ticker.tick()
    await running.app.notify()

    text = await running.metrics()
    assert 'trypost_entries_total{outcome="published",platform="sandbox"} 1.0' in text
    samples = await running.samples()
    assert samples[("trypost_ticks_total", _labels())] >= 1
    assert samples[("trypost_posts_claimed_total", _labels())] == 0  # published now, not due
    # Both members hear that the post went out, by email (the outbox folder) at least.
    assert samples[("trypost_deliveries_total", _labels(channel="email", outcome="sent"))] >= 1
    deliveries = [dict(labels) for name, labels in samples if name == "trypost_deliveries_total"]
    assert {d["channel"] for d in deliveries} <= {"email", "chat_dm"}
    assert {d["outcome"] for d in deliveries} <= {"sent", "retry", "failed"}


async def test_a_rejected_entry_is_counted_as_failed(running: Running) -> None:
    services = running.app.services
    await set_sandbox_mode(services, running.actor, "sandy", "fail")
    await publish_now(services, running.actor, NewPost("Hello", accounts=("sandy",)))

    samples = await running.samples()
    failed = _labels(platform="sandbox", outcome="failed")
    assert samples[("trypost_entries_total", failed)] == 1
    assert ("trypost_entries_total", _labels(platform="sandbox", outcome="published")) not in (
        samples
    )


async def test_a_scheduled_post_is_counted_when_a_tick_claims_it(running: Running) -> None:
    services = running.app.services
    await schedule_post(services, running.actor, NewPost("Later", ("sandy",), when="in 5 minutes"))
    assert isinstance(running.app.clock, ManualClock)
    running.app.clock.set(START.replace(minute=6))
    await running.app.ticker.tick()

    samples = await running.samples()
    assert samples[("trypost_posts_claimed_total", _labels())] == 1
    published = _labels(platform="sandbox", outcome="published")
    assert samples[("trypost_entries_total", published)] == 1


async def test_request_latency_is_observed_by_route_pattern_never_by_path(
    running: Running,
) -> None:
    assert (await running.http.get("/healthz")).status == 200
    assert (await running.http.get("/posts/secret-token-1234")).status == 400
    assert (await running.http.get("/no/such/page")).status == 404

    text = await running.metrics()
    samples = await running.samples()
    healthz = _labels(route="/healthz", method="GET", status="200")
    assert samples[("trypost_http_request_seconds_count", healthz)] == 1
    assert samples[("trypost_http_request_seconds_sum", healthz)] > 0
    post_page = _labels(route="/posts/{token}", method="GET", status="400")
    assert samples[("trypost_http_request_seconds_count", post_page)] == 1
    unmatched = _labels(route="(unmatched)", method="GET", status="404")
    assert samples[("trypost_http_request_seconds_count", unmatched)] == 1
    assert "secret-token-1234" not in text
    assert "/no/such/page" not in text


async def test_metrics_answer_in_the_prometheus_text_format(running: Running) -> None:
    answer = await running.http.get("/metrics")
    assert answer.status == 200
    assert answer.content_type == "text/plain"
    assert "version=" in answer.headers["Content-Type"]
    assert "python_info" in await answer.text()  # the platform collector, as by default


async def test_each_app_keeps_its_own_registry(running: Running, tmp_path: Path) -> None:
    """Two apps in one process (as tests build them) count apart and never collide."""
    other = await build_app(_settings(tmp_path / "other"), clock=ManualClock(START))
    try:
        await publish_now(
            running.app.services, running.actor, NewPost("Hello", accounts=("sandy",))
        )
        async with TestClient(TestServer(other.web_app())) as http:
            body = await (await http.get("/metrics")).text()
        assert "trypost_entries_total{" not in body
        published = _labels(platform="sandbox", outcome="published")
        assert (await running.samples())[("trypost_entries_total", published)] == 1
    finally:
        await other.aclose()
