"""Checks of the knowledge base beyond its schema: references, reachability, coverage, citations."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from ..errors import CoopdecError
from ..resources import source_text_beside_checkout
from ..vocabulary import REQUESTER
from .conditions import allowed_options, iter_conditions
from .loader import KnowledgeBase, KnowledgeError, load_knowledge
from .models import AnswerCondition, FactCondition, NotCondition

# The reference text the quotes come from (the "seed"): not part of the package.
SOURCE_ENV = ("COOPDEC_SOURCE", "COOPDEC_SEED")  # COOPDEC_SEED: its older name, still read
REQUIRED_PARAMETERS = {
    "severity_score_cap": dict,
    "not_ready_below_score": int,
    "ready_min_area_score": int,
    "max_unknown_key_questions": int,
    "ready_from_step": str,
    "recommendation_priority": dict,
}


def normalise(text: str) -> str:
    return " ".join(text.split())


class SourceError(CoopdecError):
    """--source or $COOPDEC_SOURCE names a file that does not exist."""

    def __init__(self, origin: str, path: Path):
        self.origin = origin
        self.path = path
        super().__init__(f"{origin}: file not found: {path}")


def locate_source(given: Path | None = None) -> Path | None:
    """The reference text: `given` (--source), else $COOPDEC_SOURCE (or $COOPDEC_SEED), else
    ../shared/seed/ beside a checkout; None when there is none. A file named by the user that
    does not exist is an error (SourceError), not a silent skip."""
    named = [("--source", given)] if given is not None else []
    named += [(f"${name}", Path(os.environ[name])) for name in SOURCE_ENV if os.environ.get(name)]
    if named:
        origin, path = named[0]
        if not path.is_file():
            raise SourceError(origin, path)
        return path
    beside = source_text_beside_checkout()
    return beside if beside is not None and beside.is_file() else None


@cache
def _read_source(path: Path) -> str:
    return normalise(path.read_text(encoding="utf-8"))


def seed_text(path: Path | None = None) -> str | None:
    """The reference text, white space normalised, or None when it cannot be found."""
    try:
        path = path or locate_source()
    except SourceError:
        return None
    return _read_source(path) if path is not None and path.is_file() else None


def _answer_problems(where: str, condition: AnswerCondition, kb: KnowledgeBase) -> list[str]:
    question = kb.questions.get(condition.answer)
    if question is None:
        return [f"{where}: unknown question '{condition.answer}'"]
    allowed = question.option_ids()
    named = [condition.is_, condition.at_least, condition.at_most, *(condition.in_ or [])]
    return [
        f"{where}: question '{condition.answer}' has no option '{option}'; "
        f"allowed: {', '.join(allowed)}"
        for option in named
        if option is not None and option not in allowed
    ]


def reference_problems(kb: KnowledgeBase) -> list[str]:
    """Broken references: the engine cannot be built while any of these remain."""
    problems: list[str] = []
    concluded = {f for r in kb.rules.values() for f in r.then.conclude}

    def check_condition(where: str, condition) -> None:
        for node in iter_conditions(condition):
            if isinstance(node, AnswerCondition):
                problems.extend(_answer_problems(where, node, kb))
            elif isinstance(node, FactCondition) and node.fact not in concluded:
                problems.append(f"{where}: fact '{node.fact}' is concluded by no rule")

    for question in kb.questions.values():
        where = f"{kb.where('questions', question.id)}: question {question.id}"
        if question.area and question.area not in kb.areas:
            problems.append(f"{where}: unknown area '{question.area}'")
        if question.ask_if is not None:
            check_condition(f"{where} ask_if", question.ask_if)
    for rule in kb.rules.values():
        where = f"{kb.where('rules', rule.id)}: rule {rule.id}"
        check_condition(where, rule.when)
        problems.extend(
            f"{where}: unknown flag '{f}'" for f in rule.then.flags if f not in kb.flags
        )
        problems.extend(
            f"{where}: unknown recommendation '{r}'"
            for r in rule.then.recommend
            if r not in kb.recommendations
        )
        problems.extend(
            f"{where}: unknown area '{s.area}'" for s in rule.then.scores if s.area not in kb.areas
        )
    for flag in kb.flags.values():
        if flag.area not in kb.areas:
            problems.append(
                f"{kb.where('flags', flag.id)}: flag {flag.id}: unknown area '{flag.area}'"
            )
    for rec in kb.recommendations.values():
        where = f"{kb.where('recommendations', rec.id)}: recommendation {rec.id}"
        problems.extend(f"{where}: unknown flag '{f}'" for f in rec.addresses if f not in kb.flags)
    problems.extend(_catalogue_problems(kb))
    problems.extend(_matching_problems(kb))
    return problems


MAX_THEMES = 64  # the matching keeps a sheet's themes as the bits of one 64-bit integer


def _matching_problems(kb: KnowledgeBase) -> list[str]:
    """The vocabularies and criteria of partner matching (rules/6_matching/): a weight is an
    integer parameter declared a policy choice (the text gives no number); a motivation stands
    for answers the §3 typology has, and its questions say how a motivation is absent."""
    problems = []
    for criterion in kb.match_criteria.values():
        where = f"{kb.where('match_criteria', criterion.id)}: criterion {criterion.id}"
        if criterion.weight_from is None:
            continue
        parameter = kb.parameters.get(criterion.weight_from)
        if parameter is None:
            problems.append(f"{where}: unknown parameter '{criterion.weight_from}'")
        elif not isinstance(parameter.value, int) or parameter.value < 0:
            problems.append(
                f"{where}: parameter {criterion.weight_from} must be a whole number >= 0 "
                f"(got {parameter.value!r})"
            )
        elif parameter.source != "policy choice":
            problems.append(
                f"{where}: parameter {criterion.weight_from} is a weight: the text gives none, "
                'its source must be "policy choice"'
            )
    share = kb.parameters.get("match_unknown_share")
    for name in ("match_shared_stakes_for_full", "match_exchange_for_full"):
        full = kb.parameters.get(name)
        if share is None or full is None:
            continue
        if not isinstance(full.value, int) or full.value < 1:
            problems.append(f"parameter {name} must be a whole number >= 1 (got {full.value!r})")
        elif not isinstance(share.value, int) or not 0 <= share.value * full.value <= 100:
            # an unknown must not count for more than the first known level (1 / full): else
            # filling in a first shared stake would lower a pair's score
            problems.append(
                f"parameter match_unknown_share ({share.value!r}) must be between 0 and "
                f"100 / {name} ({full.value!r}): an unknown counts for less than one known match"
            )
    themes = kb.vocabularies.get("themes")
    if themes is not None and len(themes.terms) > MAX_THEMES:
        problems.append(f"vocabulary themes: {len(themes.terms)} themes; at most {MAX_THEMES}")
    for vocabulary in kb.vocabularies.values():
        where = f"{kb.where('vocabularies', vocabulary.id)}: vocabulary {vocabulary.id}"
        for term in vocabulary.terms:
            for question_id, option in term.answers.items():
                question = kb.questions.get(question_id)
                if question is None:
                    problems.append(f"{where}: term {term.id}: unknown question '{question_id}'")
                elif option not in question.option_ids():
                    problems.append(
                        f"{where}: term {term.id}: question '{question_id}' has no option "
                        f"'{option}'; allowed: {', '.join(question.option_ids())}"
                    )
                elif not {"absent", "none"} & set(question.option_ids()):
                    problems.append(
                        f"{where}: term {term.id}: question '{question_id}' has no option "
                        "'absent' or 'none' (what a sheet not listing the motivation answers)"
                    )
    return problems


def _catalogue_problems(kb: KnowledgeBase) -> list[str]:
    from .models import APPROACHES, SEVERITIES, STEPS

    problems = []
    for kind, have, want in (
        ("steps", kb.steps, STEPS),
        ("approaches", kb.approaches, APPROACHES),
        ("score_labels", kb.score_labels, (0, 1, 2, 3)),
    ):
        missing = [str(x) for x in want if x not in have]
        if missing:
            problems.append(f"rules/: {kind} missing: {', '.join(missing)}")
    for name, expected in REQUIRED_PARAMETERS.items():
        parameter = kb.parameters.get(name)
        if parameter is None:
            problems.append(f"rules/: parameter '{name}' missing")
        elif not isinstance(parameter.value, expected):
            problems.append(
                f"{kb.where('parameters', name)}: parameter {name}: "
                f"expected a {expected.__name__}, "
                f"got {parameter.value!r}"
            )
    caps = kb.parameters.get("severity_score_cap")
    if caps and isinstance(caps.value, dict) and set(caps.value) != set(SEVERITIES):
        problems.append(f"parameter severity_score_cap: keys must be {', '.join(SEVERITIES)}")
    ready = kb.parameters.get("ready_from_step")
    if ready and ready.value not in STEPS:
        problems.append(
            f"parameter ready_from_step: '{ready.value}' is not a step; allowed: {', '.join(STEPS)}"
        )
    return problems


def load_checked(rules_dir=None) -> KnowledgeBase:
    """Load rules/ and refuse it if any reference is broken."""
    kb = load_knowledge(rules_dir)
    problems = reference_problems(kb)
    if problems:
        raise KnowledgeError(problems)
    return kb


def quote_problems(kb: KnowledgeBase, source_file: Path) -> list[str]:
    """Quotes that do not occur verbatim (white space normalised) in the reference text."""
    seed = _read_source(source_file)
    problems = []
    for kind in ("questions", "rules", "flags", "recommendations", "areas", "steps", "approaches"):
        for entry_id, entry in getattr(kb, kind).items():
            if normalise(entry.source.quote) not in seed:
                problems.append(
                    f"{kb.where(kind, entry_id)}: {kind[:-1]} {entry_id}: quote not found in the "
                    f'source text: "{entry.source.quote[:70]}"'
                )
    for name, parameter in kb.parameters.items():
        source = parameter.source
        if source != "policy choice" and normalise(source.quote) not in seed:
            problems.append(f"parameter {name}: quote not found in the source text")
    for criterion in kb.match_criteria.values():
        if normalise(criterion.source.quote) not in seed:
            problems.append(
                f"{kb.where('match_criteria', criterion.id)}: criterion {criterion.id}: quote "
                f'not found in the source text: "{criterion.source.quote[:70]}"'
            )
    for vocabulary in kb.vocabularies.values():
        where = f"{kb.where('vocabularies', vocabulary.id)}: vocabulary {vocabulary.id}"
        cited = [("", vocabulary.source)] + [(f" term {t.id}", t.source) for t in vocabulary.terms]
        for what, source in cited:
            if source != "policy choice" and normalise(source.quote) not in seed:
                problems.append(
                    f'{where}{what}: quote not found in the source text: "{source.quote[:70]}"'
                )
    return problems


def design_problems(kb: KnowledgeBase) -> list[str]:
    """Rules that can never fire, flags nobody addresses, unused entries, design invariants."""
    problems = []
    concluded = {f for r in kb.rules.values() for f in r.then.conclude}
    for rule in kb.rules.values():
        where = f"{kb.where('rules', rule.id)}: rule {rule.id}"
        for node in iter_conditions(rule.when):
            if isinstance(node, NotCondition):
                for inner in iter_conditions(node.not_):
                    if isinstance(inner, AnswerCondition):
                        problems.append(
                            f"{where}: 'not' over an answer also matches unknown answers; "
                            "name the unfavourable options instead"
                        )
        if _never_fires(rule.when, kb, concluded, set()):
            problems.append(f"{where}: can never fire (its conditions contradict each other)")
    addressed = {f for rec in kb.recommendations.values() for f in rec.addresses}
    for flag_id in kb.flags:
        if flag_id not in addressed:
            problems.append(
                f"{kb.where('flags', flag_id)}: flag {flag_id}: no recommendation addresses it"
            )
    raised = {f for r in kb.rules.values() for f in r.then.flags}
    problems.extend(
        f"{kb.where('flags', f)}: flag {f}: no rule raises it" for f in kb.flags if f not in raised
    )
    asked = {r for rule in kb.rules.values() for r in rule.then.recommend}
    for rec in kb.recommendations.values():
        if not (rec.addresses or rec.when_next_step or rec.id in asked):
            problems.append(
                f"{kb.where('recommendations', rec.id)}: recommendation {rec.id}: "
                "nothing can show it (no flag, not a next-step advice, no rule recommends it)"
            )
    conditions = [rule.when for rule in kb.rules.values()]
    conditions += [q.ask_if for q in kb.questions.values() if q.ask_if is not None]
    used = {
        node.answer
        for condition in conditions
        for node in iter_conditions(condition)
        if isinstance(node, AnswerCondition)
    }
    problems.extend(
        f"{kb.where('questions', q)}: question {q}: no rule or ask_if uses its answer"
        for q in kb.questions
        if q not in used
    )
    problems += _judgement_problems(kb)
    return problems


def _judgement_problems(kb: KnowledgeBase) -> list[str]:
    """Judgements the schema cannot check: an exclusion (a high flag) is a statement of the text
    or a declared policy, never a reading of it; a question about one side is asked to that
    side's own requester."""
    from .conditions import compile_modal

    problems = []
    for flag in kb.flags.values():
        if flag.severity == "high" and flag.source_kind == "interpretation":
            problems.append(
                f"{kb.where('flags', flag.id)}: flag {flag.id}: a high flag makes a partnership "
                "not ready; it must be what the text states (seed) or a declared policy, not an "
                "interpretation"
            )
    problems += _declared_effect_problems(kb)
    requester = kb.questions.get(REQUESTER)
    for question in kb.questions.values():
        if question.side not in ("north", "south") or question.ask_if is None:
            continue
        where = f"{kb.where('questions', question.id)}: question {question.id}"
        if requester is None or question.side not in requester.option_ids():
            continue
        possible = compile_modal(question.ask_if, kb, True)
        asked_to = {REQUESTER: question.side}
        if not possible(asked_to, set(), set(), set(kb.questions) - {REQUESTER}):
            problems.append(
                f"{where}: a question about the {question.side} side is never asked to a "
                f"{question.side} requester (its ask_if cannot hold): the side that knows the "
                "answer never gives it"
            )
    return problems


# What each severity does to the verdict (README: How the verdict is decided), as a flag's
# severity_rationale must say it: a rationale arguing "conditional" on a high flag (or "not
# ready" on a medium one) is a severity that disagrees with its own reason.
DECLARED_EFFECT: dict[str, dict[str, tuple[str, ...]]] = {
    "high": {"fr": ("pas prête",), "en": ("not ready",)},
    "medium": {"fr": ("sous conditions",), "en": ("conditional",)},
    "low": {"fr": ("verdict",), "en": ("verdict",)},
}
OTHER_EFFECTS: dict[str, dict[str, tuple[str, ...]]] = {
    "high": {"fr": ("sous conditions",), "en": ("conditional",)},
    "medium": {"fr": ("pas prête",), "en": ("not ready",)},
    "low": {"fr": ("pas prête", "sous conditions"), "en": ("not ready", "conditional")},
}


def _declared_effect_problems(kb: KnowledgeBase) -> list[str]:
    """Each flag's severity_rationale says the effect its severity has on the verdict (and no
    other); a severity set by a parameter names the parameter instead."""
    problems = []
    for flag in kb.flags.values():
        where = f"{kb.where('flags', flag.id)}: flag {flag.id}"
        for lang in ("fr", "en"):
            text = getattr(flag.severity_rationale, lang).lower()
            if flag.severity_from:
                if flag.severity_from.lower() not in text:
                    problems.append(
                        f"{where}: its severity is the parameter {flag.severity_from}; the "
                        f"severity_rationale ({lang}) must name it"
                    )
                continue
            wanted = DECLARED_EFFECT[flag.severity][lang]
            other = [w for w in OTHER_EFFECTS[flag.severity][lang] if w in text]
            if not any(w in text for w in wanted) or other:
                problems.append(
                    f"{where}: severity {flag.severity}, but its severity_rationale ({lang}) "
                    f"does not say so (expected « {wanted[0]} »"
                    + (f", found « {other[0]} »" if other else "")
                    + ")"
                )
    return problems


def _never_fires(condition, kb: KnowledgeBase, concluded: set[str], seen: set[str]) -> bool:
    """True when an `all` asks two incompatible option sets of one question (a contradiction)."""
    if getattr(condition, "all", None):
        wanted: dict[str, set[str]] = {}
        for child in condition.all:
            if isinstance(child, AnswerCondition):
                options = set(allowed_options(child, kb))
                wanted[child.answer] = wanted.get(child.answer, options) & options
            elif _never_fires(child, kb, concluded, seen):
                return True
        return any(not options for options in wanted.values())
    if getattr(condition, "any", None):
        return all(_never_fires(child, kb, concluded, seen) for child in condition.any)
    if isinstance(condition, AnswerCondition):
        return not allowed_options(condition, kb)
    return False


def lint(rules_dir=None, source: Path | None = None) -> tuple[KnowledgeBase | None, list[str]]:
    """Every problem of the knowledge base, one line each; the KB when it could be loaded. The
    quotes are checked against `source`, else the reference text `locate_source()` finds; when
    there is none they are not checked (the CLI says so)."""
    try:
        kb = load_knowledge(rules_dir)
    except KnowledgeError as error:
        return None, error.problems
    problems = reference_problems(kb)
    if problems:
        return kb, problems
    problems += _text_problems(kb)
    source = source or locate_source()
    if source is not None:
        problems += quote_problems(kb, source)
    problems += design_problems(kb)
    return kb, problems


MAX_FILE_LINES = 300


def size_warnings(rules_dir: Path | str | None = None) -> list[str]:
    """Files of rules/ past ~300 lines: one idea per file keeps a question, its rule, its flag
    and its recommendation within sight of each other (a warning, not an error)."""
    from .loader import DEFAULT_RULES_DIR, rule_files

    folder = Path(rules_dir) if rules_dir else DEFAULT_RULES_DIR
    warnings = []
    for path in rule_files(folder):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_FILE_LINES:
            warnings.append((path.relative_to(folder.parent).as_posix(), lines))
    return [f"{name}: {lines}" for name, lines in warnings]


def _text_problems(kb: KnowledgeBase) -> list[str]:
    """Text fields present in one language only, or identical in both (an untranslated copy)."""
    problems = []
    for kind in ("questions", "rules", "flags", "recommendations"):
        for entry_id, entry in getattr(kb, kind).items():
            for field_name in ("text", "because", "help"):
                text = getattr(entry, field_name, None)
                if (
                    text is not None
                    and normalise(text.fr) == normalise(text.en)
                    and len(text.fr) > 20
                ):
                    problems.append(
                        f"{kb.where(kind, entry_id)}: {kind[:-1]} {entry_id}: {field_name} is the "
                        "same in fr and en (translate it)"
                    )
    return problems
