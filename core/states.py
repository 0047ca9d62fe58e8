"""The state machines of posts, platform entries and reviews (DESIGN §2).

Each machine is a table of legal moves; ``advance`` refuses anything else with a
sentence a person can read, so no code path can invent a transition.
"""

from enum import StrEnum
from typing import TypeVar

from core.errors import InvalidTransition


class PostStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    PARTIALLY_PUBLISHED = "partially_published"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        return self in POST_FINAL


POST_FINAL = frozenset({PostStatus.PUBLISHED, PostStatus.PARTIALLY_PUBLISHED, PostStatus.FAILED})


class EntryStatus(StrEnum):
    PENDING = "pending"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        return self in (EntryStatus.PUBLISHED, EntryStatus.FAILED)


class ReviewState(StrEnum):
    NONE = "none"
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"


P = PostStatus
POST_MOVES: dict[PostStatus, frozenset[PostStatus]] = {
    # draft → publishing is "publish now".
    P.DRAFT: frozenset({P.SCHEDULED, P.PUBLISHING}),
    # scheduled → scheduled is a reschedule; → failed is a missed post.
    P.SCHEDULED: frozenset({P.DRAFT, P.SCHEDULED, P.PUBLISHING, P.FAILED}),
    P.PUBLISHING: POST_FINAL,
    P.PUBLISHED: frozenset(),
    # Retry goes back to publishing; only a post with nothing out may be rescheduled
    # or returned to draft.
    P.PARTIALLY_PUBLISHED: frozenset({P.PUBLISHING}),
    P.FAILED: frozenset({P.PUBLISHING, P.SCHEDULED, P.DRAFT}),
}

E = EntryStatus
ENTRY_MOVES: dict[EntryStatus, frozenset[EntryStatus]] = {
    # pending → failed: the post was missed or its account is gone.
    E.PENDING: frozenset({E.PUBLISHING, E.FAILED}),
    # publishing → pending: crash recovery on a platform that honours idempotency keys.
    E.PUBLISHING: frozenset({E.PUBLISHED, E.FAILED, E.PENDING}),
    E.PUBLISHED: frozenset(),
    E.FAILED: frozenset({E.PENDING}),
}

R = ReviewState
REVIEW_MOVES: dict[ReviewState, frozenset[ReviewState]] = {
    R.NONE: frozenset({R.PENDING_REVIEW}),
    R.PENDING_REVIEW: frozenset({R.APPROVED, R.CHANGES_REQUESTED}),
    R.APPROVED: frozenset({R.PENDING_REVIEW}),
    R.CHANGES_REQUESTED: frozenset({R.PENDING_REVIEW}),
}

_WHY: dict[tuple[str, str], str] = {
    ("published", "*"): "it is already published",
    ("partially_published", "scheduled"): (
        "some platforms already have it; use retry for the ones that failed"
    ),
    ("partially_published", "draft"): (
        "some platforms already have it; use retry for the ones that failed"
    ),
    ("publishing", "*"): "it is being published right now",
}

S = TypeVar("S", PostStatus, EntryStatus, ReviewState)


def advance(moves: dict[S, frozenset[S]], current: S, target: S, what: str) -> S:
    """Return ``target`` if the machine allows the move, else refuse in words."""
    if target in moves[current]:
        return target
    why = _WHY.get((current.value, target.value)) or _WHY.get((current.value, "*"))
    readable = target.value.replace("_", " ")
    message = f"{what} is {current.value.replace('_', ' ')} and cannot become {readable}"
    raise InvalidTransition(f"{message}: {why}." if why else f"{message}.")
