"""The shape of what Slack posts to us, checked before bolt reads it.

bolt's extractors assume Slack's shapes (``team`` is an object or an id, ``actions`` a
list of objects, …) and raise on anything else. A signed request is from Slack, so an
odd shape is rare, but it must be a 400, not a traceback.
"""

from collections.abc import Mapping
from urllib.parse import urlsplit

# Fields that are ids or text wherever they appear.
_TEXT = (
    "type",
    "token",
    "team_id",
    "team_domain",
    "user_id",
    "user_name",
    "enterprise_id",
    "api_app_id",
    "channel_id",
    "command",
    "text",
    "trigger_id",
    "response_url",
    "callback_id",
)
# Objects Slack may also send as a bare id (or null, on org-wide installs).
_OBJECT_OR_ID = ("team", "enterprise", "user", "channel")
# Always objects when present.
_OBJECTS = ("container", "view", "event", "message", "state")
_LISTS_OF_OBJECTS = ("authorizations", "actions", "response_urls")
_VIEW_TEXT = ("id", "team_id", "app_installed_team_id", "callback_id", "private_metadata")


class Malformed(Exception):
    """A request Slack would never send; ``reason`` says what, without its contents."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def shape_problem(body: Mapping[str, object]) -> str | None:
    """What is wrong with the body's shape, or None when bolt can read it."""
    for key in _TEXT:
        if not _is_text(body.get(key)):
            return f"{key} is not text"
    for key in _OBJECT_OR_ID:
        value = body.get(key)
        if isinstance(value, Mapping):
            if not _is_text(value.get("id")) or not _is_text(value.get("team_id")):
                return f"{key}.id is not text"
        elif not _is_text(value):
            return f"{key} is neither an object nor an id"
    for key in _OBJECTS:
        # Slack leaves an object out rather than sending null; bolt reads any it finds.
        if key in body and not isinstance(body.get(key), Mapping):
            return f"{key} is not an object"
    for key in _LISTS_OF_OBJECTS:
        value = body.get(key)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value)
        ):
            return f"{key} is not a list of objects"
    response_url = body.get("response_url")
    if response_url and not _is_web_url(str(response_url)):
        # Slack always sends one of its hooks.slack.com URLs; nothing can answer here.
        return "response_url is not a URL"
    for action in _list(body.get("actions")):
        if not isinstance(action.get("action_id"), str):
            return "an action has no action_id"
    view = body.get("view")
    if isinstance(view, Mapping):
        for key in _VIEW_TEXT:
            if not _is_text(view.get(key)):
                return f"view.{key} is not text"
        if not isinstance(view.get("type"), str):
            # Every view has one ("modal", "home"); bolt's step matching indexes it.
            return "view.type is not text"
    event = body.get("event")
    if isinstance(event, Mapping) and not isinstance(event.get("type"), str):
        return "event.type is not text"
    return None


def nothing_to_do(body: Mapping[str, object]) -> bool:
    """A button payload without any action: there is no click to answer (and bolt's
    action matching would fail on it)."""
    return body.get("type") == "block_actions" and not _list(body.get("actions"))


def _is_web_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in value


def _is_text(value: object) -> bool:
    return value is None or isinstance(value, str)


def _list(value: object) -> list[Mapping[str, object]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
