"""Load every YAML file of rules/ into one validated KnowledgeBase."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from ..errors import CoopdecError
from ..resources import shipped
from .conditions import iter_conditions  # noqa: F401 - re-exported for earlier imports
from .models import (
    SEVERITIES,
    STEPS,
    ApproachDef,
    Area,
    Flag,
    MatchCriterion,
    Migration,
    Parameter,
    Question,
    Recommendation,
    RuleDef,
    ScoreLabel,
    StepDef,
    Text,
    VocabularyDef,
)

DEFAULT_RULES_DIR = shipped("rules")
# libyaml's safe loader when PyYAML was built with it (8x faster on rules/), else the Python one.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Top-level key of a rules/ file -> model of each entry of its list.
SECTIONS: dict[str, type[BaseModel]] = {
    "areas": Area,
    "steps": StepDef,
    "approaches": ApproachDef,
    "score_labels": ScoreLabel,
    "parameters": Parameter,
    "questions": Question,
    "flags": Flag,
    "recommendations": Recommendation,
    "rules": RuleDef,
    "migrations": Migration,
    "vocabularies": VocabularyDef,
    "match_criteria": MatchCriterion,
}
# Top-level scalar keys: the release of the knowledge base (semver), in catalogue.yaml.
SCALARS = ("release",)
RELEASE = re.compile(r"^\d+\.\d+\.\d+$")


class KnowledgeError(CoopdecError):
    """The rules/ folder cannot be loaded; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _entry_label(raw: object, index: int) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("id"), str | int):
        return f"[{index}] id={raw['id']}"
    return f"[{index}]"


def _describe(error: Mapping[str, Any]) -> str:
    location = ".".join(str(part) for part in error["loc"]) or "(entry)"
    value = error.get("input")
    shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    if len(shown) > 60:
        shown = shown[:57] + "..."
    hint = (
        " (YAML reads yes/no/on/off as booleans: quote the id)" if isinstance(value, bool) else ""
    )
    return f"field '{location}': {error['msg']} (got {shown}){hint}"


@dataclass(frozen=True)
class KnowledgeBase:
    """All questions, rules, flags, recommendations and parameters, with lookup tables."""

    areas: dict[str, Area]
    steps: dict[str, StepDef]
    approaches: dict[str, ApproachDef]
    score_labels: dict[int, ScoreLabel]
    parameters: dict[str, Parameter]
    questions: dict[str, Question]
    flags: dict[str, Flag]
    recommendations: dict[str, Recommendation]
    rules: dict[str, RuleDef]
    version: str  # hash of the content: what a stored result names exactly
    origin: dict[str, str] = field(default_factory=dict)  # "kind:id" -> file it came from
    migrations: dict[str, Migration] = field(default_factory=dict)
    # semver a person reads: patch = wording, minor = new question/rule/flag, major = removed or
    # renamed id or changed verdict policy (CHANGELOG.md says which verdicts can move)
    release: str = "0.0.0"
    # partner matching (rules/6_matching/): closed vocabularies of presentation sheets, criteria
    vocabularies: dict[str, VocabularyDef] = field(default_factory=dict)
    match_criteria: dict[str, MatchCriterion] = field(default_factory=dict)

    def param(self, name: str):
        return self.parameters[name].value

    def question(self, question_id: str) -> Question:
        return self.questions[question_id]

    def counts(self) -> dict[str, int]:
        """How many of each kind of entry: what `coopdec lint` and the app's knowledge page say."""
        return {
            "questions": len(self.questions),
            "rules": len(self.rules),
            "flags": len(self.flags),
            "recommendations": len(self.recommendations),
            "parameters": len(self.parameters),
        }

    @cached_property
    def answers_allowed(self) -> dict[str, frozenset[str]]:
        """Per question, the answers it takes: its options, and `unknown` when it accepts it."""
        return {q.id: frozenset(q.answer_ids()) for q in self.questions.values()}

    @cached_property
    def step_index(self) -> dict[str, int]:
        return {step: index for index, step in enumerate(STEPS)}

    def where(self, kind: str, entry_id: str) -> str:
        return self.origin.get(f"{kind}:{entry_id}", "rules/")


def rule_files(rules_dir: Path) -> list[Path]:
    return sorted(p for p in rules_dir.rglob("*") if p.suffix in {".yaml", ".yml"})


def rules_version(rules_dir: Path) -> str:
    """Hash of the rules/ content (paths and bytes), so a result names the rules it used."""
    digest = hashlib.sha256()
    for path in rule_files(rules_dir):
        digest.update(path.relative_to(rules_dir).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _read(path: Path, rules_dir: Path, problems: list[str]) -> dict | None:
    name = path.relative_to(rules_dir.parent).as_posix()
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        problems.append(f"{name}: not valid YAML: {str(error).splitlines()[0]}")
        return None
    if data is None:
        problems.append(f"{name}: empty file")
        return None
    if not isinstance(data, dict):
        problems.append(f"{name}: expected a mapping with keys {sorted(SECTIONS)}")
        return None
    allowed = sorted([*SECTIONS, *SCALARS])
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        problems.append(f"{name}: unknown top-level keys {unknown}; allowed: {allowed}")
    return data


def load_knowledge(rules_dir: Path | str | None = None) -> KnowledgeBase:
    """Load and validate rules/; raise KnowledgeError listing every problem found."""
    rules_dir = Path(rules_dir) if rules_dir else DEFAULT_RULES_DIR
    if not rules_dir.is_dir():
        raise KnowledgeError([f"{rules_dir}: rules folder not found"])
    problems: list[str] = []
    collected: dict[str, dict[Any, Any]] = {key: {} for key in SECTIONS}
    origin: dict[str, str] = {}
    release: str | None = None
    files = rule_files(rules_dir)
    if not files:
        problems.append(f"{rules_dir}: no YAML file")
    for path in files:
        data = _read(path, rules_dir, problems)
        if data is None:
            continue
        name = path.relative_to(rules_dir.parent).as_posix()
        if "release" in data:
            value = data["release"]
            if not isinstance(value, str) or not RELEASE.match(value):
                problems.append(f"{name}: release {value!r} is not a version like 2.0.0")
            elif release is not None:
                problems.append(f"{name}: a second release ({value}); keep one, in catalogue.yaml")
            else:
                release = value
        for section, model in SECTIONS.items():
            entries = data.get(section)
            if entries is None:
                continue
            if not isinstance(entries, list):
                problems.append(f"{name}: '{section}' must be a list")
                continue
            adapter = TypeAdapter(model)
            for index, raw in enumerate(entries):
                where = f"{name}: {section}{_entry_label(raw, index)}"
                try:
                    entry = adapter.validate_python(raw)
                except ValidationError as error:
                    problems.extend(f"{where}: {_describe(e)}" for e in error.errors())
                    continue
                key = getattr(entry, "score" if section == "score_labels" else "id")
                if key in collected[section]:
                    first = origin[f"{section}:{key}"]
                    problems.append(f"{where}: duplicate id '{key}' (first in {first})")
                    continue
                collected[section][key] = entry
                origin[f"{section}:{key}"] = name
    if not problems:
        problems += _resolve(collected, origin)
    if problems:
        raise KnowledgeError(problems)
    return KnowledgeBase(
        areas=collected["areas"],
        steps=collected["steps"],
        approaches=collected["approaches"],
        score_labels=collected["score_labels"],
        parameters=collected["parameters"],
        questions=collected["questions"],
        flags=collected["flags"],
        recommendations=collected["recommendations"],
        rules=collected["rules"],
        version=rules_version(rules_dir),
        origin=origin,
        migrations=collected["migrations"],
        release=release or "0.0.0",
        vocabularies=collected["vocabularies"],
        match_criteria=collected["match_criteria"],
    )


def _resolve(collected: dict[str, dict[Any, Any]], origin: dict[str, str]) -> list[str]:
    """What entries take from the parameters: a flag's `severity_from`, and `{parameter}` in
    question texts and option labels (thresholds a ministry may set, shown where they apply)."""
    problems: list[str] = []
    parameters = {p.id: p.value for p in collected["parameters"].values()}
    for flag_id, flag in list(collected["flags"].items()):
        if flag.severity_from is None:
            continue
        value = parameters.get(flag.severity_from)
        if value not in SEVERITIES:
            where = origin[f"flags:{flag_id}"]
            problems.append(
                f"{where}: flag {flag_id}: severity_from '{flag.severity_from}' must be a "
                f"parameter whose value is one of {', '.join(SEVERITIES)} (got {value!r})"
            )
            continue
        collected["flags"][flag_id] = flag.model_copy(update={"severity": value})
    scalars = {k: v for k, v in parameters.items() if isinstance(v, int | str)}
    for question_id, question in list(collected["questions"].items()):
        try:
            options = [
                o.model_copy(update={"label": _format(o.label, scalars)}) for o in question.options
            ]
            text = _format(question.text, scalars)
        except KeyError as error:
            where = origin[f"questions:{question_id}"]
            problems.append(f"{where}: question {question_id}: unknown parameter {error}")
            continue
        collected["questions"][question_id] = question.model_copy(
            update={"options": options, "text": text}
        )
    return problems


def _format(text: Text, values: dict[str, Any]) -> Text:
    if "{" not in text.fr and "{" not in text.en:
        return text
    return Text(fr=text.fr.format_map(values), en=text.en.format_map(values))
