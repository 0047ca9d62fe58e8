"""Workspaces (one team) and their members."""

from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import ValidationFailed
from core.roles import Role


@dataclass
class Workspace:
    name: str
    id: int = 0
    slack_team_id: str | None = None
    discord_guild_id: str | None = None
    approvals_required: bool = False
    timezone: str = "UTC"
    digest_hour: int = 9
    default_account_ids: list[int] = field(default_factory=list)
    # An optional plan: at most this many posts (not drafts) per calendar month (UTC).
    monthly_post_cap: int | None = None


class MemberStatus(StrEnum):
    ACTIVE = "active"
    # Asked to join, not yet accepted: may accept or decline, nothing else.
    INVITED = "invited"


@dataclass
class Member:
    workspace_id: int
    name: str
    role: Role
    id: int = 0
    email: str | None = None
    timezone: str | None = None
    slack_user_id: str | None = None
    discord_user_id: str | None = None
    status: MemberStatus = MemberStatus.ACTIVE
    invited_by: int | None = None
    # Roles the member's chat roles gave them at their last interaction (Discord role
    # grants); they only add to ``role``, which stays theirs when a chat role goes.
    granted: frozenset[Role] = frozenset()

    @property
    def active(self) -> bool:
        return self.status is MemberStatus.ACTIVE

    @property
    def roles(self) -> frozenset[Role]:
        """Their own role and the granted ones: what they may do is what any allows."""
        return self.granted | {self.role}

    def is_any(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def role_text(self) -> str:
        """``editor``; with grants ``viewer + approver via Discord role``."""
        extra = ", ".join(r.value for r in Role if r in self.granted and r is not self.role)
        return f"{self.role.value} + {extra} via Discord role" if extra else self.role.value

    def zone(self, workspace: Workspace) -> str:
        """The member's own zone, else the workspace default."""
        return self.timezone or workspace.timezone


@dataclass
class RoleGrant:
    """Everyone holding a chat role (a Discord role) has this trypost role too."""

    workspace_id: int
    discord_role_id: str
    role: Role
    # The chat role's name when granted, for lists (it may be renamed since).
    label: str
    id: int = 0


def check_timezone(name: str) -> str:
    """Accept an IANA zone name, or say what a valid one looks like."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            f"“{name}” is not a time zone I know; use an IANA name such as "
            "Europe/Paris, America/New_York or UTC."
        ) from None
    return name
