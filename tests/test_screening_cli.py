"""`coopdec template` and `coopdec screen` on the command line: templates in fr and en, exit
codes and messages, and hostile user text escaped in every output (md, csv, xlsx, summary)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from typer.testing import CliRunner

from coopdec_expert.cli import app
from coopdec_expert.screening.table import META_COLUMNS

from .test_screening import HEADER, write_csv

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out; `uv run pytest` runs it

runner = CliRunner()


@pytest.mark.parametrize(("lang", "sep"), [("fr", ";"), ("en", ",")])
def test_csv_template_lists_question_ids_and_allowed_options(kb, lang, sep):
    result = runner.invoke(app, ["template", "--lang", lang])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(result.stdout.lstrip("\ufeff")), delimiter=sep))
    assert rows[0] == [*META_COLUMNS, *kb.questions]
    assert rows[1][0].startswith("#") and len(rows) == 2
    purpose = rows[0].index("relationship.purpose")
    assert rows[1][purpose] == "funding_counter | projects | relationship | unknown"


def test_filled_in_template_is_screened(tmp_path, kb):
    template = tmp_path / "demandes.csv"
    assert runner.invoke(app, ["template", "--out", str(template)]).exit_code == 0
    header = next(csv.reader(io.StringIO(template.read_text(encoding="utf-8-sig")), delimiter=";"))
    row = dict.fromkeys(header, "")
    row.update(
        {
            "id": "bf-1",
            "south_name": "Koudougou",
            "south_country": "Burkina Faso",
            "relationship.purpose": "relationship",
        }
    )
    with template.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerow([row[c] for c in header])
    result = runner.invoke(
        app,
        [
            "screen",
            str(template),
            "--out",
            str(tmp_path / "out"),
            "--store",
            str(tmp_path / "r.sqlite"),
            "--workers",
            "1",
            "--no-reports",
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("1 demande(s) évaluée(s), 0 ligne(s) rejetée(s)")
    assert result.stderr == ""


def test_xlsx_template_has_drop_downs_and_a_readme(tmp_path, kb):
    missing_out = runner.invoke(app, ["template", "--format", "xlsx"])
    assert missing_out.exit_code == 2 and missing_out.stdout == ""
    path = tmp_path / "modele.xlsx"
    result = runner.invoke(
        app, ["template", "--format", "xlsx", "--out", str(path), "--lang", "en"]
    )
    assert result.exit_code == 0, result.stderr
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["requests", "README"]
    sheet = workbook["requests"]
    assert [c.value for c in sheet[1]] == [*META_COLUMNS, *kb.questions]
    assert str(sheet["A2"].value).startswith("#")
    assert len(sheet.data_validations.dataValidation) == len(kb.questions)
    readme = list(workbook["README"].iter_rows(values_only=True))
    assert len(readme) == 1 + len(META_COLUMNS) + len(kb.questions)
    purpose = next(r for r in readme if r[0] == "relationship.purpose")
    assert "relationship = A lasting relationship" in purpose[2]


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("vide.csv", b"", "empty"),
        ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary"),
        (
            "lettre.csv",
            b"Madame, Monsieur,\nNous demandons un partenariat.\n",
            "not a table",
        ),
        ("prose.txt", b"Nous demandons un partenariat.\nMerci.\n", "single column"),
        ("liste.json", b'{"profiles": []}', "list of objects"),
    ],
)
def test_not_a_table_exits_2_with_one_message(tmp_path, name, content, fragment):
    path = tmp_path / name
    path.write_bytes(content)
    store = tmp_path / "r.sqlite"
    result = runner.invoke(
        app,
        [
            "screen",
            str(path),
            "--out",
            str(tmp_path / "out"),
            "--store",
            str(store),
            "--lang",
            "en",
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    message = result.stderr.strip()
    assert message.startswith("error: ") and "\n" not in message and fragment in message
    assert "Traceback" not in result.stderr


def test_missing_file_and_rejected_rows_exit_codes(tmp_path):
    store = str(tmp_path / "r.sqlite")
    absent = runner.invoke(app, ["screen", str(tmp_path / "nope.csv"), "--store", store])
    assert absent.exit_code == 2 and "nope.csv" in absent.stderr and absent.stdout == ""
    path = write_csv(
        tmp_path / "d.csv",
        [
            [*HEADER, "extra"],
            ["a", "A", "Mali", "projects", "stable", ""],
            ["b", "B", "Mali", "projects", "shaky", ""],
        ],
    )
    result = runner.invoke(
        app,
        [
            "screen",
            str(path),
            "--out",
            str(tmp_path / "out"),
            "--store",
            store,
            "--lang",
            "en",
            "--workers",
            "1",
            "--no-reports",
        ],
    )
    assert result.exit_code == 1
    assert result.stdout.startswith("1 request(s) assessed, 1 row(s) rejected")
    assert "warning: columns not recognised, ignored: extra" in result.stderr
    assert "errors.csv" in result.stderr


HOSTILE_NAME = '=HYPERLINK("http://evil","x") <script>alert(1)</script> | *bold* [l](u)'
HOSTILE_ID = "../../=cmd|' /C calc'!A0 <b>"


def test_user_text_is_escaped_in_every_output(tmp_path):
    header = [*HEADER, "north_name", "north_country", "notes"]
    rows = [
        header,
        [
            HOSTILE_ID,
            HOSTILE_NAME,
            "+Mali <i>",
            "relationship",
            "stable",
            "@SUM(A1)",
            "-France",
            "# not a title\n<img src=x onerror=alert(1)>",
        ],
        ["ok-2", "Koudougou", "Burkina Faso", "=1+1", "stable", "", "", ""],
    ]
    source = write_csv(tmp_path / "hostile.csv", rows)
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "screen",
            str(source),
            "--out",
            str(out),
            "--store",
            str(tmp_path / "r.sqlite"),
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 1, result.stderr  # the "=1+1" answer is rejected

    # report file names: sanitised, inside reports/
    reports = sorted(p.name for p in (out / "reports").iterdir())
    assert len(reports) == 2 and all("/" not in n and not n.startswith(".") for n in reports)
    markdown = (out / "reports" / next(n for n in reports if n.endswith(".md"))).read_text()
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown
    assert r"\| \*bold\* \[l\](u)" in markdown
    assert "<img" not in markdown and "<b>" not in markdown

    # CSV: every user cell that could start a formula is neutralised
    with (out / "results.csv").open(encoding="utf-8-sig") as handle:
        table = list(csv.DictReader(handle, delimiter=";"))
    assert table[0]["id"] == HOSTILE_ID  # starts with '.', harmless, kept as typed
    assert table[0]["south_name"] == "'" + HOSTILE_NAME
    assert table[0]["south_country"] == "'+Mali <i>"
    assert table[0]["north_name"] == "'@SUM(A1)" and table[0]["north_country"] == "'-France"
    with (out / "errors.csv").open(encoding="utf-8-sig") as handle:
        errors = list(csv.DictReader(handle, delimiter=";"))
    assert errors[0]["valeur"] == "'=1+1" and errors[0]["ligne"] == "3"  # French headers

    # XLSX: text cells, never formulas
    workbook = openpyxl.load_workbook(out / "results.xlsx")
    sheet = workbook.worksheets[0]
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.coordinate
    names = [c.value for c in sheet[2]]
    assert "'" + HOSTILE_NAME in names and "'@SUM(A1)" in names

    # summary: countries escaped in Markdown
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "+Mali &lt;i&gt;" in summary and "<i>" not in summary
    assert (out / "summary.pdf").read_bytes().startswith(b"%PDF")


def test_markdown_only_reports_and_a_huge_cell(tmp_path):
    store = str(tmp_path / "r.sqlite")
    path = write_csv(tmp_path / "d.csv", [HEADER, ["a/b", "A", "Mali", "projects", "stable"]])
    result = runner.invoke(
        app,
        [
            "screen",
            str(path),
            "--out",
            str(tmp_path / "out"),
            "--store",
            store,
            "--workers",
            "1",
            "--no-pdf",
        ],
    )
    assert result.exit_code == 0, result.stderr
    reports = sorted(p.name for p in (tmp_path / "out" / "reports").iterdir())
    assert len(reports) == 1 and reports[0].startswith("a_b-") and reports[0].endswith(".md")

    huge = write_csv(tmp_path / "huge.csv", [HEADER, ["a", "x" * 200_000, "Mali", "", ""]])
    broken = runner.invoke(
        app,
        [
            "screen",
            str(huge),
            "--out",
            str(tmp_path / "o2"),
            "--store",
            store,
            "--workers",
            "1",
            "--lang",
            "en",
        ],
    )
    # a cell over the csv module's limit is that row's error, not the whole file's (issue 14)
    assert broken.exit_code == 1, broken.stderr
    errors = (tmp_path / "o2" / "errors.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(errors) == 2 and errors[1].startswith("2,(whole row),")
    assert "line 2 is longer than 131072 characters" in errors[1] and len(errors[1]) < 400
