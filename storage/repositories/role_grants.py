"""Trypost roles granted to Discord roles (one grant per Discord role and workspace)."""

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.workspace import RoleGrant
from storage.mapping import grant_from_row
from storage.repositories._common import NO_SYNC, fresh_row, fresh_rows, insert_with_conflicts
from storage.tables import DiscordRoleGrantRow

G = DiscordRoleGrantRow


class SqlRoleGrantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def list(self, workspace_id: int) -> list[RoleGrant]:
        stmt = select(G).where(G.workspace_id == workspace_id).order_by(G.label, G.id)
        return [grant_from_row(row) for row in await fresh_rows(self._session, stmt)]

    async def by_chat_role(self, workspace_id: int, discord_role_id: str) -> RoleGrant | None:
        stmt = select(G).where(G.workspace_id == workspace_id, G.discord_role_id == discord_role_id)
        row = await fresh_row(self._session, stmt)
        return grant_from_row(row) if row else None

    async def put(self, grant: RoleGrant) -> RoleGrant:
        """One statement, so two owners granting the same Discord role at once leave one
        grant (the later one's role) instead of a unique-key failure."""
        insert = insert_with_conflicts(self._session, G)
        stmt = (
            insert.values(
                workspace_id=grant.workspace_id,
                discord_role_id=grant.discord_role_id,
                role=grant.role.value,
                label=grant.label,
            )
            .on_conflict_do_update(
                index_elements=[G.workspace_id, G.discord_role_id],
                set_={"role": insert.excluded.role, "label": insert.excluded.label},
            )
            .returning(G.id)
        )
        grant.id = int((await self._session.execute(stmt)).scalar_one())
        return grant

    async def remove(self, grant_id: int) -> None:
        await self._session.execute(delete(G).where(G.id == grant_id).execution_options(**NO_SYNC))
