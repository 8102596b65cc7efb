"""Explanations: why-chains from the engine's firing, why-not, what-if, paths, next questions."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from coopdec_expert.assessment import VERDICT_RANK
from coopdec_expert.cli import app
from coopdec_expert.explain.path import paths_to_next_level
from coopdec_expert.explain.whatif import sweep, what_if
from coopdec_expert.explain.why import explain_why
from coopdec_expert.explain.whynot import why_not
from coopdec_expert.knowledge.models import STEPS, UNKNOWN
from coopdec_expert.profile import Profile, validate_profile

from .conftest import EXAMPLES_DIR, load_cases

CASES = load_cases()
runner = CliRunner()


def _answers_of_chain(item) -> dict[str, str]:
    return {a.question: a.option for link in item.chain for a in link.answers}


@pytest.mark.parametrize("case_id,case", CASES, ids=[c[0] for c in CASES])
def test_every_flag_and_recommendation_has_a_chain_ending_in_the_profile(
    case_id, case, kb, assessor
):
    profile = validate_profile(case["profile"], kb, case_id)
    answers = dict(profile.answers)
    report = explain_why(assessor, answers, "fr")
    result = assessor.assess(profile, "fr")
    items = {(i.kind, i.id): i for i in report.items}
    for flag in result.flags:
        item = items[("flag", flag.id)]
        assert item.chain, flag.id
        used = _answers_of_chain(item)
        assert used and all(answers.get(q) == o for q, o in used.items()), flag.id
        # Removing the triggering answers removes the flag.
        without = {q: o for q, o in answers.items() if q not in used}
        assert flag.id not in assessor.outcome(without).flags, flag.id
    for rec in result.recommendations:
        item = items[("recommendation", rec.id)]
        if rec.why == "next_step":
            # The next step is explained by the steps done (rules) and what its rule still needs.
            assert any(n.startswith(("Reste à faire", "Conseil")) for n in item.notes), rec.id
            continue
        assert item.chain, rec.id
        used = _answers_of_chain(item)
        assert all(answers.get(q) == o for q, o in used.items()), rec.id
        if rec.why == "flag":
            without = {q: o for q, o in answers.items() if q not in used}
            still = [r for r in assessor.recommendations(without) if r.id == rec.id]
            assert not still or still[0].why == "next_step", rec.id


@pytest.mark.parametrize("case_id,case", CASES[:8], ids=[c[0] for c in CASES[:8]])
def test_why_chain_is_the_engine_firing_order(case_id, case, kb, assessor):
    answers = dict(validate_profile(case["profile"], kb, case_id).answers)
    fired = assessor.outcome(answers).trace.fired
    for item in explain_why(assessor, answers, "en").items:
        positions = [fired.index(link.rule) for link in item.chain]
        assert positions == sorted(positions)
        for link in item.chain:
            for dependency in link.depends_on:
                assert fired.index(dependency) < fired.index(link.rule)


def test_why_not_ready_names_the_obstacles(kb, assessor):
    case = next(c for i, c in CASES if i.startswith("early_commune_clarified_partner_search"))
    answers = dict(validate_profile(case["profile"], kb).answers)
    report = why_not(assessor, answers, "ready", "en")
    assert not report.reached
    codes = {o.code for o in report.obstacles}
    assert "step_not_done" in codes
    step = next(o for o in report.obstacles if o.item == "partner_search")
    requirement = step.rules[0].requirements[0]
    assert requirement.question == "search.partner_status"
    assert requirement.needed == ["potential_partner", "committed_partner"]
    assert why_not(assessor, answers, "partner_search", "en").reached


def test_why_not_flag_lists_answers_to_change(assessor):
    # A context fact is a medium flag since knowledge base v2: an obstacle to "ready".
    answers = {"south.elected_executive": "appointed"}
    assert "no_elected_executive" not in {
        o.item for o in why_not(assessor, answers, "conditional", "fr").obstacles
    }
    report = why_not(assessor, answers, "ready", "fr")
    flag = next(o for o in report.obstacles if o.item == "no_elected_executive")
    assert flag.code == "medium_flag"
    rule = flag.rules[0]
    assert rule.must == "stop_holding"
    assert [(r.question, r.needed, r.actionable) for r in rule.requirements] == [
        ("south.elected_executive", ["elected"], False)
    ]


def test_why_not_rejects_unknown_targets(assessor):
    with pytest.raises(ValueError, match="allowed: insufficient_information, conditional, ready"):
        why_not(assessor, {}, "excellent")


def test_what_if_of_no_change_is_empty(kb, assessor):
    for path in sorted(EXAMPLES_DIR.glob("*.yaml"))[:4]:
        from coopdec_expert.profile import load_profile

        profile = load_profile(path, kb)
        assert what_if(assessor, profile, {}).empty
        same = {q: o for q, o in list(profile.answers.items())[:3]}
        report = what_if(assessor, profile, same)
        assert report.empty and report.changes == []


def test_what_if_reports_the_moves(assessor):
    profile = Profile(answers={"south.elected_executive": "appointed"})
    report = what_if(assessor, profile, {"south.elected_executive": "elected"}, "en")
    assert "no_elected_executive" in report.flags_removed
    assert report.changes[0].before == "appointed" and report.changes[0].after == "elected"
    assert not report.empty


def test_sweep_covers_every_single_answer_alternative(kb, assessor):
    answers = {"search.partner_status": "searching"}
    rows = sweep(assessor, answers)
    # Unanswered means unknown: each unanswered question has its options as alternatives; the
    # answered one has its other options and `unknown`. Both come to one per option.
    expected = sum(len(q.options) for q in kb.questions.values())
    assert len(rows) == expected
    assert ("search.partner_status", "potential_partner") in {(q, o) for q, o, _, _ in rows}


@st.composite
def profiles(draw, kb_questions):
    answers = {}
    for question_id, options, unknown in kb_questions:
        # A question that does not accept `unknown` (who requests) is always answered, as
        # Profile.engine_answers makes sure.
        blank = [None, *unknown] if unknown else []
        choice = draw(st.sampled_from([*blank, *options, options[-1], options[-1]]))
        if choice is not None:
            answers[question_id] = choice
    return answers


def generated(max_examples: int):
    """Hypothesis settings for the generated-profile checks below (a session-scoped assessor)."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@pytest.fixture(scope="module")
def question_options(kb):
    return [
        (q.id, q.option_ids(), [UNKNOWN] if q.accepts_unknown else [])
        for q in kb.questions.values()
    ]


def test_paths_really_reach_the_promised_level(assessor, question_options):
    @generated(25)
    @given(answers=profiles(question_options))
    def check(answers):
        base = assessor.outcome(answers)
        report = paths_to_next_level(assessor, answers, "en", max_changes=2, limit=4)
        sizes = [len(p.changes) for p in report.paths]
        assert sizes == sorted(sizes)
        for path in report.paths:
            assert all(c.actionable for c in path.changes)
            changed = {**answers, **{c.question: c.after for c in path.changes}}
            result = assessor.outcome(changed)
            assert (result.verdict, result.next_step) == (path.verdict, path.next_step)
            if "verdict" in path.moves:
                assert VERDICT_RANK[result.verdict] > VERDICT_RANK[base.verdict]
            if "next_step" in path.moves:
                assert STEPS.index(result.next_step) > STEPS.index(base.next_step)
            assert path.moves
            # Smallest: no proper subset of the changes moves anything.
            for dropped in path.changes:
                rest = {c.question: c.after for c in path.changes if c is not dropped}
                smaller = assessor.outcome({**answers, **rest})
                assert VERDICT_RANK[smaller.verdict] <= VERDICT_RANK[base.verdict] and STEPS.index(
                    smaller.next_step
                ) <= STEPS.index(base.next_step)

    check()


def test_path_reports_context_blockers(assessor):
    # Unsafe travel is the one context fact that keeps a partnership not ready on its own
    # (knowledge base v2); the local government cannot change it, so it is reported, not proposed.
    answers = {
        "partnership.requester": "south",
        "context.delegation_safety": "unsafe",
        "search.partner_status": "searching",
    }
    assert assessor.outcome(answers).verdict == "not_ready"
    report = paths_to_next_level(assessor, answers, "en")
    assert "context.delegation_safety" in {r.question for r in report.blocked_by_context}
    assert all(
        "context.delegation_safety" not in {c.question for c in p.changes} for p in report.paths
    )


def test_next_questions_only_propose_questions_that_can_move_the_result(assessor, question_options):
    """Sound: each proposed question comes with, per option, a completion of the profile (its
    known answers kept) in which the options really give different results. And a question
    left out cannot move the result with the other open questions as they are."""

    @generated(12)
    @given(answers=profiles(question_options))
    def check(answers):
        base = assessor.outcome(answers)
        impacts = {i.question: i for i in assessor.next_questions(answers)}
        known = {q: o for q, o in answers.items() if o != UNKNOWN}
        for question_id, impact in impacts.items():
            assert question_id in base.open_questions
            # compared with leaving the question open, re-checked on the engine of record
            reference = impact.unknown_witness
            assert reference is not None and reference.get(question_id, UNKNOWN) == UNKNOWN
            assert all(reference[q] == o for q, o in known.items())
            result = assessor.outcome(reference)
            assert (result.verdict, result.next_step) == impact.unknown
            seen = {impact.unknown}
            for option, witness in impact.witnesses.items():
                assert witness[question_id] == option
                assert all(witness[q] == o for q, o in known.items())
                result = assessor.outcome(witness)
                assert (result.verdict, result.next_step) == impact.results[option]
                seen.add(impact.results[option])
            assert len(seen) > 1, question_id
        for question_id in set(base.open_questions) - set(impacts):
            results = {
                (r.verdict, r.next_step)
                for o in assessor.kb.questions[question_id].option_ids()
                for r in [assessor.outcome({**answers, question_id: o})]
            }
            assert results == {(base.verdict, base.next_step)}, question_id

    check()


def test_cli_explain_modes(tmp_path):
    path = EXAMPLES_DIR / "ziniare_recherche_de_partenaire.yaml"
    why = runner.invoke(app, ["explain", str(path), "--format", "json", "--lang", "en"])
    assert why.exit_code == 0, why.stderr
    assert {i["kind"] for i in json.loads(why.stdout)["items"]} >= {
        "verdict",
        "next_step",
        "score",
        "recommendation",
    }
    whynot = runner.invoke(app, ["explain", str(path), "--why-not", "ready", "-f", "markdown"])
    assert whynot.exit_code == 0 and "# Pourquoi pas" in whynot.stdout
    whatif = runner.invoke(
        app, ["explain", str(path), "--what-if", "search.partner_status=potential_partner"]
    )
    assert whatif.exit_code == 0 and "Savoir se présenter" in whatif.stdout
    paths = runner.invoke(app, ["explain", str(path), "--path", "--lang", "en"])
    assert paths.exit_code == 0 and "Path 1" in paths.stdout


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["--what-if", "foo=bar"], "unknown question 'foo'"),
        (["--what-if", "search.partner_status=maybe"], "allowed: not_started ("),
        (["--what-if", "nonsense"], "expected question=option"),
        (["--why-not", "perfect"], "allowed: insufficient_information"),
        (["--path", "--why-not", "ready"], "choose one of"),
    ],
)
def test_cli_explain_bad_input(args, fragment):
    path = EXAMPLES_DIR / "ziniare_recherche_de_partenaire.yaml"
    result = runner.invoke(app, ["explain", str(path), *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert fragment in result.stderr
