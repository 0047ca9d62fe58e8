"""The neutral message: what the bot says, before any surface draws it.

Slack renders it as Block Kit, Discord as an embed with a View, the console as text.
Buttons carry an action and a target id; each surface turns them into its own widget
(on the console, the command that does the same: ``[retry 42]``).
"""

from dataclasses import dataclass
from enum import StrEnum


class Tone(StrEnum):
    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Button:
    label: str
    action: str
    target: str = ""
    danger: bool = False
    url: str | None = None

    @property
    def command(self) -> str:
        """The command line that does what the button does."""
        return f"{self.action} {self.target}".strip()


@dataclass(frozen=True)
class Field:
    name: str
    value: str


@dataclass(frozen=True)
class Reply:
    title: str | None = None
    text: str | None = None
    tone: Tone = Tone.INFO
    fields: tuple[Field, ...] = ()
    items: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = ()
    # A preformatted block (the calendar grid) that surfaces show in monospace.
    block: str | None = None
    footer: str | None = None


def error(text: str) -> Reply:
    return Reply(text=text, tone=Tone.ERROR)
