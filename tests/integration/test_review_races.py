"""Two reviewers deciding at once on SQLite and PostgreSQL: one wins, the other is told."""

import asyncio
from datetime import UTC, datetime

from core.clock import ManualClock
from core.errors import ValidationFailed
from core.roles import Role
from core.states import ReviewState
from core.usecases import accounts, reviews
from core.usecases import posts as cases
from core.usecases.context import Actor, Services
from core.usecases.posts import NewPost
from core.usecases.queries import show_post
from core.workspace import Member, Workspace
from storage.uow import SqlUnitOfWorkFactory


class NoPublisher:
    async def post_ready(self, post_id: int) -> None:
        return None


async def test_approve_and_request_changes_at_once_one_wins(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    svc = Services(uow_factory, ManualClock(datetime(2026, 12, 1, 9, tzinfo=UTC)), NoPublisher())
    async with uow_factory() as uow:
        workspace = await uow.workspaces.add(Workspace(name="race", approvals_required=True))
        people = {
            name: await uow.members.add(Member(workspace.id, name, role))
            for name, role in (
                ("olive", Role.OWNER),
                ("ed", Role.EDITOR),
                ("ann", Role.APPROVER),
                ("pat", Role.APPROVER),
            )
        }
        await uow.commit()
    actor = {name: Actor(workspace.id, m.id) for name, m in people.items()}
    await accounts.add_sandbox_account(svc, actor["olive"], "brand")
    post = await cases.create_draft(svc, actor["ed"], NewPost("Race me"))
    await reviews.submit_post(svc, actor["ed"], post.number)

    outcomes = await asyncio.gather(
        reviews.approve_post(svc, actor["ann"], post.number),
        reviews.request_changes(svc, actor["pat"], post.number, "No"),
        return_exceptions=True,
    )

    won = [o for o in outcomes if not isinstance(o, BaseException)]
    told = [o for o in outcomes if isinstance(o, ValidationFailed)]
    assert len(won) == 1 and len(told) == 1, outcomes
    assert "already" in str(told[0]) and " by @" in str(told[0])
    final = (await show_post(svc, actor["olive"], post.number)).post.review_state
    assert final in (ReviewState.APPROVED, ReviewState.CHANGES_REQUESTED)
