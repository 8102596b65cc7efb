"""Render an Assessment as text (terminal), Markdown or JSON. User text is always escaped."""

from __future__ import annotations

import re
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from .assessment import VERDICTS, Assessment
from .i18n import catalogue
from .knowledge.loader import KnowledgeBase
from .knowledge.models import UNKNOWN
from .profile import Profile

FORMATS = ("text", "markdown", "json")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]#|!~])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def plain(value: object) -> str:
    """Terminal-safe text: control characters (ANSI escapes included) removed."""
    return _CONTROL.sub("", "" if value is None else str(value))


def markdown_escape(value: object) -> str:
    """Markdown- and HTML-inert text: what the user typed shows as typed, never as markup."""
    text = plain(value).replace("\n", " ")
    text = "".join(_HTML.get(char, char) for char in text)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("coopdec_expert", "templates"),
        undefined=StrictUndefined,
        autoescape=False,  # text and Markdown: escaping is explicit, with the filters below
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = markdown_escape
    env.filters["plain"] = plain
    env.filters["e2"] = lambda value, fmt: (
        markdown_escape(value) if fmt == "markdown" else plain(value)
    )
    return env


def render_explanation(report, kb: KnowledgeBase, kind: str, fmt: str = "text", **extra) -> str:
    """An explanation report (why, whynot, whatif, path) as text, Markdown or JSON."""
    if fmt == "json":
        return report.model_dump_json(indent=2) + "\n"
    if fmt not in FORMATS:
        raise ValueError(f"format '{fmt}' not supported; allowed: {', '.join(FORMATS)}")
    lang = report.lang
    labels = catalogue(lang)
    values = {
        "report": report,
        "fmt": fmt,
        "L": labels,
        "verdict_label": {v: labels[f"verdict.{v}"] for v in VERDICTS},
        "step_name": {s: kb.steps[s].name.get(lang) for s in kb.steps},
        "flag_text": {f: kb.flags[f].text.get(lang) for f in kb.flags},
    }
    text = _environment().get_template(f"{kind}.j2").render({**values, **extra})
    # The templates mark bold and ids the Markdown way; a terminal shows them plain.
    return text if fmt == "markdown" else text.replace("**", "").replace("`", "")


def render(assessment: Assessment, profile: Profile, kb: KnowledgeBase, fmt: str = "text") -> str:
    """The report in one of FORMATS, in the assessment's language."""
    if fmt == "json":
        return assessment.model_dump_json(indent=2) + "\n"
    if fmt not in FORMATS:
        raise ValueError(f"format '{fmt}' not supported; allowed: {', '.join(FORMATS)}")
    lang = assessment.lang
    template = _environment().get_template("report.md.j2" if fmt == "markdown" else "report.txt.j2")
    labels = catalogue(lang)
    answer_label = {}
    answers = profile.engine_answers()
    for question in kb.questions.values():
        given = answers.get(question.id)
        if given is None:
            answer_label[question.id] = labels["status.unanswered"]
        elif given == UNKNOWN:
            answer_label[question.id] = labels["option.unknown"]
        else:
            answer_label[question.id] = next(
                o.label.get(lang) for o in question.options if o.id == given
            )
    return template.render(
        question_text={q: kb.questions[q].text.get(lang) for q in kb.questions},
        answer_label=answer_label,
        a=assessment,
        p=profile,
        L=catalogue(lang),
        severity_label={s: catalogue(lang)[f"severity.{s}"] for s in ("high", "medium", "low")},
        step_name={s: kb.steps[s].name.get(lang) for s in kb.steps},
        area_name={a: kb.areas[a].name.get(lang) for a in kb.areas},
        flag_text={f: kb.flags[f].text.get(lang) for f in kb.flags},
    )
