"""The console as a chat surface: DMs print in the terminal, presence is set by hand."""

from collections.abc import Callable

from bot.console.render import render_text
from core.messages import Reply
from core.notifications.model import Presence
from core.workspace import Member


class ConsoleChat:
    """Reaches the members of the console's workspace; present unless set away."""

    def __init__(self, workspace_id: int, say: Callable[[str], None]) -> None:
        self._workspace_id = workspace_id
        self._say = say
        self.presence_of: dict[str, Presence] = {}

    def reaches(self, member: Member) -> bool:
        return member.workspace_id == self._workspace_id

    async def presence(self, member: Member) -> Presence:
        return self.presence_of.get(member.name, Presence.PRESENT)

    async def send_dm(self, member: Member, message: Reply, key: str) -> None:
        body = render_text(message).replace("\n", "\n    ")
        self._say(f"DM → @{member.name}: {body}")
