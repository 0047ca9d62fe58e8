"""The Meter port's adapters: the no-op default and the Prometheus one."""

import logging

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from bot.metrics import PrometheusMeter
from core.observe import NO_METER


def _text(registry: CollectorRegistry) -> str:
    return generate_latest(registry).decode()


def test_the_default_meter_measures_nothing_and_accepts_anything() -> None:
    NO_METER.count("entries", platform="sandbox", outcome="published")
    NO_METER.observe("http_request_seconds", 0.1, route="/healthz")


def test_counters_and_histograms_get_the_trypost_prefix() -> None:
    registry = CollectorRegistry()
    meter = PrometheusMeter(registry)
    meter.count("ticks")
    meter.count("posts_claimed", 3)
    meter.count("deliveries", channel="email", outcome="retry")
    meter.observe("http_request_seconds", 0.002, route="/healthz", method="GET", status="200")

    text = _text(registry)
    assert "trypost_ticks_total 1.0" in text
    assert "trypost_posts_claimed_total 3.0" in text
    assert 'trypost_deliveries_total{channel="email",outcome="retry"} 1.0' in text
    assert (
        'trypost_http_request_seconds_bucket{le="0.0025",method="GET",route="/healthz",'
        'status="200"} 1.0'
    ) in text


def test_a_call_with_other_label_names_is_dropped_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A metric must never break the publish it counts."""
    registry = CollectorRegistry()
    meter = PrometheusMeter(registry)
    with caplog.at_level(logging.WARNING, logger="bot.metrics"):
        meter.count("entries", platform="sandbox")
        meter.count("entries", platform="sandbox")
        meter.count("entries", platform="sandbox", outcome="published")

    assert 'trypost_entries_total{outcome="published",platform="sandbox"} 1.0' in _text(registry)
    assert len([r for r in caplog.records if "metric dropped" in r.message]) == 1


def test_an_undeclared_metric_takes_the_labels_of_its_first_use() -> None:
    registry = CollectorRegistry()
    meter = PrometheusMeter(registry)
    meter.count("refreshes", platform="x")
    assert 'trypost_refreshes_total{platform="x"} 1.0' in _text(registry)
