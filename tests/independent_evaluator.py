"""A tiny evaluator of rules/, written without experta or coopdec_expert, for differential tests.

It reads the YAML files as plain dicts and applies the documented semantics directly (forward
chaining to a fixed point, relevance, scores, flags, verdict policy), so a bug in the compiler
or in the engine's classification shows up as a disagreement rather than being shared.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

RULES_DIR = Path(__file__).resolve().parents[1] / "rules"
STEPS = ("commitment", "partner_search", "presentation", "initiation", "agreement", "action")
APPROACHES = ("humanitarian", "development", "institutional_support", "mutual_interest")
UNKNOWN = "unknown"
SECTIONS = ("areas", "parameters", "questions", "flags", "rules")


@dataclass(frozen=True)
class Evaluation:
    """What the rules conclude for one set of answers."""

    fired: frozenset[str]
    flags: frozenset[str]
    steps_done: tuple[str, ...]
    next_step: str
    approach: str | None
    levels: dict[str, int]
    relevant: frozenset[str]
    open_questions: frozenset[str]
    verdict: str


def read_rules(rules_dir: Path = RULES_DIR) -> dict[str, list[dict]]:
    """Every entry of the sections we need, from every YAML file under rules_dir."""
    merged: dict[str, list[dict]] = {section: [] for section in SECTIONS}
    for path in sorted(p for p in rules_dir.rglob("*") if p.suffix in {".yaml", ".yml"}):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for section in SECTIONS:
            merged[section].extend(data.get(section) or [])
    return merged


class IndependentEvaluator:
    """Evaluates answers {question_id: option_id | "unknown"} against the raw rules."""

    def __init__(self, rules_dir: Path = RULES_DIR):
        raw = read_rules(rules_dir)
        self.questions: dict[str, dict] = {q["id"]: q for q in raw["questions"]}
        self.rules: list[dict] = raw["rules"]
        self.flags: dict[str, dict] = {f["id"]: f for f in raw["flags"]}
        self.areas: list[dict] = raw["areas"]
        self.params: dict[str, object] = {p["id"]: p["value"] for p in raw["parameters"]}

    def options(self, question_id: str) -> list[str]:
        return [option["id"] for option in self.questions[question_id]["options"]]

    # --- conditions ---------------------------------------------------------------------

    def holds(self, condition: dict, answers: dict[str, str], facts: set[str]) -> bool:
        if "answer" in condition:
            return self._answer_holds(condition, answers.get(condition["answer"], UNKNOWN))
        if "fact" in condition:
            return condition["fact"] in facts
        if "all" in condition:
            return all(self.holds(child, answers, facts) for child in condition["all"])
        if "any" in condition:
            return any(self.holds(child, answers, facts) for child in condition["any"])
        if "not" in condition:
            return not self.holds(condition["not"], answers, facts)
        raise ValueError(f"unknown condition {condition!r}")

    def _answer_holds(self, condition: dict, given: str) -> bool:
        options = self.options(condition["answer"])
        if given == UNKNOWN or given not in options:
            return False
        if "is" in condition:
            return given == condition["is"]
        if "in" in condition:
            return given in condition["in"]
        if "at_least" in condition:
            bound = condition["at_least"]
            return bound in options and options.index(given) >= options.index(bound)
        if "at_most" in condition:
            bound = condition["at_most"]
            return bound in options and options.index(given) <= options.index(bound)
        raise ValueError(f"answer condition without a test: {condition!r}")

    # --- forward chaining -----------------------------------------------------------------

    def fire(self, answers: dict[str, str]) -> tuple[set[str], set[str]]:
        """Rules that hold and facts they conclude, repeated until nothing new fires.

        Fired rules stay fired (facts only accumulate), as in a forward-chaining engine."""
        fired: set[str] = set()
        facts: set[str] = set()
        changed = True
        while changed:
            changed = False
            for rule in self.rules:
                if rule["id"] in fired or not self.holds(rule["when"], answers, facts):
                    continue
                fired.add(rule["id"])
                facts.update(rule["then"].get("conclude") or [])
                changed = True
        return fired, facts

    # --- classification -------------------------------------------------------------------

    def evaluate(self, answers: dict[str, str]) -> Evaluation:
        fired, facts = self.fire(answers)
        effects = [rule["then"] for rule in self.rules if rule["id"] in fired]
        flags = {flag for then in effects for flag in then.get("flags") or []}
        done = {then.get("step_done") for then in effects}
        steps_done = tuple(step for step in STEPS if step in done)
        next_step = next((step for step in STEPS if step not in done), STEPS[-1])
        approaches = [then["approach"] for then in effects if then.get("approach")]
        approach = max(approaches, key=APPROACHES.index) if approaches else None
        relevant = {
            q_id
            for q_id, question in self.questions.items()
            if question.get("ask_if") is None or self.holds(question["ask_if"], answers, facts)
        }
        open_questions = {q for q in relevant if answers.get(q, UNKNOWN) == UNKNOWN}
        levels = self._levels(effects, flags, relevant - open_questions)
        verdict = self._verdict(answers, flags, levels, next_step, open_questions)
        return Evaluation(
            fired=frozenset(fired),
            flags=frozenset(flags),
            steps_done=steps_done,
            next_step=next_step,
            approach=approach,
            levels=levels,
            relevant=frozenset(relevant),
            open_questions=frozenset(open_questions),
            verdict=verdict,
        )

    def _levels(self, effects: list[dict], flags: set[str], known: set[str]) -> dict[str, int]:
        caps = self.params["severity_score_cap"]
        assessed = {self.questions[q].get("area") for q in known}
        levels = {}
        for area in (a["id"] for a in self.areas):
            if area not in assessed:
                levels[area] = -1
                continue
            scores = [
                score["level"]
                for then in effects
                for score in then.get("scores") or []
                if score["area"] == area
            ]
            level = max(scores, default=0)
            for flag in flags:
                if self.flags[flag]["area"] == area:
                    level = min(level, caps[self.flags[flag]["severity"]])
            levels[area] = level
        return levels

    def _verdict(self, answers, flags, levels, next_step, open_questions) -> str:
        core = [a["id"] for a in self.areas if a.get("core")]
        severities = {self.flags[flag]["severity"] for flag in flags}
        if "high" in severities:
            return "not_ready"
        open_keys = [q for q in open_questions if self.questions[q].get("key")]
        if len(open_keys) > self.params["max_unknown_key_questions"]:
            return "insufficient_information"
        if any(levels[area] < 0 for area in core):
            return "insufficient_information"
        if any(levels[area] < self.params["not_ready_below_score"] for area in core):
            return "not_ready"
        if "medium" in severities:
            return "conditional"
        if any(levels[area] < self.params["ready_min_area_score"] for area in core):
            return "conditional"
        if STEPS.index(next_step) < STEPS.index(self.params["ready_from_step"]):
            return "conditional"
        if open_questions:
            worst = {q: self.options(q)[0] for q in open_questions}
            return (
                "ready" if self.evaluate({**answers, **worst}).verdict == "ready" else "conditional"
            )
        return "ready"


# --- helpers shared by the differential and property tests --------------------------------


def disagreements(outcome, expected: Evaluation) -> list[str]:
    """Fields where the engine's Outcome (duck-typed, not imported) differs from `expected`."""
    actual = {
        "fired": set(outcome.trace.fired),
        "flags": set(outcome.flags),
        "steps_done": tuple(outcome.steps_done),
        "next_step": outcome.next_step,
        "approach": outcome.approach,
        "levels": dict(outcome.levels),
        "relevant": set(outcome.relevant),
        "open_questions": set(outcome.open_questions),
        "verdict": outcome.verdict,
    }
    wanted = {name: getattr(expected, name) for name in actual}
    wanted = {k: set(v) if isinstance(v, frozenset) else v for k, v in wanted.items()}
    problems = []
    for name, value in actual.items():
        if value == wanted[name]:
            continue
        if isinstance(value, set):
            detail = f"engine only {sorted(value - wanted[name])}, "
            detail += f"evaluator only {sorted(wanted[name] - value)}"
        else:
            detail = f"engine {value!r} != evaluator {wanted[name]!r}"
        problems.append(f"{name}: {detail}")
    return problems


def profiles(
    evaluator: IndependentEvaluator,
    max_edits: int = 12,
    shapes: tuple[str, ...] = ("favourable", "sparse", "uniform"),
):
    """Hypothesis strategy of answer dicts: each question absent, "unknown" (when accepted) or
    one of its options. Three shapes so that every verdict is reached often: the most
    favourable profile with a few edits, a sparse profile, and a uniform draw per question."""
    from hypothesis import strategies as st

    choices: dict[str, list[str | None]] = {
        q_id: [None]
        + ([UNKNOWN] if question.get("accepts_unknown", True) else [])
        + evaluator.options(q_id)
        for q_id, question in sorted(evaluator.questions.items())
    }
    question_ids = sorted(choices)
    best = {q: evaluator.options(q)[-1] for q in question_ids}
    edit = st.tuples(st.sampled_from(question_ids), st.integers(0, 6))

    def apply(base: dict[str, str], edits: list[tuple[str, int]]) -> dict[str, str]:
        answers = dict(base)
        for q_id, index in edits:
            choice = choices[q_id][index % len(choices[q_id])]
            if choice is None:
                answers.pop(q_id, None)
            else:
                answers[q_id] = choice
        return answers

    favourable = st.lists(edit, max_size=max_edits).map(lambda edits: apply(best, edits))
    sparse = st.lists(edit, max_size=len(question_ids)).map(lambda edits: apply({}, edits))
    uniform = st.fixed_dictionaries({q: st.sampled_from(choices[q]) for q in question_ids}).map(
        lambda drawn: {q: o for q, o in drawn.items() if o is not None}
    )
    shaped = {"favourable": favourable, "sparse": sparse, "uniform": uniform}
    return st.one_of(*(shaped[shape] for shape in shapes))
