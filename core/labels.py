"""Labels: free-form tags, declared per workspace and attached to posts."""

import re
from dataclasses import dataclass

from core.errors import ValidationFailed

_LABEL = re.compile(r"^[\w][\w\-.]{0,39}$")


@dataclass
class Label:
    workspace_id: int
    name: str
    id: int = 0


def normalise_label(raw: str) -> str:
    """Labels compare case-insensitively; keep them short and free of spaces."""
    name = raw.strip().lstrip("#").lower()
    if not _LABEL.match(name):
        raise ValidationFailed(
            f"“{raw}” is not a usable label: use up to 40 letters, digits, '-', '_' or '.'."
        )
    return name
