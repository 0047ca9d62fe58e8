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

    @property
    def active(self) -> bool:
        return self.status is MemberStatus.ACTIVE

    def zone(self, workspace: Workspace) -> str:
        """The member's own zone, else the workspace default."""
        return self.timezone or workspace.timezone


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
