"""A directorate's table of presentation sheets (CSV as French Excel writes it — `;`, cp1252 or
UTF-8 with BOM — or XLSX): one sheet per row, read with the screening register's guarded readers
(screening/readers.py: hostile files refused, a broken row never hides or shifts another).

Columns: the Sheet's fields (id, side, name, country, kind, population, languages, stakes,
brings, seeks, motivations, actors, networks, partnerships, presentation.motivations,
presentation.territory, presentation.contributions) and the ids of the questions a sheet answers.
Lists are written `a | b` (or `a, b`); an actor `kind: Country / Town` with links joined by
`+`, e.g. `diaspora: France / Rezé + Belgique`. A row with a problem is reported (row number,
sheet id, field, allowed values) and kept out; every good row is read."""

from __future__ import annotations

import codecs
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..i18n import t
from ..inputs import shorten
from ..knowledge.loader import KnowledgeBase
from ..knowledge.models import UNKNOWN
from ..profile import ControlCharacter
from ..screening.readers import CsvRows, Refused, XlsxRows, looks_utf16, scan
from ..screening.table import COMMENT_PREFIX, UNKNOWN_WORDS, TableError, _separator, cell_text
from .sheet import SheetError, allowed_questions, validate_sheet

LIST_FIELDS = ("languages", "stakes", "brings", "seeks", "motivations", "networks", "partnerships")
TEXT_FIELDS = ("id", "side", "name", "country", "kind", "population")
PRESENTATION = ("presentation.motivations", "presentation.territory", "presentation.contributions")
COLUMNS = (*TEXT_FIELDS, *LIST_FIELDS, "actors", *PRESENTATION)
SIDE_WORDS = {"north": "north", "nord": "north", "south": "south", "sud": "south"}
_SAMPLE = 64 * 1024


@dataclass
class RowError:
    row: int
    sheet: str
    message: str


@dataclass
class SheetTable:
    sheets: list = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _items(text: str) -> list[str]:
    separator = "|" if "|" in text else ","
    return [part.strip() for part in text.split(separator) if part.strip()]


def _actors(text: str) -> list[dict]:
    actors = []
    for item in (part.strip() for part in text.split("|")):
        if not item:
            continue
        kind, _, rest = item.partition(":")
        links = []
        for link in (part.strip() for part in rest.split("+")):
            if link:
                country, _, place = link.partition("/")
                links.append({"country": country.strip(), "place": place.strip() or None})
        actors.append({"kind": kind.strip(), "links": links})
    return actors


def template_header(kb: KnowledgeBase) -> list[str]:
    questions = sorted(set(allowed_questions(kb, "north")) | set(allowed_questions(kb, "south")))
    return [*COLUMNS, *questions]


def row_to_data(cells: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    answers: dict[str, str] = {}
    presentation: dict[str, str] = {}
    for column, value in cells.items():
        if not value:
            continue
        if column in TEXT_FIELDS:
            data[column] = SIDE_WORDS.get(value.casefold(), value) if column == "side" else value
        elif column in LIST_FIELDS:
            data[column] = _items(value)
        elif column == "actors":
            data[column] = _actors(value)
        elif column in PRESENTATION:
            presentation[column.split(".", 1)[1]] = value
        else:
            answers[column] = UNKNOWN if value.casefold() in UNKNOWN_WORDS else value
    if answers:
        data["answers"] = answers
    if presentation:
        data["presentation"] = presentation
    return data


def read_sheet_table(
    source: Path | bytes, filename: str, kb: KnowledgeBase, lang: str = "fr"
) -> SheetTable:
    """Every row of the table as a sheet or a row error; TableError if the file as a whole
    cannot be read (not a table, no `id` column, hostile workbook)."""
    stream: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")
    try:
        return _read(stream, filename, kb, lang)
    except Refused as refused:
        values = {
            k: shorten(v, 200) if isinstance(v, str) else v for k, v in refused.values.items()
        }
        raise TableError(
            t(lang, f"screen.refuse.{refused.key}", file=shorten(filename, 200), **values)
        ) from None
    finally:
        stream.close()


def _records(stream: IO[bytes], filename: str, lang: str):
    head = stream.read(_SAMPLE)
    stream.seek(0)
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not head.strip():
        raise Refused("empty")
    if head.startswith(b"PK\x03\x04"):
        return iter(XlsxRows(stream)), "xlsx"
    if b"\x00" in head and not utf16:
        raise Refused("utf16" if looks_utf16(head) else "binary")
    encoding, _ = scan(stream, utf16)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="", errors="replace")
    first = text.readline(131_072)
    text.seek(0)
    return iter(CsvRows(text, _separator(first))), "csv"


def _read(stream: IO[bytes], filename: str, kb: KnowledgeBase, lang: str) -> SheetTable:
    records, kind = _records(stream, filename, lang)
    header_row = next(records, None)
    if header_row is None or header_row.broken:
        raise Refused("empty")
    headers = [cell_text(h).strip() for h in header_row.cells]
    while headers and not headers[-1]:
        headers.pop()
    if "id" not in [h.casefold() for h in headers]:
        raise Refused("no_id")
    known = set(COLUMNS) | set(kb.questions)
    columns: list[str | None] = []
    result = SheetTable()
    unknown = []
    for header in headers:
        name = header.casefold() if header.casefold() in COLUMNS else header
        if name in known and name not in columns:
            columns.append(name)
        else:
            columns.append(None)
            if header:
                unknown.append(header)
    if unknown:
        result.warnings.append(
            t(lang, "screen.cli.unknown_columns", columns=", ".join(shorten(u) for u in unknown))
        )
    first_row: dict[str, int] = {}
    for raw in records:
        if raw.broken:
            message = t(lang, f"screen.problem.{raw.broken}", **raw.details)
            result.errors.append(RowError(raw.number, "", message))
            continue
        values = [cell_text(v).strip() for v in raw.cells]
        if kind == "csv" and values and len(values) != len(headers) and any(values):
            message = t(
                lang,
                "screen.problem.cell_count",
                count=len(values),
                width=len(headers),
                line=raw.line,
            )
            result.errors.append(RowError(raw.number, "", message))
            continue
        cells = {c: v for c, v in zip(columns, values, strict=False) if c is not None}
        sheet_id = cells.get("id", "")
        if not any(values) or sheet_id.startswith(COMMENT_PREFIX):
            continue
        if raw.formulas:
            message = t(lang, "screen.problem.formula", column="?", cell=raw.number)
            result.errors.append(RowError(raw.number, sheet_id, message))
            continue
        if sheet_id in first_row:
            message = t(
                lang, "screen.problem.duplicate_id", value=sheet_id, first=first_row[sheet_id]
            )
            result.errors.append(RowError(raw.number, sheet_id, message))
            continue
        try:
            sheet = validate_sheet(row_to_data(cells), kb, f"row {raw.number}", lang)
        except SheetError as error:
            result.errors.extend(RowError(raw.number, sheet_id, p) for p in error.problems)
            continue
        except ControlCharacter as error:
            result.errors.append(RowError(raw.number, sheet_id, str(error)))
            continue
        first_row[sheet_id] = raw.number
        result.sheets.append(sheet)
    return result
