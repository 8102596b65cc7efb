"""Regression cases: a partnership a careful reader of the reference text can judge, and what
the knowledge base must conclude for it (OpenFisca's YAML tests, Catala's `clerk test`).

A case file holds one case or a list of them:

    name: "Convention signed after a single visit"
    description: >
      Why a careful reader of the text expects this (cite it).
    profile:
      base: leo_interet_mutuel_en_action   # a base profile (bases/ beside the cases, or an example)
      answers: {initiation.missions: one_way}
      unset: [agreement.pace]              # answers of the base to forget
    expect:
      verdict: conditional
      next_step: initiation
      flags: {include: [agreement_without_initiation]}

`expect` lists only what the case is about. `coopdec test` runs the cases (`run_cases`); the
test-suite parametrises over the same functions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import CoopdecError
from ..profile import ProfileError, validate_profile
from ..resources import shipped
from .loader import SAFE_LOADER
from .models import Approach, Step

if TYPE_CHECKING:
    from ..assessment import Assessment
    from ..engine.assess import Assessor

CASE_SUFFIXES = (".yaml", ".yml")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SetExpectation(_Strict):
    """Ids that must be there, must not be there, or exactly these."""

    include: list[str] = []
    exclude: list[str] = []
    exactly: list[str] | None = None


class Expectation(_Strict):
    verdict: Literal["ready", "conditional", "not_ready", "insufficient_information"] | None = None
    next_step: Step | None = None
    approach: Approach | None = None
    steps_done: list[str] | None = None
    steps_presumed: list[str] | None = None
    scores: dict[str, int | None] = {}
    area_status: dict[str, Literal["assessed", "partial", "not_assessed", "not_applicable"]] = {}
    flags: SetExpectation | None = None
    recommendations: SetExpectation | None = None
    missing: SetExpectation | None = None
    fired: SetExpectation | None = None
    set_aside: SetExpectation | None = None  # answers not read: their question does not apply
    first_recommendation: str | None = None


class Case(_Strict):
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    profile: dict[str, Any]
    expect: Expectation


@dataclass(frozen=True)
class LoadedCase:
    id: str  # file stem and position: "convention_after_a_single_visit[0]"
    path: Path
    case: Case
    profile: dict[str, Any]  # the profile written out (base, overrides and unset applied)


class CaseError(CoopdecError):
    """A case file cannot be used; each problem names the file, the case and the field."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def case_files(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if p.suffix in CASE_SUFFIXES and "bases" not in p.relative_to(path).parts
            )
        elif path.is_file():
            found.append(path)
        else:
            raise CaseError([f"{path}: no such file or folder"])
    return found


def _read(path: Path) -> Any:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix == ".json":
        return json.loads(text)
    return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - libyaml's *safe* loader


def base_profile(name: str, case_path: Path) -> dict[str, Any]:
    """A base profile by name: `bases/NAME.yaml` beside the case files (or above them), then a
    shipped example of that name."""
    folders = [parent / "bases" for parent in (case_path.parent, *case_path.parents[:2])]
    folders.append(shipped("examples"))
    for folder in folders:
        for suffix in (".yaml", ".yml", ".json"):
            candidate = folder / f"{name}{suffix}"
            if candidate.is_file():
                data = _read(candidate)
                if isinstance(data, dict):
                    return data
    raise CaseError(
        [f"{case_path}: base profile '{name}' not found (bases/{name}.yaml or an example)"]
    )


def materialise(profile: dict[str, Any], case_path: Path) -> dict[str, Any]:
    """The profile written out: the base's, the case's own metadata, answers overridden, unset
    answers removed. A profile without `base` is used as it is."""
    if "base" not in profile:
        return profile
    base = base_profile(str(profile["base"]), case_path)
    answers = {**(base.get("answers") or {}), **(profile.get("answers") or {})}
    for question in profile.get("unset") or []:
        if question not in answers:
            raise CaseError([f"{case_path}: unset: '{question}' is not answered in the base"])
        del answers[question]
    own = {k: v for k, v in profile.items() if k not in ("base", "answers", "unset")}
    return {**base, **own, "answers": answers}


def load_cases(paths: Iterable[Path]) -> list[LoadedCase]:
    """Every case of the files and folders given; CaseError lists every problem found."""
    loaded: list[LoadedCase] = []
    problems: list[str] = []
    for path in case_files(paths):
        try:
            data = _read(path)
        except (yaml.YAMLError, json.JSONDecodeError, UnicodeDecodeError) as error:
            problems.append(f"{path}: not valid YAML/JSON: {str(error).splitlines()[0]}")
            continue
        for index, raw in enumerate(data if isinstance(data, list) else [data]):
            case_id = f"{path.stem}[{index}]"
            try:
                case = Case.model_validate(raw)
                profile = materialise(case.profile, path)
            except ValidationError as error:
                problems += [
                    f"{path}: case {index} field '{'.'.join(map(str, e['loc']))}': {e['msg']}"
                    for e in error.errors()
                ]
                continue
            except CaseError as error:
                problems += error.problems
                continue
            loaded.append(LoadedCase(case_id, path, case, profile))
    if problems:
        raise CaseError(problems)
    return loaded


# --- running ----------------------------------------------------------------------------


@dataclass
class CaseResult:
    case: LoadedCase
    fired: list[str]
    differences: list[str]

    @property
    def passed(self) -> bool:
        return not self.differences


@dataclass
class CaseReport:
    results: list[CaseResult] = field(default_factory=list)
    never_fired: list[str] = field(default_factory=list)  # rules no case fires

    @property
    def failures(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]


def _set_differences(label: str, actual: list[str], wanted: SetExpectation | None) -> list[str]:
    if wanted is None:
        return []
    found = [
        f"{label}: expected {item} among {actual}" for item in wanted.include if item not in actual
    ]
    found += [f"{label}: did not expect {item}" for item in wanted.exclude if item in actual]
    if wanted.exactly is not None and sorted(wanted.exactly) != sorted(actual):
        found.append(f"{label}: expected exactly {sorted(wanted.exactly)}, got {sorted(actual)}")
    return found


def differences(result: Assessment, expect: Expectation) -> list[str]:
    """One readable line per expectation the assessment does not meet."""
    found: list[str] = []
    readiness = result.readiness

    def compare(label: str, actual: object, wanted: object, context: str = "") -> None:
        if wanted is not None and actual != wanted:
            found.append(f"{label}: expected {wanted}, got {actual}{context}")

    reasons = "; ".join(f"{r.code} {', '.join(r.items)}".strip() for r in readiness.reasons)
    compare("verdict", readiness.verdict, expect.verdict, f" (reasons: {reasons})")
    compare("next_step", readiness.next_step, expect.next_step)
    compare("approach", result.approach, expect.approach)
    compare("steps_done", readiness.steps_done, expect.steps_done)
    compare("steps_presumed", readiness.steps_presumed, expect.steps_presumed)
    scores = {s.area: s for s in result.scores}
    for area, score in expect.scores.items():
        if area not in scores:
            found.append(f"scores: unknown area {area}")
            continue
        compare(f"score {area}", scores[area].score, score)
    for area, status in expect.area_status.items():
        if area in scores:
            compare(f"status {area}", scores[area].status, status)
    found += _set_differences("flags", [f.id for f in result.flags], expect.flags)
    found += _set_differences(
        "recommendations", [r.id for r in result.recommendations], expect.recommendations
    )
    found += _set_differences("missing", [m.question for m in result.missing], expect.missing)
    found += _set_differences("fired", result.fired, expect.fired)
    found += _set_differences("set_aside", result.set_aside, expect.set_aside)
    if expect.first_recommendation is not None:
        first = result.recommendations[0].id if result.recommendations else None
        compare("first recommendation", first, expect.first_recommendation)
    return found


def unknown_ids(expect: Expectation, kb) -> list[str]:
    """Ids in the expectations that the knowledge base does not have: an `exclude` of a
    misspelt or renamed id would pass whatever the engine does."""
    known = {
        "flags": set(kb.flags),
        "recommendations": set(kb.recommendations),
        "missing": set(kb.questions),
        "fired": set(kb.rules),
        "set_aside": set(kb.questions),
    }
    found = []
    for label, ids in known.items():
        wanted: SetExpectation | None = getattr(expect, label)
        if wanted is None:
            continue
        for item in [*wanted.include, *wanted.exclude, *(wanted.exactly or [])]:
            if item not in ids:
                found.append(f"{label}: unknown id {item}")
    if expect.first_recommendation and expect.first_recommendation not in kb.recommendations:
        found.append(f"first recommendation: unknown id {expect.first_recommendation}")
    for area in [*expect.scores, *expect.area_status]:
        if area not in kb.areas:
            found.append(f"scores: unknown area {area}")
    return found


def check_case(assessor: Assessor, case: LoadedCase, lang: str = "en") -> CaseResult:
    unknown = unknown_ids(case.case.expect, assessor.kb)
    if unknown:
        return CaseResult(case, [], unknown)
    try:
        profile = validate_profile(case.profile, assessor.kb, str(case.path))
    except ProfileError as error:
        return CaseResult(case, [], [f"profile: {'; '.join(error.problems)}"])
    result = assessor.assess(profile, lang)
    return CaseResult(case, list(result.fired), differences(result, case.case.expect))


def run_cases(
    assessor: Assessor, cases: list[LoadedCase], rule: str | None = None, lang: str = "en"
) -> CaseReport:
    """Every case checked; with `rule`, only the cases that fire it are reported."""
    report = CaseReport()
    fired: set[str] = set()
    for case in cases:
        result = check_case(assessor, case, lang)
        fired.update(result.fired)
        if rule is None or rule in result.fired:
            report.results.append(result)
    report.never_fired = sorted(set(assessor.kb.rules) - fired)
    return report
