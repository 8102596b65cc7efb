"""The register's backends for the tests: a SQLite file, and a new database on the PostgreSQL
server named by COOPDEC_TEST_POSTGRES (an empty database's SQLAlchemy URL, started by
`.ci/postgres`). Without that variable, or without psycopg, the PostgreSQL tests are skipped
here and fail under CI (`unavailable`). Records are read back through SQLAlchemy, whatever
the backend and across every workspace."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import (
    DateTime,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .support import unavailable

POSTGRES_ENV = "COOPDEC_TEST_POSTGRES"
BACKENDS = ["sqlite", "postgresql"]


def postgres_server_url() -> str:
    """The test server's URL, or skip (fail under CI) saying how to get one."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        unavailable(
            f"no PostgreSQL for the register's tests: set {POSTGRES_ENV} "
            "(`bash .ci/postgres` starts one and prints it)"
        )
    try:
        import psycopg  # noqa: F401
    except ImportError as error:
        unavailable(f"psycopg is not installed ({error}): uv sync")
    return url


@contextmanager
def new_postgres_database() -> Iterator[str]:
    """A database of its own for one test, dropped afterwards."""
    server = make_url(postgres_server_url())
    name = f"coopdec_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextmanager
def new_register(backend: str, folder: Path) -> Iterator[str]:
    """The URL of a register that does not exist yet (an empty database on PostgreSQL)."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'register.sqlite'}"
        return
    with new_postgres_database() as url:
        yield url


def all_records(url: str) -> list[tuple]:
    """(workspace, partnership_id, profile_hash, rules_version, verdict, next_step,
    result_json, profile_json, user_id) of every record, in id order."""
    from coopdec_expert.screening.store import AssessmentRecord, unpack

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(
                    AssessmentRecord.workspace,
                    AssessmentRecord.partnership_id,
                    AssessmentRecord.profile_hash,
                    AssessmentRecord.rules_version,
                    AssessmentRecord.verdict,
                    AssessmentRecord.next_step,
                    AssessmentRecord.result_z,
                    AssessmentRecord.profile_z,
                    AssessmentRecord.user_id,
                ).order_by(AssessmentRecord.id)
            ).all()
    finally:
        engine.dispose()
    return [(*r[:6], unpack(r[6]), unpack(r[7]), r[8]) for r in rows]


def record_count(url: str) -> int:
    """Records stored so far (0 while the register is not created): polled by the tests that
    wait on a batch's progress."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("select count(*) from coopdec_assessments")).scalar()
    except SQLAlchemyError:
        return 0
    finally:
        engine.dispose()


# --- a register as the first releases made it ---------------------------------------------
# The model of coopdec_expert/screening/store.py before migrations, copied as it was: its
# registers have this one table, made by `create_all`, and no alembic_version.


class FirstReleaseBase(DeclarativeBase):
    pass


class FirstReleaseRecord(FirstReleaseBase):
    __tablename__ = "screening_assessments"
    __table_args__ = (
        UniqueConstraint("partnership_id", "profile_hash", "rules_version", name="uq_assessment"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partnership_id: Mapped[str] = mapped_column(String(200), index=True)
    profile_hash: Mapped[str] = mapped_column(String(64))
    rules_version: Mapped[str] = mapped_column(String(64))
    assessed_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)  # UTC
    source_file: Mapped[str] = mapped_column(String(500))
    lang: Mapped[str] = mapped_column(String(2))
    verdict: Mapped[str] = mapped_column(String(40))
    next_step: Mapped[str] = mapped_column(String(40))
    profile_json: Mapped[str] = mapped_column(Text)
    result_json: Mapped[str] = mapped_column(Text)


def make_first_release_register(url: str, rows: list[dict]) -> None:
    """A register as the first releases wrote it, holding `rows` (FirstReleaseRecord's
    columns but id)."""
    engine = create_engine(url)
    try:
        FirstReleaseBase.metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(FirstReleaseRecord.__table__.insert(), rows)
    finally:
        engine.dispose()
