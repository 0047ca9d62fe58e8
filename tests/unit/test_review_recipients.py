"""Who hears of comments, reviews and invitations: event × relation → notice (issue 9).

The team: @olive owner, @adam admin, @ed editor (the post's author), @pat approver,
@vic viewer, and @ida, an approver invited who has not accepted yet.
"""

from datetime import UTC, datetime
from typing import Any

import pytest

from core.events import DomainEvent, EventKind
from core.notifications.model import Preferences
from core.notifications.review_recipients import collaboration_notices
from core.roles import Role
from core.workspace import Member, MemberStatus
from tests.fakes import FakeUnitOfWorkFactory

E, N = EventKind, "notice"
AT = datetime(2026, 12, 1, tzinfo=UTC)
TEAM = {
    "olive": (1, Role.OWNER), "adam": (2, Role.ADMIN), "ed": (3, Role.EDITOR),
    "pat": (4, Role.APPROVER), "vic": (5, Role.VIEWER), "ida": (6, Role.APPROVER),
}  # fmt: skip
ID = {name: member_id for name, (member_id, _) in TEAM.items()}
REVIEW = {"review_state": "pending_review"}

ROWS: list[tuple[str, EventKind, str | None, dict[str, Any], dict[str, str]]] = [
    ("a mention and the author", E.COMMENT_ADDED, "vic",
     {"mentioned": [ID["pat"]]}, {"pat": "mentioned_in_comment", "ed": "comment_on_your_post"}),
    ("the author mentioned hears it once", E.COMMENT_ADDED, "vic",
     {"mentioned": [ID["ed"]]}, {"ed": "mentioned_in_comment"}),
    ("the author's comment in review reaches every reviewer", E.COMMENT_ADDED, "ed",
     REVIEW, {"olive": "approval_feedback", "adam": "approval_feedback",
              "pat": "approval_feedback"}),
    ("a reviewer's reply in review", E.COMMENT_ADDED, "pat",
     {**REVIEW, "thread_author_id": ID["vic"]},
     {"vic": "comment_reply", "ed": "approval_feedback"}),
    ("an edit tells only the newly mentioned", E.COMMENT_ADDED, "vic",
     {"mentioned": [ID["olive"]], "edit": True, "thread_author_id": ID["pat"]},
     {"olive": "mentioned_in_comment"}),
    ("not the invited, not oneself", E.COMMENT_ADDED, "vic",
     {"mentioned": [ID["ida"], ID["vic"]]}, {"ed": "comment_on_your_post"}),
    ("a review request reaches reviewers", E.REVIEW_REQUESTED, "ed", {},
     {"olive": "approval_requested", "adam": "approval_requested",
      "pat": "approval_requested"}),
    ("an owner's own submission", E.REVIEW_REQUESTED, "olive", {"author_id": ID["olive"]},
     {"adam": "approval_requested", "pat": "approval_requested"}),
    ("approval tells the author", E.POST_APPROVED, "pat", {}, {"ed": "post_approved"}),
    ("changes tell the author", E.CHANGES_REQUESTED, "adam", {}, {"ed": "changes_requested"}),
    ("an owner approving their own post hears nothing", E.POST_APPROVED, "olive",
     {"author_id": ID["olive"]}, {}),
    ("overdue: author and reviewers", E.REVIEW_OVERDUE, None, {},
     {"ed": "review_overdue", "olive": "review_overdue", "adam": "review_overdue",
      "pat": "review_overdue"}),
    ("post created: only who opted in", E.POST_CREATED, "ed", {}, {"pat": "post_created"}),
    ("a declined invitation tells its sender", E.INVITE_DECLINED, None,
     {"inviter_id": ID["adam"]}, {"adam": "invite_declined"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "kind", "actor", "extra", "expected"), ROWS, ids=[r[0] for r in ROWS]
)
async def test_each_event_tells_exactly_the_right_people(
    case: str, kind: EventKind, actor: str | None, extra: dict[str, Any], expected: dict[str, str]
) -> None:
    uow_factory = FakeUnitOfWorkFactory()
    async with uow_factory() as uow:
        members = [
            Member(1, name, role, id=member_id,
                   status=MemberStatus.INVITED if name == "ida" else MemberStatus.ACTIVE)
            for name, (member_id, role) in TEAM.items()
        ]  # fmt: skip
        await uow.preferences.save(Preferences(ID["pat"], chat={"post_created": True}))  # type: ignore[dict-item]
        payload = {"post_number": 9, "author_id": ID["ed"], "comment": "hi", **extra}
        if actor is not None:
            payload["actor_id"] = ID[actor]
        event = DomainEvent(kind, 1, AT, post_id=90, payload=payload)
        told = await collaboration_notices(uow, event, members)
    names = {member_id: name for name, member_id in ID.items()}
    assert {names[who]: notice.value for who, notice, _ in told} == expected
