"""The declared policy of partner matching, pinned by what a pair scores (rules/6_matching/
3_criteria.yaml). The text gives no weight: each number here is a policy choice, declared there
with its rationale, and a change of it must be deliberate — this file, the CHANGELOG and the
knowledge base's release change with it. The expected points are worked out by hand from the
declared policy (weight × fraction; an unknown at 40 % of its weight; a criterion counted in
full from 2 shared stakes, or 2 items exchanged in one direction), not read from the output."""

from __future__ import annotations

import pytest

from coopdec_expert.matching.explain import proposals_for
from coopdec_expert.matching.score import Matcher
from coopdec_expert.matching.sheet import validate_sheet

NORTH = {"id": "n", "side": "north", "name": "Ville A", "country": "France"}
SOUTH = {"id": "s", "side": "south", "name": "Commune B", "country": "Burkina Faso"}


def _points(kb, north: dict, south: dict) -> dict[str, float]:
    sheets = [validate_sheet({**NORTH, **north}, kb), validate_sheet({**SOUTH, **south}, kb)]
    [proposal] = proposals_for(Matcher(sheets, kb), "n", 1)
    return {c.criterion: c.points for c in proposal.components if c.points is not None}


def test_nothing_known_counts_each_criterion_at_40_percent_of_its_weight(kb):
    # weights 25 / 25 / 20 / 10 / 10 / 10 (out of 100), each at the unknown share, 40 %
    assert _points(kb, {}, {}) == pytest.approx(
        {
            "shared_stakes": 10.0,
            "exchange": 10.0,
            "motivations": 8.0,
            "capacity": 4.0,
            "occupied_space": 4.0,
            "actor_links": 4.0,
        }
    )


@pytest.mark.parametrize(
    ("north", "south", "points"),
    [
        (["youth", "waste"], ["water_sanitation"], 0.0),  # none shared: known, and nothing
        (["youth", "waste"], ["youth"], 12.5),  # one of the two that give full weight
        (["youth", "waste"], ["youth", "waste"], 25.0),  # two: the whole weight
        (["youth", "waste", "health"], ["youth", "waste", "health"], 25.0),  # never more
    ],
)
def test_shared_stakes_count_in_full_from_two(kb, north, south, points):
    assert _points(kb, {"stakes": north}, {"stakes": south})["shared_stakes"] == points


def test_exchange_is_two_directions_each_full_from_two_items(kb):
    one_way = _points(kb, {"brings": ["water_sanitation"]}, {"seeks": ["water_sanitation"]})
    # North → South: 1 of 2 items (0.5); South → North unknown (0.4); half each of 25 points
    assert one_way["exchange"] == pytest.approx(25 * (0.5 + 0.4) / 2, abs=0.06)  # shown to 0.1
    both = _points(
        kb,
        {"brings": ["water_sanitation", "civil_registration"], "seeks": ["culture_heritage"]},
        {"seeks": ["water_sanitation", "civil_registration"], "brings": ["culture_heritage"]},
    )
    assert both["exchange"] == pytest.approx(25 * (1.0 + 0.5) / 2, abs=0.06)


def _lowest(kb, question: str) -> str:
    return kb.questions[question].option_ids()[0]


@pytest.mark.parametrize(
    ("link", "points"),
    [
        ({"country": "France"}, 6.0),  # the partner's country only: 60 % of the 10 points
        ({"country": "France", "place": "Ville A"}, 10.0),  # the partner's town itself
    ],
)
def test_a_link_to_the_partners_country_counts_60_percent_of_one_to_its_town(kb, link, points):
    south = {"actors": [{"kind": "diaspora", "links": [link]}]}
    assert _points(kb, {}, south)["actor_links"] == pytest.approx(points, abs=0.06)


@pytest.mark.parametrize(
    ("kinds", "fraction"),
    [
        (["diaspora"], 1 / 3),
        (["diaspora", "associations"], 2 / 3),
        (["diaspora", "associations", "schools"], 1.0),
    ],
)
def test_actor_diversity_counts_in_full_from_three_kinds(kb, kinds, fraction):
    north = {"actors": [{"kind": kind} for kind in kinds]}
    # the North's only capacity item; the South's capacity unknown (40 %); half each, 10 points
    expected = 10 * (fraction + 0.4) / 2
    assert _points(kb, north, {})["capacity"] == pytest.approx(expected, abs=0.06)


@pytest.mark.parametrize("item", ["means", "in_charge", "mandate", "actors_carrying"])
def test_each_capacity_item_weighs_as_much_as_a_network(kb, item):
    """Capacity items weigh 1 each: an item at its lowest answer (0) beside networks (1) makes
    a half; the actor-diversity item, one kind of three (1/3), beside networks, two thirds."""
    question = {
        "means": "north.capacity",
        "in_charge": "north.in_charge",
        "mandate": "north.mandate",
        "actors_carrying": "north.actors_associated",
    }[item]
    north = {"networks": ["national_association"], "answers": {question: _lowest(kb, question)}}
    assert _points(kb, north, {})["capacity"] == pytest.approx(10 * (0.5 + 0.4) / 2, abs=0.06)
    diverse = {"networks": ["national_association"], "actors": [{"kind": "diaspora"}]}
    expected = 10 * ((1 / 3 + 1) / 2 + 0.4) / 2
    assert _points(kb, diverse, {})["capacity"] == pytest.approx(expected, abs=0.06)
