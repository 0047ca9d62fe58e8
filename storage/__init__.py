"""Storage adapter: SQLAlchemy 2.0 tables, repositories and unit of work, Alembic migrations.

What the composition root uses::

    engine = create_engine_for(settings.database_url)     # storage.engine
    await storage.migrate.upgrade(settings.database_url)  # `trypost db upgrade`
    uow = SqlUnitOfWorkFactory(session_factory(engine), CredentialCipher(secret))

Importing this package sets nothing up: no engine, no connection, no logging.
"""

from storage.crypto import CredentialCipher, CredentialsUnreadable
from storage.engine import DEFAULT_URL, create_engine_for, session_factory
from storage.uow import SqlUnitOfWork, SqlUnitOfWorkFactory

__all__ = [
    "DEFAULT_URL",
    "CredentialCipher",
    "CredentialsUnreadable",
    "SqlUnitOfWork",
    "SqlUnitOfWorkFactory",
    "create_engine_for",
    "session_factory",
]
