"""The console's duration words, for driving other surfaces' clocks the same way."""

from datetime import timedelta

from bot.console.durations import parse_duration


def parse(text: str) -> timedelta:
    delta = parse_duration(text)
    assert delta is not None, text
    return delta
