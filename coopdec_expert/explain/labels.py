"""Labels a person reads in explanations, shared by why, why-not, what-if and paths."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..i18n import t
from ..knowledge.models import UNKNOWN

if TYPE_CHECKING:
    from ..engine.assess import Assessor


def option_label(assessor: Assessor, question_id: str, option: str | None, lang: str) -> str:
    """The label a person reads for an answer, `unknown` and unanswered included."""
    if option is None:
        return t(lang, "status.unanswered")
    if option == UNKNOWN:
        return t(lang, "option.unknown")
    question = assessor.kb.questions[question_id]
    return next(o.label.get(lang) for o in question.options if o.id == option)
