"""A newcomer's member name: free within the workspace, found in one read."""

from core.roles import Role
from core.usecases.identities import free_name
from core.workspace import Member, Workspace
from storage.uow import SqlUnitOfWorkFactory


async def test_the_next_free_name_comes_from_one_read_of_the_names_like_it(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        acme = await uow.workspaces.add(Workspace(name="acme"))
        other = await uow.workspaces.add(Workspace(name="other"))
        for name in ("alex", "alex-2", "alex-3", "alexandra", "a_ex-4", "al%x-5"):
            await uow.members.add(Member(acme.id, name, Role.EDITOR))
        await uow.members.add(Member(other.id, "sam", Role.EDITOR))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.members.names_like(acme.id, "alex") == {"alex", "alex-2", "alex-3"}
        # LIKE's wildcards in a name are matched as themselves.
        assert await uow.members.names_like(acme.id, "a_ex") == {"a_ex-4"}
        assert await uow.members.names_like(acme.id, "al%x") == {"al%x-5"}
        assert await free_name(uow, acme.id, "@Alex ") == "Alex", "names compare as typed"
        assert await free_name(uow, acme.id, "alex") == "alex-4"
        assert await free_name(uow, acme.id, "a_ex") == "a_ex"
        assert await free_name(uow, acme.id, "sam") == "sam", "another workspace's name"
        assert await free_name(uow, acme.id, "  ") == "member"
