"""Every chat surface the bot runs, seen as one: DMs go where the member is known."""

from collections.abc import Sequence

from core.messages import Reply
from core.notifications.model import Presence
from core.notifications.ports import ChatGateway, DeliveryFailed
from core.workspace import Member


class ChatGateways:
    def __init__(self, gateways: Sequence[ChatGateway] = ()) -> None:
        self._gateways = list(gateways)

    def add(self, gateway: ChatGateway) -> None:
        self._gateways.append(gateway)

    async def presence(self, member: Member) -> Presence:
        """Present if any surface sees the member present; unknown if none can tell."""
        seen = Presence.UNKNOWN
        for gateway in self._gateways:
            if gateway.reaches(member):
                try:
                    state = await gateway.presence(member)
                except DeliveryFailed:
                    continue
                if state is Presence.PRESENT:
                    return state
                if state is Presence.AWAY:
                    seen = state
        return seen

    async def send_dm(self, member: Member, message: Reply, key: str) -> None:
        for gateway in self._gateways:
            if gateway.reaches(member):
                await gateway.send_dm(member, message, key)
                return
        raise DeliveryFailed(f"@{member.name} has no chat identity I can reach", transient=False)
