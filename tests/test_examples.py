"""The shipped examples load, give the verdict and next step examples/README.md announces, and
together span every verdict."""

from __future__ import annotations

import re

import pytest

from coopdec_expert.assessment import VERDICTS
from coopdec_expert.profile import load_profile

from .conftest import EXAMPLES_DIR

EXAMPLES = sorted(p for p in EXAMPLES_DIR.iterdir() if p.suffix in {".yaml", ".yml", ".json"})
ROW = re.compile(r"^\| `(?P<file>[^`]+)` \| [^|]+ \| (?P<verdict>\w+) \| (?P<step>\w+) \|$")


def _announced() -> dict[str, tuple[str, str]]:
    text = (EXAMPLES_DIR / "README.md").read_text(encoding="utf-8")
    english = text.split("## Français")[0]
    return {
        m["file"]: (m["verdict"], m["step"])
        for m in (ROW.match(line) for line in english.splitlines())
        if m
    }


def test_every_example_is_documented():
    assert sorted(_announced()) == sorted(p.name for p in EXAMPLES)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_gives_the_announced_result(path, kb, assessor):
    result = assessor.assess(load_profile(path, kb), "fr")
    verdict, step = _announced()[path.name]
    assert (result.readiness.verdict, result.readiness.next_step) == (verdict, step)


def test_examples_span_every_verdict(kb, assessor):
    verdicts = {assessor.outcome(dict(load_profile(p, kb).answers)).verdict for p in EXAMPLES}
    assert verdicts == set(VERDICTS)
    assert len(EXAMPLES) >= 6
