"""Use cases for members and their own settings."""

from dataclasses import dataclass

from core.errors import NotFound, PermissionDenied, ValidationFailed
from core.events import DomainEvent, EventKind
from core.ports import UnitOfWork
from core.roles import Action, Role
from core.usecases.context import Actor, Services, load_actor
from core.usecases.identities import ChatProfile, free_name, zone_or_none
from core.workspace import Member, MemberStatus, Workspace, check_timezone


async def ensure_workspace(svc: Services, name: str) -> Workspace:
    """The workspace called ``name``, created on first use (the console's own team)."""
    async with svc.uow() as uow:
        workspace = await uow.workspaces.by_name(name)
        if workspace is None:
            workspace = await uow.workspaces.add(Workspace(name=name))
            await uow.commit()
    return workspace


async def ensure_member(
    svc: Services, workspace_id: int, name: str, *, email: str | None = None
) -> Member:
    """The member called ``name``; the first member of a workspace becomes its owner."""
    name = name.strip().lstrip("@")
    if not name:
        raise ValidationFailed("A member needs a name.")
    async with svc.uow() as uow:
        member = await uow.members.by_name(workspace_id, name)
        if member is None:
            role = Role.EDITOR if await uow.members.list(workspace_id) else Role.OWNER
            member = await uow.members.add(Member(workspace_id, name, role, email=email))
            await uow.events.add(
                DomainEvent(
                    EventKind.MEMBER_JOINED,
                    workspace_id,
                    svc.clock.now(),
                    payload={"member_id": member.id, "name": name, "role": role.value},
                )
            )
            await uow.commit()
    return member


def parse_role(word: str) -> Role:
    try:
        return Role(word.lower())
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise ValidationFailed(f"“{word}” is not a role; roles are {roles}.") from None


async def set_my_timezone(svc: Services, actor: Actor, zone: str) -> Member:
    zone = check_timezone(zone.strip())
    async with svc.uow() as uow:
        _, member = await load_actor(uow, actor, Action.READ)
        member.timezone = zone
        await uow.members.update(member)
        await uow.commit()
    return member


async def _by_identity(uow: UnitOfWork, workspace_id: int, person: ChatProfile) -> Member | None:
    """A chat identity is matched by its id, never by a display name two people share."""
    if not person.user_id:
        return await uow.members.by_name(workspace_id, person.name.lstrip("@"))
    if person.platform == "discord":
        return await uow.members.by_discord_user(workspace_id, person.user_id)
    return await uow.members.by_slack_user(workspace_id, person.user_id)


async def _find(uow: UnitOfWork, workspace_id: int, person: ChatProfile) -> Member:
    member = await _by_identity(uow, workspace_id, person)
    if member is None:
        raise NotFound(f"@{person.name} is not a member here; `members invite` them first.")
    return member


async def set_role(svc: Services, actor: Actor, who: str | ChatProfile, role: str) -> Member:
    new_role = parse_role(role)
    person = who if isinstance(who, ChatProfile) else ChatProfile("", who)
    async with svc.uow() as uow:
        _, me = await load_actor(uow, actor, Action.MANAGE_MEMBERS)
        member = await _find(uow, actor.workspace_id, person)
        if Role.OWNER in (new_role, member.role):
            _owners_only(me)
        owners = [m for m in await uow.members.list(actor.workspace_id) if m.role is Role.OWNER]
        if owners == [member] and new_role is not Role.OWNER:
            raise ValidationFailed(
                f"{member.name} is the only owner; make someone else owner first."
            )
        member.role = new_role
        await uow.members.update(member)
        by = await uow.members.get(actor.member_id)
        await uow.events.add(
            DomainEvent(
                EventKind.ROLE_CHANGED,
                actor.workspace_id,
                svc.clock.now(),
                payload={
                    "member_id": member.id,
                    "role": new_role.value,
                    "by": by.name if by else "someone",
                    "actor_id": actor.member_id,
                },
            )
        )
        await uow.commit()
    return member


@dataclass(frozen=True)
class Me:
    workspace: Workspace
    member: Member


async def whoami(svc: Services, actor: Actor) -> Me:
    async with svc.uow() as uow:
        workspace, member = await load_actor(uow, actor, Action.READ)
    return Me(workspace, member)


async def list_members(svc: Services, actor: Actor) -> list[Member]:
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.READ)
        return sorted(await uow.members.list(actor.workspace_id), key=lambda m: m.name)


async def remove_member(svc: Services, actor: Actor, who: str | ChatProfile) -> Member:
    person = who if isinstance(who, ChatProfile) else ChatProfile("", who)
    async with svc.uow() as uow:
        _, me = await load_actor(uow, actor, Action.MANAGE_MEMBERS)
        member = await _find(uow, actor.workspace_id, person)
        if member.role is Role.OWNER:
            _owners_only(me)
        owners = [m for m in await uow.members.list(actor.workspace_id) if m.role is Role.OWNER]
        if owners == [member]:
            raise ValidationFailed(f"{member.name} is the only owner and cannot be removed.")
        await uow.members.remove(member.id)
        await uow.events.add(
            DomainEvent(
                EventKind.MEMBER_REMOVED,
                actor.workspace_id,
                svc.clock.now(),
                payload={"name": member.name, "actor_id": actor.member_id},
            )
        )
        await uow.commit()
    return member


async def invite_member(svc: Services, actor: Actor, person: ChatProfile, role: str) -> Member:
    """Add a person with a role; only owners and admins may, and only newcomers."""
    new_role = parse_role(role)
    async with svc.uow() as uow:
        _, me = await load_actor(uow, actor, Action.MANAGE_MEMBERS)
        if new_role is Role.OWNER:
            _owners_only(me)
        existing = await _by_identity(uow, actor.workspace_id, person)
        if existing is not None and not existing.active:
            raise ValidationFailed(
                f"@{existing.name} is already invited as {existing.role.value}; they join "
                "once they accept."
            )
        if existing is not None:
            raise ValidationFailed(
                f"@{existing.name} is already a member ({existing.role.value}); "
                f"use `members role @{existing.name} <role>` to change it."
            )
        member = await uow.members.add(
            Member(
                actor.workspace_id,
                await free_name(uow, actor.workspace_id, person.name),
                new_role,
                email=person.email,
                timezone=zone_or_none(person.timezone),
                slack_user_id=(person.user_id or None) if person.platform == "slack" else None,
                discord_user_id=(person.user_id or None) if person.platform == "discord" else None,
                # Invited, not yet a member: they accept (or decline) first.
                status=MemberStatus.INVITED,
                invited_by=actor.member_id,
            )
        )
        await uow.events.add(
            DomainEvent(
                EventKind.INVITE_RECEIVED,
                actor.workspace_id,
                svc.clock.now(),
                payload={"member_id": member.id, "role": new_role.value, "by_id": actor.member_id},
            )
        )
        await uow.commit()
    return member


async def accept_invitation(svc: Services, actor: Actor) -> Member:
    """The invited person joins; owners and admins hear of it."""
    async with svc.uow() as uow:
        member = await _invited(uow, actor)
        member.status = MemberStatus.ACTIVE
        await uow.members.update(member)
        await uow.events.add(
            DomainEvent(
                EventKind.MEMBER_JOINED,
                actor.workspace_id,
                svc.clock.now(),
                payload={
                    "member_id": member.id,
                    "name": member.name,
                    "role": member.role.value,
                    "actor_id": member.id,
                },
            )
        )
        await uow.commit()
    return member


async def decline_invitation(svc: Services, actor: Actor) -> Member:
    """The invited person says no: the invitation is gone, and its sender is told."""
    async with svc.uow() as uow:
        member = await _invited(uow, actor)
        await uow.members.remove(member.id)
        await uow.events.add(
            DomainEvent(
                EventKind.INVITE_DECLINED,
                actor.workspace_id,
                svc.clock.now(),
                payload={"name": member.name, "inviter_id": member.invited_by},
            )
        )
        await uow.commit()
    return member


async def _invited(uow: UnitOfWork, actor: Actor) -> Member:
    found = await uow.members.with_workspace(actor.member_id)
    if found is None or found[1].id != actor.workspace_id:
        raise NotFound("There is no invitation for you here.")
    member = found[0]
    if member.active:
        raise ValidationFailed("You are already a member here; `help` shows what you can do.")
    return member


async def find_member(svc: Services, actor: Actor, person: ChatProfile) -> Member | None:
    """The active member a chat identity names in the actor's workspace, if any (for
    @mentions: a stranger is mentioned as text, never invited by it)."""
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.READ)
        try:
            member = await _find(uow, actor.workspace_id, person)
        except NotFound:
            return None
    return member if member.active else None


def _owners_only(me: Member) -> None:
    """An admin manages members, but only an owner makes (or unmakes) an owner: else an
    admin could make themselves one."""
    if not me.is_any(Role.OWNER):
        raise PermissionDenied(
            "Only an owner can make someone owner, or change or remove an owner."
        )
