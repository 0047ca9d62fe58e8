"""Roles and what each may do (DESIGN §2)."""

from collections.abc import Collection
from enum import StrEnum

from core.errors import PermissionDenied


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"
    APPROVER = "approver"
    VIEWER = "viewer"


class Action(StrEnum):
    READ = "read"
    COMMENT = "comment"
    WRITE_POST = "write a post"
    DELETE_POST = "delete a post"
    PUBLISH = "publish"
    RETRY = "retry a post"
    REVIEW = "review a post"
    MANAGE_LABELS = "manage labels"
    MANAGE_ACCOUNTS = "manage accounts"
    MANAGE_MEMBERS = "manage members"
    MANAGE_SETTINGS = "change workspace settings"


_EVERYONE = frozenset(Role)
_EDITORS = frozenset({Role.OWNER, Role.ADMIN, Role.EDITOR})
_ADMINS = frozenset({Role.OWNER, Role.ADMIN})

ALLOWED: dict[Action, frozenset[Role]] = {
    Action.READ: _EVERYONE,
    Action.COMMENT: _EVERYONE,
    Action.WRITE_POST: _EDITORS,
    Action.DELETE_POST: _EDITORS,
    Action.PUBLISH: _EDITORS,
    Action.RETRY: _EDITORS,
    Action.REVIEW: frozenset({Role.OWNER, Role.ADMIN, Role.APPROVER}),
    Action.MANAGE_LABELS: _EDITORS,
    Action.MANAGE_ACCOUNTS: _ADMINS,
    Action.MANAGE_MEMBERS: _ADMINS,
    Action.MANAGE_SETTINGS: _ADMINS,
}


def may(role: Role, action: Action) -> bool:
    return role in ALLOWED[action]


def may_any(roles: Collection[Role], action: Action) -> bool:
    """Whether any of a member's roles (their own and those their chat roles grant) allows
    the action: grants only ever add."""
    return not ALLOWED[action].isdisjoint(roles)


def require(role: Role, action: Action) -> None:
    """Refuse, in words, an action the role does not allow."""
    require_any((role,), action)


def require_any(roles: Collection[Role], action: Action) -> None:
    """Refuse, in words, an action none of the roles allows."""
    if not may_any(roles, action):
        allowed = ", ".join(r.value for r in Role if r in ALLOWED[action])
        held = ", ".join(r.value for r in Role if r in roles)
        which = "Your role" if len(set(roles)) == 1 else "Your roles"
        raise PermissionDenied(
            f"{which} ({held}) cannot {action.value}; ask someone who is {allowed}."
        )
