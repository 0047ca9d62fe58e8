"""How a webhook receiver's answers map to outcomes (DESIGN §2 error classes)."""

import pytest
from multidict import CIMultiDict

from core.ports import AuthPlatformError, PermanentPlatformError, TransientPlatformError
from platforms.webhook import _outcome


def test_a_2xx_with_a_url_is_the_live_url_and_without_none() -> None:
    assert _outcome(200, CIMultiDict(), '{"url": "https://x.example/1"}', "k").url == (
        "https://x.example/1"
    )
    assert _outcome(204, CIMultiDict(), "", "k").url == ""
    assert _outcome(200, CIMultiDict(), "not json", "k").external_id == "k"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, AuthPlatformError),
        (403, AuthPlatformError),
        (400, PermanentPlatformError),
        (422, PermanentPlatformError),
        (429, TransientPlatformError),
        (500, TransientPlatformError),
        (503, TransientPlatformError),
    ],
)
def test_refusals_are_classed(status: int, error: type[Exception]) -> None:
    with pytest.raises(error):
        _outcome(status, CIMultiDict({"Retry-After": "7"}), "no", "k")


def test_a_429_waits_as_told() -> None:
    with pytest.raises(TransientPlatformError) as told:
        _outcome(429, CIMultiDict({"Retry-After": "7"}), "", "k")
    assert told.value.retry_after == 7.0
