"""The register's schema: created and upgraded by Alembic's versioned migrations, once, whatever
the number of processes opening a register at the same time.

`ensure_schema(url)` is called by every `Store`. When the register is already at `HEAD` (one
query) nothing else happens. Otherwise the upgrade runs in one transaction that first takes a
lock — PostgreSQL: a transaction-level advisory lock; SQLite: `BEGIN IMMEDIATE`, which waits
(busy_timeout) while another process holds the write lock — then looks at the version again:
the processes that waited find the work done. (Without the lock, four processes creating a new
register failed: on PostgreSQL with IntegrityError, on SQLite with "table already exists".)
"""

from __future__ import annotations

import zlib

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

HEAD = "0003"  # the newest revision in migrations/versions (a test checks it is Alembic's head)
FIRST_TABLE = "screening_assessments"  # the table of registers made before migrations
VERSION_TABLE = "alembic_version"
# Any constant shared by every coopdec process: the key of PostgreSQL's advisory lock.
ADVISORY_LOCK_KEY = zlib.crc32(b"coopdec-expert register schema")
SQLITE_BUSY_TIMEOUT_MS = 120_000  # how long a process waits for another's upgrade
SQLITE_PAGE_SIZE = 16_384


class NewerSchemaError(RuntimeError):
    """The register was upgraded by a newer coopdec-expert: this one must not write to it."""

    def __init__(self, found: str):
        self.found = found
        super().__init__(
            f"the register's schema is version {found}, newer than this coopdec-expert knows "
            f"(up to {HEAD}): upgrade coopdec-expert"
        )


def current_revision(connection: Connection) -> str | None:
    """The register's schema version, None for a register without one (new, or first release)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def is_current(engine: Engine) -> bool:
    """The fast path: one query, no lock, no Alembic import."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with engine.connect() as connection:
            found = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    except SQLAlchemyError:  # no version table yet
        return False
    return found == HEAD


def ensure_schema(url: str, engine: Engine) -> None:
    """Create or upgrade the register at `url` to HEAD, under the schema lock."""
    if is_current(engine):
        return
    migrating = _locking_engine(url)
    try:
        with migrating.begin() as connection:
            if migrating.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
                )
            upgrade(connection)
    finally:
        migrating.dispose()


def upgrade(connection: Connection) -> None:
    """Run the migrations up to HEAD in the connection's transaction (the lock is taken)."""
    from alembic import command
    from alembic.config import Config

    found = current_revision(connection)
    if found == HEAD:
        return  # another process did it while this one waited for the lock
    if found is not None and found not in _known_revisions():
        raise NewerSchemaError(found)
    config = Config()
    config.set_main_option("script_location", "coopdec_expert.screening:migrations")
    config.attributes["connection"] = connection
    if found is None and inspect(connection).has_table(FIRST_TABLE):
        command.stamp(config, "0001")  # made by the first releases, before migrations
    command.upgrade(config, "head")


def _known_revisions() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", "coopdec_expert.screening:migrations")
    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


def _locking_engine(url: str) -> Engine:
    """An engine of one connection for the upgrade. On SQLite, the driver's own transaction
    handling is turned off so that the transaction is ours: `BEGIN IMMEDIATE` takes the write
    lock at once, and the DDL runs inside it (SQLAlchemy's documented recipe)."""
    engine = create_engine(url, poolclass=NullPool)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _own_transactions(dbapi_connection, _record) -> None:
            dbapi_connection.isolation_level = None
            dbapi_connection.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            # A new file's pages: 16 KB hold five packed records (~3 KB) where the default 4 KB
            # held one, the rest wasted (bench/bench_register.py: -24%). No effect on a file
            # that exists.
            dbapi_connection.execute(f"PRAGMA page_size = {SQLITE_PAGE_SIZE}")

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
