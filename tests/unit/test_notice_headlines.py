"""Inbox lines and DM headlines say which post: its number and first words (issue 8.11)."""

from datetime import UTC, datetime

import pytest

from bot.commands.inbox_views import line
from core.notifications.model import Notification
from core.notifications.render import render, subject_of
from core.notifications.types import NoticeType

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _notice(kind: NoticeType, number: int, text: str, n_id: int = 1) -> Notification:
    return Notification(
        workspace_id=1,
        recipient_id=1,
        type=kind,
        created_at=AT,
        id=n_id,
        payload={"post_number": number, "text": text, "status": "failed", "entries": []},
    )


@pytest.mark.parametrize(
    "kind",
    [
        NoticeType.POST_PUBLISHED,
        NoticeType.POST_FAILED,
        NoticeType.POST_SCHEDULED,
        NoticeType.POST_RETRY,
    ],
)
def test_every_post_headline_names_the_post_and_its_first_words(kind: NoticeType) -> None:
    title = render(_notice(kind, 7, "Black Friday sale starts at nine tomorrow morning")).title
    assert title is not None
    assert "Post 7" in title and "“Black Friday sale starts at nine…”" in title


def test_two_published_posts_read_apart_in_the_inbox() -> None:
    first = line(_notice(NoticeType.POST_PUBLISHED, 3, "Launch day!", 1), "UTC")
    second = line(_notice(NoticeType.POST_PUBLISHED, 4, "Thank you all", 2), "UTC")
    assert "Post 3 published · “Launch day!”" in first
    assert "Post 4 published · “Thank you all”" in second


def test_a_short_text_is_not_quoted_twice() -> None:
    shown = render(_notice(NoticeType.POST_PUBLISHED, 3, "Launch day!"))
    assert shown.text in ("", None)


def test_a_long_word_is_cut_and_the_subject_keeps_the_words() -> None:
    notice = _notice(NoticeType.POST_PUBLISHED, 5, "x" * 80)
    title = render(notice).title
    assert title is not None and title.endswith("…”") and len(title) < 80
    assert subject_of(notice).startswith("Post 5 published · “x")
