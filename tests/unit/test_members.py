"""Only an owner makes, changes or removes an owner: an admin manages everyone else."""

import pytest

from core.errors import PermissionDenied
from core.roles import Role
from core.usecases import members
from core.usecases.identities import ChatProfile
from tests.unit.conftest import World


async def test_an_admin_cannot_make_an_owner(world: World) -> None:
    admin = await world.member("adam", Role.ADMIN)
    await world.member("erin", Role.EDITOR)
    with pytest.raises(PermissionDenied, match="Only an owner"):
        await members.set_role(world.svc, admin, "erin", "owner")
    with pytest.raises(PermissionDenied, match="Only an owner"):
        await members.set_role(world.svc, admin, "adam", "owner")
    with pytest.raises(PermissionDenied, match="Only an owner"):
        await members.invite_member(world.svc, admin, ChatProfile("", "newbie"), "owner")


async def test_an_admin_cannot_demote_or_remove_an_owner(world: World) -> None:
    admin = await world.member("adam", Role.ADMIN)
    await world.member("olga", Role.OWNER)
    with pytest.raises(PermissionDenied, match="Only an owner"):
        await members.set_role(world.svc, admin, "olga", "viewer")
    with pytest.raises(PermissionDenied, match="Only an owner"):
        await members.remove_member(world.svc, admin, "olga")


async def test_an_owner_can_and_an_admin_manages_the_rest(world: World) -> None:
    admin = await world.member("adam", Role.ADMIN)
    await world.member("erin", Role.EDITOR)
    assert (await members.set_role(world.svc, admin, "erin", "approver")).role is Role.APPROVER
    assert (await members.set_role(world.svc, world.owner, "erin", "owner")).role is Role.OWNER
    await members.remove_member(world.svc, world.owner, "erin")
