"""The App Home tab: what needs the member this week, at a glance."""

from typing import Any

from bot.commands import inbox_views, views
from bot.slack.blocks import home_view
from core.errors import NotMember
from core.messages import Button, Reply, Tone
from core.usecases import notifications, queries
from core.usecases.context import Actor, Services


async def home_for(svc: Services, actor: Actor) -> dict[str, Any]:
    try:
        upcoming = await queries.list_posts(svc, actor, "scheduled", end="in 7 days")
    except NotMember as invited:
        # Invited, not yet joined: nothing to show but the invitation and its answers.
        return home_view([("TryPost", _invitation(invited.message))])
    failed = await queries.list_posts(svc, actor, "failed")
    drafts = await queries.list_posts(svc, actor, "drafts")
    box = await notifications.inbox(svc, actor, "unread")
    zone = upcoming.timezone
    return home_view(
        [
            ("Upcoming — next 7 days", _listing(upcoming.posts, zone, "Nothing scheduled.")),
            (
                "Failed",
                Reply(
                    items=tuple(views.post_line(p, zone) for p in failed.posts[:10]),
                    text=None if failed.posts else "Nothing failed. 🎉",
                    buttons=tuple(
                        Button(f"Retry #{p.number}", "retry", str(p.number))
                        for p in failed.posts[:5]
                    ),
                ),
            ),
            ("Drafts", _listing(drafts.posts, zone, "No drafts.")),
            (
                f"Notifications — {box.unread} unread",
                inbox_views.inbox_reply(box, "unread"),
            ),
        ]
    )


def _listing(posts: list[Any], zone: str, empty: str) -> Reply:
    if not posts:
        return Reply(text=empty)
    return Reply(items=tuple(views.post_line(p, zone) for p in posts[:15]))


def _invitation(said: str) -> Reply:
    return Reply(
        text=said,
        tone=Tone.WARNING,
        buttons=(
            Button("Accept", "members", "accept"),
            Button("Decline", "members", "decline", danger=True),
        ),
    )
