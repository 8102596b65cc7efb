"""Tables of requests that used to lose, shift or guess rows, or to stop the whole batch
(issue 14): each is now one row's error naming the row, the column, the value and what is
allowed, or one message refusing the file — and every other row is still assessed."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from typer.testing import CliRunner

from coopdec_expert.cli import app
from coopdec_expert.screening import readers
from coopdec_expert.screening.readers import MAX_CELL_CHARS, MAX_COLUMNS
from coopdec_expert.screening.run import ScreenOptions, screen_requests
from coopdec_expert.screening.table import RequestTable, TableError

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out; `uv run pytest` runs it

runner = CliRunner()
HEADER = "id;south_name;south_country;relationship.purpose;context.political_stability\n"
WHOLE_ROW = "(whole row)"


def rows_of(data: bytes, name: str, kb):
    with RequestTable(data, name, kb, "en") as table:
        return list(table.rows())


def assessed(rows) -> dict[str, dict]:
    """id -> answers of the rows read as profiles."""
    return {r.profile.id: dict(r.profile.answers) for r in rows if r.profile}


def problems(rows) -> list[tuple]:
    return [(p.row, p.column, p.value) for r in rows for p in r.problems]


def refused(data: bytes, name: str, kb) -> str:
    with pytest.raises(TableError) as error:
        RequestTable(data, name, kb, "en")
    message = str(error.value)
    assert "\n" not in message and len(message) < 500
    return message


# --- CSV: no row shifted, lost or swallowed ---------------------------------------------


def test_a_row_missing_a_middle_cell_is_rejected_not_shifted(kb):
    data = (
        HEADER + "a;Pô;Burkina Faso;projects;stable\n"
        "b;Léo;relationship;fragile\n"  # the country is missing: answers would shift left
        "c;Ouahigouya;Burkina Faso;relationship;fragile\n"
    ).encode()
    rows = rows_of(data, "d.csv", kb)
    assert set(assessed(rows)) == {"a", "c"}
    assert problems(rows) == [(3, WHOLE_ROW, "4 cells")]
    problem = rows[1].problems[0]
    assert problem.allowed == ["5 cells"] and "line 3" in problem.problem


def test_a_row_with_an_extra_cell_is_rejected_but_trailing_empty_cells_are_not(kb):
    data = (
        HEADER + "a;Pô;Burkina Faso;projects;stable;surprise\n"
        "b;Léo;Burkina Faso;relationship;fragile;;\n"  # Excel's trailing separators
    ).encode()
    rows = rows_of(data, "d.csv", kb)
    assert set(assessed(rows)) == {"b"}
    assert problems(rows) == [(2, WHOLE_ROW, "6 cells")]


def test_an_unclosed_quote_is_one_rows_error_and_the_later_rows_are_read(kb):
    lines = [f"r{i};Commune {i};Mali;projects;stable" for i in range(1, 9)]
    lines[2] = 'r3;"Commune 3;Mali;projects;stable'  # opened, never closed
    rows = rows_of((HEADER + "\n".join(lines) + "\n").encode(), "d.csv", kb)
    assert set(assessed(rows)) == {f"r{i}" for i in range(1, 9)} - {"r3"}
    assert problems(rows) == [(4, WHOLE_ROW, "")]
    assert "quote opened on line 4 is not closed" in rows[2].problems[0].problem
    # the same at the end of the file, and a legitimate cell on two lines still reads
    data = (HEADER + 'a;"Pô\nsecond line";Mali;projects;stable\nb;"Léo;Mali;x;y\n').encode()
    rows = rows_of(data, "d.csv", kb)
    assert assessed(rows) == {"a": {"relationship.purpose": "projects", **_stable()}}
    assert problems(rows) == [(3, WHOLE_ROW, "")]


def _stable() -> dict:
    return {"context.political_stability": "stable"}


def test_a_quote_left_open_on_many_lines_never_swallows_the_file(kb):
    lines = [f"r{i};Commune {i};Mali;projects;stable" for i in range(300)]
    lines[10] = 'r10;"Commune 10;Mali;projects;stable'
    rows = rows_of((HEADER + "\n".join(lines) + "\n").encode(), "d.csv", kb)
    assert len(assessed(rows)) == 299
    assert problems(rows) == [(12, WHOLE_ROW, "")]


def test_after_many_broken_quotes_the_lines_are_named_in_blocks(kb, monkeypatch):
    """Reading each broken record's lines again is bounded (MAX_REREADS): beyond, the lines a
    broken record swallowed are named in its error, and later rows keep their numbers."""
    monkeypatch.setattr(readers, "MAX_REREADS", 2)
    lines = [f'r{i};"Commune {i};Mali;projects;stable' for i in range(8)]
    lines += ["ok;Pô;Mali;projects;stable"]
    rows = rows_of((HEADER + "\n".join(lines) + "\n").encode(), "d.csv", kb)
    assert [(r.number, r.profile is not None) for r in rows] == [
        (2, False),  # read again: its second line is row 3
        (3, False),  # read again
        (4, False),  # lines 4 and 5: one block
        (6, False),  # lines 6 and 7
        (8, False),  # lines 8 and 9
        (10, True),  # the good row after them, read with its own number
    ]
    assert "lines 4 to 5" in rows[2].problems[0].problem
    assert "lines 8 to 9" in rows[4].problems[0].problem


def test_a_cell_over_the_csv_limit_is_that_rows_error(kb):
    data = (
        HEADER + "a;" + "x" * (MAX_CELL_CHARS + 10) + ";Mali;projects;stable\n"
        "b;Léo;Mali;relationship;fragile\n"
    ).encode()
    rows = rows_of(data, "d.csv", kb)
    assert set(assessed(rows)) == {"b"}
    assert problems(rows) == [(2, WHOLE_ROW, "")]
    assert f"longer than {MAX_CELL_CHARS} characters" in rows[0].problems[0].problem


def test_a_misplaced_quote_is_named(kb):
    rows = rows_of((HEADER + 'a;"Pô" de Koudougou;Mali;projects;stable\n').encode(), "d.csv", kb)
    assert problems(rows) == [(2, WHOLE_ROW, "")]
    assert "misplaced quote on line 2" in rows[0].problems[0].problem


# --- ids, headers, dates ----------------------------------------------------------------


def test_an_id_used_twice_rejects_the_later_row_naming_the_first(kb):
    data = (
        HEADER + "a;Pô;Mali;projects;stable\nb;Léo;Mali;projects;stable\n"
        "a;Ouahigouya;Mali;relationship;fragile\n"
    ).encode()
    rows = rows_of(data, "d.csv", kb)
    assert set(assessed(rows)) == {"a", "b"}
    assert assessed(rows)["a"]["relationship.purpose"] == "projects"
    assert problems(rows) == [(4, "id", "a")]
    assert "already used on row 2" in rows[2].problems[0].problem


@pytest.mark.parametrize(
    ("header", "column", "probable"),
    [
        ("id;relationship.purpse;context.political_stability", "relationship.purpse", "2"),
        ("id;relationship.purpose;south_contry", "south_contry", "3"),
        ("id;Relationship purpose", "Relationship purpose", "2"),
    ],
)
def test_a_misspelt_header_is_refused_naming_the_probable_column(kb, header, column, probable):
    message = refused(f"{header}\na;projects;stable\n".encode(), "d.csv", kb)
    assert f'column "{column}" (column {probable})' in message
    assert '"relationship.purpose"' in message or '"south_country"' in message


def test_unrelated_extra_columns_are_still_only_a_warning(kb):
    data = HEADER.strip() + ";commentaire interne;budget\n" + "a;Pô;Mali;projects;stable;x;y\n"
    with RequestTable(data.encode(), "d.csv", kb, "en") as table:
        assert table.unknown_columns == ["commentaire interne", "budget"]
        assert [r.profile.id for r in table.rows()] == ["a"]


@pytest.mark.parametrize(("cell", "ok"), [("0", False), ("45000", False), ("12/05/2026", True)])
def test_a_number_is_not_a_date(kb, cell, ok):
    rows = rows_of(f"id;date;relationship.purpose\na;{cell};projects\n".encode(), "d.csv", kb)
    if ok:
        assert str(rows[0].profile.date) == "2026-05-12"
    else:
        assert problems(rows) == [(2, "date", cell)]
        assert "is not a date" in rows[0].problems[0].problem


def test_values_in_row_errors_are_shortened(kb):
    rows = rows_of((HEADER + "a;Pô;Mali;" + "n" * 5000 + ";stable\n").encode(), "d.csv", kb)
    problem = rows[0].problems[0]
    assert len(problem.value) <= 60 and len(problem.problem) < 300


# --- encodings --------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le-bom", "utf-16-be-bom"])
def test_utf16_with_its_byte_order_mark_is_read(kb, encoding):
    text = HEADER + "a;Pô;Burkina Faso;projects;stable\n"
    data = {
        "utf-16": text.encode("utf-16"),
        "utf-16-le-bom": b"\xff\xfe" + text.encode("utf-16-le"),
        "utf-16-be-bom": b"\xfe\xff" + text.encode("utf-16-be"),
    }[encoding]
    rows = rows_of(data, "d.csv", kb)
    assert rows[0].profile.south.name == "Pô"


def test_utf16_without_its_mark_is_refused_saying_how_to_save_as_utf8(kb):
    message = refused((HEADER + "a;Pô;Mali;projects;stable\n").encode("utf-16-le"), "d.csv", kb)
    assert "UTF-16" in message and "CSV UTF-8" in message


# --- JSON -------------------------------------------------------------------------------


def test_json_items_with_duplicate_keys_typos_and_huge_numbers_are_rejected_one_by_one(kb):
    text = (
        '[{"id": "a", "answers": {"relationship.purpose": "projects", '
        '"relationship.purpose": "relationship"}},'
        ' {"id": "b", "date": 0, "answers": {}},'
        ' {"id": "c", "answers": {"relationship.purpose": ' + "9" * 5000 + "}},"
        ' {"id": "d", "anwsers": {"relationship.purpose": "projects"}},'
        ' {"id": "e", "answers": {"relationship.purpose": "projects"}}]'
    )
    rows = rows_of(text.encode(), "d.json", kb)
    assert set(assessed(rows)) == {"e"}
    assert problems(rows) == [
        (1, "answers.relationship.purpose", ""),
        (2, "date", "0"),
        (3, "relationship.purpose", "<number of 5000 digits>"),
        (4, "anwsers", ""),
    ]
    assert '"answers"' in rows[3].problems[0].problem


def test_deep_json_is_refused(kb):
    message = refused(b"[" * 5000 + b"]" * 5000, "d.json", kb)
    assert "nested more than 20 levels deep" in message


# --- XLSX -------------------------------------------------------------------------------


SHARED = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def xlsx_with_sheet(sheet_xml: str, shared_strings: list[str] | None = None) -> bytes:
    """A workbook made by openpyxl whose first sheet's XML is replaced by `sheet_xml`, with a
    table of shared texts if given (openpyxl itself writes texts inline)."""
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml.encode()
            if item.filename == "[Content_Types].xml" and shared_strings is not None:
                override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED}"/>'
                data = data.replace(b"</Types>", override.encode() + b"</Types>")
            target.writestr(item, data)
        if shared_strings is not None:
            entries = "".join(f"<si><t>{text}</t></si>" for text in shared_strings)
            target.writestr(
                "xl/sharedStrings.xml",
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                f"{entries}</sst>",
            )
    return out.getvalue()


def sheet(rows: str, dimension: str = "A1:C3") -> str:
    return (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
    )


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


XLSX_HEADER = '<row r="1">' + cell("A1", "id") + cell("B1", "relationship.purpose") + "</row>"


def test_a_formula_never_calculated_is_reported_and_a_calculated_one_read(kb):
    rows_xml = XLSX_HEADER + (
        '<row r="2">' + cell("A2", "a") + '<c r="B2" t="str"><f>LOWER("PROJECTS")</f></c></row>'
        '<row r="3">' + cell("A3", "b") + '<c r="B3" t="str"><f>LOWER("PROJECTS")</f>'
        "<v>projects</v></c></row>"
    )
    rows = rows_of(xlsx_with_sheet(sheet(rows_xml)), "d.xlsx", kb)
    assert assessed(rows) == {"b": {"relationship.purpose": "projects"}}
    assert problems(rows) == [(2, "relationship.purpose", "")]
    assert "cell B2 holds a formula" in rows[0].problems[0].problem


def test_openpyxl_formulas_without_values_are_reported(kb, tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["id", "relationship.purpose", "south_name", "south_country"])
    workbook.active.append(["a", "projects", '=CONCAT("Pô", "")', "Mali"])
    workbook.save(tmp_path / "d.xlsx")
    rows = rows_of((tmp_path / "d.xlsx").read_bytes(), "d.xlsx", kb)
    assert problems(rows)[0] == (2, "south_name", "")
    assert (
        "cell C2 holds a formula whose result was never calculated" in rows[0].problems[0].problem
    )


def test_xlsx_cells_beyond_the_header_and_rows_far_away_are_not_padded(kb):
    rows_xml = XLSX_HEADER + (
        '<row r="2">' + cell("A2", "a") + cell("B2", "projects") + cell("XFD2", "lost?") + "</row>"
        '<row r="1048576">' + cell("A1048576", "b") + cell("B1048576", "projects") + "</row>"
    )
    rows = rows_of(xlsx_with_sheet(sheet(rows_xml)), "d.xlsx", kb)
    assert set(assessed(rows)) == {"b"}
    assert [r.number for r in rows] == [2, 1048576]
    assert problems(rows) == [(2, WHOLE_ROW, "XFD2")]


def test_an_xlsx_row_of_too_many_cells_is_rejected(kb):
    wide = "".join(f'<c r="{openpyxl.utils.get_column_letter(i)}2"/>' for i in range(1, 2000))
    rows_xml = XLSX_HEADER + f'<row r="2">{wide}</row><row r="3">{cell("A3", "b")}</row>'
    rows = rows_of(xlsx_with_sheet(sheet(rows_xml)), "d.xlsx", kb)
    assert [(r.number, r.profile is not None) for r in rows] == [(2, False), (3, True)]
    assert f"more than {MAX_COLUMNS} cells" in rows[0].problems[0].problem


def test_a_sheet_declaring_a_huge_dimension_is_refused_before_reading(kb):
    data = xlsx_with_sheet(sheet(XLSX_HEADER, dimension="A1:XFD1048576"))
    message = refused(data, "d.xlsx", kb)
    assert "1048576 rows by 16384 columns" in message


def test_an_xlsx_zip_bomb_is_refused_before_reading(kb):
    """120 MB of sheet XML in a ~120 KB file: refused from the zip's own directory."""
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                target.writestr(item, source.read(item.filename))
        with target.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            member.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml')
            member.write(b'/2006/main"><sheetData>' + b'<row r="1">' + b"<c/>" * 100 + b"</row>")
            for _ in range(120):
                member.write(b" " * (1 << 20))
            member.write(b"</sheetData></worksheet>")
    data = out.getvalue()
    assert len(data) < 1_000_000
    message = refused(data, "bomb.xlsx", kb)
    assert "MB once uncompressed; at most 100 MB" in message


def test_a_workbook_part_read_whole_is_capped(kb, monkeypatch):
    """styles.xml, workbook.xml… are parsed whole by openpyxl: each is capped (here at 1 KB)."""
    monkeypatch.setattr(readers, "MAX_XLSX_PART", 1024)
    message = refused(xlsx_with_sheet(sheet(XLSX_HEADER)), "d.xlsx", kb)
    assert "the workbook's part" in message and "xl/" in message


def test_a_workbook_broken_mid_sheet_leaves_no_output(kb, tmp_path):
    rows_xml = XLSX_HEADER + "".join(
        f'<row r="{i}">{cell(f"A{i}", f"r{i}")}{cell(f"B{i}", "projects")}</row>'
        for i in range(2, 40)
    )
    data = xlsx_with_sheet(sheet(rows_xml).replace('<row r="30">', '<row r="30"><broken>'))
    out = tmp_path / "out"
    options = ScreenOptions(lang="en", out_dir=out, reports=False, workers=1, chunk_size=5)
    with RequestTable(data, "d.xlsx", kb, "en") as table, pytest.raises(TableError) as error:
        screen_requests(table, kb, options)
    assert "unreadable XLSX workbook from row" in str(error.value)
    assert list(out.iterdir()) == []  # no empty, partial or hidden file left


# --- the batch: charts, outputs ------------------------------------------------------------


def test_a_country_named_dollars_is_drawn_as_typed(tmp_path):
    source = tmp_path / "d.csv"
    source.write_text(
        HEADER + "a;Pô;$$;projects;stable\nb;Léo;$x^{2$;projects;stable\n", encoding="utf-8"
    )
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["screen", str(source), "--out", str(out), "--store", str(tmp_path / "r.sqlite")]
        + ["--workers", "1", "--no-reports"],
    )
    assert result.exit_code == 0, result.output
    assert (out / "charts" / "south_countries.png").is_file()
    assert "| $$ | 1 |" in (out / "summary.md").read_text(encoding="utf-8")
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_a_huge_cell_leaves_complete_outputs_and_the_other_rows(tmp_path):
    source = tmp_path / "d.csv"
    rows = [f"r{i};Commune {i};Mali;projects;stable" for i in range(5)]
    rows[2] = "r2;" + "x" * 200_000 + ";Mali;projects;stable"
    source.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["screen", str(source), "--out", str(out), "--store", str(tmp_path / "r.sqlite")]
        + ["--workers", "1", "--no-reports", "--lang", "en"],
    )
    assert result.exit_code == 1, result.output
    results = (out / "results.csv").read_text(encoding="utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in results[1:]] == ["r0", "r1", "r3", "r4"]
    errors = (out / "errors.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(errors) == 2 and errors[1].startswith("4,(whole row),")


@pytest.mark.slow
def test_reading_a_huge_xlsx_row_takes_no_memory_for_its_cells(kb):
    """A row of 300,000 cells and no <dimension>: openpyxl's read-only sheet would build the
    XML tree of every cell (once to find the size, once to read); read here, the row is cut at
    MAX_COLUMNS cells as it is parsed. Memory, not time, is measured (tracemalloc)."""
    import tracemalloc

    letters = [openpyxl.utils.get_column_letter(i) for i in range(1, 16385)]
    wide = "".join(f'<c r="{letters[i % 16384]}2"/>' for i in range(300_000))  # not a zip bomb
    rows_xml = XLSX_HEADER + f'<row r="2">{wide}</row><row r="3">{cell("A3", "b")}</row>'
    data = xlsx_with_sheet(
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{rows_xml}</sheetData></worksheet>"
    )
    tracemalloc.start()
    try:
        rows = rows_of(data, "d.xlsx", kb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(r.number, r.profile is not None) for r in rows] == [(2, False), (3, True)]
    assert peak < 10 * 1024 * 1024, f"{peak / 1e6:.1f} MB"  # 2 MB; with openpyxl's sheet 25 MB


def test_a_workbook_of_too_many_distinct_texts_is_refused(kb, monkeypatch):
    """openpyxl keeps the XML tree of the whole table of texts: 4 million short texts in a
    10 MB file took 680 MB. It is read entry by entry, and capped (here lowered to 50)."""
    texts = ["id", "south_name", *(f"r{i}" for i in range(60))]
    rows_xml = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    rows_xml += "".join(
        f'<row r="{i}"><c r="A{i}" t="s"><v>{i}</v></c></row>' for i in range(2, 62)
    )
    data = xlsx_with_sheet(sheet(rows_xml), shared_strings=texts)
    monkeypatch.setattr(readers, "MAX_XLSX_STRINGS", 50)
    assert "more than 50 distinct texts" in refused(data, "d.xlsx", kb)
    monkeypatch.setattr(readers, "MAX_XLSX_STRINGS", 1000)
    rows = rows_of(data, "d.xlsx", kb)
    assert [r.partnership_id for r in rows] == [f"r{i}" for i in range(60)]
