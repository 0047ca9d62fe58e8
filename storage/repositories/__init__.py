"""SQL implementations of the core's repository ports (``core.ports``)."""

from storage.repositories.accounts import SqlAccountRepository
from storage.repositories.deliveries import SqlDeliveryRepository
from storage.repositories.entries import SqlEntryRepository
from storage.repositories.events import SqlEventRepository
from storage.repositories.labels import SqlLabelRepository
from storage.repositories.notifications import SqlNotificationRepository
from storage.repositories.post_queries import due_posts_select
from storage.repositories.posts import SqlPostRepository
from storage.repositories.preferences import SqlPreferenceRepository
from storage.repositories.role_grants import SqlRoleGrantRepository
from storage.repositories.workspaces import SqlMemberRepository, SqlWorkspaceRepository

__all__ = [
    "SqlAccountRepository",
    "SqlDeliveryRepository",
    "SqlEntryRepository",
    "SqlEventRepository",
    "SqlLabelRepository",
    "SqlMemberRepository",
    "SqlNotificationRepository",
    "SqlPostRepository",
    "SqlPreferenceRepository",
    "SqlRoleGrantRepository",
    "SqlWorkspaceRepository",
    "due_posts_select",
]
