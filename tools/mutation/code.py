"""Condition-semantics mutants: single changes of what a condition means, of how the engines
compile it, and of the verdict policy — applied to the running code of a child process, never to
the files.

Each entry names a function, a snippet of its source and what replaces it. The runner recompiles
the function with the snippet replaced and swaps its code object in place (`__code__`), so every
reference to it — however it was imported — runs the mutant; engines built afterwards (an
Assessor) compile their rules with it. A snippet that no longer occurs exactly once in the
function is reported as stale: the table follows the code, it never silently mutates nothing.
"""

from __future__ import annotations

import importlib
import inspect
import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class CodeMutant:
    id: str
    module: str
    function: str  # "name" or "Class.method"
    old: str
    new: str
    what: str

    @property
    def kind(self) -> str:
        return self.module.rsplit(".", 1)[-1]

    def target(self):
        owner = importlib.import_module(self.module)
        for part in self.function.split("."):
            owner = getattr(owner, part)
        return inspect.unwrap(owner)

    def source(self) -> str:
        return textwrap.dedent(inspect.getsource(self.target()))

    def problem(self) -> str | None:
        """Why this entry cannot be applied (stale snippet), or None."""
        try:
            count = self.source().count(self.old)
        except (AttributeError, ImportError, OSError, TypeError) as error:
            return f"{self.module}.{self.function}: {error}"
        if count != 1:
            return f"{self.module}.{self.function}: snippet found {count} times: {self.old!r}"
        return None

    def apply(self) -> None:
        """Swap the function's code for the mutated one (in this process only)."""
        function = self.target()
        module = importlib.import_module(self.module)
        mutated = self.source().replace(self.old, self.new)
        namespace = dict(vars(module))
        code = compile(mutated, inspect.getsourcefile(function) or self.module, "exec")
        exec(code, namespace)  # noqa: S102 - source of this repository, mutated by the table
        replacement = namespace[function.__name__]
        function.__code__ = inspect.unwrap(replacement).__code__


C = "coopdec_expert.knowledge.conditions"
X = "coopdec_expert.engine.compiler"
E = "coopdec_expert.engine.evaluator"
P = "coopdec_expert.engine.policy"
A = "coopdec_expert.engine.assess"
R = "coopdec_expert.engine.render"

MUTANTS: tuple[CodeMutant, ...] = (
    # --- what an answer test allows (conditions.py, read by every engine) ---
    CodeMutant(
        "conditions.at_least_exclusive",
        C,
        "allowed_options",
        "options[options.index(condition.at_least) :]",
        "options[options.index(condition.at_least) + 1 :]",
        "`at_least` read as strictly above the threshold",
    ),
    CodeMutant(
        "conditions.at_most_exclusive",
        C,
        "allowed_options",
        "options[: options.index(condition.at_most) + 1]",
        "options[: options.index(condition.at_most)]",
        "`at_most` read as strictly below the threshold",
    ),
    CodeMutant(
        "conditions.in_complemented",
        C,
        "allowed_options",
        "if o in wanted",
        "if o not in wanted",
        "`in` read as `not in`",
    ),
    # --- the interpreted reading (explanations) ---
    CodeMutant(
        "conditions.holds_not_dropped",
        C,
        "holds",
        "return not holds(condition.not_, answers, facts, kb)",
        "return holds(condition.not_, answers, facts, kb)",
        "`not` read as its positive condition (interpreted reading)",
    ),
    CodeMutant(
        "conditions.holds_all_as_any",
        C,
        "holds",
        "return all(holds(c, answers, facts, kb) for c in condition.all)",
        "return any(holds(c, answers, facts, kb) for c in condition.all)",
        "`all` read as `any` (interpreted reading)",
    ),
    # --- the compiled reading (the evaluator the searches use) ---
    CodeMutant(
        "conditions.group_united",
        C,
        "_group_answers",
        "allowed.get(item.answer, options) & options",
        "allowed.get(item.answer, options) | options",
        "tests of one question inside an `all` united instead of intersected (compiled)",
    ),
    CodeMutant(
        "conditions.compiled_not_dropped",
        C,
        "compile_holds",
        "return lambda answers, facts: not inner(answers, facts)",
        "return lambda answers, facts: inner(answers, facts)",
        "`not` compiled to its positive condition",
    ),
    CodeMutant(
        "conditions.compiled_any_as_all",
        C,
        "compile_holds",
        "return _disjunction([compile_holds(c, kb) for c in condition.any])",
        "return _conjunction([compile_holds(c, kb) for c in condition.any])",
        "`any` compiled as `all`",
    ),
    CodeMutant(
        "conditions.compiled_all_drops_others",
        C,
        "compile_holds",
        "parts += [compile_holds(c, kb) for c in others]",
        "parts += [compile_holds(c, kb) for c in others[:1]]",
        "an `all` compiled without its nested conditions after the first",
    ),
    CodeMutant(
        "conditions.conjunction_of_two_as_or",
        C,
        "_conjunction",
        "return lambda *args: first(*args) and second(*args)",
        "return lambda *args: first(*args) or second(*args)",
        "a conjunction of two parts read as a disjunction",
    ),
    CodeMutant(
        "conditions.conjunction_stops_early",
        C,
        "_conjunction",
        "            if not part(*args):\n                return False\n        return True",
        "            if part(*args):\n                return True\n        return False",
        "a conjunction of three parts or more read as a disjunction",
    ),
    CodeMutant(
        "conditions.disjunction_of_many_first_only",
        C,
        "_disjunction",
        "        for part in parts:\n            if part(*args):\n                return True\n"
        "        return False",
        "        return parts[0](*args)",
        "a disjunction of three parts or more reduced to its first",
    ),
    CodeMutant(
        "conditions.leaf_accepts_unknown",
        C,
        "_holds_leaf",
        "return lambda answers, facts: answers.get(question) in options",
        "return lambda answers, facts: answers.get(question, 'unknown') in (*options, 'unknown')",
        "an unknown answer satisfies an answer test with several options",
    ),
    # --- the possible / necessary readings (what an unknown leaves undecided) ---
    CodeMutant(
        "conditions.modal_not_keeps_reading",
        C,
        "compile_modal",
        "inner = compile_modal(condition.not_, kb, not possible)",
        "inner = compile_modal(condition.not_, kb, possible)",
        "`not` does not swap the possible and necessary readings",
    ),
    CodeMutant(
        "conditions.modal_not_dropped",
        C,
        "compile_modal",
        "return lambda *args: not inner(*args)",
        "return lambda *args: inner(*args)",
        "`not` dropped from the possible and necessary readings",
    ),
    CodeMutant(
        "conditions.modal_ignores_askable",
        C,
        "_modal_leaf",
        "return possible and question in askable",
        "return possible",
        "an open question that can no longer be asked still counts as possibly favourable",
    ),
    CodeMutant(
        "conditions.modal_unknown_necessary",
        C,
        "_modal_leaf",
        "return possible and question in askable",
        "return question in askable",
        "an open question counts as necessarily satisfying an answer test",
    ),
    # --- the experta engine of record ---
    CodeMutant(
        "compiler.pattern_united",
        X,
        "_Compiler._profile_pattern",
        "allowed.get(condition.answer, options) & options",
        "allowed.get(condition.answer, options) | options",
        "tests of one question inside an `all` united instead of intersected (experta)",
    ),
    CodeMutant(
        "compiler.not_dropped",
        X,
        "_Compiler.compile",
        "return NOT(self.compile(condition.not_, bind=False))",
        "return self.compile(condition.not_, bind=False)",
        "the compiler turning a `not` into its positive condition",
    ),
    CodeMutant(
        "compiler.any_as_all",
        X,
        "_Compiler.compile",
        "return OR(*(self.compile(child, bind) for child in condition.any))",
        "return AND(*(self.compile(child, bind) for child in condition.any))",
        "`any` compiled to experta's AND",
    ),
    CodeMutant(
        "compiler.all_drops_nested",
        X,
        "_Compiler.compile",
        "self.compile(c, bind) for c in condition.all if not isinstance(c, AnswerCondition)",
        "self.compile(c, bind) for c in condition.all[:0] if not isinstance(c, AnswerCondition)",
        "an `all` compiled without its nested conditions",
    ),
    # --- forward chaining in the compiled evaluator ---
    CodeMutant(
        "evaluator.single_pass_always",
        E,
        "CompiledRules.conclude",
        "if self.single_pass or len(fired) == before:",
        "if True:",
        "one pass over the rules even when a later rule concludes a fact an earlier one reads",
    ),
    CodeMutant(
        "evaluator.fixpoint_skips_necessary",
        E,
        "CompiledRules._modal_fixpoint",
        "necessary.add(rule_id)\n                necessary_facts.update(conclude)",
        "pass",
        "the necessary reading of derived facts never computed",
    ),
    # --- the verdict policy ---
    CodeMutant(
        "policy.approach_minimum",
        P,
        "Policy.classify",
        "approach = max(approaches, key=APPROACHES.index)",
        "approach = min(approaches, key=APPROACHES.index)",
        "the approach taken as the minimum instead of the maximum",
    ),
    CodeMutant(
        "policy.flag_caps_ignored",
        P,
        "Policy._levels",
        "level = reached[area] if reached[area] < cap[area] else cap[area]",
        "level = reached[area]",
        "a flag no longer caps its criterion's score",
    ),
    CodeMutant(
        "policy.highest_cap_wins",
        P,
        "Policy._levels",
        "if flag_cap[flag] < cap[area]:",
        "if True:",
        "of several flags in one criterion, the last one caps it, not the most severe",
    ),
    CodeMutant(
        "policy.partial_ignores_possible_flags",
        P,
        "Policy._levels",
        "elif high > level or possible_cap[area] < level:",
        "elif high > level:",
        "a criterion an open answer could still flag counts as assessed, not partial",
    ),
    CodeMutant(
        "policy.not_applicable_despite_flag",
        P,
        "Policy._levels",
        "and cap[area] == self._full[area]\n",
        "",
        "a criterion at 0 with a flag but no askable question counts as not applicable",
    ),
    CodeMutant(
        "policy.presumed_without_later_step",
        P,
        "Policy._steps",
        "elif index < last_done:",
        "elif index <= last_done + 1:",
        "a step presumed done without a later step done",
    ),
    CodeMutant(
        "policy.contrary_ignored",
        P,
        "Policy._steps",
        "elif step not in possible:",
        "elif False:",
        "a step the answers rule out is presumed like any other",
    ),
    CodeMutant(
        "policy.floor_inclusive",
        P,
        "Policy._verdict",
        "levels[a] < self.floor",
        "levels[a] <= self.floor",
        "not_ready from a core criterion at the floor, not below it",
    ),
    CodeMutant(
        "policy.ready_level_exclusive",
        P,
        "Policy._verdict",
        "levels[a] < self.ready_level",
        "levels[a] <= self.ready_level",
        "ready only above the minimum score, not at it",
    ),
    CodeMutant(
        "policy.ready_step_inclusive",
        P,
        "Policy._verdict",
        "if STEPS.index(next_step) < self.ready_step:",
        "if STEPS.index(next_step) <= self.ready_step:",
        "ready only past the step of ready_from_step, not at it",
    ),
    CodeMutant(
        "policy.unknown_keys_tolerated",
        P,
        "Policy._verdict",
        "if len(unknown_keys) > self.max_unknown_keys or unassessed:",
        "if len(unknown_keys) > self.max_unknown_keys + 1 or unassessed:",
        "one unknown key question more tolerated",
    ),
    CodeMutant(
        "policy.medium_flags_ignored",
        P,
        "Policy._verdict",
        'medium = tuple(f for f in flags if self.flag_severity[f] == "medium")',
        "medium = ()",
        "a medium flag no longer makes the verdict conditional",
    ),
    CodeMutant(
        "policy.no_pessimistic_completion",
        P,
        "Policy._verdict",
        'if outcome_of({**answers, **worst}).verdict != "ready":',
        "if False:",
        "ready with open questions without trying their least favourable answers",
    ),
    CodeMutant(
        "policy.keys_block_every_side",
        P,
        "Policy.blocks_verdict",
        "return side is None or requester in (side, UNKNOWN)",
        "return True",
        "a key question about the partner's side blocks the requester's verdict",
    ),
    CodeMutant(
        "policy.unassessed_reads_as_zero",
        P,
        "Policy._verdict",
        "status[a] not in UNRATED and levels[a] < self.floor",
        "status[a] != NOT_APPLICABLE and levels[a] < self.floor",
        "a core criterion not assessed for want of answers counts as a zero (not_ready)",
    ),
    # --- what is read, and how the report orders it ---
    CodeMutant(
        "assess.set_aside_once",
        A,
        "Assessor.applicable",
        "        aside += drop\n",
        "        aside += drop\n"
        "        return kept, tuple(sorted(aside, key=list(self.kb.questions).index))\n",
        "answers set aside in one pass, not until none more can be",
    ),
    CodeMutant(
        "render.flags_unordered",
        R,
        "Renderer.assessment",
        "sorted(base.flags, key=lambda f: (SEVERITY_RANK[kb.flags[f].severity], f))",
        "sorted(base.flags)",
        "flags no longer ordered by severity",
    ),
    CodeMutant(
        "render.recommendations_by_position",
        R,
        "Renderer.recommendations",
        "chosen.sort(key=lambda item: item[:3])",
        "chosen.sort(key=lambda item: item[2])",
        "recommendations no longer ordered by priority and step",
    ),
)


def stale() -> list[str]:
    """Entries of the table whose snippet no longer occurs exactly once."""
    return [problem for mutant in MUTANTS if (problem := mutant.problem()) is not None]
