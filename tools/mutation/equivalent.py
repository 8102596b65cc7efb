"""Mutants that no test can kill because they change nothing a person can observe in any
result (equivalent mutants), each with the reason. The runner prints the reason beside a
survivor it names, and leaves it out of the score --min-score checks; a survivor not listed here
is a judgement no test pins."""

from __future__ import annotations

_WORDING_ONLY = (
    "the parameter only appears in the wording of a question ({0}): the person answers whether "
    "their situation meets it, and no result computed from the same answers can differ (the "
    "question's text changes, which is a wording choice, not a judgement)"
)

EQUIVALENT: dict[str, str] = {
    "param:recently_created_years:10->9": _WORDING_ONLY.format("south.recently_created"),
    "param:recently_created_years:10->11": _WORDING_ONLY.format("south.recently_created"),
    "param:many_partnerships:10->9": _WORDING_ONLY.format("north.existing_partnerships"),
    "param:many_partnerships:10->11": _WORDING_ONLY.format("north.existing_partnerships"),
}
