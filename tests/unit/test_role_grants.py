"""Granting trypost roles to Discord roles: who may, what it changes, who hears of reviews.

The workspace of ``World``: @olive owner; here also @adam admin and @ed editor.
"""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest

from bot.commands.dispatch import Context, dispatch
from bot.commands.grammar import parse
from core.errors import NotFound, PermissionDenied
from core.events import DomainEvent, EventKind
from core.notifications.review_recipients import collaboration_notices
from core.roles import Role
from core.usecases import identities, role_grants
from core.usecases.context import Actor
from core.usecases.identities import ChatProfile
from core.workspace import Member
from tests.unit.conftest import World

MODS = "700000000000000001"
AT = datetime(2026, 12, 1, tzinfo=UTC)


async def granted(world: World, actor: Actor) -> frozenset[Role]:
    async with world.uow() as uow:
        found = await uow.members.get(actor.member_id)
    assert found is not None
    return found.granted


async def grantee(world: World, roles: frozenset[str] = frozenset({MODS})) -> Actor:
    """Sam, a Discord user holding the Moderators role (and so enrolled by it)."""
    return await identities.discord_actor(
        world.svc, world.workspace_id, ChatProfile("200", "Sam"), roles
    )


async def test_an_admin_grants_and_regrants_a_discord_role(world: World) -> None:
    adam = await world.member("adam", Role.ADMIN)
    grant = await role_grants.grant_chat_role(world.svc, adam, MODS, "@Moderators", "approver")
    assert (grant.discord_role_id, grant.label, grant.role) == (MODS, "Moderators", Role.APPROVER)
    sam = await grantee(world)
    assert await granted(world, sam) == {Role.APPROVER}

    again = await role_grants.grant_chat_role(world.svc, adam, MODS, "Mods", "editor")
    assert again.id == grant.id
    listed = await role_grants.list_chat_role_grants(world.svc, adam)
    assert [(g.label, g.role) for g in listed] == [("Mods", Role.EDITOR)]
    # The old role is taken at once; the new one comes with their next interaction.
    assert await granted(world, sam) == frozenset()
    await grantee(world)
    assert await granted(world, sam) == {Role.EDITOR}
    kinds = [e for e in world.uow.store.events if e.kind is EventKind.CHAT_ROLE_GRANTED]
    assert [(e.payload["role"], e.payload["previous"], e.payload["by"]) for e in kinds] == [
        ("approver", None, "adam"),
        ("editor", "approver", "adam"),
    ]


async def test_revoking_takes_the_role_from_its_holders_who_stay_viewers(world: World) -> None:
    await role_grants.grant_chat_role(world.svc, world.owner, MODS, "Moderators", "editor")
    sam = await grantee(world)
    gone = await role_grants.revoke_chat_role(world.svc, world.owner, MODS)
    assert gone.role is Role.EDITOR
    assert await granted(world, sam) == frozenset()
    assert await role_grants.list_chat_role_grants(world.svc, world.owner) == []
    # Still holding the Discord role changes nothing now: it grants nothing.
    await grantee(world)
    assert await granted(world, sam) == frozenset()
    [revoked] = [e for e in world.uow.store.events if e.kind is EventKind.CHAT_ROLE_REVOKED]
    assert revoked.payload["discord_role_id"] == MODS
    with pytest.raises(NotFound):
        await role_grants.revoke_chat_role(world.svc, world.owner, MODS)


async def test_only_an_owner_grants_owner_or_takes_an_owner_grant_back(world: World) -> None:
    adam = await world.member("adam", Role.ADMIN)
    with pytest.raises(PermissionDenied, match="Only an owner"):
        await role_grants.grant_chat_role(world.svc, adam, MODS, "Mods", "owner")
    await role_grants.grant_chat_role(world.svc, world.owner, MODS, "Mods", "owner")
    with pytest.raises(PermissionDenied, match="Only an owner"):
        await role_grants.grant_chat_role(world.svc, adam, MODS, "Mods", "viewer")
    with pytest.raises(PermissionDenied, match="Only an owner"):
        await role_grants.revoke_chat_role(world.svc, adam, MODS)
    sam = await grantee(world)
    # An owner by grant is an owner: they may.
    await role_grants.grant_chat_role(world.svc, sam, "700000000000000009", "Crew", "owner")


async def test_editors_and_viewers_cannot_grant(world: World) -> None:
    ed = await world.member("ed", Role.EDITOR)
    with pytest.raises(PermissionDenied, match=r"Your role \(editor\) cannot manage members"):
        await role_grants.grant_chat_role(world.svc, ed, MODS, "Mods", "viewer")
    with pytest.raises(PermissionDenied):
        await role_grants.revoke_chat_role(world.svc, ed, MODS)


async def test_a_granted_admin_manages_members_and_grants(world: World) -> None:
    await role_grants.grant_chat_role(world.svc, world.owner, MODS, "Mods", "admin")
    sam = await grantee(world)
    grant = await role_grants.grant_chat_role(world.svc, sam, "7000000000000000010", "X", "editor")
    assert grant.role is Role.EDITOR


async def test_granting_refuses_a_role_that_does_not_exist_and_an_empty_id(world: World) -> None:
    with pytest.raises(Exception, match="is not a role"):
        await role_grants.grant_chat_role(world.svc, world.owner, MODS, "Mods", "boss")
    with pytest.raises(Exception, match="not a Discord role"):
        await role_grants.grant_chat_role(world.svc, world.owner, " ", "Mods", "editor")


# --- who hears of a review request ----------------------------------------------------


async def test_a_granted_approver_hears_review_requests_and_loses_them_with_the_role(
    world: World,
) -> None:
    ed = await world.member("ed", Role.EDITOR)
    await role_grants.grant_chat_role(world.svc, world.owner, MODS, "Mods", "approver")
    sam = await grantee(world)

    async def told() -> dict[int, str]:
        async with world.uow() as uow:
            people = await uow.members.list(world.workspace_id)
            event = DomainEvent(
                EventKind.REVIEW_REQUESTED,
                world.workspace_id,
                AT,
                post_id=1,
                payload={"post_number": 1, "author_id": ed.member_id, "actor_id": ed.member_id},
            )
            return {who: n.value for who, n, _ in await collaboration_notices(uow, event, people)}

    assert await told() == {
        world.owner.member_id: "approval_requested",
        sam.member_id: "approval_requested",
    }
    await grantee(world, frozenset())
    assert await told() == {world.owner.member_id: "approval_requested"}


async def test_a_granted_admin_reviews_their_own_post(world: World) -> None:
    """Owners and admins may review their own posts: an admin by grant too."""
    await role_grants.grant_chat_role(world.svc, world.owner, MODS, "Mods", "admin")
    sam = await grantee(world)
    async with world.uow() as uow:
        people = await uow.members.list(world.workspace_id)
    event = DomainEvent(
        EventKind.REVIEW_REQUESTED,
        world.workspace_id,
        AT,
        post_id=1,
        payload={"post_number": 1, "author_id": sam.member_id, "actor_id": world.owner.member_id},
    )
    async with world.uow() as uow:
        told = {who for who, _, _ in await collaboration_notices(uow, event, people)}
    assert told == {sam.member_id}


def test_a_member_with_grants_shows_both() -> None:
    member = Member(1, "sam", Role.VIEWER, granted=frozenset({Role.APPROVER, Role.VIEWER}))
    assert member.role_text == "viewer + approver via Discord role"
    assert Member(1, "ed", Role.EDITOR).role_text == "editor"


# --- the command ----------------------------------------------------------------------


def discord_roles(known: dict[str, str]) -> Callable[[str], Awaitable[tuple[str, str] | None]]:
    """A surface's reading of ``<@&id>``: the role of this server it names, if any."""

    async def read(text: str) -> tuple[str, str] | None:
        text = text.strip()
        if not (text.startswith("<@&") and text.endswith(">")):
            return None
        role_id = text[3:-1]
        return (role_id, known[role_id]) if role_id in known else None

    return read


async def test_members_role_and_remove_grant_and_revoke_on_discord(world: World) -> None:
    ctx = Context(world.svc, world.owner, chat_role=discord_roles({MODS: "Moderators"}))
    said = await dispatch(parse(f"members role <@&{MODS}> approver"), ctx)
    assert said.text == "Everyone with @Moderators is approver here too, besides their own role."
    await grantee(world)
    listed = await dispatch(parse("members"), ctx)
    assert listed.items == (
        "@Sam · viewer + approver via Discord role",
        "@olive · owner",
        "@Moderators → approver (Discord role)",
    )
    invite = await dispatch(parse(f"members invite <@&{MODS}> editor"), ctx)
    assert "Invite people one at a time" in (invite.text or "")
    gone = await dispatch(parse(f"members remove <@&{MODS}>"), ctx)
    assert gone.text == "@Moderators no longer gives approver; its members keep their own roles."
    unknown = await dispatch(parse("members role <@&123456789012345678> editor"), ctx)
    assert "is no role of this server" in (unknown.text or "")


async def test_members_role_of_a_discord_role_elsewhere_says_where_it_works(
    world: World,
) -> None:
    ctx = Context(world.svc, world.owner)
    for line in ("members role @&Moderators approver", f"members remove <@&{MODS}>"):
        reply = await dispatch(parse(line), ctx)
        assert reply.text == "Discord roles can be granted only from Discord."
    async with world.uow() as uow:
        assert await uow.role_grants.list(world.workspace_id) == []


async def test_a_viewer_cannot_grant_from_the_command(world: World) -> None:
    vic = await world.member("vic", Role.VIEWER)
    ctx = Context(world.svc, vic, chat_role=discord_roles({MODS: "Moderators"}))
    reply = await dispatch(parse(f"members role <@&{MODS}> owner"), ctx)
    assert "cannot manage members" in (reply.text or "")
