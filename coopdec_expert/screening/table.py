"""Read a table of partnership requests (CSV, XLSX or JSON), one row at a time.

Ministries export their registers from Excel: `;` or `,` separators, UTF-8 with or without BOM,
cp1252 or UTF-16, headers that are question ids or question texts, cells that are option ids or
labels. Every row becomes either a validated `Profile` or the list of its problems, each naming
the row as the user sees it in the spreadsheet (header = row 1), the column, the value and what
is allowed — so one bad row never stops the batch, and no row is ever shifted or dropped
silently: a row with a cell too many or too few, a quote never closed, an id already used, a
formula never calculated is rejected and named. CSV and XLSX are streamed (see readers.py);
JSON is a list of profiles read at once (it is meant for tool-to-tool exchanges, not registers
of 100,000 rows).
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import io
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from openpyxl.utils import get_column_letter
from pydantic import BaseModel, ValidationError

from ..errors import CoopdecError
from ..i18n import catalogue, t
from ..inputs import DuplicateKeys, InputRefused, load_json, shorten
from ..knowledge.loader import KnowledgeBase
from ..knowledge.models import UNKNOWN
from ..profile import (
    ControlCharacter,
    Profile,
    check_answers,
    field_message,
    migrate_answers,
    refusal_text,
)
from .readers import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    CsvRows,
    RawRow,
    Refused,
    XlsxRows,
    looks_utf16,
    scan,
)

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
ALL_PARTS = ("answers", "north", "south")  # the nested objects of a profile
UNKNOWN_WORDS = ("unknown", "ne sait pas", "don't know", "dont know", "nsp", "inconnu")
REQUESTER_WORDS = {"north": "north", "nord": "north", "south": "south", "sud": "south"}
COMMENT_PREFIX = "#"  # a row whose id starts with it is a help row (the template's second row)
MAX_JSON_BYTES = 50_000_000
TYPO_CUTOFF = 0.8  # difflib ratio from which an unknown header is taken for a misspelt one
_SAMPLE = 64 * 1024
_SPACES = re.compile(r"\s+")
_FR_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


class TableError(CoopdecError):
    """The file is not a table of requests at all; one message for the user, exit code 2."""


class RowProblem(BaseModel):
    """Why a row was skipped: row as numbered in the spreadsheet, column, value, allowed."""

    row: int
    column: str
    value: str
    problem: str
    allowed: list[str] = []
    code: str = ""  # the kind of problem (`duplicate_id`, `option`, `field`…), for the app


@dataclass
class Row:
    """One data row: a profile when valid, else the problems found (never both)."""

    number: int
    profile: Profile | None
    problems: list[RowProblem] = field(default_factory=list)
    partnership_id: str = ""  # as given, even when the row is rejected (to find duplicates)


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
        self.exact: dict[str, dict[str, str]] = {}
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
            # the same answers as written (ids, labels): most cells, found without normalising
            written = [o.id for o in question.options]
            written += [label for o in question.options for label in (o.label.fr, o.label.en)]
            if question.accepts_unknown:
                written += [*UNKNOWN_WORDS, *unknown_labels]
            self.exact[question.id] = {w: table[normalise(w)] for w in written}
        # Questions of earlier releases (rules/migrations.yaml): a table of those days is read,
        # its answers migrated like a profile's, nothing refused for being old.
        self.retired: dict[str, list[str]] = {}
        for migration in kb.migrations.values():
            if migration.question in kb.questions:
                continue
            options = self.retired.setdefault(migration.question, [])
            if migration.option is not None and migration.option not in options:
                options.append(migration.option)
        for question_id, options in self.retired.items():
            self.headers.setdefault(normalise(question_id), question_id)
            self.options[question_id] = {normalise(o): o for o in options}

    def column(self, header: object) -> str | None:
        return self.headers.get(normalise(header)) if header is not None else None

    def option(self, question_id: str, value: str) -> str | None:
        found = self.exact.get(question_id, {}).get(value)
        return found if found is not None else self.options[question_id].get(normalise(value))

    def allowed(self, question_id: str) -> list[str]:
        if question_id in self.retired:
            return list(self.retired[question_id])
        question = self.kb.questions[question_id]
        return question.answer_ids()


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
        self, row: int, column: str, value: object, key: str, allowed=(), **extra
    ) -> RowProblem:
        """One problem; the column and the value as typed, shortened (a message never quotes
        a 100,000-character cell back)."""
        column, value = shorten(column, 200), shorten(value)
        text = t(self.lang, f"screen.problem.{key}", column=column, value=value, **extra)
        return RowProblem(
            row=row, column=column, value=value, problem=text, allowed=list(allowed), code=key
        )

    def broken(self, number: int, key: str, value: object = "", allowed=(), **extra) -> Row:
        """A row that could not be read as cells (or not trusted): one problem, whole row."""
        column = t(self.lang, "screen.column.whole_row")
        return Row(number, None, [self.problem(number, column, value, key, allowed, **extra)])

    def from_cells(self, number: int, cells: dict[str, tuple[str, str]]) -> Row:
        """A spreadsheet row: meta columns and one column per question."""
        problems: list[RowProblem] = []
        header_of = {column: header for column, (header, _) in cells.items()}
        values = {column: text.strip() for column, (_, text) in cells.items()}
        if not values.get("id"):
            problems.append(self.problem(number, header_of.get("id", "id"), "", "missing_id"))
        answers: dict[str, str] = {}
        for question_id in [*self.kb.questions, *self.vocabulary.retired]:
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
        row = self._validate(number, data, problems, header_of, values)
        row.partnership_id = values.get("id", "")
        return row

    def from_profile(self, number: int, item: dict) -> Row:
        """A JSON item in the profile format (`answers` mapping); labels accepted as values."""
        problems = self.duplicate_keys(number, item)
        answers = item.get("answers")
        if isinstance(answers, dict):
            converted = {}
            for question_id, raw in answers.items():
                if question_id not in self.kb.questions | self.vocabulary.retired:
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
        row = self._validate(number, item, problems, {}, {})
        row.partnership_id = str(item.get("id") or "").strip()
        return row

    def duplicate_keys(self, number: int, item: dict) -> list[RowProblem]:
        """A JSON item (or its answers, north, south) giving a key twice: json.loads would keep
        the last value silently."""
        problems = []
        for prefix, part in (("", item), *((f"{k}.", item.get(k)) for k in ALL_PARTS)):
            if isinstance(part, DuplicateKeys):
                for key in dict.fromkeys(part.duplicates):
                    column = prefix + key
                    problems.append(self.problem(number, column, "", "duplicate_key"))
        return problems

    def _validate(self, number, data, problems, header_of, values) -> Row:
        try:
            profile = Profile.model_validate(data)
            migrated, _ = migrate_answers(profile.answers, self.kb, self.lang)
            profile = profile.model_copy(update={"answers": migrated})
        except ValidationError as error:
            for detail in error.errors():
                path = [str(p) for p in detail["loc"]]
                column = "_".join(path[:2]) if path[0] in ("north", "south") else path[0]
                if column in ("north", "south"):  # the whole object: name or country missing
                    column = f"{column}_name"
                shown = values.get(column, cell_text(detail.get("input", "")))
                if isinstance(detail.get("input"), dict | list):
                    shown = ""
                control = (detail.get("ctx") or {}).get("error")
                if isinstance(control, ControlCharacter):  # a NUL would not even be storable
                    problems.append(
                        self.problem(
                            number,
                            header_of.get(column, column),
                            str(shown),
                            "control_character",
                            code=control.code,
                            position=control.position,
                        )
                    )
                    continue
                problems.append(
                    self.problem(
                        number,
                        header_of.get(column, column),
                        str(shown),
                        "field",
                        message=field_message(detail, self.lang),
                    )
                )
            return Row(number, None, problems)
        if problems:
            return Row(number, None, problems)
        # a safety net: must be empty
        leftovers = check_answers(profile.answers, self.kb, self.lang)
        if leftovers:
            return Row(
                number,
                None,
                [self.problem(number, "answers", "", "other", message=p) for p in leftovers],
            )
        return Row(number, profile)


# --- opening a file ---------------------------------------------------------------------


def _separator(header_line: str) -> str:
    """The separator of the header line: the most frequent of ; , tab."""
    counts = {sep: header_line.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=counts.__getitem__)


def _filled(value: object) -> bool:
    return bool(cell_text(value).strip())


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
        self._xlsx: XlsxRows | None = None
        self._stream: IO[bytes] = (
            io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")
        )
        try:
            self._open()
        except Refused as refused:
            self.close()
            raise self._refuse(refused.key, **refused.values) from None
        except Exception:
            self.close()
            raise

    def _refuse(self, key: str, **values: object) -> TableError:
        shown = {k: shorten(v, 200) if isinstance(v, str) else v for k, v in values.items()}
        file = shorten(self.filename, 200)
        return TableError(t(self.lang, f"screen.refuse.{key}", file=file, **shown))

    def _open(self) -> None:
        head = self._stream.read(_SAMPLE)
        self._stream.seek(0)
        utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        text_head = head.decode("utf-16", "ignore") if utf16 else ""
        if not head.strip() or (utf16 and not text_head.strip("\ufeff \t\r\n")):
            raise self._refuse("empty")
        if head.startswith(b"PK\x03\x04"):
            self.kind = "xlsx"
            self._open_xlsx()
            return
        if b"\x00" in head and not utf16:
            raise self._refuse("utf16" if looks_utf16(head) else "binary")
        stripped = text_head.lstrip("\ufeff").lstrip()[:1].encode() if utf16 else head
        stripped = stripped.lstrip(codecs.BOM_UTF8).lstrip()
        if self.filename.lower().endswith(".json") or stripped[:1] in (b"[", b"{"):
            self.kind = "json"
            self._open_json("utf-16" if utf16 else "utf-8-sig")
            return
        self.kind = "csv"
        self._open_csv(utf16)

    def _check_header(self, header: list[object]) -> None:
        if len(header) > MAX_COLUMNS:
            raise self._refuse("too_many_columns", count=len(header), limit=MAX_COLUMNS)
        vocabulary = self.builder.vocabulary
        columns = [vocabulary.column(h) for h in header]
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
            if column is None:
                continue
            if column in seen:  # the same question twice: keep the first
                columns[index] = None
                self.duplicate_columns.append(self.headers[index])
            seen.add(column)
        self.columns = columns
        self.width = max(i + 1 for i, h in enumerate(self.headers) if h)  # trailing blanks off
        self.unknown_columns = [
            h
            for h, c in zip(self.headers, columns, strict=True)
            if c is None and h and h not in self.duplicate_columns
        ]
        self._refuse_typos(self.unknown_columns, seen)

    def _refuse_typos(self, unknown: list[str], present: set) -> None:
        """An unknown header that is nearly a column's name, when that column is absent, is
        taken for a typo: reading on would drop that question for every row, so the file is
        refused, naming the probable column (not guessed: renamed by the user)."""
        for header in unknown:
            probable = self._looks_like(header, present)
            if probable is not None:
                index = self.headers.index(header)
                position = get_column_letter(index + 1) if self.kind == "xlsx" else index + 1
                raise self._refuse(
                    "header_typo",
                    column=shorten(header, 200),
                    position=position,
                    probable=probable,
                )

    def _looks_like(self, name: str, present: set) -> str | None:
        """The column (or JSON key) an unknown name is nearly spelt as, if that one is absent."""
        names = {**self.builder.vocabulary.headers, **{p: p for p in ALL_PARTS}}
        typed = normalise(name)
        if len(typed) > 2 * max(len(n) for n in names):
            return None
        for match in difflib.get_close_matches(typed, names, n=3, cutoff=TYPO_CUTOFF):
            if names[match] not in present:
                return names[match]
        return None

    # CSV ------------------------------------------------------------------------------
    def _open_csv(self, utf16: bool) -> None:
        encoding, lines = scan(self._stream, utf16)
        self.estimated_rows = max(lines - 1, 0)
        text = io.TextIOWrapper(self._stream, encoding=encoding, newline="", errors="replace")
        first = text.readline(MAX_CELL_CHARS)
        text.seek(0)
        self._text = text
        self._records = iter(CsvRows(text, _separator(first)))
        header = next(self._records, None)
        if header is None:
            raise self._refuse("empty")
        if header.broken:
            reason = t(self.lang, f"screen.problem.{header.broken}", **header.details)
            raise self._refuse("csv", line=1, reason=reason)
        self._check_header(header.cells)

    # XLSX -----------------------------------------------------------------------------
    def _open_xlsx(self) -> None:
        self._xlsx = XlsxRows(self._stream)
        self._records = iter(self._xlsx)
        header_row = next(self._records, None)
        header = list(header_row.cells) if header_row and not header_row.broken else []
        if header_row is not None and header_row.broken == "too_wide":
            raise Refused("too_many_columns", count=f"> {MAX_COLUMNS}", limit=MAX_COLUMNS)
        while header and header[-1] is None:
            header.pop()
        self.estimated_rows = self._xlsx.estimated_rows
        self._check_header(header)
        self._xlsx.width = self.width

    # JSON -----------------------------------------------------------------------------
    def _open_json(self, encoding: str) -> None:
        raw = self._stream.read(MAX_JSON_BYTES + 1)
        if len(raw) > MAX_JSON_BYTES:
            raise self._refuse("json_too_big", limit=MAX_JSON_BYTES)
        try:
            data = load_json(raw.decode(encoding), duplicates="mark")
        except InputRefused as refused:
            raise self._refuse("json_refused", reason=refusal_text(refused, self.lang)) from None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise self._refuse("json") from None
        if not isinstance(data, list) or not data or not all(isinstance(i, dict) for i in data):
            raise self._refuse("json")
        self._items = data
        self.estimated_rows = len(data)
        self.columns, self.headers = [], []
        known = set(META_COLUMNS) | set(ALL_PARTS)
        flat_keys = {k for item in data for k in item if "answers" not in item}
        for key in sorted({k for item in data if "answers" in item for k in item} - known):
            self.unknown_columns.append(key)
        for key in sorted(flat_keys):
            if self.builder.vocabulary.column(key) is None:
                self.unknown_columns.append(key)
        self._probable: dict[tuple, str | None] = {}  # (key, columns given) -> looks like

    def warnings(self) -> list[str]:
        """Columns read from the header but ignored, as messages for the user."""
        messages = []
        if self.unknown_columns:
            columns = ", ".join(shorten(c, 200) for c in self.unknown_columns)
            messages.append(t(self.lang, "screen.cli.unknown_columns", columns=columns))
        if self.duplicate_columns:
            columns = ", ".join(shorten(c, 200) for c in self.duplicate_columns)
            messages.append(t(self.lang, "screen.cli.duplicate_columns", columns=columns))
        return messages

    # rows -----------------------------------------------------------------------------
    def rows(self) -> Iterator[Row]:
        """Every data row, in file order; help rows (id starting with '#') and blank rows are
        skipped. Numbers are spreadsheet rows (header = 1) or JSON positions (first = 1). A
        second row with an id already used is rejected, naming the first."""
        first_row: dict[str, int] = {}
        for row in self._rows():
            if row.partnership_id:
                first = first_row.setdefault(row.partnership_id, row.number)
                if first != row.number:
                    problem = self.builder.problem(
                        row.number, "id", row.partnership_id, "duplicate_id", first=first
                    )
                    row = Row(row.number, None, [*row.problems, problem], row.partnership_id)
            yield row

    def _rows(self) -> Iterator[Row]:
        if self.kind == "json":
            yield from self._json_rows()
            return
        try:
            yield from self._table_rows()
        except Refused as refused:
            raise self._refuse(refused.key, **refused.values) from None

    def _json_rows(self) -> Iterator[Row]:
        vocabulary = self.builder.vocabulary
        for position, item in enumerate(self._items, start=1):
            if "answers" in item:
                known = {k: v for k, v in item.items() if k in Profile.model_fields}
                if isinstance(item, DuplicateKeys):
                    known = DuplicateKeys(known)
                    known.duplicates = item.duplicates
                row = self.builder.from_profile(position, known)
                typos = self._typos(position, item)
                if typos:
                    row = Row(position, None, [*row.problems, *typos], row.partnership_id)
                yield row
                continue
            cells = {}
            for key, value in item.items():
                column = vocabulary.column(key)
                if column is not None:
                    cells[column] = (key, cell_text(value))
            built = self._from_cells(position, cells)
            if built is not None:
                problems = self.builder.duplicate_keys(position, item)
                problems += self._typos(position, item)
                if problems:
                    built = Row(position, None, [*built.problems, *problems], built.partnership_id)
                yield built

    def _typos(self, position: int, item: dict) -> list[RowProblem]:
        """Keys of a JSON item nearly spelt as a column it lacks: this item's error."""
        problems = []
        present = {self.builder.vocabulary.column(key) or key for key in item}
        for key in item:
            if self.builder.vocabulary.column(key) is not None:
                continue
            if (key, frozenset(present)) not in self._probable:
                self._probable[key, frozenset(present)] = self._looks_like(key, present)
            probable = self._probable[key, frozenset(present)]
            if probable is not None:
                problems.append(self.builder.problem(position, key, "", "typo", probable=probable))
        return problems

    def _table_rows(self) -> Iterator[Row]:
        for raw in self._records:
            if raw.broken:
                yield self.builder.broken(raw.number, raw.broken, **raw.details)
                continue
            if not any(_filled(value) for value in raw.cells):
                continue
            id_index = self.columns.index("id")
            if id_index < len(raw.cells) and cell_text(raw.cells[id_index]).strip().startswith(
                COMMENT_PREFIX
            ):
                continue
            shifted = self._shifted(raw)
            if shifted is not None:
                yield shifted
                continue
            cells: dict[str, tuple[str, str]] = {}
            problems: list[RowProblem] = []
            for index, (column, header, value) in enumerate(
                zip(self.columns, self.headers, raw.cells, strict=False)
            ):
                if column is None:
                    continue
                text = cell_text(value)
                if index in raw.formulas:
                    problems.append(
                        self.builder.problem(
                            raw.number, header, "", "formula", cell=self._cell(index, raw)
                        )
                    )
                elif len(text) > MAX_CELL_CHARS:
                    problems.append(
                        self.builder.problem(
                            raw.number, header, text, "cell_too_long", limit=MAX_CELL_CHARS
                        )
                    )
                    text = ""
                cells[column] = (header, text)
            row = self.builder.from_cells(raw.number, cells)
            if problems:
                row = Row(raw.number, None, [*problems, *row.problems], row.partnership_id)
            yield row

    def _shifted(self, raw: RawRow) -> Row | None:
        """A CSV row whose cell count differs from the header's: its answers would be read
        under the wrong questions (a missing cell shifts all later ones), so it is rejected
        whole. Empty cells after the last header are harmless (Excel adds them)."""
        if self.kind == "xlsx":
            if not raw.extra:
                return None
            cell = get_column_letter(raw.extra[0] + 1) + str(raw.number)
            return self.builder.broken(raw.number, "beyond_header", cell, last=self._last())
        count = len(raw.cells)
        if count == self.width or (
            count > self.width and not any(_filled(v) for v in raw.cells[self.width :])
        ):
            return None
        allowed = [t(self.lang, "screen.allowed.cells", n=self.width)]
        shown = t(self.lang, "screen.allowed.cells", n=count)
        return self.builder.broken(
            raw.number, "cell_count", shown, allowed, count=count, width=self.width, line=raw.line
        )

    def _cell(self, index: int, raw: RawRow) -> str:
        return get_column_letter(index + 1) + str(raw.number)

    def _last(self) -> str:
        return get_column_letter(self.width)

    def _from_cells(self, number: int, cells: dict[str, tuple[str, str]]) -> Row | None:
        if cells.get("id", ("", ""))[1].strip().startswith(COMMENT_PREFIX):
            return None
        return self.builder.from_cells(number, cells)

    def close(self) -> None:
        if self._xlsx is not None:
            self._xlsx.close()
        self._stream.close()

    def __enter__(self) -> RequestTable:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
