"""Comment threads and review histories as neutral replies."""

from collections.abc import Callable

from core.comments import Comment, render_mentions
from core.messages import Button, Reply, Tone
from core.reviews import Decision
from core.timeparse import show_time
from core.usecases.comments import Thread
from core.usecases.reviews import Review
from core.workspace import Member

ShowMember = Callable[[Member], str]

_DECIDED = {
    Decision.SUBMITTED: "📝 submitted for review",
    Decision.APPROVED: "👍 approved",
    Decision.CHANGES_REQUESTED: "✏️ asked for changes",
}


def thread_reply(thread: Thread, show: ShowMember, latest: int | None = None) -> Reply:
    """Who, when, what (mentions as the surface writes them), and reactions."""
    post = thread.post
    if not thread.comments:
        return Reply(
            text=f'No comments on post {post.number} yet: `comment {post.number} "…"`.',
            buttons=(Button("Comment", "comment", str(post.number)),),
        )
    roots = [c for c in thread.comments if c.parent_id is None]
    replies: dict[int, list[Comment]] = {}
    for comment in thread.comments:
        if comment.parent_id is not None:
            replies.setdefault(comment.parent_id, []).append(comment)
    lines: list[str] = []
    for root in roots:
        lines.append(comment_line(root, thread, show))
        lines += [f"↳ {comment_line(r, thread, show)}" for r in replies.get(root.id, [])]
    root_ids = {root.id for root in roots}
    # Replies whose comment was deleted keep their place, said as such.
    lines += [
        f"↳ (to a deleted comment) {comment_line(c, thread, show)}"
        for c in thread.comments
        if c.parent_id is not None and c.parent_id not in root_ids
    ]
    if latest is not None:
        lines = lines[-latest:]
    return Reply(
        title=f"Comments on post {post.number} ({len(thread.comments)})",
        items=tuple(lines),
        buttons=(Button("Comment", "comment", str(post.number)),),
    )


def comment_line(comment: Comment, thread: Thread, show: ShowMember) -> str:
    author = thread.members.get(comment.author_id)
    who = show(author) if author else "@someone"
    edited = " (edited)" if comment.edited_at else ""
    reactions = " ".join(f"{emoji} {len(who)}" for emoji, who in comment.reactions.items())
    body = _mentions(comment.body, thread.members, show)
    when = show_time(comment.created_at, thread.timezone)
    tail = f"  {reactions}" if reactions else ""
    return f"#{comment.number} {who} · {when}{edited}: {body}{tail}"


def review_lines(review: Review, timezone: str) -> tuple[str, ...]:
    return tuple(
        f"{_DECIDED[step.decision]} by @{review.names.get(step.member_id, 'someone')} · "
        f"{show_time(step.at, timezone)}" + (f": “{step.feedback}”" if step.feedback else "")
        for step in review.steps
    )


def comment_added(comment: Comment, number: int, unknown: tuple[str, ...]) -> Reply:
    said = f"💬 Comment {comment.number} on post {number}"
    if comment.parent_id is not None:
        said = f"💬 Reply {comment.number} on post {number}"
    note = ""
    if unknown:
        names = ", ".join(unknown)
        note = f"{names} {'is' if len(unknown) == 1 else 'are'} not a member here; nobody was told."
    return Reply(text=f"{said}." + (f" {note}" if note else ""), tone=Tone.SUCCESS)


def _mentions(text: str, members: dict[int, Member], show: ShowMember) -> str:
    return render_mentions(
        text, lambda member_id: show(members[member_id]) if member_id in members else "@someone"
    )
