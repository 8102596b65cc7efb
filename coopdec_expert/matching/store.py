"""The register of presentation sheets: the screening register's database (SQLite by default,
PostgreSQL by URL, schema by the same locked migrations), table `coopdec_sheets` (migration
0003). Each changed sheet is a new version; matching reads the latest version of each sheet of
the workspace; `history` lists a sheet's versions."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ValidationError
from sqlalchemy import DateTime, Integer, LargeBinary, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..knowledge.loader import KnowledgeBase
from ..screening.store import (
    Base,
    Store,
    content_hash,
    pack,
    unpack,
    without_control_characters,
)
from .sheet import Sheet, SheetError, sheet_problems


class SheetRecord(Base):
    """One version of one sheet in one workspace (created by migration 0003)."""

    __tablename__ = "coopdec_sheets"
    __table_args__ = (
        UniqueConstraint("workspace", "sheet_id", "sheet_hash", name="uq_coopdec_sheet"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace: Mapped[str] = mapped_column(String(64))
    sheet_id: Mapped[str] = mapped_column(String(200))
    sheet_hash: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(5))
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(100))
    stored_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC
    source_file: Mapped[str] = mapped_column(String(500))
    user_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    sheet_z: Mapped[bytes] = mapped_column(LargeBinary)


class SheetVersion(BaseModel):
    stored_at: dt.datetime
    name: str
    side: str
    source_file: str
    user_id: str | None = None
    sheet: Sheet


class SheetStore(Store):
    """A handle on one workspace's sheets (same URL, workspace and user rules as Store)."""

    def save_sheets(self, sheets: list[Sheet], source_file: str) -> int:
        """Store the sheets that changed, in one transaction; returns how many were new."""
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        stored = 0
        with self._guard("cannot be written"), Session(self.engine) as session, session.begin():
            for sheet in sheets:
                digest = content_hash(sheet)
                exists = session.scalar(
                    select(SheetRecord.id).where(
                        self._mine_sheets(),
                        SheetRecord.sheet_id == sheet.id,
                        SheetRecord.sheet_hash == digest,
                    )
                )
                if exists is not None:
                    continue
                session.add(
                    SheetRecord(
                        workspace=self.workspace,
                        sheet_id=sheet.id,
                        sheet_hash=digest,
                        side=sheet.side,
                        name=sheet.name,
                        country=sheet.country,
                        stored_at=now,
                        source_file=without_control_characters(source_file, 500),
                        user_id=self.user_id,
                        sheet_z=pack(sheet.model_dump_json()),
                    )
                )
                stored += 1
        return stored

    def _mine_sheets(self):
        return SheetRecord.workspace == self.workspace

    def latest(self, kb: KnowledgeBase, lang: str = "en") -> list[Sheet]:
        """The latest version of every sheet of the workspace, by id. A stored sheet the
        current rules no longer accept (a term removed) raises SheetError naming it."""
        newest = (
            select(func.max(SheetRecord.id))
            .where(self._mine_sheets())
            .group_by(SheetRecord.sheet_id)
        )
        with self._guard("cannot be read"), Session(self.engine) as session:
            rows = session.scalars(
                select(SheetRecord.sheet_z)
                .where(SheetRecord.id.in_(newest.scalar_subquery()))
                .order_by(SheetRecord.sheet_id)
            ).all()
        sheets, problems = [], []
        for data in rows:
            try:
                sheet = Sheet.model_validate_json(unpack(data))
            except ValidationError as error:
                problems.append(str(error).splitlines()[0])
                continue
            found = sheet_problems(sheet, kb, lang)
            if found:
                problems.append(f"{sheet.id}: " + "; ".join(found))
            sheets.append(sheet)
        if problems:
            raise SheetError(problems, "register")
        return sheets

    def sheet_history(self, sheet_id: str) -> list[SheetVersion]:
        """Every stored version of one sheet, oldest first."""
        with self._guard("cannot be read"), Session(self.engine) as session:
            rows = (
                session.execute(
                    select(SheetRecord)
                    .where(self._mine_sheets(), SheetRecord.sheet_id == sheet_id)
                    .order_by(SheetRecord.stored_at, SheetRecord.id)
                )
                .scalars()
                .all()
            )
            return [
                SheetVersion(
                    stored_at=r.stored_at,
                    name=r.name,
                    side=r.side,
                    source_file=r.source_file,
                    user_id=r.user_id,
                    sheet=Sheet.model_validate_json(unpack(r.sheet_z)),
                )
                for r in rows
            ]
