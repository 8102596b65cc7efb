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
    steps: dict[str, str]
    next_step: str
    approach: str | None
    levels: dict[str, int]
    upper: dict[str, int]
    status: dict[str, str]
    relevant: frozenset[str]
    open_questions: frozenset[str]
    verdict: str
    reason_codes: frozenset[str]


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
        self.flags: dict[str, dict] = {f["id"]: dict(f) for f in raw["flags"]}
        self.areas: list[dict] = raw["areas"]
        self.params: dict[str, object] = {p["id"]: p["value"] for p in raw["parameters"]}
        for flag in self.flags.values():  # a severity a parameter sets (e.g. the context's weight)
            if flag.get("severity_from"):
                flag["severity"] = self.params[flag["severity_from"]]

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

    # --- what open answers could still do -----------------------------------------------
    #
    # A test on an open question (unanswered or "unknown") is *possible* when the question can
    # still be asked (no ask_if, or its ask_if is possible) and *necessary* never; `not` swaps
    # the two. Rules possible/necessary are found by repeating until nothing changes.

    def modal_holds(self, condition, answers, pfacts, nfacts, askable, possible: bool) -> bool:
        if "answer" in condition:
            given = answers.get(condition["answer"], UNKNOWN)
            if given == UNKNOWN:
                return possible and condition["answer"] in askable
            return self._answer_holds(condition, given)
        if "fact" in condition:
            return condition["fact"] in (pfacts if possible else nfacts)
        if "all" in condition:
            # tests of one question inside an `all` must be met by one answer
            by_question: dict[str, list[dict]] = {}
            for child in condition["all"]:
                if "answer" in child:
                    by_question.setdefault(child["answer"], []).append(child)
            for question, tests in by_question.items():
                if answers.get(question, UNKNOWN) == UNKNOWN and possible:
                    if question not in askable:
                        return False
                    if not any(
                        all(self._answer_holds(t, o) for t in tests) for o in self.options(question)
                    ):
                        return False
            return all(
                self.modal_holds(c, answers, pfacts, nfacts, askable, possible)
                for c in condition["all"]
            )
        if "any" in condition:
            return any(
                self.modal_holds(c, answers, pfacts, nfacts, askable, possible)
                for c in condition["any"]
            )
        return not self.modal_holds(
            condition["not"], answers, pfacts, nfacts, askable, not possible
        )

    def modal(self, answers: dict[str, str]) -> tuple[set[str], set[str]]:
        """(rules that some answers to the open questions could make hold, askable questions)."""
        possible: set[str] = set()
        necessary: set[str] = set()
        askable = {q for q, question in self.questions.items() if question.get("ask_if") is None}
        while True:
            before = (len(possible), len(necessary), len(askable))
            pfacts = {
                f
                for r in self.rules
                if r["id"] in possible
                for f in r["then"].get("conclude") or []
            }
            nfacts = {
                f
                for r in self.rules
                if r["id"] in necessary
                for f in r["then"].get("conclude") or []
            }
            for rule in self.rules:
                if self.modal_holds(rule["when"], answers, pfacts, nfacts, askable, True):
                    possible.add(rule["id"])
                if self.modal_holds(rule["when"], answers, pfacts, nfacts, askable, False):
                    necessary.add(rule["id"])
            for q, question in self.questions.items():
                gate = question.get("ask_if")
                if gate is not None and self.modal_holds(
                    gate, answers, pfacts, nfacts, askable, True
                ):
                    askable.add(q)
            if (len(possible), len(necessary), len(askable)) == before:
                return possible, askable

    # --- classification -------------------------------------------------------------------

    def evaluate(self, answers: dict[str, str]) -> Evaluation:
        fired, facts = self.fire(answers)
        possible, askable = self.modal(answers)
        by_id = {rule["id"]: rule for rule in self.rules}
        effects = [by_id[r]["then"] for r in fired]
        flags = {flag for then in effects for flag in then.get("flags") or []}
        done = {then.get("step_done") for then in effects} - {None}
        could = {by_id[r]["then"].get("step_done") for r in possible} - {None}
        last_done = max((STEPS.index(s) for s in done), default=-1)
        steps = {}
        for index, step in enumerate(STEPS):
            if step in done:
                steps[step] = "done"
            elif step not in could:
                steps[step] = "contrary"
            elif index < last_done:
                steps[step] = "presumed"
            else:
                steps[step] = "not_done"
        next_step = next((s for s in STEPS if steps[s] not in ("done", "presumed")), STEPS[-1])
        approaches = [then["approach"] for then in effects if then.get("approach")]
        approach = max(approaches, key=APPROACHES.index) if approaches else None
        relevant = {
            q_id
            for q_id, question in self.questions.items()
            if question.get("ask_if") is None or self.holds(question["ask_if"], answers, facts)
        }
        open_questions = {q for q in relevant if answers.get(q, UNKNOWN) == UNKNOWN}
        levels, upper, status = self._levels(effects, flags, [by_id[r]["then"] for r in possible])
        for area, state in status.items():
            # Not applicable yet: at 0, no flag in it, and none of the questions behind it
            # answered or still askable (the partner's context before there is a partner).
            behind = self._questions_behind(area)
            if (
                levels[area] == 0
                and state == "assessed"
                and not any(self.flags[f]["area"] == area for f in flags)
                and not behind & askable
                and all(answers.get(q, UNKNOWN) == UNKNOWN for q in behind)
            ):
                status[area] = "not_applicable"
        verdict, codes = self._verdict(answers, flags, levels, status, next_step, open_questions)
        return Evaluation(
            fired=frozenset(fired),
            flags=frozenset(flags),
            steps_done=tuple(s for s in STEPS if s in done),
            steps=steps,
            next_step=next_step,
            approach=approach,
            levels=levels,
            upper=upper,
            status=status,
            relevant=frozenset(relevant),
            open_questions=frozenset(open_questions),
            verdict=verdict,
            reason_codes=frozenset(codes),
        )

    def _questions_behind(self, area: str) -> set[str]:
        """Questions read by the rules that score or flag an area, and by the rules concluding
        the facts those read."""
        found: set[str] = set()
        todo = [
            r
            for r in self.rules
            if any(s["area"] == area for s in r["then"].get("scores") or [])
            or any(self.flags[f]["area"] == area for f in r["then"].get("flags") or [])
        ]
        seen: set[str] = set()
        while todo:
            rule = todo.pop()
            if rule["id"] in seen:
                continue
            seen.add(rule["id"])
            stack = [rule["when"]]
            while stack:
                node = stack.pop()
                if "answer" in node:
                    found.add(node["answer"])
                elif "fact" in node:
                    todo += [
                        r for r in self.rules if node["fact"] in (r["then"].get("conclude") or [])
                    ]
                else:
                    stack += node.get("all") or node.get("any") or [node.get("not")]
        return found

    def _levels(self, effects: list[dict], flags: set[str], possible_effects: list[dict]):
        caps = self.params["severity_score_cap"]

        def best(thens: list[dict], area: str) -> int:
            return max(
                (
                    s["level"]
                    for then in thens
                    for s in then.get("scores") or []
                    if s["area"] == area
                ),
                default=0,
            )

        def cap(flag_ids, area: str) -> int:
            return min(
                [3]
                + [
                    caps[self.flags[f]["severity"]]
                    for f in flag_ids
                    if self.flags[f]["area"] == area
                ]
            )

        possible_flags = {f for then in possible_effects for f in then.get("flags") or []}
        levels, upper, status = {}, {}, {}
        for area in (a["id"] for a in self.areas):
            level = min(best(effects, area), cap(flags, area))
            high = min(max(best(effects, area), best(possible_effects, area)), cap(flags, area))
            levels[area], upper[area] = level, high
            if level == 0 and high > 0:
                status[area] = "not_assessed"
            elif high > level or cap(flags | possible_flags, area) < level:
                status[area] = "partial"
            else:
                status[area] = "assessed"
        return levels, upper, status

    def _verdict(self, answers, flags, levels, status, next_step, open_questions):
        core = [a["id"] for a in self.areas if a.get("core")]
        severities = {self.flags[flag]["severity"] for flag in flags}
        if "high" in severities:
            return "not_ready", {"high_flags"}
        floor = self.params["not_ready_below_score"]
        if any(
            status[a] not in ("not_assessed", "not_applicable") and levels[a] < floor for a in core
        ):
            return "not_ready", {"core_area_zero"}
        codes = set()
        requester = answers.get("partnership.requester", UNKNOWN)
        open_keys = [
            q
            for q in open_questions
            if self.questions[q].get("key")
            and (
                self.questions[q]["side"] not in ("north", "south")
                or requester in (self.questions[q]["side"], UNKNOWN)
            )
        ]
        if len(open_keys) > self.params["max_unknown_key_questions"]:
            codes.add("unknown_key_questions")
        if any(status[a] == "not_assessed" for a in core):
            codes.add("unassessed_core_areas")
        if codes:
            return "insufficient_information", codes
        if "medium" in severities:
            codes.add("medium_flags")
        if any(
            status[area] != "not_applicable" and levels[area] < self.params["ready_min_area_score"]
            for area in core
        ):
            codes.add("core_area_below_ready")
        if STEPS.index(next_step) < STEPS.index(self.params["ready_from_step"]):
            codes.add("step_not_reached")
        if codes:
            return "conditional", codes
        if open_questions:
            worst = {q: self.options(q)[0] for q in open_questions}
            if self.evaluate({**answers, **worst}).verdict != "ready":
                return "conditional", {"open_questions"}
        return "ready", {"all_clear"}


# --- helpers shared by the differential and property tests --------------------------------


def disagreements(outcome, expected: Evaluation) -> list[str]:
    """Fields where the engine's Outcome (duck-typed, not imported) differs from `expected`."""
    actual = {
        "fired": set(outcome.fired),
        "flags": set(outcome.flags),
        "steps_done": tuple(outcome.steps_done),
        "steps": dict(outcome.steps),
        "next_step": outcome.next_step,
        "approach": outcome.approach,
        "levels": dict(outcome.levels),
        "upper": dict(outcome.upper),
        "status": dict(outcome.status),
        "relevant": set(outcome.relevant),
        "open_questions": set(outcome.open_questions),
        "verdict": outcome.verdict,
        "reason_codes": {code for code, _ in outcome.reasons},
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
    requester: bool = False,
):
    """Hypothesis strategy of answer dicts: each question absent, "unknown" (when accepted) or
    one of its options. Three shapes so that every verdict is reached often: the most
    favourable profile with a few edits, a sparse profile, and a uniform draw per question.
    With `requester`, who requests is always answered, as the rules read every profile
    (Profile.engine_answers); without it, its absence tests the engines' agreement anyway."""
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
    drawn = st.one_of(*(shaped[shape] for shape in shapes))
    if not requester:
        return drawn
    sides = st.sampled_from(evaluator.options("partnership.requester"))
    return st.tuples(drawn, sides).map(
        lambda pair: (
            pair[0]
            if pair[0].get("partnership.requester", UNKNOWN) != UNKNOWN
            else {**pair[0], "partnership.requester": pair[1]}
        )
    )
