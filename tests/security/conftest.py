"""The real-database fixtures (SQLite and PostgreSQL) of tests/integration."""

from tests.integration.conftest import (  # noqa: F401 - fixtures, found by name
    cipher,
    database_url,
    engine,
    postgres_session_database,
    uow_factory,
)
