"""What every use case receives: who acts, and the ports to act through."""

from dataclasses import dataclass
from typing import Protocol

from core.errors import NotFound, NotMember
from core.ports import Clock, MediaFiles, UnitOfWork, UnitOfWorkFactory
from core.posts import Post
from core.roles import Action, require_any
from core.workspace import Member, Workspace


class PublishTrigger(Protocol):
    """Starts publishing a post's pending entries now (publish now, retry)."""

    async def post_ready(self, post_id: int) -> None: ...


@dataclass(frozen=True)
class Actor:
    """A member acting in a workspace, however they reached us."""

    workspace_id: int
    member_id: int


@dataclass(frozen=True)
class Services:
    uow: UnitOfWorkFactory
    clock: Clock
    publisher: PublishTrigger
    # Where media given with ``with`` is kept; None: media stays as the links typed.
    media_files: MediaFiles | None = None
    # Bytes each workspace may keep in the media store.
    media_quota: int = 1_000_000_000


async def load_actor(uow: UnitOfWork, actor: Actor, action: Action) -> tuple[Workspace, Member]:
    """Load the actor and refuse, in words, what none of their roles allows (their own,
    or one a chat role of theirs grants)."""
    found = await uow.members.with_workspace(actor.member_id)
    if found is None or found[1].id != actor.workspace_id:
        raise NotFound("I don't know you in this workspace; ask an admin to invite you.")
    member, workspace = found
    if not member.active:
        raise NotMember(
            f"You are invited here as {member.role.value}: `members accept` to join, or "
            "`members decline`."
        )
    require_any(member.roles, action)
    return workspace, member


async def find_post(uow: UnitOfWork, workspace_id: int, number: int) -> Post:
    """A post of this workspace by its short number; other workspaces' posts do not exist."""
    post = await uow.posts.by_number(workspace_id, number)
    if post is None:
        raise NotFound(f"There is no post {number} here; `list` shows your posts.")
    return post
