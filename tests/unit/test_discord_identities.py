"""A Discord guild is a workspace, a Discord user a member; Discord roles may grant roles.

Who joins by themselves: the guild's owner (with the workspace), and anyone holding a
Discord role that has a trypost role. Everyone else is invited, as on Slack.
"""

import pytest

from core.errors import NotMember, PermissionDenied
from core.events import EventKind
from core.ports import Duplicate
from core.roles import Action, Role
from core.usecases import identities, members, role_grants
from core.usecases.context import Actor, load_actor
from core.usecases.identities import ChatProfile, discord_profile
from core.workspace import Member, MemberStatus, RoleGrant, Workspace
from tests.fakes import FakeWorkspaces
from tests.unit.conftest import World

GUILD = "900000000000000001"
OWNER = ChatProfile("100000000000000001", "Gail")
MODS = "700000000000000001"
CREW = "700000000000000002"
NOT_INVITED = (
    "You are not a member of this trypost workspace yet; ask an owner or admin to invite "
    "you with `members invite @you editor`."
)


async def guild(world: World) -> Workspace:
    return await identities.discord_workspace(world.svc, GUILD, "Acme Guild", OWNER)


async def member(world: World, actor: Actor) -> Member:
    async with world.uow() as uow:
        found = await uow.members.get(actor.member_id)
    assert found is not None
    return found


async def owner_of(world: World, workspace: Workspace) -> Actor:
    actor = await identities.known_discord_actor(world.svc, GUILD, OWNER.user_id)
    assert actor is not None and actor.workspace_id == workspace.id
    return actor


async def grant(world: World, workspace: Workspace, role_id: str, label: str, role: str) -> None:
    await role_grants.grant_chat_role(
        world.svc, await owner_of(world, workspace), role_id, label, role
    )


# --- the workspace of a guild ---------------------------------------------------------


async def test_a_guild_becomes_a_workspace_with_its_owner_as_first_owner(world: World) -> None:
    workspace = await guild(world)
    assert workspace.discord_guild_id == GUILD
    assert workspace.name == f"Acme Guild ({GUILD})"
    async with world.uow() as uow:
        people = await uow.members.list(workspace.id)
    assert [(m.name, m.role, m.discord_user_id, m.active) for m in people] == [
        ("Gail", Role.OWNER, OWNER.user_id, True)
    ]
    joined = [e for e in world.uow.store.events if e.kind is EventKind.MEMBER_JOINED]
    assert [(e.workspace_id, e.payload["name"], e.payload["role"]) for e in joined] == [
        (workspace.id, "Gail", "owner")
    ]


async def test_the_guild_workspace_is_made_once(world: World) -> None:
    first = await guild(world)
    again = await identities.discord_workspace(world.svc, GUILD, "Renamed", OWNER)
    assert again.id == first.id and again.name == first.name
    async with world.uow() as uow:
        assert len(await uow.members.list(first.id)) == 1


async def test_a_concurrent_first_call_reads_the_workspace_it_lost_to(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other call committed between our read and our insert: the insert meets the
    unique guild id, and we return the other's workspace without a second owner."""
    theirs = await guild(world)
    real = FakeWorkspaces.by_discord_guild
    calls = 0

    async def late(self: FakeWorkspaces, guild_id: str) -> Workspace | None:
        nonlocal calls
        calls += 1
        return None if calls == 1 else await real(self, guild_id)

    monkeypatch.setattr(FakeWorkspaces, "by_discord_guild", late)
    ours = await identities.discord_workspace(world.svc, GUILD, "Acme Guild", OWNER)
    assert ours.id == theirs.id
    async with world.uow() as uow:
        assert len(await uow.members.list(theirs.id)) == 1


async def test_a_long_guild_name_still_makes_a_valid_workspace_name(world: World) -> None:
    workspace = await identities.discord_workspace(world.svc, GUILD, "x" * 100, OWNER)
    assert len(workspace.name) <= 100 and workspace.name.endswith(f"({GUILD})")


async def test_the_fake_refuses_a_second_workspace_for_a_guild_like_storage(
    world: World,
) -> None:
    await guild(world)
    async with world.uow() as uow:
        with pytest.raises(Duplicate):
            await uow.workspaces.add(Workspace(name="other", discord_guild_id=GUILD))


# --- members behind Discord users -----------------------------------------------------


async def test_known_discord_actor_is_none_for_strangers_and_unknown_guilds(
    world: World,
) -> None:
    workspace = await guild(world)
    assert await identities.known_discord_actor(world.svc, "999", OWNER.user_id) is None
    assert await identities.known_discord_actor(world.svc, GUILD, "555") is None
    known = await identities.known_discord_actor(world.svc, GUILD, OWNER.user_id)
    assert known is not None and known.workspace_id == workspace.id


async def test_a_stranger_without_a_granted_role_must_be_invited(world: World) -> None:
    workspace = await guild(world)
    await grant(world, workspace, MODS, "Moderators", "approver")
    with pytest.raises(NotMember) as refused:
        await identities.discord_actor(
            world.svc, workspace.id, ChatProfile("200", "Sam"), frozenset({CREW, GUILD})
        )
    assert refused.value.message == NOT_INVITED
    with pytest.raises(NotMember):
        await identities.discord_actor(world.svc, workspace.id, ChatProfile("200", "Sam"), None)
    async with world.uow() as uow:
        assert [m.name for m in await uow.members.list(workspace.id)] == ["Gail"]


async def test_a_stranger_holding_a_granted_role_joins_as_viewer_with_the_grant(
    world: World,
) -> None:
    workspace = await guild(world)
    await grant(world, workspace, MODS, "Moderators", "approver")
    actor = await identities.discord_actor(
        world.svc, workspace.id, ChatProfile("200", "Sam"), frozenset({MODS, GUILD})
    )
    sam = await member(world, actor)
    assert (sam.name, sam.role, sam.granted, sam.status, sam.discord_user_id) == (
        "Sam",
        Role.VIEWER,
        frozenset({Role.APPROVER}),
        MemberStatus.ACTIVE,
        "200",
    )
    joined = [e for e in world.uow.store.events if e.kind is EventKind.MEMBER_JOINED]
    assert joined[-1].payload == {
        "member_id": sam.id,
        "name": "Sam",
        "role": "viewer + approver via Discord role",
    }
    async with world.uow() as uow:
        await load_actor(uow, actor, Action.REVIEW)  # the grant lets them review


async def test_a_newcomer_whose_name_is_taken_gets_a_free_one(world: World) -> None:
    workspace = await guild(world)
    await grant(world, workspace, MODS, "Moderators", "editor")
    actor = await identities.discord_actor(
        world.svc, workspace.id, ChatProfile("200", "Gail"), frozenset({MODS})
    )
    assert (await member(world, actor)).name == "Gail-2"


async def test_losing_the_discord_role_clears_the_grant_and_keeps_the_viewer(
    world: World,
) -> None:
    workspace = await guild(world)
    await grant(world, workspace, MODS, "Moderators", "editor")
    sam = ChatProfile("200", "Sam")
    actor = await identities.discord_actor(world.svc, workspace.id, sam, frozenset({MODS}))
    again = await identities.discord_actor(world.svc, workspace.id, sam, frozenset({GUILD}))
    assert again == actor
    stored = await member(world, actor)
    assert (stored.role, stored.granted, stored.active) == (Role.VIEWER, frozenset(), True)
    async with world.uow() as uow:
        await load_actor(uow, actor, Action.READ)
        with pytest.raises(PermissionDenied, match=r"Your role \(viewer\) cannot write a post"):
            await load_actor(uow, actor, Action.WRITE_POST)


async def test_a_click_in_a_dm_keeps_the_grants_last_seen(world: World) -> None:
    workspace = await guild(world)
    await grant(world, workspace, MODS, "Moderators", "approver")
    sam = ChatProfile("200", "Sam")
    actor = await identities.discord_actor(world.svc, workspace.id, sam, frozenset({MODS}))
    events = len(world.uow.store.events)
    assert await identities.discord_actor(world.svc, workspace.id, sam, None) == actor
    assert (await member(world, actor)).granted == frozenset({Role.APPROVER})
    assert len(world.uow.store.events) == events


async def test_a_member_gains_grants_beside_their_own_role(world: World) -> None:
    workspace = await guild(world)
    await grant(world, workspace, MODS, "Moderators", "approver")
    await grant(world, workspace, CREW, "Crew", "editor")
    owner = await owner_of(world, workspace)
    await members.invite_member(world.svc, owner, discord_profile("300", "Ed"), "viewer")
    ed = ChatProfile("300", "Ed")
    actor = await identities.discord_actor(world.svc, workspace.id, ed, frozenset({MODS, CREW}))
    await members.accept_invitation(world.svc, actor)
    stored = await member(world, actor)
    assert stored.roles == frozenset({Role.VIEWER, Role.APPROVER, Role.EDITOR})
    assert stored.role_text == "viewer + editor, approver via Discord role"
    async with world.uow() as uow:
        await load_actor(uow, actor, Action.WRITE_POST)
        await load_actor(uow, actor, Action.REVIEW)
        with pytest.raises(
            PermissionDenied, match=r"Your roles \(editor, approver, viewer\) cannot manage"
        ):
            await load_actor(uow, actor, Action.MANAGE_MEMBERS)


async def test_an_invited_member_keeps_waiting_for_their_accept_even_with_a_grant(
    world: World,
) -> None:
    workspace = await guild(world)
    await grant(world, workspace, MODS, "Moderators", "editor")
    owner = await owner_of(world, workspace)
    await members.invite_member(world.svc, owner, discord_profile("300", "Ed"), "viewer")
    actor = await identities.discord_actor(
        world.svc, workspace.id, ChatProfile("300", "Ed"), frozenset({MODS})
    )
    stored = await member(world, actor)
    assert (stored.status, stored.granted) == (MemberStatus.INVITED, frozenset({Role.EDITOR}))
    async with world.uow() as uow:
        with pytest.raises(NotMember, match="members accept"):
            await load_actor(uow, actor, Action.READ)


async def test_a_command_saving_a_member_never_puts_back_old_grants(world: World) -> None:
    """``update`` leaves ``granted`` alone: a slow command cannot undo a refresh."""
    workspace = await guild(world)
    await grant(world, workspace, MODS, "Moderators", "editor")
    sam = ChatProfile("200", "Sam")
    actor = await identities.discord_actor(world.svc, workspace.id, sam, frozenset({MODS}))
    stale = await member(world, actor)
    await identities.discord_actor(world.svc, workspace.id, sam, frozenset())
    await members.set_my_timezone(world.svc, actor, "Europe/Paris")
    async with world.uow() as uow:
        await uow.members.update(stale)
        await uow.commit()
    assert (await member(world, actor)).granted == frozenset()


# --- invitations and changes by Discord id --------------------------------------------


async def test_a_discord_invitation_is_matched_by_discord_id_and_slack_still_by_slack_id(
    world: World,
) -> None:
    workspace = await guild(world)
    owner = await owner_of(world, workspace)
    invited = await members.invite_member(world.svc, owner, discord_profile("300", "Ed"), "editor")
    assert (invited.discord_user_id, invited.slack_user_id) == ("300", None)
    assert await identities.discord_member_name(world.svc, workspace.id, "300") == "Ed"
    assert await identities.discord_member_name(world.svc, workspace.id, "301") is None
    changed = await members.set_role(world.svc, owner, discord_profile("300", "whoever"), "admin")
    assert (changed.id, changed.role) == (invited.id, Role.ADMIN)
    gone = await members.remove_member(world.svc, owner, discord_profile("300", "x"))
    assert gone.id == invited.id

    slack = await members.invite_member(world.svc, world.owner, ChatProfile("U1", "sue"), "viewer")
    assert (slack.slack_user_id, slack.discord_user_id) == ("U1", None)
    again = await members.set_role(world.svc, world.owner, ChatProfile("U1", "?"), "editor")
    assert again.id == slack.id


async def test_a_discord_id_is_never_taken_for_a_slack_id(world: World) -> None:
    await members.invite_member(world.svc, world.owner, ChatProfile("300", "sue"), "viewer")
    with pytest.raises(Exception, match="not a member here"):
        await members.set_role(world.svc, world.owner, discord_profile("300", "sue"), "editor")


async def test_the_grant_table_of_the_fake_keeps_one_grant_per_discord_role(
    world: World,
) -> None:
    async with world.uow() as uow:
        first = await uow.role_grants.put(RoleGrant(world.workspace_id, MODS, Role.EDITOR, "M"))
        second = await uow.role_grants.put(RoleGrant(world.workspace_id, MODS, Role.VIEWER, "N"))
        assert first.id == second.id
        assert [(g.role, g.label) for g in await uow.role_grants.list(world.workspace_id)] == [
            (Role.VIEWER, "N")
        ]
