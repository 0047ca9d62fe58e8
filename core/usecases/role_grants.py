"""Trypost roles granted to chat roles (Discord roles).

Everyone holding a granted Discord role has the trypost role too, read from their roles
at each interaction (``identities.discord_actor``); the grant adds to their own role and
goes with the Discord role. Granting, changing or revoking is for owners and admins;
anything that touches ``owner`` is for owners alone.
"""

from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.events import DomainEvent, EventKind
from core.ports import UnitOfWork
from core.roles import Action, Role
from core.usecases.context import Actor, Services, load_actor
from core.usecases.members import parse_role
from core.workspace import Member, RoleGrant

MAX_ROLE_ID = 64
MAX_LABEL = 100


async def grant_chat_role(
    svc: Services, actor: Actor, discord_role_id: str, label: str, role: str
) -> RoleGrant:
    """Give ``role`` to everyone holding the Discord role (replacing its earlier grant)."""
    new_role = parse_role(role)
    discord_role_id = discord_role_id.strip()
    if not discord_role_id or len(discord_role_id) > MAX_ROLE_ID:
        raise ValidationFailed("That is not a Discord role I can grant to.")
    label = (label.strip().lstrip("@") or discord_role_id)[:MAX_LABEL]
    async with svc.uow() as uow:
        _, me = await load_actor(uow, actor, Action.MANAGE_MEMBERS)
        existing = await uow.role_grants.by_chat_role(actor.workspace_id, discord_role_id)
        _owner_only(me, new_role, existing)
        grant = await uow.role_grants.put(
            RoleGrant(actor.workspace_id, discord_role_id, new_role, label)
        )
        if existing is not None and existing.role is not new_role:
            await _withdraw(uow, actor.workspace_id, existing.role)
        await uow.events.add(
            _event(svc, EventKind.CHAT_ROLE_GRANTED, me, grant, existing.role if existing else None)
        )
        await uow.commit()
    return grant


async def revoke_chat_role(svc: Services, actor: Actor, discord_role_id: str) -> RoleGrant:
    """Take the Discord role's grant away; its holders keep their own role."""
    async with svc.uow() as uow:
        _, me = await load_actor(uow, actor, Action.MANAGE_MEMBERS)
        grant = await uow.role_grants.by_chat_role(actor.workspace_id, discord_role_id.strip())
        if grant is None:
            raise NotFound("That Discord role has no trypost role here; `members` lists grants.")
        _owner_only(me, grant.role, None)
        await uow.role_grants.remove(grant.id)
        await _withdraw(uow, actor.workspace_id, grant.role)
        await uow.events.add(_event(svc, EventKind.CHAT_ROLE_REVOKED, me, grant, grant.role))
        await uow.commit()
    return grant


async def list_chat_role_grants(svc: Services, actor: Actor) -> list[RoleGrant]:
    """The workspace's grants, by the Discord role's name."""
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.READ)
        return await uow.role_grants.list(actor.workspace_id)


def _owner_only(me: Member, role: Role, replaced: RoleGrant | None) -> None:
    """Making owners, or unmaking a grant that makes them, is an owner's decision."""
    touches_owner = role is Role.OWNER or (replaced is not None and replaced.role is Role.OWNER)
    if touches_owner and not me.is_any(Role.OWNER):
        raise PermissionDenied("Only an owner can grant the owner role, or take it back.")


async def _withdraw(uow: UnitOfWork, workspace_id: int, role: Role) -> None:
    """Nobody keeps a role a changed or revoked grant gave.

    Which Discord roles a member holds is known only when they interact, so the role is
    taken from everyone it was granted to; another grant that gives it too comes back
    at their next interaction, which refreshes their grants before anything is checked.
    """
    for member in await uow.members.list(workspace_id):
        if role in member.granted:
            await uow.members.set_granted(member.id, member.granted - {role})


def _event(
    svc: Services, kind: EventKind, me: Member, grant: RoleGrant, previous: Role | None
) -> DomainEvent:
    return DomainEvent(
        kind,
        grant.workspace_id,
        svc.clock.now(),
        payload={
            "discord_role_id": grant.discord_role_id,
            "label": grant.label,
            "role": grant.role.value,
            "previous": previous.value if previous else None,
            "by": me.name,
            "actor_id": me.id,
        },
    )
