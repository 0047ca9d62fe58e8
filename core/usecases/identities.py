"""Chat identities → workspaces and members (a Slack team is a workspace).

Surfaces call these at the edge, so the rest of the bot only ever sees an Actor.
"""

from dataclasses import dataclass

from core.errors import NotMember, ValidationFailed
from core.events import DomainEvent, EventKind
from core.ports import UnitOfWork
from core.roles import Role
from core.usecases.context import Actor, Services
from core.workspace import Member, Workspace, check_timezone


@dataclass(frozen=True)
class ChatProfile:
    """What a chat platform tells us about a person; any of it may be missing."""

    user_id: str
    name: str
    email: str | None = None
    timezone: str | None = None


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
                raise NotMember(
                    "You are not a member of this trypost workspace yet; ask an owner or "
                    "admin to invite you with `members invite @you editor`."
                )
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
    name, n = base, 1
    while await uow.members.by_name(workspace_id, name) is not None:
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
