"""Issue 13, security: the role matrix on the real storage.

tests/unit/test_role_matrix.py holds the table (every command × every role: allowed or
refused, as DESIGN §2 says) and runs it on in-memory repositories. Here the very same
table runs through the shared dispatcher on a migrated SQLite database with the real
repositories and the sandbox platform, so a role check that leans on a query (who is a
member, whose post or comment it is, what a role grant gives) is proven where it runs.

Each role's world is seeded once; each case runs on a copy of it, so no case sees what
another did.
"""

import asyncio
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.commands.dispatch import Context, dispatch
from bot.commands.grammar import parse
from core.clock import ManualClock
from core.roles import Role
from core.scheduling.publisher import Publisher
from core.usecases.context import Actor, Services
from core.workspace import Member, Workspace
from platforms.directory import Platforms
from platforms.sandbox import SandboxClient
from storage.crypto import CredentialCipher
from storage.engine import create_engine_for, session_factory
from storage.migrate import upgrade_engine
from storage.uow import SqlUnitOfWorkFactory
from tests.unit.test_role_matrix import MATRIX

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
CIPHER = CredentialCipher("role-matrix secret")


@dataclass(frozen=True)
class Seeded:
    database: Path
    me: Actor


def _services(database: Path, sandbox: Path) -> tuple[Services, AsyncEngine]:
    engine = create_engine_for(f"sqlite+aiosqlite:///{database}")
    uow = SqlUnitOfWorkFactory(session_factory(engine), CIPHER)
    clock = ManualClock(NOW)
    publisher = Publisher(uow, Platforms({"sandbox": SandboxClient(sandbox)}), clock)
    return Services(uow, clock, publisher), engine


async def _seed(database: Path, role: Role) -> Seeded:
    """Post 1 a draft, 2 scheduled, 3 failed, 4 waiting for review (all by @author);
    comment 1 @author's, on post 1 — the unit table's world."""
    svc, engine = _services(database, database.parent / "sandbox")
    await upgrade_engine(engine)
    async with svc.uow() as uow:
        workspace = await uow.workspaces.add(Workspace(name="acme"))
        owner = await uow.members.add(Member(workspace.id, "owner", Role.OWNER))
        author = await uow.members.add(Member(workspace.id, "author", Role.EDITOR))
        me = (
            owner if role is Role.OWNER else await uow.members.add(Member(workspace.id, "me", role))
        )
        await uow.commit()
    as_owner, as_author = Actor(workspace.id, owner.id), Actor(workspace.id, author.id)
    for actor, line in (
        (as_owner, "accounts add sandbox main"),
        (as_author, 'draft "draft one"'),
        (as_author, 'schedule "scheduled two" at in 2 hours'),
        (as_owner, "accounts mode main fail"),
        (as_author, 'now "failed three"'),
        (as_owner, "accounts mode main ok"),
        (as_author, 'draft "review four"'),
        (as_author, "submit 4"),
        (as_author, 'comment 1 "the author\'s comment"'),
    ):
        reply = await dispatch(parse(line), Context(svc, actor))
        assert "went wrong" not in f"{reply.text}", (line, reply)
    await engine.dispose()
    return Seeded(database, Actor(workspace.id, me.id))


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> dict[Role, Seeded]:
    base = tmp_path_factory.mktemp("role-worlds")

    async def seed_all() -> dict[Role, Seeded]:
        return {role: await _seed(base / f"{role.value}.db", role) for role in Role}

    return asyncio.run(seed_all())


CASES = [(line, role) for line in MATRIX for role in Role]


@pytest.mark.parametrize(("line", "role"), CASES, ids=[f"{line}-{role}" for line, role in CASES])
async def test_each_role_may_do_on_storage_what_the_design_says(
    line: str, role: Role, worlds: dict[Role, Seeded], tmp_path: Path
) -> None:
    seeded = worlds[role]
    database = tmp_path / "trypost.db"
    shutil.copyfile(seeded.database, database)
    svc, engine = _services(database, tmp_path / "sandbox")
    try:
        reply = await dispatch(parse(line), Context(svc, seeded.me))
    finally:
        await engine.dispose()
    said = f"{reply.title or ''} {reply.text or ''}"
    refused = "Your role (" in said or "is not yours" in said
    assert "went wrong" not in said, said
    if role in MATRIX[line]:
        assert not refused, f"{role} was refused {line!r}: {said}"
    else:
        assert refused, f"{role} was allowed {line!r}: {said}"
