"""Every button the bot draws, taken from the renderers themselves, aimed at given numbers.

A button is the command it stands for (``Button.action`` + ``Button.target``). Drawing
every reply and notice the renderers can make — each post status × review state, each
notice type, the inbox — yields every kind of button, so a button added to a renderer is
in these lists without anyone writing it down here.
"""

from collections.abc import Iterable
from datetime import UTC, datetime

from bot.commands import views
from bot.commands.inbox_views import inbox_reply
from core.messages import Button, Reply
from core.notifications.model import Notification
from core.notifications.render import render
from core.notifications.types import NoticeType
from core.posts import Post
from core.states import PostStatus, ReviewState
from core.usecases.notifications import Inbox

AT = datetime(2026, 12, 1, tzinfo=UTC)


def drawn(
    posts: Iterable[int], comment: int, notice: int, account: str, extra: Iterable[Reply] = ()
) -> list[Button]:
    """The buttons of every reply and notice about ``posts``, ``comment``, the notice
    numbered ``notice`` and ``account``, plus those of the ``extra`` replies; one of
    each command, link buttons left out (they open a page, not a command)."""
    found: list[Button] = []
    for number in posts:
        for status in PostStatus:
            for state in ReviewState:
                found += views.post_buttons(
                    Post(1, 1, "t", number=number, status=status, review_state=state)
                )
        for platform in ("sandbox", "mastodon"):
            payload = {"post_number": number, "text": "t", "comment_number": comment,
                       "entries": [], "account": account, "platform": platform,
                       "status": "failed"}  # fmt: skip
            for kind in NoticeType:
                found += render(Notification(1, 1, kind, AT, payload=payload, id=notice)).buttons
    listed = Notification(1, 1, NoticeType.POST_PUBLISHED, AT, id=notice)
    found += inbox_reply(Inbox([listed], 1, "UTC"), None).buttons
    for reply in extra:
        found += reply.buttons
    unique: dict[str, Button] = {}
    for button in found:
        if not button.url:
            unique.setdefault(button.command, button)
    return list(unique.values())


def actions(buttons: Iterable[Button]) -> set[str]:
    return {button.action for button in buttons}
