"""The one error the grammar raises, and how it quotes what the person typed."""


class ParseError(Exception):
    """A line the grammar cannot read; ``message`` is one friendly sentence to show as-is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def quoted(text: str, limit: int = 40) -> str:
    """Show user text inside “ ” on one line, shortened so a reply never echoes a novel."""
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return f"“{flat}”"
