"""Prometheus metrics: the core's Meter port on prometheus_client, and ``GET /metrics``.

Each app has its own ``CollectorRegistry`` (not prometheus_client's global one), so
several apps can live in one process, as tests build them. Metric families are made on
first use with the label names declared below; a call with other label names is logged
and dropped, because a metric must never break the publish or the delivery it counts.
"""

import asyncio
import logging
import time
from collections.abc import Mapping

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

from core.observe import Meter

log = logging.getLogger(__name__)

NAMESPACE = "trypost"
# Acks to Slack take milliseconds and must stay far below its 3 seconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_COUNTERS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "ticks": ("Scheduler ticks run.", ()),
    "posts_claimed": ("Due posts claimed by scheduler ticks.", ()),
    "entries": ("Platform entries finished, by platform and outcome.", ("platform", "outcome")),
    "deliveries": (
        "Notification deliveries settled, by channel and outcome (sent, retry, failed).",
        ("channel", "outcome"),
    ),
}
_HISTOGRAMS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "http_request_seconds": (
        "Time to answer an HTTP request, by route pattern, method and status.",
        ("route", "method", "status"),
    ),
}
# Any other method becomes OTHER: a client must not be able to mint label values.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def new_registry() -> CollectorRegistry:
    """A registry with the process, platform and GC collectors the global one has."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


class PrometheusMeter:
    """The Meter port on a prometheus_client registry: ``count("entries", platform=…)``
    becomes ``trypost_entries_total{platform=…}``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry
        self._counters: dict[str, tuple[Counter, tuple[str, ...]]] = {}
        self._histograms: dict[str, tuple[Histogram, tuple[str, ...]]] = {}
        self._refused: set[tuple[str, tuple[str, ...]]] = set()

    def count(self, name: str, amount: float = 1.0, **labels: str) -> None:
        if name not in self._counters:
            doc, names = _declared(_COUNTERS, name, labels)
            counter = Counter(name, doc, names, namespace=NAMESPACE, registry=self._registry)
            self._counters[name] = (counter, names)
        counter, names = self._counters[name]
        if self._fits(name, names, labels):
            (counter.labels(**labels) if names else counter).inc(amount)

    def observe(self, name: str, value: float, **labels: str) -> None:
        if name not in self._histograms:
            doc, names = _declared(_HISTOGRAMS, name, labels)
            histogram = Histogram(
                name,
                doc,
                names,
                namespace=NAMESPACE,
                registry=self._registry,
                buckets=LATENCY_BUCKETS,
            )
            self._histograms[name] = (histogram, names)
        histogram, names = self._histograms[name]
        if self._fits(name, names, labels):
            (histogram.labels(**labels) if names else histogram).observe(value)

    def _fits(self, name: str, declared: tuple[str, ...], labels: Mapping[str, str]) -> bool:
        given = tuple(sorted(labels))
        if given == tuple(sorted(declared)):
            return True
        if (name, given) not in self._refused:
            self._refused.add((name, given))
            log.warning(
                "metric dropped: its label names differ from the declared ones",
                extra={"metric": name, "labels": list(given), "declared": list(declared)},
            )
        return False


def _declared(
    table: Mapping[str, tuple[str, tuple[str, ...]]], name: str, labels: Mapping[str, str]
) -> tuple[str, tuple[str, ...]]:
    """A metric's help and label names; an undeclared one takes those of its first use."""
    return table.get(name, (f"{name} (undeclared)", tuple(sorted(labels))))


def route_of(request: web.BaseRequest) -> str:
    """The route pattern (``/unsubscribe/{token}``), never the path: paths hold tokens."""
    match = getattr(request, "match_info", None)
    resource = match.route.resource if match is not None else None
    return resource.canonical if resource is not None else "(unmatched)"


def request_timer(meter: Meter) -> Middleware:
    """Middleware observing ``http_request_seconds`` by route pattern, method and status.

    Put it first, so the time includes the other middlewares.
    """

    @web.middleware
    async def timed(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500  # what aiohttp answers for an exception that is not an HTTP one
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as answered:
            status = answered.status
            raise
        except asyncio.CancelledError:
            status = 499  # the client went away first (nginx's convention)
            raise
        finally:
            meter.observe(
                "http_request_seconds",
                time.perf_counter() - started,
                route=route_of(request),
                method=request.method if request.method in _METHODS else "OTHER",
                status=str(status),
            )

    return timed


def metrics_handler(registry: CollectorRegistry) -> Handler:
    """``GET /metrics``: the registry in the Prometheus text format."""

    async def metrics(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    return metrics
