"""Partner matching: ranking cases written from the seed, properties over random sheets, and
bad sheets named field by field (coopdec_expert/matching/)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coopdec_expert.matching.explain import Explainer, proposals_for
from coopdec_expert.matching.score import CRITERIA, Matcher
from coopdec_expert.matching.sheet import Sheet, SheetError, sheets_from_bytes, validate_sheet

HERE = Path(__file__).parent
CASES = yaml.safe_load((HERE / "matching" / "ranking_cases.yaml").read_text(encoding="utf-8"))[
    "cases"
]
EXAMPLE_SHEETS = HERE.parent / "examples" / "sheets"


# --- ranking cases --------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_ranking_case(case, kb):
    sheets = [validate_sheet(data, kb) for data in case["sheets"]]
    matcher = Matcher(sheets, kb)
    ranked = matcher.top_for(case["for"], 100)
    mine = matcher.side_of(case["for"])[0]
    partners = matcher.south if mine == "north" else matcher.north
    order = [partners.sheets[j if mine == "north" else i].id for i, j, _ in ranked]
    scores = {partners.sheets[j if mine == "north" else i].id: s for i, j, s in ranked}
    for better, worse in case.get("better", []):
        assert better in order and worse in order, order
        assert scores[better] > scores[worse], (better, worse, scores)
    for absent in case.get("absent", []):
        assert absent not in order
    others = {s.id for s in sheets if s.side != mine} - set(case.get("absent", []))
    assert set(order) == others  # every other pair is proposed (top is large)


# --- properties -----------------------------------------------------------------------


def _vocab(kb, name):
    return kb.vocabularies[name].ids()


@st.composite
def sheets_strategy(draw, kb, side: str, index: int):
    """A sheet of `side`: sparse (identity only) to complete, answers from the allowed ones."""
    themes = _vocab(kb, "themes")
    limit = kb.param("match_max_themes")

    def some(vocab, most):
        return draw(st.lists(st.sampled_from(vocab), max_size=most, unique=True))

    data = {
        "id": f"{side}-{index}",
        "side": side,
        "name": f"Ville {side} {index}",
        "country": "France" if side == "north" else draw(st.sampled_from(["Burkina Faso", "Mali"])),
        "stakes": some(themes, limit),
        "brings": some(themes, limit),
        "seeks": some(themes, limit),
        "motivations": some(_vocab(kb, f"{side}_motivations"), 3),
        "networks": some(_vocab(kb, "networks"), 2),
    }
    if "business_outlets" in data["motivations"] and "economic_openness" in data["motivations"]:
        data["motivations"].remove("business_outlets")
    actors = draw(st.lists(st.sampled_from(_vocab(kb, "actors")), max_size=3, unique=True))
    data["actors"] = [
        {
            "kind": kind,
            "links": draw(
                st.lists(
                    st.fixed_dictionaries(
                        {
                            "country": st.sampled_from(["France", "Burkina Faso", "Mali"]),
                            "place": st.sampled_from([None, "Ville north 0", "Ville south 1"]),
                        }
                    ),
                    max_size=2,
                )
            ),
        }
        for kind in actors
    ]
    from coopdec_expert.matching.sheet import allowed_questions

    questions = [q for q in allowed_questions(kb, side) if not q.startswith(f"{side}.motivation.")]
    chosen = draw(st.lists(st.sampled_from(questions), max_size=6, unique=True))
    data["answers"] = {q: draw(st.sampled_from(kb.questions[q].option_ids())) for q in chosen}
    return data


@st.composite
def registers(draw, kb):
    north = [draw(sheets_strategy(kb, "north", i)) for i in range(draw(st.integers(1, 4)))]
    south = [draw(sheets_strategy(kb, "south", i)) for i in range(draw(st.integers(1, 4)))]
    partnered = draw(st.booleans())
    if partnered:
        north[0]["partnerships"] = [south[0]["id"]]
    return north + south


def _sheets(kb, data):
    return [validate_sheet(d, kb) for d in data]


SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(data=st.data())
def test_never_same_side_nor_already_partnered(kb, data):
    sheets = _sheets(kb, data.draw(registers(kb)))
    matcher = Matcher(sheets, kb)
    by_id = {s.id: s for s in sheets}
    for sheet_id, proposals in matcher.top_all(10).items():
        for i, j, _ in proposals:
            north, south = matcher.north.sheets[i], matcher.south.sheets[j]
            assert north.side == "north" and south.side == "south"
            assert sheet_id in (north.id, south.id)
            assert south.id not in north.partnerships and north.id not in south.partnerships
    for proposal in (p for s in sheets for p in proposals_for(matcher, s.id, 10)):
        assert by_id[proposal.north].side != by_id[proposal.south].side


@SETTINGS
@given(data=st.data())
def test_shared_stakes_symmetric(kb, data):
    """Swapping the two sheets' stakes leaves the shared-stakes fraction as it was."""
    sheets = _sheets(kb, data.draw(registers(kb)))
    north = sheets[0]
    south = next(s for s in sheets if s.side == "south")
    swapped = [
        north.model_copy(update={"stakes": south.stakes}),
        south.model_copy(update={"stakes": north.stakes}),
    ]
    one = Matcher([north, south], kb).fractions(np.array([0]), np.array([0]))["shared_stakes"]
    two = Matcher(swapped, kb).fractions(np.array([0]), np.array([0]))["shared_stakes"]
    assert np.array_equal(one, two, equal_nan=True)


@SETTINGS
@given(data=st.data())
def test_adding_a_shared_stake_never_lowers_the_score(kb, data):
    sheets = _sheets(kb, data.draw(registers(kb)))
    north = sheets[0]
    south = next(s for s in sheets if s.side == "south")
    limit = kb.param("match_max_themes")
    room = [
        t
        for t in kb.vocabularies["themes"].ids()
        if (t in north.stakes or len(north.stakes) < limit)
        and (t in south.stakes or len(south.stakes) < limit)
        and not (t in north.stakes and t in south.stakes)
    ]
    if not room:
        return
    theme = data.draw(st.sampled_from(room))
    more = [
        north.model_copy(update={"stakes": list(dict.fromkeys([*north.stakes, theme]))}),
        south.model_copy(update={"stakes": list(dict.fromkeys([*south.stakes, theme]))}),
    ]
    block = (np.array([0]), np.array([0]))
    before = Matcher([north, south], kb).scores(*block)[0, 0]
    after = Matcher(more, kb).scores(*block)[0, 0]
    assert after >= before


def _field_value(sheet: Sheet, path: str):
    """A sheet field named as explanations name it: `stakes`, `answers.north.mandate`,
    `actors[2].links`."""
    if path.startswith("answers."):
        return sheet.answers.get(path[len("answers.") :])
    if path.startswith("actors["):
        index = int(path[len("actors[") : path.index("]")]) - 1
        return sheet.actors[index].links
    return getattr(sheet, path)


@SETTINGS
@given(data=st.data())
def test_explanations_cite_the_seed_and_name_their_fields(kb, data, reference_text):
    from coopdec_expert.knowledge.lint import normalise

    sheets = _sheets(kb, data.draw(registers(kb)))
    matcher = Matcher(sheets, kb)
    seed = normalise(reference_text)
    for sheet in sheets:
        for proposal in proposals_for(
            matcher, sheet.id, 3, data.draw(st.sampled_from(["fr", "en"]))
        ):
            by_side = {
                "north": next(s for s in sheets if s.id == proposal.north),
                "south": next(s for s in sheets if s.id == proposal.south),
            }
            assert [c.criterion for c in proposal.components] == list(CRITERIA)
            for component in proposal.components + proposal.notes:
                assert normalise(component.source.quote) in seed
                assert component.because
                if component.assessed != "no":
                    assert component.fields, component
                    assert component.findings, component
                for field in component.fields:
                    side, path = field.split(".", 1)
                    assert _field_value(by_side[side], path), (field, component)
                if component.points is not None and component.assessed == "no":
                    share = kb.param("match_unknown_share") / 100
                    assert component.points == pytest.approx(component.weight * share, abs=0.06)
            total = sum(c.points for c in proposal.components)
            assert proposal.score == pytest.approx(total, abs=0.05 * len(CRITERIA) + 0.05)


@SETTINGS
@given(data=st.data())
def test_explained_score_is_the_ranked_score(kb, data):
    sheets = _sheets(kb, data.draw(registers(kb)))
    matcher = Matcher(sheets, kb)
    explainer = Explainer(matcher)
    for proposals in matcher.top_all(3).values():
        for rank, (i, j, score) in enumerate(proposals, start=1):
            assert explainer.proposal(rank, i, j).score == pytest.approx(score, abs=0.1)
        scores = [s for _, _, s in proposals]
        assert scores == sorted(scores, reverse=True)


def test_unknown_counts_at_its_share_not_zero(kb):
    """Two sheets with identity only: every criterion not assessed, each at its share."""
    sheets = _sheets(
        kb,
        [
            {"id": "n", "side": "north", "name": "A", "country": "France"},
            {"id": "s", "side": "south", "name": "B", "country": "Mali"},
        ],
    )
    proposal = proposals_for(Matcher(sheets, kb), "n", 1)[0]
    share = kb.param("match_unknown_share") / 100
    assert all(c.assessed == "no" for c in proposal.components)
    assert proposal.score == pytest.approx(proposal.out_of * share, abs=0.1)
    assert proposal.score > 0


def test_examples_are_valid_and_match(kb):
    files = sorted(EXAMPLE_SHEETS.glob("*.yaml"))
    assert len(files) >= 6
    sheets = [s for f in files for s in sheets_from_bytes(f.name, f.read_bytes(), kb)]
    assert {s.side for s in sheets} == {"north", "south"}
    matcher = Matcher(sheets, kb)
    assert all(matcher.top_all(3)[s.id] for s in sheets)


# --- bad sheets -----------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(
    ("field", "value", "vocabulary"),
    [
        ("stakes", "water", "themes"),
        ("seeks", "santé", "themes"),
        ("motivations", "guichet", "south_motivations"),
        ("networks", "rotary", "networks"),
    ],
)
def test_unknown_term_names_field_value_and_allowed(kb, lang, field, value, vocabulary):
    data = {"id": "x", "side": "south", "name": "X", "country": "Mali", field: [value]}
    with pytest.raises(SheetError) as raised:
        validate_sheet(data, kb, "x.yaml", lang)
    message = str(raised.value).replace("\u202f", " ")  # French spacing: narrow no-break
    assert f"« {field} »" in message if lang == "fr" else f"'{field}'" in message
    assert value in message
    assert all(term in message for term in kb.vocabularies[vocabulary].ids())
    assert ("valeurs permises" if lang == "fr" else "allowed:") in message


def test_northern_motivation_on_a_southern_sheet_is_refused(kb):
    data = {"id": "x", "side": "south", "name": "X", "country": "Mali", "motivations": ["youth"]}
    with pytest.raises(SheetError) as raised:
        validate_sheet(data, kb, "x", "en")
    assert "'motivations'" in str(raised.value) and "legitimacy_citizens" in str(raised.value)


def test_answers_checked_against_the_sheets_side(kb):
    base = {"id": "x", "side": "south", "name": "X", "country": "Mali"}
    with pytest.raises(SheetError) as raised:
        validate_sheet({**base, "answers": {"north.mandate": "none"}}, kb, "x", "en")
    assert "north.mandate" in str(raised.value)
    with pytest.raises(SheetError) as raised:
        validate_sheet({**base, "answers": {"south.mandate": "maybe"}}, kb, "x", "en")
    assert "maybe" in str(raised.value) and "council_decision" in str(raised.value)
    with pytest.raises(SheetError) as raised:
        validate_sheet(
            {
                **base,
                "motivations": ["institutional"],
                "answers": {"south.motivation.institutional": "absent"},
            },
            kb,
            "x",
            "en",
        )
    assert "south.motivation.institutional" in str(raised.value)


def test_too_many_themes_and_bad_structure(kb):
    limit = kb.param("match_max_themes")
    themes = kb.vocabularies["themes"].ids()[: limit + 1]
    base = {"id": "x", "side": "north", "name": "X", "country": "France"}
    with pytest.raises(SheetError) as raised:
        validate_sheet({**base, "stakes": themes}, kb, "x", "en")
    assert "'stakes'" in str(raised.value) and str(limit) in str(raised.value)
    with pytest.raises(SheetError) as raised:
        validate_sheet({**base, "side": "east"}, kb, "x", "en")
    assert "side" in str(raised.value)
    with pytest.raises(SheetError):
        sheets_from_bytes("x.yaml", b"a: &a [1]\nb: *a\n", kb)
    with pytest.raises(SheetError):
        sheets_from_bytes("x.txt", b"id: x", kb)


def test_a_sheet_from_an_assessed_profile(kb):
    from coopdec_expert.matching.sheet import sheet_from_profile
    from coopdec_expert.profile import load_profile

    profile = load_profile(HERE.parent / "examples" / "ziniare_recherche_de_partenaire.yaml", kb)
    data = sheet_from_profile(profile, kb)
    sheet = validate_sheet(data, kb)
    assert sheet.side == "south" and sheet.name == "Commune de Ziniaré"
    assert set(sheet.motivations) >= {"legitimacy_citizens", "institutional"}
    assert sheet.answers and not any(q.startswith("north.") for q in sheet.answers)
    assert all(profile.answers[q] == o for q, o in sheet.answers.items())
