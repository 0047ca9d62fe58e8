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


def loading_view() -> dict[str, Any]:
    """Opened at once (a trigger_id lives 3 s), then replaced by the composer."""
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": {"type": "plain_text", "text": "New post"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "⏳ One moment…"}}],
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


@dataclass(frozen=True)
class Submission:
    request: rq.Schedule | rq.Draft | rq.Now
    channel_id: str | None
    response_url: str | None = None


def read_submission(view: dict[str, Any]) -> Submission:
    """The typed request a submitted composer stands for."""
    values = view.get("state", {}).get("values", {})

    def element(block: str, action: str) -> dict[str, Any]:
        found: dict[str, Any] = values.get(block, {}).get(action, {})
        return found

    text = (element("text", "text").get("value") or "").strip()
    picked = element("accounts", "accounts")
    if "selected_options" in picked:
        accounts = tuple(o["value"] for o in picked.get("selected_options") or [])
    else:
        accounts = tuple(w for w in (picked.get("value") or "").replace(",", " ").split() if w)
    labels = tuple(
        w for w in (element("labels", "labels").get("value") or "").replace(",", " ").split() if w
    )
    epoch = element("when", "when").get("selected_date_time")
    when = datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%MZ") if epoch else None
    mode = (element("mode", "mode").get("selected_option") or {}).get("value", "schedule")
    metadata = json.loads(view.get("private_metadata") or "{}")
    request: rq.Schedule | rq.Draft | rq.Now
    if mode == "draft":
        request = rq.Draft(text, accounts, labels)
    elif mode == "now":
        request = rq.Now(text, accounts)
    else:
        request = rq.Schedule(text, when or "", accounts, labels)
    return Submission(request, metadata.get("channel_id"), metadata.get("response_url"))


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
