"""Raw rows of a CSV or XLSX table, read so that one broken row never hides or shifts another.

CSV: a quote left open would swallow every later line into one cell, and one cell over the csv
module's 131,072-character limit would stop the whole file. Here a record may span at most
MAX_RECORD_LINES lines and MAX_CELL_CHARS characters; a record that breaks a rule becomes one
broken row (named by its row and line), and the lines it swallowed are read again as rows.

XLSX: a workbook is a zip of XML; a 2 MB file can expand to gigabytes, or declare a sheet of a
million rows by 16,384 columns that openpyxl would pad cell by cell. The archive's sizes and the
sheet's declared dimensions are checked before reading; rows are then read with openpyxl's own
cell parser, but without padding, each row capped at MAX_COLUMNS cells.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from ..inputs import MAX_NUMBER_DIGITS, TooLongNumber

MAX_COLUMNS = 1_000  # the template has ~70; a header or an XLSX row beyond this is refused
MAX_CELL_CHARS = 131_072  # the csv module's own field limit; notes hold at most 10,000
MAX_RECORD_LINES = 100  # lines one CSV record may span (cells with line breaks)
MAX_REREADS = 1_000  # broken CSV records whose lines are read again (then: reported as one)
MAX_XLSX_UNCOMPRESSED = 100 * 1024 * 1024  # ~25,000 complete rows; larger registers: CSV
MAX_XLSX_RATIO = 100  # uncompressed / compressed of a member over 1 MB (real sheets: 5-20)
MAX_XLSX_MEMBERS = 10_000
MAX_XLSX_ROWS = 1_048_576  # Excel's own limit
MAX_XLSX_PART = 16 * 1024 * 1024  # workbook.xml, styles.xml…: parsed whole by openpyxl
MAX_XLSX_STRINGS = 1_000_000  # distinct texts of a workbook (~25,000 rows have < 200,000)


class Refused(Exception):
    """The file as a whole cannot be read: `key` under `screen.refuse.`, `values` for it."""

    def __init__(self, key: str, **values: Any):
        self.key = key
        self.values = values
        super().__init__(key)


@dataclass
class RawRow:
    """One row as read: its number in the spreadsheet (header = 1) and its cells, or why it
    could not be read (`broken`, a key under `screen.problem.`, with `details`)."""

    number: int
    cells: list[Any] = field(default_factory=list)
    line: int | None = None  # CSV: the file's line where the row starts
    broken: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    formulas: list[int] = field(default_factory=list)  # XLSX: formulas never calculated
    extra: list[int] = field(default_factory=list)  # XLSX: filled cells beyond the header


# --- encodings ---------------------------------------------------------------------------


def looks_utf16(head: bytes) -> bool:
    """UTF-16 without a byte-order mark: NUL bytes at every other position (Latin text)."""
    even, odd = head[0::2], head[1::2]
    if len(odd) < 8:
        return False
    return max(even.count(0), odd.count(0)) > 0.4 * len(odd) > min(even.count(0), odd.count(0))


def scan(stream: IO[bytes], utf16: bool = False) -> tuple[str, int]:
    """One streaming pass: the encoding — UTF-16 when it has its byte-order mark, UTF-8 (BOM or
    not) when the whole file decodes as such, else cp1252 (French Excel) — and the number of
    lines, for the progress bar."""
    if utf16:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(1 << 20), b""))
        stream.seek(0)
        return "utf-16", lines
    decoder = codecs.getincrementaldecoder("utf-8")()
    encoding = "utf-8-sig" if stream.read(3) == codecs.BOM_UTF8 else "utf-8"
    stream.seek(0)
    lines = 0
    while chunk := stream.read(1 << 20):
        lines += chunk.count(b"\n")
        if encoding != "cp1252":
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                encoding = "cp1252"
    if encoding != "cp1252":
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            encoding = "cp1252"
    stream.seek(0)
    return encoding, lines


# --- CSV ---------------------------------------------------------------------------------


class _RecordTooLong(Exception):
    def __init__(self, lines: bool):
        self.lines = lines  # too many lines (else: too many characters)


class _Lines:
    """The physical lines of a text, handed to csv.reader one at a time, each at most
    MAX_CELL_CHARS long (the rest of a longer line is skipped, never held in memory); those of
    a broken record can be pushed back to be read again."""

    def __init__(self, text: IO[str]):
        self._text = text
        self._pending: deque[tuple[int, str | None]] = deque()
        self._read = 0
        self.taken: list[tuple[int, str | None]] = []  # (line number, text) since mark()
        self._chars = 0

    def mark(self) -> None:
        self.taken = []
        self._chars = 0

    @property
    def next_line(self) -> int:
        return self._pending[0][0] if self._pending else self._read + 1

    def push_back(self, lines: list[tuple[int, str | None]]) -> None:
        self._pending.extendleft(reversed(lines))

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if len(self.taken) >= MAX_RECORD_LINES:
            raise _RecordTooLong(lines=True)
        if self._pending:
            number, line = self._pending.popleft()
        else:
            line = self._text.readline(MAX_CELL_CHARS + 1)
            if not line:
                raise StopIteration
            self._read += 1
            number = self._read
            if len(line) > MAX_CELL_CHARS:
                while line and not line.endswith(("\n", "\r")):
                    line = self._text.readline(MAX_CELL_CHARS + 1)
                line = None  # too long: what is left of it is the marker
        self.taken.append((number, line))
        if line is None:
            raise _RecordTooLong(lines=False)
        self._chars += len(line)
        if self._chars > MAX_CELL_CHARS:
            raise _RecordTooLong(lines=False)
        return line


class CsvRows:
    """The records of a CSV text as RawRows numbered as a spreadsheet shows them (the header
    is row 1; a cell with line breaks keeps its row one row)."""

    def __init__(self, text: IO[str], delimiter: str):
        self._lines = _Lines(text)
        self._delimiter = delimiter
        self._rereads = 0

    def __iter__(self) -> Iterator[RawRow]:
        reader = csv.reader(self._lines, delimiter=self._delimiter, strict=True)
        number = 0
        while True:
            self._lines.mark()
            start = self._lines.next_line
            try:
                record = next(reader)
            except StopIteration:
                return
            except (csv.Error, _RecordTooLong) as error:
                broken = self._broken(number + 1, start, error)
                number += 1 + broken.details.get("last", start) - start  # a block: its lines
                yield broken
                reader = csv.reader(self._lines, delimiter=self._delimiter, strict=True)
                continue
            number += 1
            yield RawRow(number, record, line=start)

    def _broken(self, number: int, start: int, error: Exception) -> RawRow:
        """The row that could not be read; the lines after its first are read again (up to
        MAX_REREADS times: then they are named in this row's error instead)."""
        taken = self._lines.taken
        last = taken[-1][0] if taken else start
        details: dict[str, object]
        if isinstance(error, _RecordTooLong) and not error.lines and last == start:
            kind, details = "too_long", {"limit": MAX_CELL_CHARS}
        elif isinstance(error, _RecordTooLong) or "end of data" in str(error):
            kind, details = "unclosed_quote", {"lines": MAX_RECORD_LINES}
        else:
            kind, details = "bad_quote", {"reason": str(error)}
        if self._rereads < MAX_REREADS:
            self._rereads += 1
            self._lines.push_back(taken[1:])
        elif last > start:  # too many broken records to read each again: named as a block
            kind, details = "unread_lines", {"last": last, "limit": MAX_REREADS}
        return RawRow(number, line=start, broken=kind, details={"line": start, **details})


# --- XLSX --------------------------------------------------------------------------------


def check_archive(stream: IO[bytes]) -> None:
    """Refuse a workbook whose zip would expand beyond the caps, before any XML is read."""
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise Refused("xlsx", reason=type(error).__name__) from None
    finally:
        stream.seek(0)
    if len(members) > MAX_XLSX_MEMBERS:
        raise Refused("xlsx", reason=f"{len(members)} files in the archive")
    total = sum(member.file_size for member in members)
    mb = 1024 * 1024
    if total > MAX_XLSX_UNCOMPRESSED:
        raise Refused(
            "xlsx_too_big", size=round(total / mb), limit=round(MAX_XLSX_UNCOMPRESSED / mb)
        )
    for member in members:
        if member.file_size > mb and member.file_size > MAX_XLSX_RATIO * member.compress_size:
            ratio = member.file_size // max(member.compress_size, 1)
            raise Refused("xlsx_bomb", ratio=ratio, limit=MAX_XLSX_RATIO)
        streamed = member.filename.startswith("xl/worksheets/") or member.filename.endswith(
            "sharedStrings.xml"
        )
        parsed_whole = member.filename.endswith((".xml", ".rels")) and not streamed
        if parsed_whole and member.file_size > MAX_XLSX_PART:
            raise Refused(
                "xlsx_part",
                part=member.filename,
                size=round(member.file_size / mb),
                limit=round(MAX_XLSX_PART / mb),
            )


def _sheet_parser_class():
    """openpyxl's worksheet parser (the one its read-only sheets use), with two changes: a
    formula never calculated (no cached value) is marked instead of read as an empty cell,
    and an integer too long for Python becomes TooLongNumber instead of a ValueError."""
    from openpyxl.worksheet._reader import (
        CELL_TAG,
        FORMULA_TAG,
        ROW_TAG,
        VALUE_TAG,
        WorkSheetParser,
    )
    from openpyxl.xml.functions import iterparse

    class SheetParser(WorkSheetParser):
        def parse_cell(self, element):
            value = element.find(VALUE_TAG)
            too_long = None
            if value is not None and value.text and element.get("t", "n") == "n":
                digits = sum(char.isdigit() for char in value.text)
                if digits > MAX_NUMBER_DIGITS:
                    too_long, value.text = TooLongNumber(digits), "0"
            cell = super().parse_cell(element)
            if too_long is not None:
                cell["value"] = too_long
            elif cell["value"] is None and element.find(FORMULA_TAG) is not None:
                cell["data_type"] = "formula_not_calculated"
            return cell

        def rows(self) -> Iterator[tuple[int, list[dict] | None]]:
            """(row number, its cells) per <row>; cells None when the row holds more than
            MAX_COLUMNS of them (those beyond are dropped as they are parsed)."""
            row_element = parent = None
            count = 0
            for event, element in iterparse(self.source, events=("start", "end")):
                if event == "start":
                    if element.tag == ROW_TAG:
                        row_element, count = element, 0
                    elif parent is None and element.tag.endswith("}sheetData"):
                        parent = element
                    continue
                if element.tag == CELL_TAG and row_element is not None:
                    count += 1
                    if count > MAX_COLUMNS:
                        del row_element[-1]  # memory stays flat whatever the row holds
                elif element.tag == ROW_TAG:
                    try:
                        number, cells = self.parse_row(element)
                    except (ValueError, IndexError, KeyError, TypeError):
                        self.row_counter += 1
                        number, cells = self.row_counter, None
                    yield number, (None if count > MAX_COLUMNS else cells)
                    element.clear()
                    if parent is not None and len(parent) and parent[0] is element:
                        del parent[0]
                    row_element = None

    return SheetParser


def _shared_strings(source: IO[bytes]) -> list[str]:
    """The workbook's table of texts, as openpyxl reads it, but each entry dropped from the
    XML tree once read (openpyxl keeps them all) and at most MAX_XLSX_STRINGS of them: a 10 MB
    workbook of 4 million short texts took 680 MB."""
    from openpyxl.cell.text import Text
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    entry = f"{{{SHEET_MAIN_NS}}}si"
    strings: list[str] = []
    root = None
    for event, element in iterparse(source, events=("start", "end")):
        if event == "start":
            root = element if root is None else root
            continue
        if element.tag != entry:
            continue
        if len(strings) >= MAX_XLSX_STRINGS:
            raise Refused("xlsx_strings", limit=MAX_XLSX_STRINGS)
        strings.append(Text.from_tree(element).content.replace("x005F_", ""))
        element.clear()
        if root is not None and len(root) and root[0] is element:
            del root[0]
    return strings


class XlsxRows:
    """The first sheet of a workbook as RawRows, after the archive and the sheet's declared
    size were checked. Raises Refused (at opening, or mid-way if the XML breaks)."""

    def __init__(self, stream: IO[bytes]):
        self.width: int | None = None  # the header's, once read: cells beyond are `extra`
        self._archive: zipfile.ZipFile | None = None
        self._parser: Any = None  # openpyxl's WorkSheetParser, made below
        check_archive(stream)
        try:
            workbook, path = self._open(stream)
            rows, columns = self._declared_size(path)
        except Exception as error:  # any broken zip or XML is "not a workbook"
            self.close()
            if isinstance(error, Refused):
                raise
            raise Refused("xlsx", reason=type(error).__name__) from None
        if rows > MAX_XLSX_ROWS or columns > MAX_COLUMNS:
            self.close()
            raise Refused(
                "xlsx_dimension",
                rows=rows,
                columns=columns,
                max_rows=MAX_XLSX_ROWS,
                max_columns=MAX_COLUMNS,
            )
        self.estimated_rows = max(rows - 1, 0) if rows else None
        assert self._archive is not None  # set by _open
        self._parser = _sheet_parser_class()(
            self._archive.open(path),
            self._strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )

    def _open(self, stream: IO[bytes]):
        """What openpyxl's load_workbook reads, but not the sheets: a read-only worksheet
        scans its whole sheet for a size when the <dimension> tag is missing, building the
        XML tree of every cell (700 MB for a 17 MB file)."""
        from openpyxl.reader.excel import ExcelReader
        from openpyxl.styles.stylesheet import apply_stylesheet
        from openpyxl.xml.constants import SHARED_STRINGS

        reader = ExcelReader(stream, read_only=True, data_only=True)
        self._archive = reader.archive
        reader.read_manifest()
        part = reader.package.find(SHARED_STRINGS)
        self._strings: list[str] = []
        if part is not None:
            with reader.archive.open(part.PartName[1:]) as source:
                self._strings = _shared_strings(source)
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)  # which cells hold dates
        for _sheet, relation in reader.parser.find_sheets():
            if relation.target in reader.valid_files and "chartsheet" not in relation.Type:
                return reader.wb, relation.target
        raise Refused("xlsx", reason="no worksheet")

    def _declared_size(self, path: str) -> tuple[int, int]:
        """(rows, columns) of the sheet's <dimension>, read up to <sheetData> only."""
        from openpyxl.utils.cell import range_boundaries
        from openpyxl.xml.functions import iterparse

        assert self._archive is not None  # set by _open
        with self._archive.open(path) as source:
            for event, element in iterparse(source, events=("start", "end")):
                tag = element.tag.rsplit("}", 1)[-1]
                if event == "start" and tag == "sheetData":
                    break
                if event == "end" and tag == "dimension":
                    _, _, columns, rows = range_boundaries(element.get("ref", "A1"))
                    return rows or 0, columns or 0
        return 0, 0

    def __iter__(self) -> Iterator[RawRow]:
        rows = self._parser.rows()
        number = 0
        while True:
            try:
                found = next(rows)
            except StopIteration:
                return
            except Exception as error:  # broken XML: nothing after it can be read
                raise Refused("xlsx_broken", row=number + 1, reason=type(error).__name__) from None
            number, cells = found
            if cells is None:
                yield RawRow(number, broken="too_wide", details={"limit": MAX_COLUMNS})
                continue
            limit = self.width if self.width is not None else MAX_COLUMNS + 1
            width = min(max((cell["column"] for cell in cells), default=0), limit)
            row = RawRow(number, [None] * width)
            for cell in cells:
                index = cell["column"] - 1
                if index >= limit:
                    if cell["value"] not in (None, ""):
                        row.extra.append(index)
                    continue
                row.cells[index] = cell["value"]
                if cell["data_type"] == "formula_not_calculated":
                    row.formulas.append(index)
            yield row

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()
