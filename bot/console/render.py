"""Neutral reply → plain text for a terminal; buttons become the commands they run."""

from core.messages import Reply, Tone

_TONE = {Tone.ERROR: "✖ ", Tone.WARNING: "! ", Tone.SUCCESS: "✔ ", Tone.INFO: ""}


def render_text(reply: Reply) -> str:
    lines: list[str] = []
    lead = _TONE[reply.tone]
    if reply.title:
        lines.append(f"{lead}{reply.title}")
        lead = ""
    if reply.text:
        first, *rest = reply.text.splitlines() or [""]
        indent = "  " if reply.title else ""
        lines.append(f"{indent}{lead}{first}")
        lines += [f"{indent}{line}" for line in rest]
    lines += [f"  {field.name}: {field.value}" for field in reply.fields]
    lines += [f"  • {item}" for item in reply.items]
    if reply.block:
        lines += [f"  {line}" if reply.title else line for line in reply.block.splitlines()]
    if reply.buttons:
        lines.append(
            "  " + "  ".join(f"[{button.url or button.command}]" for button in reply.buttons)
        )
    if reply.footer:
        lines.append(f"  {reply.footer}")
    return "\n".join(lines)
