"""`coopdec match` and `coopdec sheet …`: the shipped example sheets matched, exports, the
presentation document (FR/EN, Markdown/PDF, user text escaped), tables of sheets as French Excel
writes them (bad rows named, good rows kept), the register of sheets with its history."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
import yaml
from typer.testing import CliRunner

from coopdec_expert.cli import app
from coopdec_expert.matching.table import read_sheet_table, template_header

runner = CliRunner()
SHEETS = Path(__file__).resolve().parents[1] / "examples" / "sheets"


def test_match_one_sheet_explains_and_cites(kb):
    result = runner.invoke(app, ["match", str(SHEETS), "--for", "ziniare", "--top", "3"])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Pour Commune de Ziniaré" in out and "1. Ville de Rezé" in out
    assert "« La coopération décentralisée ne doit pas être vue comme un simple guichet" in out
    assert "→ " in out  # what would make a pair stronger
    assert "Commune de Kongoussi" not in out  # never a pair on the same side


def test_match_json_is_ranked_and_never_same_side(kb):
    result = runner.invoke(app, ["match", str(SHEETS), "--format", "json", "--lang", "en"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    sides = {}
    for path in SHEETS.glob("*.yaml"):
        sheet = yaml.safe_load(path.read_text(encoding="utf-8"))
        sides[sheet["id"]] = sheet["side"]
    assert {group["sheet"] for group in data} == set(sides)
    for group in data:
        scores = [p["score"] for p in group["proposals"]]
        assert scores == sorted(scores, reverse=True)
        for proposal in group["proposals"]:
            assert sides[proposal["north"]] == "north" and sides[proposal["south"]] == "south"
            assert group["sheet"] in (proposal["north"], proposal["south"])
    leo = next(g for g in data if g["sheet"] == "leo")
    assert "grand-angouleme" not in {p["north"] for p in leo["proposals"]}  # already partners


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_match_exports(tmp_path, fmt):
    out = tmp_path / f"proposals.{fmt}"
    result = runner.invoke(app, ["match", str(SHEETS), "--format", fmt, "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    data = out.read_bytes()
    if fmt == "pdf":
        assert data.startswith(b"%PDF")
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
        assert rows[0][:3] == ["pour", "rang", "partenaire"]
        assert {r[0] for r in rows[1:]} >= {"ziniare", "reze"}
    else:
        sheet = openpyxl.load_workbook(out).active
        assert sheet.max_row > 5


def test_match_bad_input_exits_2(tmp_path):
    result = runner.invoke(app, ["match", str(SHEETS), "--for", "nowhere"])
    assert result.exit_code == 2 and "nowhere" in result.stderr and "ziniare" in result.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nside: south\nname: X\ncountry: Mali\nstakes: [eau]\n", encoding="utf-8")
    result = runner.invoke(app, ["match", str(bad), "--lang", "en"])
    assert result.exit_code == 2 and result.stdout == ""
    assert "'stakes'" in result.stderr and "'eau'" in result.stderr
    assert "water_sanitation" in result.stderr
    twice = tmp_path / "twice.yaml"
    twice.write_text((SHEETS / "reze.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    result = runner.invoke(app, ["match", str(SHEETS), str(twice)])
    assert result.exit_code == 2 and "reze" in result.stderr


HOSTILE = "<script>alert(1)</script> **gras** [lien](http://x) | col"


def _hostile_sheet(tmp_path: Path) -> Path:
    data = yaml.safe_load((SHEETS / "ziniare.yaml").read_text(encoding="utf-8"))
    data["name"] = HOSTILE
    data["presentation"]["territory"] = HOSTILE
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_presentation_document_three_parts_escaped(tmp_path, lang):
    result = runner.invoke(app, ["sheet", "render", str(_hostile_sheet(tmp_path)), "--lang", lang])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    parts = {
        "fr": ["Nos motivations", "Notre territoire", "Ce que nous pouvons apporter"],
        "en": ["Our motivations", "Our territory", "What we can bring"],
    }[lang]
    assert all(f"## {i}. {p}" in out for i, p in enumerate(parts, start=1))
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "\\*\\*gras\\*\\*" in out and "\\[lien\\]" in out
    assert ("Légitimer la collectivité" if lang == "fr" else "Legitimacy with") in out


def test_presentation_document_pdf(tmp_path):
    out = tmp_path / "presentation.pdf"
    result = runner.invoke(
        app, ["sheet", "render", str(SHEETS / "reze.yaml"), "-f", "pdf", "-o", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF")


def test_proposals_escape_user_text(tmp_path):
    hostile = _hostile_sheet(tmp_path)
    result = runner.invoke(
        app, ["match", str(hostile), str(SHEETS / "reze.yaml"), "--format", "markdown"]
    )
    assert result.exit_code == 0, result.stderr
    assert "<script>" not in result.stdout and "&lt;script&gt;" in result.stdout


def test_sheet_by_interview_from_a_profile(tmp_path, kb):
    out = tmp_path / "ziniare.yaml"
    profile = SHEETS.parent / "ziniare_recherche_de_partenaire.yaml"
    # kind, population, stakes, brings, seeks, networks, actors, languages (motivations and
    # identity come from the profile); a wrong choice is asked again
    typed = "1\n2\n99\n1,9\n10\n1\n1\n1,3\nfrançais\n"
    result = runner.invoke(
        app, ["sheet", "new", "--from-profile", str(profile), "--out", str(out)], input=typed
    )
    assert result.exit_code == 0, result.stderr
    sheet = yaml.safe_load(out.read_text(encoding="utf-8"))
    themes = kb.vocabularies["themes"].ids()
    assert sheet["side"] == "south" and sheet["name"] == "Commune de Ziniaré"
    assert sheet["stakes"] == [themes[0], themes[8]]
    assert sheet["brings"] == [themes[9]]
    assert "institutional" in sheet["motivations"]
    assert sheet["languages"] == ["français"]
    again = runner.invoke(app, ["match", str(out), str(SHEETS / "reze.yaml"), "--for", sheet["id"]])
    assert again.exit_code == 0, again.stderr


# --- tables of sheets ------------------------------------------------------------------


def _table(kb, rows: list[dict], encoding="cp1252") -> bytes:
    header = template_header(kb)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerow(["# aide"] + [""] * (len(header) - 1))
    for row in rows:
        writer.writerow([row.get(c, "") for c in header])
    return buffer.getvalue().encode(encoding)


GOOD = [
    {
        "id": "sud-1",
        "side": "sud",
        "name": "Commune de Réo",
        "country": "Burkina Faso",
        "stakes": "water_sanitation | health",
        "motivations": "institutional",
        "actors": "diaspora: France / Évry + Belgique | schools",
        "south.mandate": "council_decision",
    },
    {
        "id": "nord-1",
        "side": "nord",
        "name": "Ville d'Évry",
        "country": "France",
        "stakes": "health, youth",
        "north.existing_partnerships": "ne sait pas",
    },
    {"id": "nord-2", "side": "north", "name": "Ville de Sens", "country": "France"},
]
BAD = [
    {"id": "bad-theme", "side": "sud", "name": "X", "country": "Mali", "stakes": "eau"},
    {"id": "bad-side", "side": "est", "name": "Y", "country": "Mali"},
    {"id": "sud-1", "side": "sud", "name": "Doublon", "country": "Mali"},
    {"id": "bad-answer", "side": "nord", "name": "Z", "country": "France", "south.mandate": "none"},
]


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig"])
def test_table_with_bad_rows_loses_no_good_row(kb, encoding):
    rows = [GOOD[0], BAD[0], GOOD[1], BAD[1], BAD[2], BAD[3], GOOD[2]]
    table = read_sheet_table(_table(kb, rows, encoding), "fiches.csv", kb, "fr")
    assert [s.id for s in table.sheets] == ["sud-1", "nord-1", "nord-2"]
    reo = table.sheets[0]
    assert reo.name == "Commune de Réo" and reo.side == "south"
    assert reo.actors[0].links[0].place == "Évry" and reo.actors[0].links[1].country == "Belgique"
    assert table.sheets[1].answers == {"north.existing_partnerships": "unknown"}
    by_row = {}
    for error in table.errors:
        by_row.setdefault(error.row, []).append(error.message)
    assert sorted(by_row) == [4, 6, 7, 8]  # header = 1, help row = 2
    assert "«\u202fstakes\u202f»" in by_row[4][0] and "water_sanitation" in by_row[4][0]
    assert "side" in by_row[6][0]
    assert "sud-1" in by_row[7][0] and "3" in by_row[7][0]
    assert "south.mandate" in by_row[8][0]


def test_table_broken_quote_keeps_the_rows_after(kb):
    data = _table(kb, [GOOD[0]], "utf-8-sig")
    data += b'"broken;sud;Commune;Mali\r\n'
    data += _table(kb, [GOOD[1]], "utf-8-sig").split(b"\r\n", 2)[2]
    table = read_sheet_table(data, "fiches.csv", kb, "fr")
    assert [s.id for s in table.sheets] == ["sud-1", "nord-1"]
    assert table.errors


def test_table_xlsx_and_refusals(tmp_path, kb):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    header = template_header(kb)
    sheet.append(header)
    for row in [GOOD[0], BAD[0], GOOD[2]]:
        sheet.append([row.get(c) or None for c in header])
    path = tmp_path / "fiches.xlsx"
    workbook.save(path)
    table = read_sheet_table(path, path.name, kb, "en")
    assert [s.id for s in table.sheets] == ["sud-1", "nord-2"] and len(table.errors) == 1
    from coopdec_expert.screening.table import TableError

    with pytest.raises(TableError):
        read_sheet_table(b"name;country\r\nA;B\r\n", "x.csv", kb, "en")  # no id column
    with pytest.raises(TableError):
        read_sheet_table(b"PK\x03\x04garbage", "x.xlsx", kb, "en")


def test_match_a_table_reports_bad_rows_and_exits_1(tmp_path, kb):
    path = tmp_path / "fiches.csv"
    path.write_bytes(_table(kb, [GOOD[0], BAD[0], GOOD[1]]))
    result = runner.invoke(app, ["match", str(path), "--for", "sud-1"])
    assert result.exit_code == 1
    assert "Ville d'Évry" in result.stdout
    assert "bad-theme" in result.stderr and "ligne 4" in result.stderr


# --- the register of sheets ------------------------------------------------------------


def test_register_keeps_versions_and_matches(tmp_path, register_url):
    result = runner.invoke(
        app, ["sheet", "import", str(SHEETS), "--store", register_url, "--workspace", "dgm"]
    )
    assert result.exit_code == 0, result.stderr
    assert "8 fiche(s) lue(s), 8 nouvelle(s)" in result.stdout
    again = runner.invoke(
        app, ["sheet", "import", str(SHEETS), "--store", register_url, "--workspace", "dgm"]
    )
    assert "0 nouvelle(s)" in again.stdout  # the same sheets: no new version
    changed = yaml.safe_load((SHEETS / "reze.yaml").read_text(encoding="utf-8"))
    changed["stakes"] = ["waste"]
    path = tmp_path / "reze.yaml"
    path.write_text(yaml.safe_dump(changed, allow_unicode=True), encoding="utf-8")
    runner.invoke(
        app, ["sheet", "import", str(path), "--store", register_url, "--workspace", "dgm"]
    )
    history = runner.invoke(
        app, ["sheet", "history", "reze", "--store", register_url, "--workspace", "dgm"]
    )
    assert history.exit_code == 0 and len(history.stdout.strip().splitlines()) == 2
    other = runner.invoke(
        app, ["sheet", "history", "reze", "--store", register_url, "--workspace", "other"]
    )
    assert other.exit_code == 1  # another workspace sees nothing
    matched = runner.invoke(
        app,
        ["match", "--store", register_url, "--workspace", "dgm", "--for", "ziniare", "-f", "json"],
    )
    assert matched.exit_code == 0, matched.stderr
    reze = next(p for p in json.loads(matched.stdout)[0]["proposals"] if p["north"] == "reze")
    shared = next(c for c in reze["components"] if c["criterion"] == "shared_stakes")
    assert shared["points"] == 0  # the latest version: stakes [waste], none shared


def test_examples_list_and_copy_the_sheets(tmp_path):
    listing = runner.invoke(app, ["examples", "--lang", "en"])
    assert listing.exit_code == 0
    names = sorted(f"sheets/{p.name}" for p in SHEETS.glob("*.yaml"))
    assert all(f"\n{name}\n  " in listing.stdout for name in names)
    copied = runner.invoke(app, ["examples", "sheets/reze", "--out", str(tmp_path)])
    assert copied.exit_code == 0, copied.stderr
    assert (tmp_path / "reze.yaml").read_bytes() == (SHEETS / "reze.yaml").read_bytes()
