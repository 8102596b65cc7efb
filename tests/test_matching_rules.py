"""The matching part of the knowledge base (rules/6_matching/): its lint checks catch a weight
dressed as a quote, an unknown counted above a known match, a motivation standing for an answer
the typology does not have, a criterion's quote not in the seed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from coopdec_expert.knowledge.lint import lint

RULES = Path(__file__).resolve().parents[1] / "rules"


def _broken(tmp_path: Path, filename: str, edit) -> Path:
    copy = tmp_path / "rules"
    shutil.copytree(RULES, copy)
    path = copy / "6_matching" / filename
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return copy


def _parameter(data, name):
    return next(p for p in data["parameters"] if p["id"] == name)


BREAKS = [
    (
        "weight_dressed_in_a_quote",
        "3_criteria.yaml",
        lambda d: _parameter(d, "match_weight_exchange").update(
            source={"section": "3", "quote": "ce que chaque partie apporte à l’autre"}
        ),
        'its source must be "policy choice"',
    ),
    (
        "unknown_above_a_known_match",
        "3_criteria.yaml",
        lambda d: _parameter(d, "match_unknown_share").update(value=60),
        "an unknown counts for less than one known match",
    ),
    (
        "weight_not_a_number",
        "3_criteria.yaml",
        lambda d: _parameter(d, "match_weight_capacity").update(value="ten"),
        "must be a whole number >= 0",
    ),
    (
        "motivation_for_an_unknown_option",
        "2_territory.yaml",
        lambda d: next(v for v in d["vocabularies"] if v["id"] == "south_motivations")["terms"][
            0
        ].update(answers={"south.motivation.legitimacy_citizens": "primary"}),
        "has no option 'primary'",
    ),
]


@pytest.mark.parametrize(
    ("name", "filename", "edit", "fragment"), BREAKS, ids=[b[0] for b in BREAKS]
)
def test_lint_catches(tmp_path, name, filename, edit, fragment):
    _, problems = lint(_broken(tmp_path, filename, edit))
    assert any(fragment in p for p in problems), problems


def test_a_criterion_quote_not_in_the_seed(tmp_path, reference_text):
    broken = _broken(
        tmp_path,
        "3_criteria.yaml",
        lambda d: d["match_criteria"][0]["source"].update(quote="une phrase absente du texte"),
    )
    _, problems = lint(broken)
    assert any("criterion shared_stakes: quote not found" in p for p in problems), problems


def test_every_matching_number_is_a_declared_policy_choice(kb):
    names = [p for p in kb.parameters if p.startswith("match_")]
    assert len(names) >= 10
    assert all(kb.parameters[p].source == "policy choice" for p in names)
    for criterion in kb.match_criteria.values():
        if criterion.weight_from is not None:
            assert criterion.weight_from in names
