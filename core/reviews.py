"""The review of a post: who asked, who decided what, with which feedback."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Decision(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"


@dataclass
class ReviewStep:
    """One step of a post's review history, shown by ``show <post>``."""

    workspace_id: int
    post_id: int
    member_id: int
    decision: Decision
    at: datetime
    feedback: str | None = None
    id: int = 0
