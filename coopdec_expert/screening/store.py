"""The screening register: every assessment kept with its profile, result and rules version.

SQLAlchemy 2 so that a directorate can move from the default SQLite file to PostgreSQL by
changing a URL; the schema is made by versioned migrations (schema.py, migrations/). A record is
one row holding both the profile and the complete result (compressed), written in a transaction
per batch chunk: an interrupted batch leaves whole records or none. The unique key (workspace,
partnership id, hash of the profile, rules version) makes re-running a file a no-op. A Store is
a handle on one workspace: a served app's users each see only their own.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from pydantic import BaseModel
from sqlalchemy import (
    DateTime,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    create_engine,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from ..errors import CoopdecError
from ..i18n import t
from ..inputs import shorten
from ..profile import CONTROL_IN_ID
from . import STORE_ENV, WORKSPACE_ENV  # noqa: F401  (re-exported)
from .packing import (  # noqa: F401  (re-exported: the register's format)
    PACKING_DICTIONARY,
    content_hash,
    pack,
    profile_hash,
    unpack,
)
from .schema import NewerSchemaError, ensure_schema

DEFAULT_STORE = "sqlite:///coopdec.sqlite"
DEFAULT_WORKSPACE = "default"  # the CLI's and a local app's, and that of records made before
WORKSPACE_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


_PASSWORD_IN_URL = re.compile(r"(?P<scheme>[A-Za-z][\w+.-]*://)(?P<user>[^:/@\s]*):[^\s]*@")


class StoreError(CoopdecError):
    """The store URL cannot be opened or used; the message names it, its password masked."""


def masked_url(url: str) -> str:
    """A register URL as it may be shown or logged: its password replaced by ***. Every place
    that shows a URL goes through here (CLI messages, logs); the app shows none."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL: mask by pattern instead
        return _PASSWORD_IN_URL.sub(r"\g<scheme>\g<user>:***@", url)


def scrub(text: str, url: str) -> str:
    """A driver's message without the URL's password (some drivers quote the URL back)."""
    text = text.replace(url, masked_url(url))
    try:
        password = make_url(url).password
    except Exception:  # noqa: BLE001
        password = None
    if password and len(str(password)) >= 3:
        text = text.replace(str(password), "***")
    return _PASSWORD_IN_URL.sub(r"\g<scheme>\g<user>:***@", text)


class Base(DeclarativeBase):
    pass


class AssessmentRecord(Base):
    """One assessment of one partnership in one workspace: when, what it said, with which rules,
    from which file, by whom; the profile and the complete result as zlib-compressed JSON. The
    table is created by the migrations (schema.py), not from this class."""

    __tablename__ = "coopdec_assessments"
    __table_args__ = (
        UniqueConstraint(
            "workspace",
            "partnership_id",
            "profile_hash",
            "rules_version",
            name="uq_coopdec_assessment",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace: Mapped[str] = mapped_column(String(64))
    partnership_id: Mapped[str] = mapped_column(String(200))
    profile_hash: Mapped[str] = mapped_column(String(64))
    rules_version: Mapped[str] = mapped_column(String(64))
    assessed_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC
    source_file: Mapped[str] = mapped_column(String(500))
    lang: Mapped[str] = mapped_column(String(2))
    verdict: Mapped[str] = mapped_column(String(40))
    next_step: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    profile_z: Mapped[bytes] = mapped_column(LargeBinary)
    result_z: Mapped[bytes] = mapped_column(LargeBinary)

    @property
    def profile_json(self) -> str:
        return unpack(self.profile_z)

    @property
    def result_json(self) -> str:
        return unpack(self.result_z)


class HistoryEntry(BaseModel):
    """One line of `coopdec history`: when, what it said, with which rules, from which file,
    stored by whom (None for records made before users were recorded)."""

    assessed_at: dt.datetime
    verdict: str
    next_step: str
    rules_version: str
    source_file: str
    user_id: str | None = None


def store_url(value: str | None) -> str:
    """The store to use: the value given, else $COOPDEC_STORE, else ./coopdec.sqlite. A plain
    path means a SQLite file."""
    url = value or os.environ.get(STORE_ENV) or DEFAULT_STORE
    return url if "://" in url else f"sqlite:///{Path(url)}"


class WorkspaceError(StoreError):
    """A workspace name that is not allowed; `key` and `values` give the message in any
    language (the CLI and the app show it in theirs)."""

    key = "store.workspace.invalid"

    def __init__(self, value: str):
        self.values = {"value": shorten(value, 80)}
        super().__init__(t("en", self.key, **self.values))


def workspace_name(value: str | None) -> str:
    """A workspace as given (None: the default one), or WorkspaceError: 1 to 64 lowercase
    letters, digits, '-' or '_', starting with a letter or a digit — a name that is the same
    in a URL, a file name and a database, whatever the deployment maps to it."""
    name = DEFAULT_WORKSPACE if value is None else value
    if not WORKSPACE_PATTERN.fullmatch(name):
        raise WorkspaceError(name)
    return name


def without_control_characters(value: str, limit: int) -> str:
    """A label the register keeps as given (a file name, a user id) made storable: control
    characters (a NUL cannot be stored by PostgreSQL) become U+FFFD, and it is cut to fit."""
    return CONTROL_IN_ID.sub("\ufffd", value)[:limit]


@dataclass
class NewRecord:
    """An assessment to store: the profile and the result already packed (in the worker)."""

    partnership_id: str
    profile_hash: str
    rules_version: str
    source_file: str
    lang: str
    verdict: str
    next_step: str
    profile_z: bytes
    result_z: bytes


@dataclass
class Saved:
    """What `save` did: how many records were new, and the records (their index in the list
    given) that the database refused, each with its reason — never dropped without a word."""

    stored: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)


# Errors that belong to one record's data (a value the database cannot hold): the chunk is
# written again record by record, so that one bad record does not take the others with it.
# Anything else (the database unreachable, the disk full) stops the batch.
_RECORD_ERRORS = (DataError, IntegrityError)


class Store:
    """A handle on one workspace of the register: every read and write is of that workspace;
    `save` is atomic per call, ignores records already kept and records who stored them."""

    def __init__(
        self, url: str | None = None, workspace: str | None = None, user_id: str | None = None
    ):
        self.url = store_url(url)
        self.workspace = workspace_name(workspace)
        self.user_id = without_control_characters(user_id, 200) if user_id else None
        try:
            self.engine: Engine = create_engine(self.url)
            if self.engine.dialect.name == "sqlite":
                self._sqlite_setup()
            ensure_schema(self.url, self.engine)
        except NewerSchemaError as error:
            raise StoreError(f"store '{masked_url(self.url)}': {error}") from None
        except (SQLAlchemyError, ImportError, ValueError) as error:
            raise self._error("cannot be opened", error) from None

    def _error(self, what: str, error: Exception) -> StoreError:
        """The message for people: the URL masked, the driver's reason without the SQL and its
        parameters (which hold the requests' data) and without any password."""
        if isinstance(error, ValueError):  # a URL's part that does not parse: may be a secret
            reason = "not a valid URL; e.g. sqlite:///register.sqlite or postgresql+psycopg://…"
        else:
            reason = self._reason(error)
        return StoreError(f"store '{masked_url(self.url)}' {what}: {reason}")

    def _reason(self, error: Exception) -> str:
        """A driver's reason in one line, without SQL, parameters or password."""
        reason = (str(getattr(error, "orig", None) or error).splitlines() or [""])[0][:300]
        return scrub(reason, self.url)

    @contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as error:
            raise self._error(what, error) from None

    def _sqlite_setup(self) -> None:
        from sqlalchemy import event

        @event.listens_for(self.engine, "connect")
        def _pragmas(connection, _record) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA busy_timeout = 30000")
            cursor.close()

    def _insert(self):
        name = self.engine.dialect.name
        if name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        elif name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            return None
        return insert(AssessmentRecord).on_conflict_do_nothing(
            index_elements=["workspace", "partnership_id", "profile_hash", "rules_version"]
        )

    def _rows(self, records: list[NewRecord]) -> list[dict]:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        return [
            {
                **vars(r),
                "source_file": without_control_characters(r.source_file, 500),
                "workspace": self.workspace,
                "user_id": self.user_id,
                "assessed_at": now,
            }
            for r in records
        ]

    def save(self, records: list[NewRecord]) -> Saved:
        """Store the records in one transaction; those already kept are skipped. If the
        database refuses one record's data, the others are stored one by one and the refused
        ones are returned with the reason."""
        if not records:
            return Saved()
        rows = self._rows(records)
        try:
            return Saved(stored=self._write(rows))
        except _RECORD_ERRORS:
            pass  # one record's data, most likely: written one by one below
        except SQLAlchemyError as error:
            raise self._error("cannot be written", error) from None
        saved = Saved()
        for index, row in enumerate(rows):
            try:
                saved.stored += self._write([row])
            except _RECORD_ERRORS as error:
                saved.refused.append((index, self._reason(error)))
            except SQLAlchemyError as error:
                raise self._error("cannot be written", error) from None
        return saved

    def _write(self, rows: list[dict]) -> int:
        statement = self._insert()
        with self.engine.begin() as connection:
            if statement is not None:
                done = connection.execute(statement.returning(AssessmentRecord.id), rows)
                return len(done.all())
            inserted = 0  # other databases: check, then insert, in the same transaction
            for row in rows:
                exists = connection.execute(
                    select(AssessmentRecord.id).where(
                        AssessmentRecord.workspace == row["workspace"],
                        AssessmentRecord.partnership_id == row["partnership_id"],
                        AssessmentRecord.profile_hash == row["profile_hash"],
                        AssessmentRecord.rules_version == row["rules_version"],
                    )
                ).first()
                if exists is None:
                    connection.execute(insert(AssessmentRecord), row)
                    inserted += 1
            return inserted

    def _mine(self):
        return AssessmentRecord.workspace == self.workspace

    def history(self, partnership_id: str) -> list[HistoryEntry]:
        """The assessments of one partnership in this workspace, oldest first."""
        with self._guard("cannot be read"), Session(self.engine) as session:
            rows = session.execute(
                select(
                    AssessmentRecord.assessed_at,
                    AssessmentRecord.verdict,
                    AssessmentRecord.next_step,
                    AssessmentRecord.rules_version,
                    AssessmentRecord.source_file,
                    AssessmentRecord.user_id,
                )
                .where(self._mine(), AssessmentRecord.partnership_id == partnership_id)
                .order_by(AssessmentRecord.assessed_at, AssessmentRecord.id)
            )
            return [HistoryEntry(**row._asdict()) for row in rows]

    def stale_ids(self, rules_version: str) -> list[int]:
        """Ids of the latest record of each partnership of this workspace assessed under other
        rules (read at once, before any write: SQLite would not let a write commit under an
        open read)."""
        newest = (
            select(func.max(AssessmentRecord.id))
            .where(self._mine())
            .group_by(AssessmentRecord.partnership_id)
        )
        with self._guard("cannot be read"), Session(self.engine) as session:
            query = (
                select(AssessmentRecord.id)
                .where(AssessmentRecord.id.in_(newest.scalar_subquery()))
                .where(AssessmentRecord.rules_version != rules_version)
                .order_by(AssessmentRecord.partnership_id)
            )
            return list(session.scalars(query))

    def records(self, ids: list[int]) -> list[AssessmentRecord]:
        """The records of this workspace with these ids, in the order of `ids` (an id of
        another workspace is not found)."""
        with self._guard("cannot be read"), Session(self.engine) as session:
            found = {
                r.id: r
                for r in session.scalars(
                    select(AssessmentRecord).where(self._mine(), AssessmentRecord.id.in_(ids))
                )
            }
            session.expunge_all()
        return [found[i] for i in ids if i in found]

    def count(self) -> int:
        """The number of assessments in this workspace."""
        with self._guard("cannot be read"), Session(self.engine) as session:
            query = select(func.count(AssessmentRecord.id)).where(self._mine())
            return session.scalar(query) or 0

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        self.engine.dispose()
