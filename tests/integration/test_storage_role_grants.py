"""Discord identities and role grants on SQLite and PostgreSQL: the grants table, the
members' granted roles, duplicates told apart, concurrent first interactions, and
migration 0007 both ways."""

import asyncio
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Connection, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.clock import ManualClock
from core.ports import Duplicate
from core.roles import Role
from core.usecases import identities, role_grants
from core.usecases.context import Actor, Services
from core.usecases.identities import ChatProfile
from core.workspace import Member, RoleGrant, Workspace
from storage.engine import create_engine_for
from storage.migrate import alembic_config, upgrade
from storage.tables import MemberRow
from storage.uow import SqlUnitOfWorkFactory

GUILD = "900000000000000001"
MODS = "700000000000000001"
OWNER = ChatProfile("100000000000000001", "Gail")


class NoPublisher:
    async def post_ready(self, post_id: int) -> None:
        return None


def services(uow_factory: SqlUnitOfWorkFactory) -> Services:
    return Services(uow_factory, ManualClock(datetime(2026, 12, 3, 9, tzinfo=UTC)), NoPublisher())


async def test_grants_are_one_per_discord_role_and_workspace(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        a = await uow.workspaces.add(Workspace(name="a"))
        b = await uow.workspaces.add(Workspace(name="b"))
        first = await uow.role_grants.put(RoleGrant(a.id, MODS, Role.APPROVER, "Moderators"))
        again = await uow.role_grants.put(RoleGrant(a.id, MODS, Role.EDITOR, "Mods"))
        other = await uow.role_grants.put(RoleGrant(b.id, MODS, Role.VIEWER, "Mods"))
        await uow.role_grants.put(RoleGrant(a.id, "7002", Role.ADMIN, "Admins"))
        await uow.commit()
    assert again.id == first.id and other.id != first.id
    async with uow_factory() as uow:
        listed = [(g.label, g.role, g.discord_role_id) for g in await uow.role_grants.list(a.id)]
        assert listed == [("Admins", Role.ADMIN, "7002"), ("Mods", Role.EDITOR, MODS)]
        found = await uow.role_grants.by_chat_role(b.id, MODS)
        assert found is not None and found.role is Role.VIEWER
        assert await uow.role_grants.by_chat_role(b.id, "7002") is None
        await uow.role_grants.remove(first.id)
        await uow.commit()
    async with uow_factory() as uow:
        assert [g.label for g in await uow.role_grants.list(a.id)] == ["Admins"]


async def test_granted_roles_have_their_own_writer(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        ws = await uow.workspaces.add(Workspace(name="w"))
        sam = await uow.members.add(
            Member(ws.id, "sam", Role.VIEWER, granted=frozenset({Role.EDITOR, Role.APPROVER}))
        )
        await uow.commit()
    async with uow_factory() as uow:
        stored = await uow.members.get(sam.id)
        assert stored is not None and stored.granted == {Role.EDITOR, Role.APPROVER}
        stored.timezone = "Europe/Paris"
        stored.granted = frozenset()
        await uow.members.update(stored)  # leaves the grants alone
        await uow.commit()
    async with uow_factory() as uow:
        stored = await uow.members.get(sam.id)
        assert stored is not None and stored.timezone == "Europe/Paris"
        assert stored.granted == {Role.EDITOR, Role.APPROVER}
        await uow.members.set_granted(sam.id, frozenset())
        await uow.commit()
    async with uow_factory() as uow:
        stored = await uow.members.get(sam.id)
        assert stored is not None and stored.granted == frozenset()


async def test_a_taken_key_is_a_duplicate_and_the_transaction_goes_on(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        ws = await uow.workspaces.add(Workspace(name="w", discord_guild_id=GUILD))
        await uow.members.add(Member(ws.id, "gail", Role.OWNER, discord_user_id="1"))
        await uow.commit()
    async with uow_factory() as uow:
        with pytest.raises(Duplicate):
            await uow.workspaces.add(Workspace(name="other", discord_guild_id=GUILD))
        with pytest.raises(Duplicate):
            await uow.members.add(Member(ws.id, "gail-2", Role.VIEWER, discord_user_id="1"))
        with pytest.raises(Duplicate):
            await uow.members.add(Member(ws.id, "gail", Role.VIEWER))
        # Nothing above spoiled the transaction: it still reads and writes.
        assert (await uow.workspaces.by_discord_guild(GUILD)) is not None
        await uow.members.add(Member(ws.id, "sam", Role.VIEWER, discord_user_id="2"))
        await uow.commit()
    async with uow_factory() as uow:
        assert [m.name for m in await uow.members.list(ws.id)] == ["gail", "sam"]


async def test_a_broken_foreign_key_is_no_duplicate(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        with pytest.raises(Exception) as failed:
            await uow.members.add(Member(424242, "ghost", Role.VIEWER))
    assert not isinstance(failed.value, Duplicate)


async def test_two_first_interactions_of_a_guild_make_one_workspace_and_one_owner(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    svc = services(uow_factory)
    made = await asyncio.gather(
        *(identities.discord_workspace(svc, GUILD, "Acme", OWNER) for _ in range(3))
    )
    assert len({w.id for w in made}) == 1
    async with uow_factory() as uow:
        people = await uow.members.list(made[0].id)
    assert [(m.name, m.role, m.discord_user_id) for m in people] == [
        ("Gail", Role.OWNER, OWNER.user_id)
    ]


async def test_a_newcomer_by_grant_clicking_twice_at_once_joins_once(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    svc = services(uow_factory)
    workspace = await identities.discord_workspace(svc, GUILD, "Acme", OWNER)
    owner = await identities.known_discord_actor(svc, GUILD, OWNER.user_id)
    assert owner is not None
    await role_grants.grant_chat_role(svc, owner, MODS, "Moderators", "approver")
    sam = ChatProfile("200", "Sam")
    actors = await asyncio.gather(
        *(identities.discord_actor(svc, workspace.id, sam, frozenset({MODS})) for _ in range(3))
    )
    assert len(set(actors)) == 1
    async with uow_factory() as uow:
        joined = await uow.members.get(actors[0].member_id)
        assert joined is not None and joined.granted == {Role.APPROVER}
        assert len(await uow.members.list(workspace.id)) == 2
    # Losing the Discord role clears the grant, on the real database too.
    await identities.discord_actor(svc, workspace.id, sam, frozenset())
    async with uow_factory() as uow:
        again = await uow.members.get(actors[0].member_id)
    assert again is not None and again.granted == frozenset() and again.role is Role.VIEWER
    assert isinstance(actors[0], Actor)


# --- migration 0007 -------------------------------------------------------------------


def _downgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def test_migration_0007_goes_down_and_up_keeping_the_members(
    empty_database_url: str,
) -> None:
    await upgrade(empty_database_url)
    engine = create_engine_for(empty_database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO workspaces (id, name, default_account_ids) VALUES (1, 'w', '[]')")
            )
            await connection.execute(
                text(
                    "INSERT INTO members (id, workspace_id, name, role, granted_roles)"
                    " VALUES (1, 1, 'ann', 'viewer', 'approver')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO discord_role_grants (workspace_id, discord_role_id, role, label)"
                    " VALUES (1, '7001', 'approver', 'Mods')"
                )
            )
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade, "0006")
        assert "discord_role_grants" not in await _tables(engine)
        assert "granted_roles" not in await _columns(engine, "members")
        async with engine.connect() as connection:
            names = (await connection.execute(text("SELECT name FROM members"))).scalars()
            assert list(names) == ["ann"]
        await _check_autoincrement(engine)
        await engine.dispose()

        await upgrade(empty_database_url)
        engine = create_engine_for(empty_database_url)
        async with engine.connect() as connection:
            granted = await connection.scalar(select(MemberRow.granted_roles))
        assert granted is None
        await _check_autoincrement(engine)
    finally:
        await engine.dispose()


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


async def _columns(engine: AsyncEngine, table: str) -> set[str]:
    async with engine.connect() as connection:
        columns = await connection.run_sync(lambda c: inspect(c).get_columns(table))
    return {column["name"] for column in columns}


async def _check_autoincrement(engine: AsyncEngine) -> None:
    """SQLite keeps ``members`` (and the grants table, when there) AUTOINCREMENT."""
    if engine.dialect.name != "sqlite":
        return
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
                " AND name IN ('members', 'discord_role_grants')"
            )
        )
        for name, sql in rows:
            assert "AUTOINCREMENT" in sql, name
