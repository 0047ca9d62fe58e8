"""SQL implementations of the core's repository ports (``core.ports``)."""

from storage.repositories.accounts import SqlAccountRepository
from storage.repositories.entries import SqlEntryRepository
from storage.repositories.events import SqlEventRepository
from storage.repositories.labels import SqlLabelRepository
from storage.repositories.post_queries import due_posts_select
from storage.repositories.posts import SqlPostRepository
from storage.repositories.workspaces import SqlMemberRepository, SqlWorkspaceRepository

__all__ = [
    "SqlAccountRepository",
    "SqlEntryRepository",
    "SqlEventRepository",
    "SqlLabelRepository",
    "SqlMemberRepository",
    "SqlPostRepository",
    "SqlWorkspaceRepository",
    "due_posts_select",
]
