"""Knowledge-base mutants: single changes of judgement in a copy of rules/.

Each mutant is one edit a rule author could make by mistake (or on purpose, without updating the
cases): an option of an answer test flipped, a threshold moved, an `all` read as an `any`, a rule
dropped, a score level, a flag's severity or area, a parameter, a recommendation's step, an
`ask_if`, a key question or a core criterion changed. The edit is made on the parsed YAML of one
file and written, with the other files unchanged, to a temporary rules tree: rules/ itself is
never touched.

A severity is changed together with its declared `severity_rationale` (the effect the new
severity has on the verdict): a severity changed alone is refused by `coopdec lint` at once,
while a deliberate change of policy must be caught by the cases.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

STEPS = ("commitment", "partner_search", "presentation", "initiation", "agreement", "action")
APPROACHES = ("humanitarian", "development", "institutional_support", "mutual_interest")
SEVERITIES = ("high", "medium", "low")
# The effect a severity has on the verdict, as a severity_rationale must declare it (lint).
DECLARED = {
    "high": ("Choix de politique : pas prête.", "Policy choice: not ready."),
    "medium": ("Choix de politique : sous conditions.", "Policy choice: conditional."),
    "low": (
        "Choix de politique : sans effet sur le verdict.",
        "Policy choice: no effect on the verdict.",
    ),
}
ANSWER_TESTS = ("is", "in", "at_least", "at_most")

Edit = Callable[[dict], None]  # changes the parsed YAML of one file in place


@dataclass(frozen=True)
class KbMutant:
    """One edit of one file of rules/."""

    id: str  # stable across runs: what the list of equivalent mutants names
    kind: str
    file: str  # relative to rules/
    edit: Edit

    def write(self, rules_dir: Path, target: Path, raw: dict[str, dict]) -> None:
        """The mutated tree in `target`: a copy of rules_dir with this mutant's file rewritten."""
        shutil.copytree(rules_dir, target)
        data = copy.deepcopy(raw[self.file])
        self.edit(data)
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)
        (target / self.file).write_text(text, encoding="utf-8")


def read_raw(rules_dir: Path) -> dict[str, dict]:
    """Every file of rules/ parsed, by its path relative to rules_dir."""
    return {
        path.relative_to(rules_dir).as_posix(): yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted(rules_dir.rglob("*.yaml"))
    }


# --- navigating the parsed YAML ----------------------------------------------------------


def _entry(data: dict, section: str, entry_id: str) -> dict:
    return next(e for e in data[section] if e.get("id") == entry_id)


def _node(root: Any, path: tuple) -> Any:
    for step in path:
        root = root[step]
    return root


def _condition_nodes(condition: Any, path: tuple = ()) -> Iterator[tuple[tuple, dict]]:
    """(path, node) for every node of a condition tree, depth first."""
    yield path, condition
    for key in ("all", "any"):
        if key in condition:
            for index, child in enumerate(condition[key]):
                yield from _condition_nodes(child, (*path, key, index))
    if "not" in condition:
        yield from _condition_nodes(condition["not"], (*path, "not"))


def _label(path: tuple) -> str:
    parts = []
    for step in path:
        parts.append(f"[{step}]" if isinstance(step, int) else f".{step}")
    return "".join(parts).lstrip(".") or "root"


# --- operators ---------------------------------------------------------------------------


class Enumerator:
    """Every mutant of one rules tree, in a stable order."""

    def __init__(self, raw: dict[str, dict]):
        self.raw = raw
        self.options: dict[str, list[str]] = {}
        self.areas: list[str] = []
        for data in raw.values():
            for question in data.get("questions") or []:
                self.options[question["id"]] = [o["id"] for o in question["options"]]
            self.areas += [a["id"] for a in data.get("areas") or []]

    def all(self) -> list[KbMutant]:
        found: list[KbMutant] = []
        for file, data in self.raw.items():
            for rule in data.get("rules") or []:
                found += self._condition_mutants(file, "rules", rule["id"], "when", "rule")
                found += self._rule_mutants(file, rule)
            for question in data.get("questions") or []:
                if "ask_if" in question:
                    found += self._condition_mutants(
                        file, "questions", question["id"], "ask_if", "ask_if"
                    )
                    found.append(
                        self._mutant(
                            f"ask_if:{question['id']}:dropped",
                            "ask_if",
                            file,
                            "questions",
                            question["id"],
                            lambda e: e.pop("ask_if"),
                        )
                    )
                if question.get("key"):
                    found.append(
                        self._mutant(
                            f"key:{question['id']}:true->false",
                            "key",
                            file,
                            "questions",
                            question["id"],
                            lambda e: e.update(key=False),
                        )
                    )
            for flag in data.get("flags") or []:
                found += self._flag_mutants(file, flag)
            for rec in data.get("recommendations") or []:
                found += self._recommendation_mutants(file, rec)
            for parameter in data.get("parameters") or []:
                found += self._parameter_mutants(file, parameter)
            for area in data.get("areas") or []:
                flipped = not area.get("core", False)
                found.append(
                    self._mutant(
                        f"core:{area['id']}:{not flipped}->{flipped}".lower(),
                        "core",
                        file,
                        "areas",
                        area["id"],
                        lambda e, v=flipped: e.update(core=v),
                    )
                )
        ids = [m.id for m in found]
        assert len(ids) == len(set(ids)), "mutant ids must be unique"
        return found

    @staticmethod
    def _mutant(
        mutant_id: str, kind: str, file: str, section: str, entry_id: str, change: Callable
    ) -> KbMutant:
        def edit(data: dict) -> None:
            change(_entry(data, section, entry_id))

        return KbMutant(mutant_id, kind, file, edit)

    # answer tests and condition structure ------------------------------------------------

    def _condition_mutants(
        self, file: str, section: str, entry_id: str, field: str, kind: str
    ) -> list[KbMutant]:
        found = []
        entry = _entry(self.raw[file], section, entry_id)
        prefix = f"{kind}:{entry_id}"
        for path, node in _condition_nodes(entry[field]):
            where = f"{field}.{_label(path)}" if path else field
            if "answer" in node:
                for test, old, new in self._answer_moves(node):
                    found.append(
                        self._node_mutant(
                            f"{prefix}:{where}:{node['answer']} {test} {old}->{new}",
                            "option" if kind == "rule" else "ask_if",
                            file,
                            section,
                            entry_id,
                            (field, *path),
                            lambda n, t=test, v=new: n.update({t: v}),
                        )
                    )
            for key, other in (("all", "any"), ("any", "all")):
                children = node.get(key)
                if not children or len(children) < 2:
                    continue
                found.append(
                    self._node_mutant(
                        f"{prefix}:{where}:{key}->{other}",
                        "structure" if kind == "rule" else "ask_if",
                        file,
                        section,
                        entry_id,
                        (field, *path),
                        lambda n, k=key, o=other: n.update({o: n.pop(k)}),
                    )
                )
                if kind != "rule":
                    continue
                for index in range(len(children)):
                    found.append(
                        self._node_mutant(
                            f"{prefix}:{where}.{key}[{index}]:dropped",
                            "structure",
                            file,
                            section,
                            entry_id,
                            (field, *path),
                            lambda n, k=key, i=index: n[k].pop(i),
                        )
                    )
        return found

    def _node_mutant(self, mutant_id, kind, file, section, entry_id, path, change) -> KbMutant:
        def edit(data: dict) -> None:
            change(_node(_entry(data, section, entry_id), path))

        return KbMutant(mutant_id, kind, file, edit)

    def _answer_moves(self, node: dict) -> Iterator[tuple[str, Any, Any]]:
        """(test, old value, new value): an option flipped to its neighbours, a threshold moved
        one option either way, an option added to or dropped from an `in`."""
        options = self.options[node["answer"]]
        test = next(t for t in ANSWER_TESTS if t in node)
        value = node[test]
        if test == "in":
            for option in value:
                if len(value) > 1:
                    yield test, value, [o for o in value if o != option]
            outside = [o for o in options if o not in value]
            if outside:
                # the option next to the set: the one a slip would add
                near = min(
                    outside,
                    key=lambda o: min(abs(options.index(o) - options.index(v)) for v in value),
                )
                yield test, value, sorted([*value, near], key=options.index)
            return
        index = options.index(value)
        for moved in (index - 1, index + 1):
            if 0 <= moved < len(options):
                yield test, value, options[moved]

    # rule effects ---------------------------------------------------------------------------

    def _rule_mutants(self, file: str, rule: dict) -> list[KbMutant]:
        rule_id, then = rule["id"], rule["then"]
        found = [
            KbMutant(
                f"rule:{rule_id}:dropped",
                "drop_rule",
                file,
                lambda data, r=rule_id: data["rules"].remove(_entry(data, "rules", r)),
            )
        ]

        def then_mutant(suffix: str, kind: str, change: Callable) -> KbMutant:
            return self._mutant(
                f"rule:{rule_id}:{suffix}",
                kind,
                file,
                "rules",
                rule_id,
                lambda e: change(e["then"]),
            )

        for index, score in enumerate(then.get("scores") or []):
            area, level = score["area"], score["level"]
            for new in (level - 1, level + 1):
                if 1 <= new <= 3:
                    found.append(
                        then_mutant(
                            f"score {area} {level}->{new}",
                            "level",
                            lambda t, i=index, v=new: t["scores"][i].update(level=v),
                        )
                    )
            other = self.areas[(self.areas.index(area) + 1) % len(self.areas)]
            found.append(
                then_mutant(
                    f"score {area}->{other}",
                    "score_area",
                    lambda t, i=index, v=other: t["scores"][i].update(area=v),
                )
            )
        # a step done or an approach moved to its neighbours in the method's order
        moves = (("step_done", "step", STEPS), ("approach", "approach", APPROACHES))
        for key, kind, order in moves:
            if key in then:
                value = then[key]
                for new in _neighbours(order, value):
                    found.append(
                        then_mutant(
                            f"{key} {value}->{new}",
                            kind,
                            lambda t, k=key, v=new: t.update({k: v}),
                        )
                    )
        effects = sum(len(v) if isinstance(v, list) else 1 for v in then.values())
        if effects > 1:
            for key in ("flags", "recommend"):
                for item in then.get(key) or []:
                    found.append(
                        then_mutant(
                            f"{key} {item} dropped",
                            "effect_dropped",
                            lambda t, k=key, v=item: t[k].remove(v),
                        )
                    )
        return found

    # flags, recommendations, parameters ------------------------------------------------------

    def _flag_mutants(self, file: str, flag: dict) -> list[KbMutant]:
        found = []
        flag_id = flag["id"]
        if not flag.get("severity_from"):  # a parameter's severity: a parameter mutant
            old = flag["severity"]
            for new in SEVERITIES:
                if new == old:
                    continue
                fr, en = DECLARED[new]
                found.append(
                    self._mutant(
                        f"flag:{flag_id}:severity {old}->{new}",
                        "severity",
                        file,
                        "flags",
                        flag_id,
                        lambda e, v=new, r={"fr": fr, "en": en}: e.update(
                            severity=v, severity_rationale=r
                        ),
                    )
                )
        area = flag["area"]
        other = self.areas[(self.areas.index(area) + 1) % len(self.areas)]
        found.append(
            self._mutant(
                f"flag:{flag_id}:area {area}->{other}",
                "flag_area",
                file,
                "flags",
                flag_id,
                lambda e, v=other: e.update(area=v),
            )
        )
        return found

    def _recommendation_mutants(self, file: str, rec: dict) -> list[KbMutant]:
        rec_id = rec["id"]
        found = [
            self._mutant(
                f"rec:{rec_id}:step {rec['step']}->{new}",
                "rec_step",
                file,
                "recommendations",
                rec_id,
                lambda e, v=new: e.update(step=v),
            )
            for new in _neighbours(STEPS, rec["step"])
        ]
        flipped = not rec.get("when_next_step", False)
        found.append(
            self._mutant(
                f"rec:{rec_id}:when_next_step {not flipped}->{flipped}".lower(),
                "rec_next_step",
                file,
                "recommendations",
                rec_id,
                lambda e, v=flipped: e.update(when_next_step=v),
            )
        )
        for flag in rec.get("addresses") or []:
            found.append(
                self._mutant(
                    f"rec:{rec_id}:addresses {flag} dropped",
                    "rec_addresses",
                    file,
                    "recommendations",
                    rec_id,
                    lambda e, v=flag: e["addresses"].remove(v),
                )
            )
        return found

    def _parameter_mutants(self, file: str, parameter: dict) -> list[KbMutant]:
        name, value = parameter["id"], parameter["value"]
        moves: list[tuple[str, Any]] = []
        if isinstance(value, bool):
            moves = []
        elif isinstance(value, int):
            moves = [(f"{value}->{v}", v) for v in (value - 1, value + 1) if v >= 0]
        elif isinstance(value, str) and value in STEPS:
            moves = [(f"{value}->{v}", v) for v in _neighbours(STEPS, value)]
        elif isinstance(value, str) and value in SEVERITIES:
            moves = [(f"{value}->{v}", v) for v in SEVERITIES if v != value]
        elif isinstance(value, dict):
            for key, number in value.items():
                for new in (number - 1, number + 1):
                    if new >= 0:
                        moves.append((f"{key} {number}->{new}", {**value, key: new}))
        return [
            self._mutant(
                f"param:{name}:{label}",
                "param",
                file,
                "parameters",
                name,
                lambda e, v=new: e.update(value=v),
            )
            for label, new in moves
        ]


def _neighbours(order: tuple[str, ...], value: str) -> list[str]:
    index = order.index(value)
    return [order[i] for i in (index - 1, index + 1) if 0 <= i < len(order)]


def enumerate_mutants(rules_dir: Path) -> list[KbMutant]:
    return Enumerator(read_raw(rules_dir)).all()
