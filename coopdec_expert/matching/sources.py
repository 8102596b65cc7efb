"""Sheets from what people give: a YAML/JSON sheet (or a list under `sheets:`), or a CSV/XLSX
table of sheets — one entry point for the command line and the app. A file that cannot be used
at all is a `SourceProblem` (its message names why); rows left out come back as messages."""

from __future__ import annotations

from pathlib import Path

from ..i18n import t
from ..knowledge.loader import KnowledgeBase
from ..screening.table import TableError
from .sheet import Sheet, SheetError, sheets_from_bytes
from .table import read_sheet_table

TABLE_SUFFIXES = (".csv", ".xlsx")
SHEET_SUFFIXES = (".yaml", ".yml", ".json")
MAX_TABLE_BYTES = 50_000_000


class SourceProblem(SheetError):
    """A file of sheets that cannot be used at all, or an id given twice."""


def read_source(
    name: str, data: bytes, kb: KnowledgeBase, lang: str = "fr"
) -> tuple[list[tuple[Sheet, str]], list[str]]:
    """(sheet, where it comes from) for every good sheet of the file, and one message per row
    or column left out. Raises SourceProblem for a file that cannot be read."""
    if Path(name).suffix.lower() in TABLE_SUFFIXES or data.startswith(b"PK\x03\x04"):
        if len(data) > MAX_TABLE_BYTES:
            raise SourceProblem(
                [t(lang, "matching.problem.too_large", limit=MAX_TABLE_BYTES)], name
            )
        try:
            table = read_sheet_table(data, name, kb, lang)
        except TableError as error:
            raise SourceProblem([str(error)], name) from None
        left_out = list(table.warnings) + [
            t(lang, "matching.cli.row_error", file=name, row=e.row, id=e.sheet, message=e.message)
            for e in table.errors
        ]
        return [(s, name) for s in table.sheets], left_out
    try:
        return [(s, name) for s in sheets_from_bytes(name, data, kb, lang)], []
    except SheetError as error:
        raise SourceProblem(error.problems, name) from None


def merged(found: list[tuple[Sheet, str]], lang: str = "fr") -> list[Sheet]:
    """The sheets of several sources; an id given twice raises SourceProblem naming both."""
    origin: dict[str, str] = {}
    sheets = []
    for sheet, where in found:
        if sheet.id in origin:
            message = t(
                lang,
                "matching.problem.duplicate_id",
                id=sheet.id,
                first=origin[sheet.id],
                second=where,
            )
            raise SourceProblem([message], where)
        origin[sheet.id] = where
        sheets.append(sheet)
    return sheets
