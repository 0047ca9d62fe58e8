"""Issue 13, security: another workspace's post, comment and notification numbers,
tried on every command that takes one (the buttons send the same commands), on SQLite
and PostgreSQL. Each is refused, and nothing of the other workspace changes."""

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.commands.dispatch import Context, dispatch
from bot.commands.grammar import parse
from core.clock import ManualClock
from core.notifications.gateways import ChatGateways
from core.notifications.ports import InboxFilter
from core.notifications.projector import Projector
from core.roles import Role
from core.scheduling.publisher import Publisher
from core.usecases.context import Actor, Services
from core.workspace import Member, Workspace
from platforms.directory import Platforms
from platforms.sandbox import SandboxClient
from storage.uow import SqlUnitOfWorkFactory
from tests.integration.test_storage_claims import NOW

# Every command naming a post (p), a comment (c) or a notification (n) by number.
ATTEMPTS = [
    "show {p}", 'edit {p} "taken over"', "reschedule {p} tomorrow 9am", "unschedule {p}",
    "duplicate {p}", "delete {p} confirm", "retry {p}", "submit {p}", "approve {p}",
    'changes {p} "no"', 'comment {p} "hi"', 'comment {p} reply {c} "hi"', "comments {p}",
    'comment edit {c} "taken over"', "comment delete {c}", "react {c} 👍", "label {p} stolen",
    "unlabel {p} launch", "read {n}", "archive {n}",
]  # fmt: skip
TABLES = {
    "posts": "SELECT id, status, text, scheduled_at, version FROM posts WHERE workspace_id = :w",
    "entries": "SELECT e.id, e.status, e.version FROM platform_entries e "
    "JOIN posts p ON p.id = e.post_id WHERE p.workspace_id = :w",
    "comments": "SELECT c.id, c.body, c.edited_at FROM comments c "
    "JOIN posts p ON p.id = c.post_id WHERE p.workspace_id = :w",
    "reactions": "SELECT r.comment_id, r.emoji FROM comment_reactions r "
    "JOIN comments c ON c.id = r.comment_id JOIN posts p ON p.id = c.post_id "
    "WHERE p.workspace_id = :w",
    "labels": "SELECT l.name FROM labels l WHERE l.workspace_id = :w",
    "notifications": "SELECT n.id, n.read_at, n.archived_at FROM notifications n "
    "JOIN members m ON m.id = n.recipient_id WHERE m.workspace_id = :w",
}


async def _snapshot(engine: AsyncEngine, workspace_id: int) -> dict[str, list[tuple[object, ...]]]:
    async with engine.connect() as connection:
        return {
            name: sorted(map(tuple, await connection.execute(text(sql), {"w": workspace_id})))
            for name, sql in TABLES.items()
        }


async def _team(svc: Services, name: str) -> Actor:
    async with svc.uow() as uow:
        workspace = await uow.workspaces.add(Workspace(name=name))
        owner = await uow.members.add(Member(workspace.id, f"{name}-owner", Role.OWNER))
        await uow.commit()
    return Actor(workspace.id, owner.id)


async def _say(svc: Services, actor: Actor, line: str) -> str:
    reply = await dispatch(parse(line), Context(svc, actor))
    return "\n".join(filter(None, [reply.title, reply.text, *reply.items]))


@pytest.fixture
async def services(uow_factory: SqlUnitOfWorkFactory, tmp_path: Path) -> Services:
    clock = ManualClock(NOW)
    publisher = Publisher(uow_factory, Platforms({"sandbox": SandboxClient(tmp_path)}), clock)
    return Services(uow_factory, clock, publisher)


async def test_no_number_of_another_workspace_reaches_into_it(
    services: Services, engine: AsyncEngine, uow_factory: SqlUnitOfWorkFactory
) -> None:
    theirs = await _team(services, "globex")
    for line in ("accounts add sandbox news", "labels add launch", 'draft "GLOBEX draft"',
                 "submit 1", 'schedule "GLOBEX later" at tomorrow 9am label launch',
                 'now "GLOBEX live"', 'comment 2 "GLOBEX note"', "react 1 🎉"):  # fmt: skip
        await _say(services, theirs, line)
    # The same numbers work for their own workspace: the attempts below are real.
    assert "GLOBEX later" in await _say(services, theirs, "show 2")
    assert "GLOBEX note" in await _say(services, theirs, "comments 2")
    await Projector(uow_factory, services.clock, ChatGateways()).run_once()
    async with uow_factory() as uow:
        [notice, *_] = await uow.notifications.inbox(theirs.member_id, InboxFilter())
    ours = await _team(services, "acme")
    await _say(services, ours, "accounts add sandbox main")
    before = await _snapshot(engine, theirs.workspace_id)
    assert before["posts"] and before["comments"] and before["notifications"]

    refused: set[str] = set()
    for attempt in ATTEMPTS:
        for post in (1, 2, 3):
            said = await _say(services, ours, attempt.format(p=post, c=1, n=notice.id))
            assert "GLOBEX" not in said, (attempt, said)
            refused.add(said.split("\n")[0][:40])

    assert await _snapshot(engine, theirs.workspace_id) == before
    assert all(("no " in r.lower() or "not" in r.lower()) for r in refused), refused
