"""The composer modal of ``/trypost schedule``: build it, and read a submission back."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.commands import requests as rq
from core.accounts import SocialAccount

CALLBACK_ID = "trypost_composer"
MODES = {"schedule": "Schedule", "draft": "Save as draft", "now": "Publish now"}


# What the platforms take (core.accounts); Slack's file_input filters by extension.
FILE_TYPES = ("jpg", "jpeg", "png", "gif", "webp", "mp4", "mov", "webm")


def loading_view() -> dict[str, Any]:
    """Opened at once (a trigger_id lives 3 s), then replaced by the composer."""
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": {"type": "plain_text", "text": "New post"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "⏳ One moment…"}}],
    }


def failed_view(reason: str) -> dict[str, Any]:
    """What replaces "One moment…" when the composer cannot be filled: why, and a way out
    (the modal's only button closes it; the command works without the modal)."""
    text = (
        f"❌ {reason}\n\nClose this window and try again, or type "
        '`/trypost schedule "text" at <when>` instead.'
    )
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "New post"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}],
    }


def composer_view(
    accounts: Sequence[SocialAccount],
    *,
    channel_id: str,
    now: datetime,
    prefill: rq.Schedule | None = None,
    response_url: str | None = None,
) -> dict[str, Any]:
    """The modal: text, accounts, date and time (shown in the user's zone by Slack),
    labels, and what to do with it."""
    options = [
        {"text": {"type": "plain_text", "text": f"{a.name} ({a.spec.label})"[:75]}, "value": a.name}
        for a in accounts
    ][:100]
    initial_time = int((now + timedelta(hours=1)).replace(minute=0, second=0).timestamp())
    text_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "text",
        "multiline": True,
    }
    if prefill and prefill.text:
        text_input["initial_value"] = prefill.text
    accounts_input: dict[str, Any] = {
        "type": "multi_static_select",
        "action_id": "accounts",
        "placeholder": {"type": "plain_text", "text": "Default accounts"},
        "options": options,
    }
    if not options:
        accounts_input = {"type": "plain_text_input", "action_id": "accounts"}
    labels_input: dict[str, Any] = {"type": "plain_text_input", "action_id": "labels"}
    if prefill and prefill.labels:
        labels_input["initial_value"] = ", ".join(prefill.labels)
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": json.dumps({"channel_id": channel_id, "response_url": response_url}),
        "title": {"type": "plain_text", "text": "New post"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "input", "block_id": "text", "label": _label("Text"), "element": text_input},
            {
                "type": "input",
                "block_id": "accounts",
                "optional": True,
                "label": _label("Accounts"),
                "element": accounts_input,
            },
            {
                "type": "input",
                "block_id": "when",
                "optional": True,
                "label": _label("When"),
                "element": {
                    "type": "datetimepicker",
                    "action_id": "when",
                    "initial_date_time": initial_time,
                },
            },
            {
                "type": "input",
                "block_id": "labels",
                "optional": True,
                "label": _label("Labels (comma-separated)"),
                "element": labels_input,
            },
            {
                "type": "input",
                "block_id": "media",
                "optional": True,
                "label": _label("Images or a video"),
                "element": {
                    "type": "file_input",
                    "action_id": "media",
                    "filetypes": list(FILE_TYPES),
                    "max_files": 4,
                },
            },
            {
                "type": "input",
                "block_id": "mode",
                "label": _label("Then"),
                "element": {
                    "type": "radio_buttons",
                    "action_id": "mode",
                    "initial_option": _option("schedule"),
                    "options": [_option(m) for m in MODES],
                },
            },
        ],
    }


class Unreadable(Exception):
    """A submission whose input under ``block`` cannot be read; shown inline there."""

    def __init__(self, block: str, message: str) -> None:
        super().__init__(message)
        self.block = block
        self.message = message


@dataclass(frozen=True)
class Submission:
    request: rq.Schedule | rq.Draft | rq.Now
    channel_id: str | None
    response_url: str | None = None


def read_submission(view: dict[str, Any]) -> Submission:
    """The typed request a submitted composer stands for; :class:`Unreadable` when an
    input holds what Slack's own element never sends (a date that is not a number)."""
    values = _object(_object(view.get("state")).get("values"))

    def element(block: str, action: str) -> dict[str, Any]:
        return _object(_object(values.get(block)).get(action))

    text = _text(element("text", "text").get("value")).strip()
    picked = element("accounts", "accounts")
    if "selected_options" in picked:
        options = picked.get("selected_options")
        accounts = tuple(
            _text(o.get("value")) for o in options or [] if isinstance(o, dict) and o.get("value")
        )
    else:
        accounts = tuple(w for w in _text(picked.get("value")).replace(",", " ").split() if w)
    labels = tuple(
        w for w in _text(element("labels", "labels").get("value")).replace(",", " ").split() if w
    )
    when = _when(element("when", "when").get("selected_date_time"))
    media = _files(element("media", "media").get("files"))
    mode = _text(_object(element("mode", "mode").get("selected_option")).get("value"))
    metadata = _metadata(view.get("private_metadata"))
    request: rq.Schedule | rq.Draft | rq.Now
    if mode == "draft":
        request = rq.Draft(text, accounts, labels)
    elif mode == "now":
        request = rq.Now(text, accounts)
    else:
        request = rq.Schedule(text, when or "", accounts, labels, media)
    return Submission(request, metadata.get("channel_id"), metadata.get("response_url"))


def _files(raw: object) -> tuple[str, ...]:
    """The uploaded files' private URLs (the bot reads them with its token, files:read)."""
    found = raw if isinstance(raw, list) else []
    return tuple(
        url
        for f in found
        if isinstance(f, dict)
        and isinstance(url := f.get("url_private_download") or f.get("url_private"), str)
    )


def _when(epoch: object) -> str | None:
    if epoch is None or epoch == "":
        return None
    try:
        moment = datetime.fromtimestamp(int(str(epoch)), UTC)
    except (ValueError, OverflowError, OSError):
        raise Unreadable("when", "I could not read that date and time; pick it again.") from None
    return moment.strftime("%Y-%m-%dT%H:%MZ")


def _metadata(raw: object) -> dict[str, str]:
    """What we put in the view (channel, response_url); anything else reads as nothing,
    and the result then goes by DM."""
    try:
        data = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    found = {k: v for k, v in data.items() if k in ("channel_id", "response_url")}
    url = found.get("response_url")
    if not (isinstance(url, str) and url.startswith(("https://", "http://"))):
        found.pop("response_url", None)
    return {k: v for k, v in found.items() if isinstance(v, str)}


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def error_block(message: str) -> str:
    """Which input a refusal belongs under, so Slack shows it inline."""
    lowered = message.lower()
    if any(w in lowered for w in ("time", "past", "when", "could not read")):
        return "when"
    if "account" in lowered or "platform" in lowered:
        return "accounts"
    if "label" in lowered:
        return "labels"
    return "text"


def _label(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def _option(mode: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": MODES[mode]}, "value": mode}
