"""Every legal and illegal move of the post, entry and review state machines."""

import itertools

import pytest

from core.errors import InvalidTransition
from core.posts import PlatformEntry, Post
from core.states import (
    ENTRY_MOVES,
    POST_MOVES,
    REVIEW_MOVES,
    EntryStatus,
    PostStatus,
    ReviewState,
)

P, E, R = PostStatus, EntryStatus, ReviewState

LEGAL_POST = {
    (P.DRAFT, P.SCHEDULED),
    (P.DRAFT, P.PUBLISHING),
    (P.SCHEDULED, P.DRAFT),
    (P.SCHEDULED, P.SCHEDULED),
    (P.SCHEDULED, P.PUBLISHING),
    (P.SCHEDULED, P.FAILED),
    (P.PUBLISHING, P.PUBLISHED),
    (P.PUBLISHING, P.PARTIALLY_PUBLISHED),
    (P.PUBLISHING, P.FAILED),
    (P.PARTIALLY_PUBLISHED, P.PUBLISHING),
    (P.FAILED, P.PUBLISHING),
    (P.FAILED, P.SCHEDULED),
    (P.FAILED, P.DRAFT),
}
LEGAL_ENTRY = {
    (E.PENDING, E.PUBLISHING),
    (E.PENDING, E.FAILED),
    (E.PUBLISHING, E.PUBLISHED),
    (E.PUBLISHING, E.FAILED),
    (E.PUBLISHING, E.PENDING),
    (E.FAILED, E.PENDING),
}
LEGAL_REVIEW = {
    (R.NONE, R.PENDING_REVIEW),
    (R.PENDING_REVIEW, R.APPROVED),
    (R.PENDING_REVIEW, R.CHANGES_REQUESTED),
    (R.APPROVED, R.PENDING_REVIEW),
    (R.CHANGES_REQUESTED, R.PENDING_REVIEW),
}


def test_the_tables_are_exactly_the_documented_machines() -> None:
    assert {(a, b) for a, bs in POST_MOVES.items() for b in bs} == LEGAL_POST
    assert {(a, b) for a, bs in ENTRY_MOVES.items() for b in bs} == LEGAL_ENTRY
    assert {(a, b) for a, bs in REVIEW_MOVES.items() for b in bs} == LEGAL_REVIEW


@pytest.mark.parametrize(("current", "target"), list(itertools.product(P, P)))
def test_post_moves_are_allowed_or_refused_in_words(current: P, target: P) -> None:
    post = Post(workspace_id=1, author_id=1, text="hi", number=7, status=current)
    if (current, target) in LEGAL_POST:
        post.move(target)
        assert post.status is target
    else:
        with pytest.raises(InvalidTransition, match=r"^Post 7 is .+ and cannot become"):
            post.move(target)
        assert post.status is current


@pytest.mark.parametrize(("current", "target"), list(itertools.product(E, E)))
def test_entry_moves_are_allowed_or_refused_in_words(current: E, target: E) -> None:
    entry = PlatformEntry(account_id=1, platform="x", content_type="x_post", status=current)
    if (current, target) in LEGAL_ENTRY:
        entry.move(target)
        assert entry.status is target
    else:
        with pytest.raises(InvalidTransition, match="The x entry is"):
            entry.move(target)
        assert entry.status is current


@pytest.mark.parametrize(("current", "target"), list(itertools.product(R, R)))
def test_review_moves_are_allowed_or_refused_in_words(current: R, target: R) -> None:
    post = Post(workspace_id=1, author_id=1, text="hi", number=3, review_state=current)
    if (current, target) in LEGAL_REVIEW:
        post.move_review(target)
        assert post.review_state is target
    else:
        with pytest.raises(InvalidTransition, match="The review of post 3"):
            post.move_review(target)


def test_a_published_post_says_why_it_cannot_move() -> None:
    post = Post(workspace_id=1, author_id=1, text="hi", number=2, status=P.PUBLISHED)
    with pytest.raises(InvalidTransition, match="it is already published"):
        post.move(P.SCHEDULED)


@pytest.mark.parametrize(
    ("statuses", "outcome"),
    [
        ([E.PUBLISHED, E.PUBLISHED], P.PUBLISHED),
        ([E.PUBLISHED, E.FAILED], P.PARTIALLY_PUBLISHED),
        ([E.FAILED, E.FAILED], P.FAILED),
        ([E.PUBLISHED, E.PUBLISHING], None),
        ([E.PENDING], None),
    ],
)
def test_outcome_adds_up_the_entries(statuses: list[E], outcome: P | None) -> None:
    post = Post(workspace_id=1, author_id=1, text="hi")
    post.entries = [PlatformEntry(1, "x", "x_post", status=s) for s in statuses]
    assert post.outcome() is outcome


def test_disabled_entries_do_not_count_towards_the_outcome() -> None:
    post = Post(workspace_id=1, author_id=1, text="hi")
    post.entries = [
        PlatformEntry(1, "x", "x_post", status=E.PUBLISHED),
        PlatformEntry(2, "x", "x_post", status=E.PENDING, enabled=False),
    ]
    assert post.outcome() is P.PUBLISHED
