"""The unit of work: one database transaction over every repository."""

import asyncio
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.notifications.ports import (
    DeliveryRepository,
    NotificationRepository,
    PreferenceRepository,
)
from core.ports import (
    AccountRepository,
    CommentRepository,
    ConnectRepository,
    EntryRepository,
    EventRepository,
    LabelRepository,
    MediaRepository,
    MemberRepository,
    PostRepository,
    ReviewRepository,
    RoleGrantRepository,
    UnitOfWork,
    UnitOfWorkFactory,
    WorkspaceRepository,
)
from storage.crypto import CredentialCipher
from storage.engine import create_read_engine, session_factory
from storage.repositories import (
    SqlAccountRepository,
    SqlDeliveryRepository,
    SqlEntryRepository,
    SqlEventRepository,
    SqlLabelRepository,
    SqlMemberRepository,
    SqlNotificationRepository,
    SqlPostRepository,
    SqlPreferenceRepository,
    SqlRoleGrantRepository,
    SqlWorkspaceRepository,
)
from storage.repositories.comments import SqlCommentRepository, SqlReviewRepository
from storage.repositories.connects import SqlConnectRepository
from storage.repositories.media import SqlMediaRepository

# How long a unit of work waits for its turn on SQLite before giving up.
GATE_TIMEOUT = 30.0


class SqlUnitOfWork:
    """``async with factory() as uow: …; await uow.commit()``; leaving without commit
    rolls back. The transaction begins at the first statement, not on entry.

    A read-only one (``factory(read_only=True)``) cannot commit; on a SQLite file it
    reads through the event loop's own connections (no write lock, no turn on the
    gate) and a write through it fails."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cipher: CredentialCipher,
        gate: asyncio.Lock | None = None,
        *,
        read_only: bool = False,
    ) -> None:
        self._session = sessions()
        self._gate = gate
        self.read_only = read_only
        session = self._session
        self.workspaces: WorkspaceRepository = SqlWorkspaceRepository(session)
        self.members: MemberRepository = SqlMemberRepository(session)
        self.accounts: AccountRepository = SqlAccountRepository(session, cipher)
        self.labels: LabelRepository = SqlLabelRepository(session)
        self.posts: PostRepository = SqlPostRepository(session)
        self.entries: EntryRepository = SqlEntryRepository(session)
        self.events: EventRepository = SqlEventRepository(session)
        self.notifications: NotificationRepository = SqlNotificationRepository(session)
        self.deliveries: DeliveryRepository = SqlDeliveryRepository(session)
        self.preferences: PreferenceRepository = SqlPreferenceRepository(session)
        self.comments: CommentRepository = SqlCommentRepository(session)
        self.reviews: ReviewRepository = SqlReviewRepository(session)
        self.role_grants: RoleGrantRepository = SqlRoleGrantRepository(session)
        self.media: MediaRepository = SqlMediaRepository(session)
        self.connects: ConnectRepository = SqlConnectRepository(session, cipher)

    async def __aenter__(self) -> Self:
        if self._gate is not None:
            try:
                async with asyncio.timeout(GATE_TIMEOUT):
                    await self._gate.acquire()
            except TimeoutError:
                await self._session.close()
                raise TimeoutError("the database stayed busy; try again") from None
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self._session.rollback()
        finally:
            await self._session.close()
            if self._gate is not None:
                self._gate.release()

    async def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        await self._session.commit()

    async def rollback(self) -> None:
        await self._session.rollback()


class SqlUnitOfWorkFactory:
    """Makes a fresh :class:`SqlUnitOfWork` per call; the core's ``UnitOfWorkFactory``."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], cipher: CredentialCipher
    ) -> None:
        self._sessions = sessions
        self._cipher = cipher
        bind = sessions.kw.get("bind")
        # SQLite runs one transaction at a time (every one is BEGIN IMMEDIATE). Queueing
        # them on an asyncio lock replaces SQLite's busy-wait, whose growing sleeps (up to
        # 100 ms each) made the slowest requests slow; other processes still meet the
        # busy timeout.
        sqlite = bind is not None and bind.dialect.name == "sqlite"
        self._gate = asyncio.Lock() if sqlite else None
        # Reads on a SQLite file skip both the gate and aiosqlite's thread.
        reader = create_read_engine(bind) if isinstance(bind, AsyncEngine) and sqlite else None
        self._reads = session_factory(reader) if reader is not None else None

    def __call__(self, *, read_only: bool = False) -> SqlUnitOfWork:
        if read_only and self._reads is not None:
            return SqlUnitOfWork(self._reads, self._cipher, read_only=True)
        return SqlUnitOfWork(self._sessions, self._cipher, self._gate, read_only=read_only)


def _implements_ports(
    factory: SqlUnitOfWorkFactory, uow: SqlUnitOfWork
) -> tuple[UnitOfWorkFactory, UnitOfWork]:
    """Never called: mypy checks here that the classes above implement the core's ports."""
    return factory, uow
