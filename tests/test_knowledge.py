"""The knowledge base: valid, fully cited, and a malformed rule file is reported precisely."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from coopdec_expert.knowledge import lint as lint_module
from coopdec_expert.knowledge.lint import (
    SourceError,
    lint,
    load_checked,
    locate_source,
    normalise,
)
from coopdec_expert.knowledge.loader import KnowledgeError, load_knowledge, rules_version
from coopdec_expert.knowledge.models import APPROACHES, STEPS

from .conftest import ROOT

RULES = ROOT / "rules"


def test_shipped_rules_lint_clean():
    kb, problems = lint()
    assert kb is not None
    assert problems == []


def test_every_quote_is_verbatim_in_the_seed(kb, reference_text):
    seed = reference_text
    entries = [
        entry
        for kind in (
            "questions",
            "rules",
            "flags",
            "recommendations",
            "areas",
            "steps",
            "approaches",
        )
        for entry in getattr(kb, kind).values()
    ]
    assert len(entries) > 200
    missing = [e.id for e in entries if normalise(e.source.quote) not in seed]
    assert missing == []


def test_parameters_have_a_source_or_say_policy_choice(kb, reference_text):
    for parameter in kb.parameters.values():
        assert (
            parameter.source == "policy choice"
            or normalise(parameter.source.quote) in reference_text
        )


def test_coverage_of_the_seed(kb):
    """Every section is cited, and the four criteria of the product owner are scored core areas."""
    sections = {
        e.source.section for kind in ("questions", "rules") for e in getattr(kb, kind).values()
    }
    assert sections == {"1", "2", "3", "4", "5"}
    core = {a.id for a in kb.areas.values() if a.core}
    assert core == {
        "decentralisation_maturity",
        "stability",
        "motivation_clarity",
        "mutual_contributions",
    }
    assert set(kb.steps) == set(STEPS)
    assert {r.then.approach for r in kb.rules.values() if r.then.approach} == set(APPROACHES)
    assert {r.then.step_done for r in kb.rules.values() if r.then.step_done} == set(STEPS)
    north = {q for q in kb.questions if q.startswith("north.motivation.")}
    south = {q for q in kb.questions if q.startswith("south.motivation.")}
    assert len(north) >= 7 and len(south) >= 4


def test_unknown_is_accepted_everywhere_unless_justified(kb):
    for question in kb.questions.values():
        assert question.accepts_unknown or question.unknown_reason


def test_rules_version_changes_with_content(tmp_path):
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    before = rules_version(copy)
    assert before == rules_version(RULES)
    path = copy / "parameters.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert rules_version(copy) != before


def _broken(tmp_path: Path, filename: str, edit) -> Path:
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    path = copy / filename
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return copy


def _first_rule(data):
    return data["rules"][0]


BREAKS = [
    (
        "missing_english_because",
        "1_definition.yaml",
        lambda d: _first_rule(d)["because"].pop("en"),
        [
            "rules/1_definition.yaml",
            "id=definition.funding_counter",
            "because.en",
            "Field required",
        ],
    ),
    (
        "unknown_key",
        "1_definition.yaml",
        lambda d: _first_rule(d).update(becuase="x"),
        ["id=definition.funding_counter", "becuase", "Extra inputs"],
    ),
    (
        "condition_without_test",
        "1_definition.yaml",
        lambda d: _first_rule(d).update(when={"answer": "relationship.purpose"}),
        ["id=definition.funding_counter", "exactly one of 'is', 'in', 'at_least', 'at_most'"],
    ),
    (
        "bad_severity",
        "1_definition.yaml",
        lambda d: d["flags"][0].update(severity="critical"),
        ["id=funding_counter_view", "severity", "'high', 'medium' or 'low'"],
    ),
    (
        "bad_section",
        "1_definition.yaml",
        lambda d: _first_rule(d)["source"].update(section="7"),
        ["id=definition.funding_counter", "source.section"],
    ),
    (
        "duplicate_id",
        "1_definition.yaml",
        lambda d: d["rules"].append(dict(_first_rule(d))),
        ["duplicate id 'definition.funding_counter'"],
    ),
]


@pytest.mark.parametrize("name,filename,edit,fragments", BREAKS, ids=[b[0] for b in BREAKS])
def test_malformed_rule_file_names_file_id_and_field(tmp_path, name, filename, edit, fragments):
    with pytest.raises(KnowledgeError) as raised:
        load_knowledge(_broken(tmp_path, filename, edit))
    message = str(raised.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


REFERENCE_BREAKS = [
    (
        "unknown_question",
        lambda d: _first_rule(d).update(when={"answer": "relationship.purpos", "is": "x"}),
        "rule definition.funding_counter: unknown question 'relationship.purpos'",
    ),
    (
        "unknown_option",
        lambda d: _first_rule(d).update(when={"answer": "relationship.purpose", "is": "guichet"}),
        "question 'relationship.purpose' has no option 'guichet'; "
        "allowed: funding_counter, projects, relationship",
    ),
    (
        "unknown_flag",
        lambda d: _first_rule(d)["then"].update(flags=["nope"]),
        "rule definition.funding_counter: unknown flag 'nope'",
    ),
    (
        "unknown_fact",
        lambda d: _first_rule(d).update(when={"fact": "never_concluded"}),
        "fact 'never_concluded' is concluded by no rule",
    ),
]


@pytest.mark.parametrize(
    "name,edit,fragment", REFERENCE_BREAKS, ids=[b[0] for b in REFERENCE_BREAKS]
)
def test_broken_references_refuse_the_knowledge_base(tmp_path, name, edit, fragment):
    broken = _broken(tmp_path, "1_definition.yaml", edit)
    with pytest.raises(KnowledgeError) as raised:
        load_checked(broken)
    assert fragment in str(raised.value)
    _, problems = lint(broken)
    assert any(fragment in p for p in problems)


LINT_BREAKS = [
    (
        "quote_not_in_seed",
        lambda d: _first_rule(d)["source"].update(quote="une phrase qui n'est pas dans le texte"),
        "quote not found in the source text",
    ),
    (
        "flag_not_addressed",
        lambda d: d["recommendations"][0].update(addresses=["project_only_view"]),
        "flag funding_counter_view: no recommendation addresses it",
    ),
    (
        "rule_can_never_fire",
        lambda d: _first_rule(d).update(
            when={
                "all": [
                    {"answer": "relationship.purpose", "is": "funding_counter"},
                    {"answer": "relationship.purpose", "is": "relationship"},
                ]
            }
        ),
        "rule definition.funding_counter: can never fire",
    ),
    (
        "same_text_in_both_languages",
        lambda d: _first_rule(d)["because"].update(en=_first_rule(d)["because"]["fr"]),
        "because is the same in fr and en",
    ),
    (
        "not_over_an_answer",
        lambda d: _first_rule(d).update(
            when={"not": {"answer": "relationship.purpose", "is": "relationship"}}
        ),
        "'not' over an answer also matches unknown answers",
    ),
    (
        "severity_disagrees_with_its_reason",  # a medium reason ("sous conditions") made high
        lambda d: d["flags"][0].update(severity="high", source_kind="seed"),
        "flag funding_counter_view: severity high, but its severity_rationale (fr) does not say so",
    ),
    (
        "high_flag_from_an_interpretation",
        lambda d: d["flags"][0].update(severity="high", source_kind="interpretation"),
        "a high flag makes a partnership not ready; it must be what the text states",
    ),
    (
        "severity_parameter_not_named",
        lambda d: d["flags"][0].update(severity_from="context_severity"),
        "its severity is the parameter context_severity; the severity_rationale (fr) must name it",
    ),
]


@pytest.mark.parametrize("name,edit,fragment", LINT_BREAKS, ids=[b[0] for b in LINT_BREAKS])
def test_lint_reports_design_problems(tmp_path, name, edit, fragment, request):
    if name == "quote_not_in_seed":
        request.getfixturevalue("reference_text")  # skipped here, failed under CI, without it
    _, problems = lint(_broken(tmp_path, "1_definition.yaml", edit))
    assert any(fragment in p for p in problems), problems


def test_not_yaml_and_empty_files(tmp_path):
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    (copy / "empty.yaml").write_text("", encoding="utf-8")
    (copy / "broken.yaml").write_text("rules: [\n", encoding="utf-8")
    (copy / "other.yaml").write_text("regles: []\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as raised:
        load_knowledge(copy)
    problems = raised.value.problems
    assert any("rules/empty.yaml: empty file" in p for p in problems)
    assert any("rules/broken.yaml: not valid YAML" in p for p in problems)
    assert any("rules/other.yaml: unknown top-level keys ['regles']" in p for p in problems)


# --- the reference text: where lint finds it, and what happens without it -----------------


@pytest.fixture
def no_reference_text(monkeypatch, tmp_path):
    """A machine where nothing names the reference text and nothing is beside the checkout."""
    for name in lint_module.SOURCE_ENV:
        monkeypatch.delenv(name, raising=False)
    missing = tmp_path / "shared" / "seed" / "absent.txt"
    monkeypatch.setattr(lint_module, "source_text_beside_checkout", lambda: missing)
    return missing


def _text_of_every_quote(tmp_path: Path, kb) -> Path:
    """A stand-in for the reference text: every quote of the shipped rules, one per line."""
    kinds = ("questions", "rules", "flags", "recommendations", "areas", "steps", "approaches")
    quotes = [entry.source.quote for kind in kinds for entry in getattr(kb, kind).values()]
    quotes += [p.source.quote for p in kb.parameters.values() if p.source != "policy choice"]
    quotes += [c.source.quote for c in kb.match_criteria.values()]
    for vocabulary in kb.vocabularies.values():
        cited = [vocabulary.source] + [term.source for term in vocabulary.terms]
        quotes += [source.quote for source in cited if source != "policy choice"]
    path = tmp_path / "reference.txt"
    path.write_text("\n".join(quotes), encoding="utf-8")
    return path


def test_without_a_reference_text_quotes_are_not_checked(no_reference_text, kb, tmp_path):
    text = _text_of_every_quote(tmp_path, kb)
    invented = "une phrase qui n'est pas dans le texte"
    broken = _broken(
        tmp_path, "1_definition.yaml", lambda d: _first_rule(d)["source"].update(quote=invented)
    )
    assert locate_source() is None
    assert lint(broken)[1] == []  # nothing to check the quote against
    _, problems = lint(broken, source=text)
    assert problems == [
        f"rules/1_definition.yaml: rule definition.funding_counter: quote not found in the "
        f'source text: "{invented}"'
    ]


def test_the_reference_text_is_found_in_order(no_reference_text, monkeypatch, tmp_path):
    given, env, old_env = (tmp_path / n for n in ("given.txt", "env.txt", "old.txt"))
    for path in (given, env, old_env, no_reference_text):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("texte", encoding="utf-8")
    assert locate_source() == no_reference_text  # ../shared/seed/ beside the checkout
    monkeypatch.setenv("COOPDEC_SEED", str(old_env))  # the older name still counts
    assert locate_source() == old_env
    monkeypatch.setenv("COOPDEC_SOURCE", str(env))
    assert locate_source() == env
    assert locate_source(given) == given


def test_a_reference_text_named_but_absent_is_an_error(no_reference_text, monkeypatch, tmp_path):
    with pytest.raises(SourceError) as raised:
        locate_source(tmp_path / "nope.txt")
    assert raised.value.origin == "--source" and raised.value.path == tmp_path / "nope.txt"
    monkeypatch.setenv("COOPDEC_SOURCE", str(tmp_path / "gone.txt"))
    with pytest.raises(SourceError) as raised:
        locate_source()
    assert raised.value.origin == "$COOPDEC_SOURCE"


def test_lint_warns_about_long_rule_files_without_failing(tmp_path):
    from typer.testing import CliRunner

    from coopdec_expert.cli import app
    from coopdec_expert.knowledge.lint import MAX_FILE_LINES, size_warnings

    assert size_warnings() == []  # the shipped base: one idea per file
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    long_file = copy / "4_method" / "5_agreement.yaml"
    padding = "".join(f"# note {n}\n" for n in range(MAX_FILE_LINES))
    long_file.write_text(long_file.read_text(encoding="utf-8") + padding, encoding="utf-8")
    lines = len(long_file.read_text(encoding="utf-8").splitlines())
    assert size_warnings(copy) == [f"rules/4_method/5_agreement.yaml: {lines}"]
    result = CliRunner().invoke(app, ["lint", "--rules", str(copy), "--lang", "en"])
    assert result.exit_code == 0, result.stdout
    assert f"warning: long file (lines) rules/4_method/5_agreement.yaml: {lines}" in result.stderr
