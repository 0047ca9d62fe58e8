"""Reading platforms' JSON answers defensively: a body may be empty, not JSON, or JSON
of another shape than documented (an error page, a proxy's answer)."""

import json
from collections.abc import Mapping
from typing import Any


def json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object; anything else reads as empty."""
    try:
        found = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def text_field(body: Mapping[str, Any], key: str) -> str:
    """A string (or number, as ids sometimes are) field; empty when absent or odd."""
    value = body.get(key)
    return str(value) if isinstance(value, str | int) and value != "" else ""


def first_said(body: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    """The first non-empty string among ``keys``: the platform's own words, cut short."""
    for key in keys:
        value = body.get(key)
        if isinstance(value, str) and value:
            return value[:500]
    return ""
