"""The metering port: the core says what happened, an adapter decides where it goes.

Names are short and unprefixed (``entries``, ``deliveries``); labels are plain strings
of low cardinality (a platform, a channel, an outcome), never an id or a token.
"""

from typing import Protocol


class Meter(Protocol):
    def count(self, name: str, amount: float = 1.0, **labels: str) -> None:
        """Add ``amount`` to the counter ``name``."""
        ...

    def observe(self, name: str, value: float, **labels: str) -> None:
        """Record one measurement (a duration in seconds, a size) of ``name``."""
        ...


class _NoMeter:
    """Measures nothing: the default, so the core runs the same without metrics."""

    def count(self, name: str, amount: float = 1.0, **labels: str) -> None:
        return None

    def observe(self, name: str, value: float, **labels: str) -> None:
        return None


NO_METER: Meter = _NoMeter()
