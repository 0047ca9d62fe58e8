"""Finds the client for a platform name."""

from collections.abc import Mapping

from core.ports import PermanentPlatformError, PlatformClient


class Platforms:
    def __init__(self, clients: Mapping[str, PlatformClient]) -> None:
        self._clients = dict(clients)

    def client_for(self, platform: str) -> PlatformClient:
        try:
            return self._clients[platform]
        except KeyError:
            raise PermanentPlatformError(
                f"publishing to {platform} is not set up on this bot"
            ) from None
