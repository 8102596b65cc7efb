"""Read a table of partnership requests (CSV, XLSX or JSON), one row at a time.

Ministries export their registers from Excel: `;` or `,` separators, UTF-8 with or without BOM
or cp1252, headers that are question ids or question texts, cells that are option ids or labels.
Every row becomes either a validated `Profile` or the list of its problems, each naming the row
as the user sees it in the spreadsheet (header = row 1), the column, the value and what is
allowed — so one bad row never stops the batch. CSV and XLSX are streamed; JSON is a list of
profiles read at once (it is meant for tool-to-tool exchanges, not registers of 100,000 rows).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ValidationError

from ..i18n import catalogue, t
from ..knowledge.loader import KnowledgeBase
from ..knowledge.models import UNKNOWN
from ..profile import Profile, check_answers

META_COLUMNS: tuple[str, ...] = (
    "id",
    "title",
    "requester",
    "north_name",
    "north_country",
    "north_kind",
    "south_name",
    "south_country",
    "south_kind",
    "kind",
    "date",
    "notes",
)
UNKNOWN_WORDS = ("unknown", "ne sait pas", "don't know", "dont know", "nsp", "inconnu")
REQUESTER_WORDS = {"north": "north", "nord": "north", "south": "south", "sud": "south"}
COMMENT_PREFIX = "#"  # a row whose id starts with it is a help row (the template's second row)
MAX_JSON_BYTES = 50_000_000
_SAMPLE = 64 * 1024
_SPACES = re.compile(r"\s+")
_FR_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


class TableError(ValueError):
    """The file is not a table of requests at all; one message for the user, exit code 2."""


class RowProblem(BaseModel):
    """Why a row was skipped: row as numbered in the spreadsheet, column, value, allowed."""

    row: int
    column: str
    value: str
    problem: str
    allowed: list[str] = []


@dataclass
class Row:
    """One data row: a profile when valid, else the problems found (never both)."""

    number: int
    profile: Profile | None
    problems: list[RowProblem] = field(default_factory=list)


def normalise(text: object) -> str:
    """Case-, space- and apostrophe-insensitive form used to match headers and labels."""
    value = unicodedata.normalize("NFKC", str(text)).replace("’", "'").replace("\u00a0", " ")
    return _SPACES.sub(" ", value).strip().casefold().rstrip(" ?:").strip()


class Vocabulary:
    """What headers and cells may say: ids, and question texts and option labels in fr or en."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.headers: dict[str, str] = {}
        for column in META_COLUMNS:
            self.headers[normalise(column)] = column
            for lang in ("fr", "en"):
                self.headers.setdefault(normalise(t(lang, f"screen.col.{column}")), column)
        self.options: dict[str, dict[str, str]] = {}
        unknown_labels = [catalogue(lang)["option.unknown"] for lang in ("fr", "en")]
        for question in kb.questions.values():
            self.headers[normalise(question.id)] = question.id
            for lang in ("fr", "en"):
                self.headers.setdefault(normalise(question.text.get(lang)), question.id)
            table: dict[str, str] = {}
            for option in question.options:
                table[normalise(option.id)] = option.id
                for lang in ("fr", "en"):
                    table.setdefault(normalise(option.label.get(lang)), option.id)
            if question.accepts_unknown:
                for word in (*UNKNOWN_WORDS, *unknown_labels):
                    table.setdefault(normalise(word), UNKNOWN)
            self.options[question.id] = table

    def column(self, header: object) -> str | None:
        return self.headers.get(normalise(header)) if header is not None else None

    def option(self, question_id: str, value: str) -> str | None:
        return self.options[question_id].get(normalise(value))

    def allowed(self, question_id: str) -> list[str]:
        question = self.kb.questions[question_id]
        return question.option_ids() + ([UNKNOWN] if question.accepts_unknown else [])


def cell_text(value: object) -> str:
    """A spreadsheet cell as text: integral numbers without '.0', dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _parse_date(text: str) -> str:
    """ISO dates pass as they are; French exports give dd/mm/yyyy."""
    match = _FR_DATE.match(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
        return f"{year:04d}-{month:02d}-{day:02d}"
    return text


class RowBuilder:
    """Turns raw cells (column id -> (header as typed, text)) into a Row."""

    def __init__(self, kb: KnowledgeBase, lang: str):
        self.kb = kb
        self.lang = lang
        self.vocabulary = Vocabulary(kb)

    def problem(
        self, row: int, column: str, value: str, key: str, allowed=(), **extra
    ) -> RowProblem:
        text = t(self.lang, f"screen.problem.{key}", column=column, value=value, **extra)
        return RowProblem(row=row, column=column, value=value, problem=text, allowed=list(allowed))

    def from_cells(self, number: int, cells: dict[str, tuple[str, str]]) -> Row:
        """A spreadsheet row: meta columns and one column per question."""
        problems: list[RowProblem] = []
        header_of = {column: header for column, (header, _) in cells.items()}
        values = {column: text.strip() for column, (_, text) in cells.items()}
        if not values.get("id"):
            problems.append(self.problem(number, header_of.get("id", "id"), "", "missing_id"))
        answers: dict[str, str] = {}
        for question_id in self.kb.questions:
            raw = values.get(question_id, "")
            if not raw:
                continue
            option = self.vocabulary.option(question_id, raw)
            if option is None:
                allowed = self.vocabulary.allowed(question_id)
                problems.append(
                    self.problem(number, header_of[question_id], raw, "option", allowed)
                )
            else:
                answers[question_id] = option
        data: dict[str, Any] = {"answers": answers}
        for column in ("id", "title", "kind", "notes", "date"):
            if values.get(column):
                data[column] = _parse_date(values[column]) if column == "date" else values[column]
        if values.get("requester"):
            requester = values["requester"]
            data["requester"] = REQUESTER_WORDS.get(normalise(requester), requester)
        for side in ("north", "south"):
            government = {
                part: values[f"{side}_{part}"]
                for part in ("name", "country", "kind")
                if values.get(f"{side}_{part}")
            }
            if government:
                data[side] = government
        return self._validate(number, data, problems, header_of, values)

    def from_profile(self, number: int, item: dict) -> Row:
        """A JSON item in the profile format (`answers` mapping); labels accepted as values."""
        problems: list[RowProblem] = []
        answers = item.get("answers")
        if isinstance(answers, dict):
            converted = {}
            for question_id, raw in answers.items():
                if question_id not in self.kb.questions:
                    problems.append(
                        self.problem(number, f"answers.{question_id}", str(raw), "question")
                    )
                    continue
                option = self.vocabulary.option(question_id, str(raw)) if raw is not None else None
                if option is None:
                    allowed = self.vocabulary.allowed(question_id)
                    problems.append(
                        self.problem(number, question_id, cell_text(raw), "option", allowed)
                    )
                else:
                    converted[question_id] = option
            item = {**item, "answers": converted}
        if not str(item.get("id") or "").strip():
            problems.append(self.problem(number, "id", "", "missing_id"))
        return self._validate(number, item, problems, {}, {})

    def _validate(self, number, data, problems, header_of, values) -> Row:
        try:
            profile = Profile.model_validate(data)
        except ValidationError as error:
            for detail in error.errors():
                path = [str(p) for p in detail["loc"]]
                column = "_".join(path[:2]) if path[0] in ("north", "south") else path[0]
                if column in ("north", "south"):  # the whole object: name or country missing
                    column = f"{column}_name"
                shown = values.get(column, cell_text(detail.get("input", "")))
                if isinstance(detail.get("input"), dict | list):
                    shown = ""
                problems.append(
                    self.problem(
                        number,
                        header_of.get(column, column),
                        str(shown),
                        "field",
                        message=detail["msg"],
                    )
                )
            return Row(number, None, problems)
        if problems:
            return Row(number, None, problems)
        leftovers = check_answers(profile.answers, self.kb)  # a safety net: must be empty
        if leftovers:
            return Row(
                number,
                None,
                [self.problem(number, "answers", "", "other", message=p) for p in leftovers],
            )
        return Row(number, profile)


# --- opening a file ---------------------------------------------------------------------


def _scan(stream: IO[bytes]) -> tuple[str, int]:
    """One streaming pass: the encoding — UTF-8 (BOM or not) when the whole file decodes as
    such, else cp1252 (French Excel) — and the number of lines, for the progress bar."""
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


def _separator(header_line: str) -> str:
    """The separator of the header line: the most frequent of ; , tab."""
    counts = {sep: header_line.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=counts.__getitem__)


class RequestTable:
    """An opened table of requests: its columns, warnings and a stream of Rows.

    `source` is a path or the bytes of an upload; `filename` decides nothing by itself, the
    content does (a `.csv` that is really a zip is refused)."""

    def __init__(self, source: Path | bytes, filename: str, kb: KnowledgeBase, lang: str = "fr"):
        self.filename = filename
        self.lang = lang
        self.builder = RowBuilder(kb, lang)
        self.unknown_columns: list[str] = []
        self.duplicate_columns: list[str] = []  # headers naming a column already given
        self.estimated_rows: int | None = None
        self._stream: IO[bytes] = (
            io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")
        )
        try:
            self._open()
        except Exception:
            self.close()
            raise

    def _refuse(self, key: str, **values: object) -> TableError:
        return TableError(t(self.lang, f"screen.refuse.{key}", file=self.filename, **values))

    def _open(self) -> None:
        head = self._stream.read(_SAMPLE)
        self._stream.seek(0)
        if not head.strip():
            raise self._refuse("empty")
        if head.startswith(b"PK\x03\x04"):
            self.kind = "xlsx"
            self._open_xlsx()
            return
        if b"\x00" in head:
            raise self._refuse("binary")
        stripped = head.lstrip(codecs.BOM_UTF8).lstrip()
        if self.filename.lower().endswith(".json") or stripped[:1] in (b"[", b"{"):
            self.kind = "json"
            self._open_json()
            return
        self.kind = "csv"
        self._open_csv()

    def _check_header(self, header: list[object]) -> None:
        columns = [self.builder.vocabulary.column(h) for h in header]
        named = [h for h in header if cell_text(h).strip()]
        if len(named) < 2:
            raise self._refuse("one_column")
        if "id" not in columns:
            if not any(columns):
                raise self._refuse("no_known_column")
            raise self._refuse("no_id")
        self.headers = [cell_text(h).strip() for h in header]
        seen: set[str] = set()
        for index, column in enumerate(columns):
            if column is not None and column in seen:  # the same question twice: keep the first
                columns[index] = None
                self.duplicate_columns.append(self.headers[index])
            seen.add(column)
        self.columns = columns
        self.unknown_columns = [
            h
            for h, c in zip(self.headers, columns, strict=True)
            if c is None and h and h not in self.duplicate_columns
        ]

    # CSV ------------------------------------------------------------------------------
    def _open_csv(self) -> None:
        encoding, lines = _scan(self._stream)
        self.estimated_rows = max(lines - 1, 0)
        text = io.TextIOWrapper(self._stream, encoding=encoding, newline="", errors="replace")
        first = text.readline()
        text.seek(0)
        self._text = text
        self._reader = csv.reader(text, delimiter=_separator(first))
        try:
            header = next(self._reader)
        except (StopIteration, csv.Error):
            raise self._refuse("empty") from None
        self._check_header(header)

    # XLSX -----------------------------------------------------------------------------
    def _open_xlsx(self) -> None:
        import openpyxl

        try:
            self._workbook = openpyxl.load_workbook(self._stream, read_only=True, data_only=True)
            sheet = self._workbook.worksheets[0]
            self._xlsx_rows = sheet.iter_rows(values_only=True)
            header = list(next(self._xlsx_rows, ()) or ())
        except Exception as error:  # any broken zip or XML is "not a workbook"
            raise self._refuse("xlsx", reason=type(error).__name__) from None
        while header and header[-1] is None:
            header.pop()
        self.estimated_rows = max((sheet.max_row or 1) - 1, 0) if sheet.max_row else None
        self._check_header(header)

    # JSON -----------------------------------------------------------------------------
    def _open_json(self) -> None:
        raw = self._stream.read(MAX_JSON_BYTES + 1)
        if len(raw) > MAX_JSON_BYTES:
            raise self._refuse("json_too_big", limit=MAX_JSON_BYTES)
        try:
            data = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise self._refuse("json") from None
        if not isinstance(data, list) or not data or not all(isinstance(i, dict) for i in data):
            raise self._refuse("json")
        self._items = data
        self.estimated_rows = len(data)
        self.columns, self.headers = [], []
        known = set(META_COLUMNS) | {"answers", "north", "south"}
        flat_keys = {k for item in data for k in item if "answers" not in item}
        for key in sorted({k for item in data if "answers" in item for k in item} - known):
            self.unknown_columns.append(key)
        for key in sorted(flat_keys):
            if self.builder.vocabulary.column(key) is None:
                self.unknown_columns.append(key)

    def warnings(self) -> list[str]:
        """Columns read from the header but ignored, as messages for the user."""
        messages = []
        if self.unknown_columns:
            columns = ", ".join(self.unknown_columns)
            messages.append(t(self.lang, "screen.cli.unknown_columns", columns=columns))
        if self.duplicate_columns:
            columns = ", ".join(self.duplicate_columns)
            messages.append(t(self.lang, "screen.cli.duplicate_columns", columns=columns))
        return messages

    # rows -----------------------------------------------------------------------------
    def rows(self) -> Iterator[Row]:
        """Every data row, in file order; help rows (id starting with '#') and blank rows are
        skipped. Numbers are spreadsheet rows (header = 1) or JSON positions (first = 1)."""
        if self.kind == "json":
            vocabulary = self.builder.vocabulary
            for position, item in enumerate(self._items, start=1):
                if "answers" in item:
                    known = {k: v for k, v in item.items() if k in Profile.model_fields}
                    yield self.builder.from_profile(position, known)
                    continue
                cells = {}
                for key, value in item.items():
                    column = vocabulary.column(key)
                    if column is not None:
                        cells[column] = (key, cell_text(value))
                row = self._from_cells(position, cells)
                if row is not None:
                    yield row
            return
        source = self._reader if self.kind == "csv" else self._xlsx_rows
        try:
            yield from self._table_rows(source)
        except csv.Error as error:
            raise self._refuse("csv", line=self._reader.line_num, reason=str(error)) from None

    def _table_rows(self, source) -> Iterator[Row]:
        for number, record in enumerate(source, start=2):
            cells: dict[str, tuple[str, str]] = {}
            for column, header, value in zip(self.columns, self.headers, record, strict=False):
                if column is not None:
                    cells[column] = (header, cell_text(value))
            if not any(text.strip() for _, text in cells.values()):
                continue
            row = self._from_cells(number, cells)
            if row is not None:
                yield row

    def _from_cells(self, number: int, cells: dict[str, tuple[str, str]]) -> Row | None:
        if cells.get("id", ("", ""))[1].strip().startswith(COMMENT_PREFIX):
            return None
        return self.builder.from_cells(number, cells)

    def close(self) -> None:
        workbook = getattr(self, "_workbook", None)
        if workbook is not None:
            workbook.close()
        self._stream.close()

    def __enter__(self) -> RequestTable:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
