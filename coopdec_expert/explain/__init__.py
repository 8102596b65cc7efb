"""Explanations a facilitator can show: why, why not, what-if, paths to the next level.

One entry point, `explain(assessor, profile, lang, ...)`, returns the report of one mode:
- by default, **why**: the chain of rules the engine really fired for each item (explain/why.py);
- `why_not=TARGET`: what stands between the profile and a verdict or next step (whynot.py);
- `what_if={question: option}`: what moves when answers change (whatif.py);
- `path=True`: the smallest sets of answer changes to the next level (path.py).
Searches run on the compiled evaluator; everything shown comes from, or is confirmed by, the
experta engine of record. Each report renders as text, Markdown or JSON (report.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import PathReport, WhatIfReport, WhyNotReport, WhyReport

if TYPE_CHECKING:
    from ..engine.assess import Assessor
    from ..profile import Profile

Report = WhyReport | WhyNotReport | WhatIfReport | PathReport

__all__ = ["explain", "Report", "PathReport", "WhatIfReport", "WhyNotReport", "WhyReport"]


def explain(
    assessor: Assessor,
    profile: Profile,
    lang: str = "fr",
    *,
    why_not: str | None = None,
    what_if: dict[str, str] | None = None,
    path: bool = False,
    max_changes: int = 3,
) -> Report:
    """The explanation of one mode (at most one of why_not, what_if, path; else why)."""
    from .path import paths_to_next_level
    from .whatif import what_if as what_if_report
    from .why import explain_why
    from .whynot import why_not as why_not_report

    if sum((why_not is not None, bool(what_if), path)) > 1:
        raise ValueError("choose one of why_not, what_if, path")
    answers = assessor.answers_for(profile)
    if why_not is not None:
        return why_not_report(assessor, answers, why_not, lang)
    if what_if:
        return what_if_report(assessor, profile, what_if, lang)
    if path:
        return paths_to_next_level(assessor, answers, lang, max_changes=max_changes)
    return explain_why(assessor, answers, lang)
