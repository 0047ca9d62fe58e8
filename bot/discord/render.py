"""The neutral reply drawn the Discord way: one embed, and buttons in action rows.

Discord's limits (embed description 4096, 25 fields of 1024, footer 2048, 6000 in all;
5 buttons a row, 5 rows; a custom id of 100) are kept here, so nothing we send is
refused for its size: what does not fit is cut, and the cut says so.

A button's custom id is the command it stands for, with the guild it belongs to:
``trypost:<action>:<guild id>:<target>``. Nothing about it lives in memory, so a click
works the same after a restart; a DM has no guild, which is why the id carries it.
"""

import re
from dataclasses import dataclass

import discord

from core.messages import Button, Reply, Tone

BUTTON_PREFIX = "trypost:"
MODAL_PREFIX = "trypost-modal:"
MAX_CUSTOM_ID = 100
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_TITLE = 256
MAX_EMBED = 6000
MAX_LABEL = 80
MORE_NOTE = " more not shown"
BUTTONS_PER_ROW = 5
MAX_ROWS = 5

_COLOUR = {
    Tone.INFO: discord.Colour.blurple(),
    Tone.SUCCESS: discord.Colour.green(),
    Tone.WARNING: discord.Colour.gold(),
    Tone.ERROR: discord.Colour.red(),
}
_EMOJI = {Tone.INFO: "", Tone.SUCCESS: "✅", Tone.WARNING: "⚠️", Tone.ERROR: "❌"}
_CUSTOM_ID = re.compile(r"^trypost:([a-z]+):(\d*):(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Pressed:
    """What a button stands for, read back from its custom id."""

    action: str
    guild_id: str
    target: str

    @property
    def command(self) -> str:
        return f"{self.action} {self.target}".strip()


def button_id(action: str, guild_id: str, target: str) -> str:
    return f"{BUTTON_PREFIX}{action}:{guild_id}:{target}"


def read_button_id(custom_id: str) -> Pressed | None:
    """The button's command, or None for an id that is not (or no longer) ours."""
    found = _CUSTOM_ID.match(custom_id)
    return Pressed(found[1], found[2], found[3]) if found else None


def embed_of(reply: Reply) -> discord.Embed:
    """The reply as one embed; a too-long reply is cut and ends with "…"."""
    emoji = _EMOJI[reply.tone]
    title = _join(emoji, reply.title) if reply.title else None
    parts: list[str] = []
    if reply.text:
        parts.append(reply.text if title else _join(emoji, reply.text))
    parts += [f"• {item}" for item in reply.items]
    if reply.block:
        parts.append(f"```\n{reply.block}\n```")
    description = "\n".join(parts) or None
    embed = discord.Embed(
        title=_clip(title, MAX_TITLE) if title else None,
        description=_clip(description, MAX_DESCRIPTION) if description else None,
        colour=_COLOUR[reply.tone],
    )
    budget = MAX_EMBED - len(embed.title or "") - len(embed.description or "")
    # The footer (the unread count, "n more not shown") is kept before any field.
    room = min(MAX_FOOTER, budget - len(MORE_NOTE) - 8)
    footer = _clip(reply.footer, room) if reply.footer else None
    budget -= len(footer or "") + len(MORE_NOTE) + 8
    shown = 0
    for field in reply.fields[:MAX_FIELDS]:
        name, value = _clip(field.name, MAX_FIELD_NAME), _clip(field.value, MAX_FIELD_VALUE)
        if len(name) + len(value) > budget:
            break
        embed.add_field(name=name, value=value or "—", inline=True)
        budget -= len(name) + len(value)
        shown += 1
    if shown < len(reply.fields):
        more = f"{len(reply.fields) - shown}{MORE_NOTE}"
        footer = f"{footer} · {more}" if footer else more
    if footer:
        embed.set_footer(text=footer)
    return embed


def view_of(reply: Reply, guild_id: str) -> discord.ui.View | None:
    """The reply's buttons, five to a row; None when it has none.

    The view is only a drawing: it is never kept by the client (its clicks are read
    from their custom ids), so callers ``stop()`` it once it is sent.
    """
    buttons = [b for b in (_button(b, guild_id) for b in reply.buttons) if b is not None]
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for index, button in enumerate(buttons[: BUTTONS_PER_ROW * MAX_ROWS]):
        button.row = index // BUTTONS_PER_ROW
        view.add_item(button)
    return view


def _button(button: Button, guild_id: str) -> discord.ui.Button[discord.ui.View] | None:
    label = _clip(button.label, MAX_LABEL)
    if button.url:
        return discord.ui.Button(label=label, url=button.url)
    custom_id = button_id(button.action, guild_id, button.target)
    if len(custom_id) > MAX_CUSTOM_ID:
        return None  # a target this long (an account's name) is typed instead
    return discord.ui.Button(label=label, custom_id=custom_id, style=_style(button))


def _style(button: Button) -> discord.ButtonStyle:
    """Red for what destroys or declines, green for a yes, blue for a retry."""
    if button.danger:
        return discord.ButtonStyle.danger
    if button.action == "approve" or button.target == "accept":
        return discord.ButtonStyle.success
    if button.action == "retry":
        return discord.ButtonStyle.primary
    return discord.ButtonStyle.secondary


def _join(emoji: str, text: str) -> str:
    return f"{emoji} {text}" if emoji else text


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
