"""Logs: one JSON event per line off a terminal, and never a secret."""

import json
import logging

import pytest

from bot.logs import configure_logging


def test_fields_named_like_secrets_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", json=True)
    try:
        logging.getLogger("core.test").info(
            "connected",
            extra={
                "workspace_id": 3,
                "bot_token": "xoxb-123-secret",
                "client_secret": "hunter2",
                "smtp_password": "pw",
            },
        )
    finally:
        logging.getLogger().handlers.clear()
    line = capsys.readouterr().err.strip().splitlines()[-1]
    event = json.loads(line)
    assert event["event"] == "connected" and event["workspace_id"] == 3
    assert event["bot_token"] == event["client_secret"] == event["smtp_password"] == "[redacted]"
    assert "xoxb-123-secret" not in line and "hunter2" not in line
