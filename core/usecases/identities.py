"""Chat identities → workspaces and members (a Slack team, a Discord guild is a workspace).

Surfaces call these at the edge, so the rest of the bot only ever sees an Actor.
"""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from core.errors import Conflict, NotMember, ValidationFailed
from core.events import DomainEvent, EventKind
from core.ports import Duplicate, UnitOfWork
from core.roles import Role
from core.usecases.context import Actor, Services
from core.workspace import Member, MemberStatus, RoleGrant, Workspace, check_timezone

NOT_INVITED = (
    "You are not a member of this trypost workspace yet; ask an owner or "
    "admin to invite you with `members invite @you editor`."
)


@dataclass(frozen=True)
class ChatProfile:
    """What a chat platform tells us about a person; any of it may be missing.

    ``user_id`` is the platform's id of them (empty when only a name was typed);
    ``platform`` says which platform's.
    """

    user_id: str
    name: str
    email: str | None = None
    timezone: str | None = None
    platform: Literal["slack", "discord"] = "slack"


def discord_profile(user_id: str, name: str) -> ChatProfile:
    """A Discord user (an id, a name): Discord tells neither an address nor a zone."""
    return ChatProfile(user_id, name, platform="discord")


async def known_slack_actor(svc: Services, team_id: str, user_id: str) -> Actor | None:
    """The actor for a team and user we already know, in one read; None for newcomers.

    Every Slack request starts here, so the common case costs one transaction.
    """
    async with svc.uow() as uow:
        workspace = await uow.workspaces.by_slack_team(team_id)
        member = await uow.members.by_slack_user(workspace.id, user_id) if workspace else None
    return Actor(member.workspace_id, member.id) if member else None


async def slack_workspace(svc: Services, team_id: str, team_name: str | None) -> Workspace:
    """The workspace of a Slack team, created the first time the team talks to us."""
    async with svc.uow() as uow:
        workspace = await uow.workspaces.by_slack_team(team_id)
        if workspace is None:
            name = f"slack-{team_id}"
            if team_name:
                name = f"{team_name} ({team_id})"
            workspace = await uow.workspaces.add(Workspace(name=name, slack_team_id=team_id))
            await uow.commit()
    return workspace


async def slack_member(svc: Services, workspace_id: int, profile: ChatProfile) -> Actor:
    """The member behind a Slack user. Only the first person of a new workspace (or
    the one who installs the app) joins by themselves, as owner; everyone after is
    invited by an owner or admin, so removing someone really takes their access away."""
    async with svc.uow() as uow:
        member = await uow.members.by_slack_user(workspace_id, profile.user_id)
        if member is None:
            if await uow.members.list(workspace_id):
                raise NotMember(NOT_INVITED)
            member = await uow.members.add(
                Member(
                    workspace_id,
                    await free_name(uow, workspace_id, profile.name or profile.user_id),
                    Role.OWNER,
                    email=profile.email,
                    timezone=zone_or_none(profile.timezone),
                    slack_user_id=profile.user_id,
                )
            )
            await uow.events.add(
                DomainEvent(
                    EventKind.MEMBER_JOINED,
                    workspace_id,
                    svc.clock.now(),
                    payload={"member_id": member.id, "name": member.name, "role": "owner"},
                )
            )
            await uow.commit()
    return Actor(workspace_id, member.id)


async def free_name(uow: UnitOfWork, workspace_id: int, wanted: str) -> str:
    """Member names are unique in a workspace; two Slack users may share a display name."""
    base = "".join(c for c in wanted.strip().lstrip("@") if not c.isspace()) or "member"
    taken = await uow.members.names_like(workspace_id, base)
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def zone_or_none(zone: str | None) -> str | None:
    if not zone:
        return None
    try:
        return check_timezone(zone)
    except ValidationFailed:
        return None


async def slack_member_name(svc: Services, workspace_id: int, user_id: str) -> str | None:
    async with svc.uow() as uow:
        member = await uow.members.by_slack_user(workspace_id, user_id)
    return member.name if member else None


# --- Discord: a guild is a workspace ------------------------------------------------


async def known_discord_actor(svc: Services, guild_id: str, user_id: str) -> Actor | None:
    """The actor for a guild and user we already know, in one read; None otherwise.

    It does not refresh the member's role grants: :func:`discord_actor` does.
    """
    async with svc.uow() as uow:
        workspace = await uow.workspaces.by_discord_guild(guild_id)
        member = await uow.members.by_discord_user(workspace.id, user_id) if workspace else None
    return Actor(member.workspace_id, member.id) if member else None


async def discord_workspace(
    svc: Services, guild_id: str, guild_name: str | None, owner: ChatProfile
) -> Workspace:
    """The workspace of a guild, made the first time with the guild's owner
    (``owner.user_id`` is their Discord id) as its first member and owner.

    Two first interactions at once make one workspace: the later insert meets the
    unique guild id and reads the earlier one's workspace instead.
    """
    async with svc.uow() as uow:
        workspace = await uow.workspaces.by_discord_guild(guild_id)
        if workspace is not None:
            return workspace
        # Names are unique and at most 100 characters; the guild id keeps them apart.
        name = f"{(guild_name or 'discord').strip()[:70]} ({guild_id})"
        try:
            workspace = await uow.workspaces.add(Workspace(name=name, discord_guild_id=guild_id))
        except Duplicate:
            found = await uow.workspaces.by_discord_guild(guild_id)
            if found is None:
                raise
            return found
        member = await uow.members.add(
            Member(
                workspace.id,
                await free_name(uow, workspace.id, owner.name or owner.user_id),
                Role.OWNER,
                email=owner.email,
                timezone=zone_or_none(owner.timezone),
                discord_user_id=owner.user_id,
            )
        )
        await uow.events.add(_joined(svc, member))
        await uow.commit()
    return workspace


async def discord_actor(
    svc: Services,
    workspace_id: int,
    profile: ChatProfile,
    chat_roles: frozenset[str] | None,
) -> Actor:
    """The member behind a Discord user, with the roles their Discord roles grant now.

    ``chat_roles`` are the Discord role ids they hold at this interaction (None when
    unknown: what was last seen is kept). A member, active or invited, gets their grants
    refreshed; a stranger holding a granted Discord role joins at once as a viewer with
    those grants; any other stranger must be invited.
    """
    async with svc.uow() as uow:
        member = await uow.members.by_discord_user(workspace_id, profile.user_id)
        if member is not None and chat_roles is None:
            return Actor(workspace_id, member.id)
        given = granted_by(await uow.role_grants.list(workspace_id), chat_roles or ())
        if member is not None:
            if given != member.granted:
                await uow.members.set_granted(member.id, given)
                await uow.commit()
            return Actor(workspace_id, member.id)
        if not given:
            raise NotMember(NOT_INVITED)
        try:
            member = await uow.members.add(
                Member(
                    workspace_id,
                    await free_name(uow, workspace_id, profile.name or profile.user_id),
                    Role.VIEWER,
                    email=profile.email,
                    timezone=zone_or_none(profile.timezone),
                    discord_user_id=profile.user_id,
                    status=MemberStatus.ACTIVE,
                    granted=given,
                )
            )
        except Duplicate:
            # Their other interaction enrolled them a moment ago (or took the name).
            member = await uow.members.by_discord_user(workspace_id, profile.user_id)
            if member is None:
                raise Conflict("Two people joined at once with one name; try again.") from None
            return Actor(workspace_id, member.id)
        await uow.events.add(_joined(svc, member))
        await uow.commit()
    return Actor(workspace_id, member.id)


def granted_by(grants: Collection[RoleGrant], chat_roles: Collection[str]) -> frozenset[Role]:
    """The trypost roles the held chat roles are granted."""
    held = set(chat_roles)
    return frozenset(grant.role for grant in grants if grant.discord_role_id in held)


async def discord_member_name(svc: Services, workspace_id: int, user_id: str) -> str | None:
    """The member name of a Discord user here (invited ones too), for showing mentions."""
    async with svc.uow() as uow:
        member = await uow.members.by_discord_user(workspace_id, user_id)
    return member.name if member else None


def _joined(svc: Services, member: Member) -> DomainEvent:
    return DomainEvent(
        EventKind.MEMBER_JOINED,
        member.workspace_id,
        svc.clock.now(),
        payload={"member_id": member.id, "name": member.name, "role": member.role_text},
    )
