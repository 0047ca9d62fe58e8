"""The manifest people install asks for exactly what the app uses."""

from pathlib import Path

import yaml

from bot.slack.surface import BOT_SCOPES, EVENTS_PATH, REDIRECT_PATH

MANIFEST = Path(__file__).parents[2] / "bot" / "slack" / "manifest.yml"


def test_the_manifest_matches_the_app() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert manifest["oauth_config"]["scopes"]["bot"] == BOT_SCOPES
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/trypost" and command["url"].endswith(EVENTS_PATH)
    assert command["should_escape"] is True
    settings = manifest["settings"]
    assert settings["interactivity"]["request_url"].endswith(EVENTS_PATH)
    assert settings["event_subscriptions"]["request_url"].endswith(EVENTS_PATH)
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
    }
    assert manifest["oauth_config"]["redirect_urls"][0].endswith(REDIRECT_PATH)
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
