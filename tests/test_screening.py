"""Screening: reading messy tables (CSV from French Excel, XLSX, JSON), rejecting bad rows with
their row, column, value and allowed values, and giving the same results as `assess` alone."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest

from coopdec_expert.assessment import Assessment
from coopdec_expert.engine.assess import default_assessor
from coopdec_expert.profile import validate_profile
from coopdec_expert.screening.run import ScreenOptions, screen_requests, screen_table
from coopdec_expert.screening.store import Store
from coopdec_expert.screening.table import RequestTable, TableError

from .conftest import EXAMPLES_DIR, load_cases

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out; `uv run pytest` runs it

HEADER = [
    "id",
    "south_name",
    "south_country",
    "relationship.purpose",
    "context.political_stability",
]


def write_csv(path: Path, rows: list[list[str]], sep: str = ";", encoding: str = "utf-8-sig"):
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=sep).writerows(rows)
    return path


def example_profiles() -> list[dict]:
    """Every example and regression-case profile, as JSON-ready dicts."""
    import yaml

    profiles = [
        json.loads(json.dumps(yaml.safe_load(p.read_text(encoding="utf-8")), default=str))
        for p in sorted(EXAMPLES_DIR.glob("*.y*ml"))
    ]
    profiles += [json.loads(p.read_text(encoding="utf-8")) for p in EXAMPLES_DIR.glob("*.json")]
    for index, profile in enumerate(profiles):
        profile.setdefault("id", f"case-{index}")
    # a case's profile carries its base's id, and many cases share a base: the first keeps
    # it, the others get their own
    seen = {profile["id"] for profile in profiles}
    for index, (_, case) in enumerate(load_cases()):
        profile = json.loads(json.dumps(case["profile"], default=str))
        if profile.get("id", f"case-{index}") in seen:
            profile["id"] = f"case-{index}"
        profile.setdefault("id", f"case-{index}")
        seen.add(profile["id"])
        profiles.append(profile)
    return profiles


def read_rows(path: Path, kb, lang: str = "fr"):
    with RequestTable(path, path.name, kb, lang) as table:
        return table, list(table.rows())


def test_messy_french_excel_csv(tmp_path, kb):
    """BOM, `;`, labels in fr/en in any case, a help row, a blank row, bad rows reported."""
    path = write_csv(
        tmp_path / "demandes.csv",
        [
            [*HEADER, "colonne inconnue"],
            ["# aide", "", "", "funding_counter | projects | relationship | unknown", "", ""],
            ["bf-1", "Koudougou", "Burkina Faso", "relationship", "stable", "x"],
            [
                "bf-2",
                "Pô",
                "Burkina Faso",
                "  UNE RELATION  durable entre collectivités,\u00a0que les projets SERVENT ",
                "Ne sait pas",
                "",
            ],
            ["", "Sans id", "Cameroun", "projects", "", ""],
            ["bf-4", "Léo", "Burkina Faso", "nonsense", "stable", ""],
            ["", "", "", "", "", ""],
            [
                "bf-6",
                "Ziniaré",
                "Burkina Faso",
                "A series of projects to carry out together",
                "don't know",
                "",
            ],
        ],
    )
    table, rows = read_rows(path, kb)
    assert table.unknown_columns == ["colonne inconnue"]
    good = {r.profile.id: r.profile for r in rows if r.profile}
    assert set(good) == {"bf-1", "bf-2", "bf-6"}
    assert good["bf-2"].answers == {
        "relationship.purpose": "relationship",
        "context.political_stability": "unknown",
    }
    assert good["bf-6"].answers["relationship.purpose"] == "projects"
    assert good["bf-2"].south.name == "Pô"
    problems = [p for r in rows for p in r.problems]
    assert [(p.row, p.column, p.value) for p in problems] == [
        (5, "id", ""),
        (6, "relationship.purpose", "nonsense"),
    ]
    assert problems[1].allowed == ["funding_counter", "projects", "relationship", "unknown"]
    assert "nonsense" in problems[1].problem


def test_cp1252_comma_separated_with_question_texts_as_headers(tmp_path, kb):
    question = kb.questions["south.elected_executive"]
    header = ["Identifiant du partenariat", "Collectivité du Sud", "Pays de la collectivité du Sud"]
    header += [question.text.get("fr"), kb.questions["relationship.purpose"].text.get("en")]
    label = question.options[-1].label.get("fr")
    path = write_csv(
        tmp_path / "export.csv",
        [header, ["cm-1", "Garoua", "Cameroun", label, "Mostly a way to get funding for projects"]],
        sep=",",
        encoding="cp1252",
    )
    table, rows = read_rows(path, kb)
    assert table.unknown_columns == []
    profile = rows[0].profile
    assert profile is not None, rows[0].problems
    assert profile.south.name == "Garoua"
    assert profile.answers == {
        "south.elected_executive": question.options[-1].id,
        "relationship.purpose": "funding_counter",
    }


def test_xlsx_input_with_numbers_dates_and_english_labels(tmp_path, kb):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["id", "date", "north_name", "north_country", "Requester", *HEADER[3:]])
    sheet.append(
        [
            12,
            __import__("datetime").datetime(2026, 5, 12),
            "Rennes",
            "France",
            "Nord",
            "A lasting relationship between local governments, served by projects",
            "Fragile",
        ]
    )
    sheet.append(["x-2", "12/05/2026", "", "", "south", "bad", "stable"])
    workbook.save(tmp_path / "demandes.xlsx")
    _, rows = read_rows(tmp_path / "demandes.xlsx", kb)
    first = rows[0].profile
    assert first is not None, rows[0].problems
    assert (first.id, str(first.date)) == ("12", "2026-05-12")
    assert first.answers == {
        "partnership.requester": "north",
        "relationship.purpose": "relationship",
        "context.political_stability": "fragile",
    }
    assert rows[1].profile is None
    assert [(p.row, p.column, p.value) for p in rows[1].problems] == [
        (3, "relationship.purpose", "bad")
    ]


def test_json_list_of_profiles_with_labels_and_bad_items(tmp_path, kb):
    items = [
        {
            "id": "a",
            "answers": {
                "relationship.purpose": "une relation durable entre "
                "collectivités, que les projets servent"
            },
        },
        {"id": "b", "answers": {"no.such.question": "x"}},
        {"answers": {"relationship.purpose": "projects"}},
        {"id": "d", "north": {"name": "Rennes"}, "answers": {}},
        {
            "id": "e",
            "Collectivité du Sud": "Garoua",
            "south_country": "Cameroun",
            "relationship.purpose": "projects",
        },
    ]
    path = tmp_path / "requests.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    _, rows = read_rows(path, kb)
    assert rows[0].profile.answers == {"relationship.purpose": "relationship"}
    flat = rows[4].profile
    assert (flat.id, flat.south.name, flat.answers) == (
        "e",
        "Garoua",
        {"relationship.purpose": "projects"},
    )
    assert [(p.row, p.column) for r in rows[1:] for p in r.problems] == [
        (2, "answers.no.such.question"),
        (3, "id"),
        (4, "north_country"),
    ]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.csv", b""),
        ("blank.csv", b"  \n\n"),
        ("binary.csv", bytes(range(256)) * 4),
        ("prose.csv", b"Bonjour,\nvoici notre demande de partenariat.\n"),
        ("prose2.txt", b"Une seule colonne de texte\nune autre ligne\n"),
        ("object.json", b'{"id": "x", "answers": {}}'),
        ("numbers.json", b"[1, 2, 3]"),
        ("broken.json", b"[{"),
        ("fake.xlsx", b"PK\x03\x04 this is no workbook"),
        ("noid.csv", b"relationship.purpose;context.political_stability\nrelationship;stable\n"),
    ],
)
def test_not_a_table_is_refused(tmp_path, kb, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(TableError) as error:
        RequestTable(path, name, kb, "en")
    assert name in str(error.value) and "\n" not in str(error.value)


def _stored_assessments(url: str) -> dict[str, Assessment]:
    store = Store(url)
    try:
        records = store.records(store.stale_ids("no such rules version"))
    finally:
        store.close()
    return {r.partnership_id: Assessment.model_validate_json(r.result_json) for r in records}


def _same(left: Assessment, right: Assessment) -> None:
    assert left.readiness.verdict == right.readiness.verdict
    assert left.readiness.next_step == right.readiness.next_step
    assert [(s.area, s.score, s.assessed) for s in left.scores] == [
        (s.area, s.score, s.assessed) for s in right.scores
    ]
    assert [f.id for f in left.flags] == [f.id for f in right.flags]
    assert [r.id for r in left.recommendations] == [r.id for r in right.recommendations]
    assert [m.question for m in left.missing] == [m.question for m in right.missing]


@pytest.mark.parametrize("workers", [1, 2])
def test_screen_equals_assess_one_by_one(tmp_path, kb, workers):
    profiles = example_profiles()
    if workers == 2:
        profiles = profiles[:8]  # the pool path: a few rows are enough
    url = f"sqlite:///{tmp_path}/register.sqlite"
    result = screen_table(
        json.dumps(profiles).encode(), "cases.json", "en", url, tmp_path / "out", workers=workers
    )
    assert result.rejected == [] and result.assessed == len(profiles)
    stored = _stored_assessments(url)
    assessor = default_assessor()
    by_id = {}
    for data, summary in zip(profiles, result.results, strict=True):
        expected = assessor.assess(validate_profile(data, kb), "en")
        _same(stored[data["id"]], expected)
        by_id[data["id"]] = expected
        assert summary.verdict == expected.readiness.verdict
        assert summary.flags == [f.id for f in expected.flags]
        assert [r[0] for r in summary.recommendations] == [
            r.id for r in expected.recommendations[:3]
        ]
    with (tmp_path / "out" / "results.csv").open(encoding="utf-8-sig") as handle:
        table = list(csv.DictReader(handle))
    assert [row["id"] for row in table] == [p["id"] for p in profiles]
    for row in table:
        expected = by_id[row["id"]]
        assert row["next_step"] == expected.readiness.next_step
        assert row["rules_version"] == expected.rules_version
        for score in expected.scores:
            assert row[f"score.{score.area}"] == (str(score.score) if score.assessed else "")
        assert row["flags"] == ", ".join(f.id for f in expected.flags)
    verdicts = {}
    for expected in by_id.values():
        verdicts[expected.readiness.verdict] = verdicts.get(expected.readiness.verdict, 0) + 1
    assert dict(result.counts.verdicts) == verdicts


def test_outputs_of_a_screen(tmp_path, kb):
    path = write_csv(
        tmp_path / "d.csv",
        [
            HEADER,
            ["bf-1", "Koudougou", "Burkina Faso", "relationship", "fragile"],
            ["bf-2", "Pô", "Burkina Faso", "what", "stable"],
        ],
    )
    options = ScreenOptions(out_dir=tmp_path / "out", lang="fr")
    with RequestTable(path, path.name, kb, "fr") as table:
        result = screen_requests(table, kb, options)
    out = tmp_path / "out"
    assert (result.assessed, result.rejected_rows, result.stored) == (1, 1, 0)
    for name in (
        "results.csv",
        "results.xlsx",
        "errors.csv",
        "summary.md",
        "summary.pdf",
        "reports/bf-1.md",
        "reports/bf-1.pdf",
        "charts/verdicts.png",
        "charts/verdicts.svg",
        "charts/south_countries.png",
    ):
        assert (out / name).is_file(), name
    assert (out / "summary.pdf").read_bytes().startswith(b"%PDF")
    errors = (out / "errors.csv").read_text(encoding="utf-8-sig").splitlines()
    assert errors[0] == "ligne;colonne;valeur;problème;valeurs permises"  # the batch's language
    assert errors[1].startswith("3;relationship.purpose;what;")
    assert errors[1].endswith("funding_counter, projects, relationship, unknown")
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "Burkina Faso | 1" in summary and "![verdicts](charts/verdicts.png)" in summary
    workbook = openpyxl.load_workbook(out / "results.xlsx")
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "id" and rows[1][0] == "bf-1" and len(rows) == 2
    # for people: the header frozen and bold, a filter on every column, columns widened
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(rows[0])).column_letter}2"
    assert sheet.column_dimensions["A"].width >= 20
    with (out / "results.csv").open(encoding="utf-8-sig") as handle:
        flag_ids = next(csv.DictReader(handle, delimiter=";"))["flags"].split(", ")
    assert flag_ids and set(flag_ids) <= set(kb.flags)  # ids in the CSV, for programs…
    shown = rows[1][rows[0].index("flags")]
    assert shown == " · ".join(kb.flags[f].text.fr for f in flag_ids)  # …labels for people


def test_a_question_given_twice_keeps_the_first_column_and_warns(tmp_path, kb):
    text = kb.questions["relationship.purpose"].text.get("fr")
    path = write_csv(
        tmp_path / "d.csv",
        [["id", "relationship.purpose", text], ["a", "projects", "relationship"]],
    )
    table, rows = read_rows(path, kb, "en")
    assert rows[0].profile.answers == {"relationship.purpose": "projects"}
    assert table.duplicate_columns == [text]
    assert table.warnings() == [f"duplicate columns, only the first is read: {text}"]


def test_a_table_of_release_1_is_read_and_migrated(tmp_path, kb):
    """A directorate's spreadsheet made for the first knowledge base: its retired column is read,
    its answers become those of release 2 (rules/migrations.yaml); a bad old value is still
    named with what was allowed."""
    path = write_csv(
        tmp_path / "demandes-2025.csv",
        [
            ["id", "practice.main_actions", "search.partner_status"],
            ["a-1", "development_projects", "committed_partner"],
            ["a-2", "container", "committed_partner"],
        ],
    )
    _, rows = read_rows(path, kb, "en")
    first = rows[0].profile
    assert first is not None, rows[0].problems
    assert first.answers == {
        "practice.development_projects": "present",
        "search.partner_status": "committed_partner",
    }
    assert rows[1].profile is None
    [problem] = rows[1].problems
    assert (problem.column, problem.value) == ("practice.main_actions", "container")
    assert "development_projects" in problem.allowed
