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
    message = result.stderr.strip().replace("\u202f", " ")  # French spacing, as typed in cases
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


def test_terminal_control_characters_are_refused_and_never_echoed(tmp_path):
    """An escape sequence in a text is refused at validation (issue 14: control characters have
    no place in a title), naming the field and the character; the message does not echo it."""
    profile = {**GOOD_PROFILE, "title": "Evil \x1b[2J\x1b[31mtitle"}
    result = runner.invoke(app, ["assess", str(_write(tmp_path, profile)), "--lang", "en"])
    assert result.exit_code == 2 and result.stdout == ""
    assert "field 'title'" in result.stderr and "U+001B at position 6" in result.stderr
    assert "\x1b" not in result.stderr


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


def test_lint_clean_on_shipped_rules(reference_text):
    result = runner.invoke(app, ["lint"])
    assert result.exit_code == 0, result.stdout
    assert "valide" in result.stdout
    assert "Citations vérifiées dans le texte de référence" in result.stdout
    assert result.stderr == ""


def _no_reference_text(monkeypatch, tmp_path):
    from coopdec_expert.knowledge import lint

    for name in lint.SOURCE_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(lint, "source_text_beside_checkout", lambda: tmp_path / "absent.txt")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_lint_without_the_reference_text_warns_and_exits_0(lang, monkeypatch, tmp_path):
    from coopdec_expert.i18n import t

    _no_reference_text(monkeypatch, tmp_path)
    result = runner.invoke(app, ["lint", "--lang", lang])
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == t(lang, "lint.source_missing")
    assert "seed" not in result.stderr  # the user-facing name is "texte de référence"
    assert t(lang, "lint.source_checked", path="")[:-1] not in result.stdout


def test_lint_with_a_reference_text_that_does_not_exist_exits_2(monkeypatch, tmp_path):
    _no_reference_text(monkeypatch, tmp_path)
    result = runner.invoke(app, ["lint", "--source", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2 and result.stdout == ""
    assert "--source" in result.stderr and "nope.txt" in result.stderr
    monkeypatch.setenv("COOPDEC_SOURCE", str(tmp_path / "gone.txt"))
    result = runner.invoke(app, ["lint", "--lang", "en"])
    assert result.exit_code == 2 and result.stdout == ""
    assert "$COOPDEC_SOURCE: reference text not found" in result.stderr


def test_version_is_the_package_metadata():
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"coopdec-expert {version('coopdec-expert')}"


# --- examples ---------------------------------------------------------------------------


def test_examples_lists_every_shipped_example_with_its_situation_in_both_languages():
    import re

    from coopdec_expert.assessment import VERDICTS
    from coopdec_expert.examples import EXAMPLES_DIR, descriptions
    from coopdec_expert.i18n import t

    names = sorted(p.name for p in EXAMPLES_DIR.iterdir() if p.suffix in {".yaml", ".json"})
    for lang in ("fr", "en"):
        result = runner.invoke(app, ["examples", "--lang", lang])
        assert result.exit_code == 0, result.output
        described = descriptions(lang)
        assert sorted(described) == names
        for name in names:
            assert f"\n{name}\n  {described[name]}\n" in result.stdout + "\n"
        # the situation, never the verdict the README's next column announces
        for verdict in VERDICTS:
            assert t(lang, f"verdict.{verdict}").lower() not in result.stdout.lower()
            assert re.search(rf"\b{verdict}\b", result.stdout) is None
    assert descriptions("fr") != descriptions("en")


def test_examples_copies_one_out_that_assesses_like_the_shipped_file(tmp_path, kb, assessor):
    from coopdec_expert.examples import EXAMPLES_DIR
    from coopdec_expert.profile import load_profile

    name = "koudougou_pret_a_conventionner"
    result = runner.invoke(app, ["examples", name, "--out", str(tmp_path / "profils")])
    assert result.exit_code == 0, result.output
    copied = tmp_path / "profils" / f"{name}.yaml"
    assert copied.read_bytes() == (EXAMPLES_DIR / f"{name}.yaml").read_bytes()
    assert str(copied) in result.stdout
    assessed = runner.invoke(app, ["assess", str(copied), "--format", "json"])
    expected = assessor.assess(load_profile(EXAMPLES_DIR / f"{name}.yaml", kb), "fr")
    assert json.loads(assessed.stdout)["readiness"]["verdict"] == expected.readiness.verdict
    # to a file name of the right kind, and printed when no --out is given
    target = tmp_path / "mon-profil.yml"
    assert runner.invoke(app, ["examples", f"{name}.yaml", "-o", str(target)]).exit_code == 0
    assert target.read_bytes() == copied.read_bytes()
    shown = runner.invoke(app, ["examples", "dolisie_dependance_aux_seuls_elus"])
    assert json.loads(shown.stdout)["id"] == "exemple-dolisie-dependance"


@pytest.mark.parametrize(
    "args,fragments",
    [
        (["nowhere"], ["nowhere", "allowed names:", "koudougou_pret_a_conventionner"]),
        (["koudougou_pret_a_conventionner", "--out", "{tmp}/x.json"], ["x.json", ".yaml, .yml"]),
        (["dolisie_dependance_aux_seuls_elus", "--out", "{tmp}/x.yaml"], ["x.yaml", ".json"]),
        (
            ["koudougou_pret_a_conventionner", "--out", "{tmp}/taken.yaml"],
            ["taken.yaml", "--force"],
        ),
    ],
    ids=["unknown_name", "yaml_as_json", "json_as_yaml", "existing_file"],
)
def test_examples_bad_input_exits_2_and_names_what_is_allowed(tmp_path, args, fragments):
    (tmp_path / "taken.yaml").write_text("mine", encoding="utf-8")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = runner.invoke(app, ["examples", *args, "--lang", "en"])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in result.stderr
    assert (tmp_path / "taken.yaml").read_text(encoding="utf-8") == "mine"
    assert not (tmp_path / "x.json").exists() and not (tmp_path / "x.yaml").exists()


def test_examples_force_replaces_an_existing_file(tmp_path):
    target = tmp_path / "taken.yaml"
    target.write_text("mine", encoding="utf-8")
    args = ["examples", "po_dossier_a_completer", "--out", str(target), "--force"]
    assert runner.invoke(app, args).exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("#")


def test_ui_with_a_bad_register_url_exits_2_before_starting(tmp_path):
    result = runner.invoke(app, ["ui", "--store", "nosuchdb://x/y"])
    assert result.exit_code == 2 and result.stdout == ""
    assert "nosuchdb://x/y" in result.stderr


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
