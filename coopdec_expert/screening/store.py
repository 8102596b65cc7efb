"""The screening register: every assessment kept with its profile, result and rules version.

SQLAlchemy 2 so that a directorate can move from the default SQLite file to PostgreSQL by
changing a URL. A record is one row holding both the profile and the complete result, written in
a transaction per batch chunk: an interrupted batch leaves whole records or none. The unique
key (partnership id, hash of the profile, rules version) makes re-running a file a no-op.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import (
    DateTime,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    func,
    select,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from ..errors import CoopdecError
from ..profile import Profile

DEFAULT_STORE = "sqlite:///coopdec.sqlite"
STORE_ENV = "COOPDEC_STORE"


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
    """One assessment of one partnership: inputs, complete output, and where it came from."""

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


class HistoryEntry(BaseModel):
    """One line of `coopdec history`: when, what it said, with which rules, from which file."""

    assessed_at: dt.datetime
    verdict: str
    next_step: str
    rules_version: str
    source_file: str


def profile_hash(profile: Profile) -> str:
    """Hash of the answers and metadata, independent of key order."""
    data = profile.model_dump(mode="json")
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def store_url(value: str | None) -> str:
    """The store to use: the value given, else $COOPDEC_STORE, else ./coopdec.sqlite. A plain
    path means a SQLite file."""
    url = value or os.environ.get(STORE_ENV) or DEFAULT_STORE
    return url if "://" in url else f"sqlite:///{Path(url)}"


@dataclass
class NewRecord:
    partnership_id: str
    profile_hash: str
    rules_version: str
    source_file: str
    lang: str
    verdict: str
    next_step: str
    profile_json: str
    result_json: str


class Store:
    """A handle on the register; `save` is atomic per call and ignores records already kept."""

    def __init__(self, url: str | None = None):
        self.url = store_url(url)
        try:
            self.engine: Engine = create_engine(self.url)
            if self.engine.dialect.name == "sqlite":
                self._sqlite_setup()
            Base.metadata.create_all(self.engine)
        except (SQLAlchemyError, ImportError, ValueError) as error:
            raise self._error("cannot be opened", error) from None

    def _error(self, what: str, error: Exception) -> StoreError:
        """The message for people: the URL masked, the driver's reason without the SQL and its
        parameters (which hold the requests' data) and without any password."""
        if isinstance(error, ValueError):  # a URL's part that does not parse: may be a secret
            reason = "not a valid URL; e.g. sqlite:///register.sqlite or postgresql+psycopg://…"
        else:
            reason = (str(getattr(error, "orig", None) or error).splitlines() or [""])[0][:300]
        return StoreError(f"store '{masked_url(self.url)}' {what}: {scrub(reason, self.url)}")

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
            index_elements=["partnership_id", "profile_hash", "rules_version"]
        )

    def save(self, records: list[NewRecord]) -> int:
        """Store the records in one transaction; those already kept are skipped. Returns the
        number of new records."""
        if not records:
            return 0
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        rows = [{**vars(r), "assessed_at": now} for r in records]
        statement = self._insert()
        with self._guard("cannot be written"), self.engine.begin() as connection:
            if statement is not None:
                done = connection.execute(statement.returning(AssessmentRecord.id), rows)
                return len(done.all())
            inserted = 0  # other databases: check, then insert, in the same transaction
            for row in rows:
                exists = connection.execute(
                    select(AssessmentRecord.id).where(
                        AssessmentRecord.partnership_id == row["partnership_id"],
                        AssessmentRecord.profile_hash == row["profile_hash"],
                        AssessmentRecord.rules_version == row["rules_version"],
                    )
                ).first()
                if exists is None:
                    connection.execute(AssessmentRecord.__table__.insert(), row)
                    inserted += 1
            return inserted

    def history(self, partnership_id: str) -> list[HistoryEntry]:
        """The assessments of one partnership, oldest first."""
        with self._guard("cannot be read"), Session(self.engine) as session:
            records = session.scalars(
                select(AssessmentRecord)
                .where(AssessmentRecord.partnership_id == partnership_id)
                .order_by(AssessmentRecord.assessed_at, AssessmentRecord.id)
            )
            return [
                HistoryEntry(
                    assessed_at=r.assessed_at,
                    verdict=r.verdict,
                    next_step=r.next_step,
                    rules_version=r.rules_version,
                    source_file=r.source_file,
                )
                for r in records
            ]

    def stale_ids(self, rules_version: str) -> list[int]:
        """Ids of the latest record of each partnership assessed under other rules (read at
        once, before any write: SQLite would not let a write commit under an open read)."""
        newest = select(func.max(AssessmentRecord.id)).group_by(AssessmentRecord.partnership_id)
        with self._guard("cannot be read"), Session(self.engine) as session:
            query = (
                select(AssessmentRecord.id)
                .where(AssessmentRecord.id.in_(newest.scalar_subquery()))
                .where(AssessmentRecord.rules_version != rules_version)
                .order_by(AssessmentRecord.partnership_id)
            )
            return list(session.scalars(query))

    def records(self, ids: list[int]) -> list[AssessmentRecord]:
        """The records with these ids, in the order of `ids`."""
        with self._guard("cannot be read"), Session(self.engine) as session:
            found = {
                r.id: r
                for r in session.scalars(
                    select(AssessmentRecord).where(AssessmentRecord.id.in_(ids))
                )
            }
            session.expunge_all()
        return [found[i] for i in ids]

    def count(self) -> int:
        with self._guard("cannot be read"), Session(self.engine) as session:
            return session.scalar(select(func.count(AssessmentRecord.id))) or 0

    def close(self) -> None:
        self.engine.dispose()
