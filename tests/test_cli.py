"""The `coopdec` command line: outputs, languages, formats and every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from coopdec_expert.cli import app

from .conftest import ROOT

runner = CliRunner()
BAD_INPUTS = sorted((ROOT / "tests" / "bad_inputs").glob("*.yaml"))
GOOD_PROFILE = {
    "id": "bf-test",
    "north": {"name": "Ville <script>alert(1)</script>", "country": "France"},
    "south": {"name": "Commune | *Koudougou*", "country": "Burkina Faso"},
    "answers": {
        "context.political_stability": "stable",
        "context.delegation_safety": "safe",
        "south.elected_executive": "elected",
        "search.partner_status": "searching",
    },
}


def _write(tmp_path: Path, data: dict, name: str = "profile.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("case_path", BAD_INPUTS, ids=[p.stem for p in BAD_INPUTS])
def test_bad_input_exits_2_with_one_message(case_path, tmp_path):
    case = yaml.safe_load(case_path.read_text(encoding="utf-8"))
    target = tmp_path / case["filename"]
    if "content_hex" in case:
        target.write_bytes(bytes.fromhex(case["content_hex"]))
    elif not case.get("absent"):
        target.write_text(case["content"], encoding="utf-8")
    result = runner.invoke(app, ["assess", str(target)])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    message = result.stderr.strip()
    assert message.startswith("error: ") and "\n" not in message, message
    for fragment in case["expect_error"]:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert "Traceback" not in result.stderr


def test_bad_inputs_cover_the_issue_list():
    names = {p.stem for p in BAD_INPUTS}
    assert {"unknown_question", "option_not_allowed", "malformed_yaml", "empty_file"} <= names


def test_assess_text_french_by_default(tmp_path):
    result = runner.invoke(app, ["assess", str(_write(tmp_path, GOOD_PROFILE))])
    assert result.exit_code == 0, result.stderr
    assert "Verdict" in result.stdout and "Étape suivante" in result.stdout
    assert "<script>" in result.stdout  # plain text shows names as typed (no HTML here)


def test_assess_json_english_is_the_contract(tmp_path):
    result = runner.invoke(
        app, ["assess", str(_write(tmp_path, GOOD_PROFILE)), "--lang", "en", "--format", "json"]
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["lang"] == "en"
    assert data["readiness"]["verdict"] in {
        "ready",
        "conditional",
        "not_ready",
        "insufficient_information",
    }
    assert data["readiness"]["next_step"] == "commitment"  # commitment questions unanswered
    assert {"scores", "flags", "recommendations", "missing", "fired", "rules_version"} <= set(data)
    for s in data["scores"]:
        assert s["status"] in {"assessed", "partial", "not_assessed"}, s
        assert (s["score"] is None) == (s["status"] == "not_assessed"), s
        assert s["score"] is None or 0 <= s["score"] <= s["upper"] <= 3, s
    for item in data["flags"] + data["recommendations"]:
        assert item["source"]["quote"] and item["source"]["section"]


def test_markdown_escapes_user_text(tmp_path):
    result = runner.invoke(
        app, ["assess", str(_write(tmp_path, GOOD_PROFILE)), "--format", "markdown"]
    )
    assert result.exit_code == 0, result.stderr
    assert "<script>" not in result.stdout
    assert "&lt;script&gt;" in result.stdout
    assert r"Commune \| \*Koudougou\*" in result.stdout


def test_text_strips_terminal_control_characters(tmp_path):
    profile = {**GOOD_PROFILE, "title": "Evil \x1b[2J\x1b[31mtitle"}
    result = runner.invoke(app, ["assess", str(_write(tmp_path, profile))])
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout
    assert "Evil [2J[31mtitle" in result.stdout


def test_json_profile_is_accepted(tmp_path):
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(GOOD_PROFILE), encoding="utf-8")
    result = runner.invoke(app, ["assess", str(path), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["partnership"] == "bf-test"


def test_unsupported_language_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["assess", str(_write(tmp_path, GOOD_PROFILE)), "--lang", "de"])
    assert result.exit_code == 2
    assert result.stdout == ""


@pytest.mark.parametrize("lang,heading", [("fr", "Étape"), ("en", "Step")])
def test_questions_grouped_by_step(lang, heading, kb):
    result = runner.invoke(app, ["questions", "--lang", lang])
    assert result.exit_code == 0
    positions = [result.stdout.index(f"[{step}] ==") for step in kb.steps]
    assert positions == sorted(positions)
    assert heading in result.stdout
    for question_id in kb.questions:
        assert f"\n{question_id}" in result.stdout


def test_rules_lists_because_and_source(kb):
    result = runner.invoke(app, ["rules", "--lang", "en"])
    assert result.exit_code == 0
    for rule in kb.rules.values():
        assert rule.id in result.stdout
        assert rule.because.en in result.stdout
        assert rule.source.quote in result.stdout


def test_lint_clean_on_shipped_rules():
    result = runner.invoke(app, ["lint"])
    assert result.exit_code == 0, result.stdout
    assert "valide" in result.stdout


def test_assess_with_broken_rules_folder_exits_2(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "broken.yaml").write_text("rules: [{id: x}]\n", encoding="utf-8")
    result = runner.invoke(
        app, ["assess", str(_write(tmp_path, GOOD_PROFILE)), "--rules", str(rules)]
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "rules/broken.yaml" in result.stderr and "id=x" in result.stderr


def test_pdf_report_written_to_a_file(tmp_path):
    target = tmp_path / "report.pdf"
    result = runner.invoke(
        app, ["assess", str(_write(tmp_path, GOOD_PROFILE)), "-f", "pdf", "-o", str(target)]
    )
    assert result.exit_code == 0, result.stderr
    data = target.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 5_000


def test_pdf_needs_an_output_file(tmp_path):
    result = runner.invoke(app, ["assess", str(_write(tmp_path, GOOD_PROFILE)), "-f", "pdf"])
    assert result.exit_code == 2
    assert "--out" in result.stderr and result.stdout == ""
