"""A partnership profile (YAML or JSON): metadata and answers, validated against the knowledge."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import CoopdecError
from .i18n import catalogue, t
from .inputs import InputRefused, load_json, load_yaml, shorten, shown
from .knowledge.loader import KnowledgeBase
from .knowledge.models import UNKNOWN
from .vocabulary import REQUESTER

MAX_PROFILE_BYTES = 1_000_000
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Control characters (C0, DEL, C1) and lone surrogates have no place in an id or a name: a NUL
# cannot be stored by PostgreSQL, the others hide what a text says or break its encoding. Free
# texts keep tab and line breaks (a note written on several lines).
CONTROL_IN_ID = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class ControlCharacter(ValueError):
    """A field holds a control character: which one (U+XXXX) and where (from 1). Tables report
    it in the row's language from these two values."""

    def __init__(self, code: str, position: int):
        self.code, self.position = code, position
        super().__init__(
            f"control character {code} at position {position}; ids and texts cannot contain "
            "control characters (retype the value)"
        )


def refuse_control_characters(value: str | None, pattern: re.Pattern = CONTROL_IN_TEXT):
    """The value, or ControlCharacter naming the first control character and where it is."""
    found = pattern.search(value) if isinstance(value, str) else None
    if found is None:
        return value
    raise ControlCharacter(f"U+{ord(found.group()):04X}", found.start() + 1)


class RequesterDiffers(ValueError):
    """`requester` and the answer to `partnership.requester` say different things."""

    def __init__(self, requester: str, given: str):
        self.requester, self.given = requester, given
        super().__init__(
            f"requester '{requester}' and answer {REQUESTER} '{shorten(given)}' differ: "
            "give one of them, or the same in both"
        )


class ProfileError(CoopdecError):
    """A profile cannot be used; the message names the file, the field and what is allowed."""

    def __init__(self, problems: list[str], source: str = "profile"):
        self.problems = list(problems)
        self.source = source
        super().__init__(f"{source}: " + "; ".join(self.problems))

    def __reduce__(self):
        # Rebuilt from its own fields when it crosses a process boundary (a screening worker):
        # the default would pass the joined message back as `problems`.
        return (type(self), (self.problems, self.source))


class LocalGovernment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    country: str = Field(min_length=1, max_length=100)
    kind: str | None = Field(default=None, max_length=100)

    @field_validator("name", "country", "kind")
    @classmethod
    def _no_control_characters(cls, value: str | None) -> str | None:
        return refuse_control_characters(value)


class Profile(BaseModel):
    """What an advisor records about a proposed partnership. `requester` is the local government
    requesting the assessment, a shorthand for the answer to `partnership.requester` (moved into
    `answers` on reading); a profile that says neither was written before that question existed
    and is read as a Southern request."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=300)
    requester: Literal["north", "south"] | None = None
    north: LocalGovernment | None = None
    south: LocalGovernment | None = None
    kind: str | None = Field(default=None, max_length=100)
    date: dt.date | None = None
    notes: str | None = Field(default=None, max_length=10_000)
    answers: dict[str, str] = {}

    @field_validator("id")
    @classmethod
    def _id_without_control_characters(cls, value: str | None) -> str | None:
        return refuse_control_characters(value, CONTROL_IN_ID)

    @field_validator("title", "kind", "notes")
    @classmethod
    def _text_without_control_characters(cls, value: str | None) -> str | None:
        return refuse_control_characters(value)

    @field_validator("date", mode="before")
    @classmethod
    def _date_not_a_number(cls, value: object) -> object:
        """Pydantic reads a number as seconds since 1970 (`date: 0` would be 1970-01-01):
        only a date, or a text written YYYY-MM-DD, is a date here."""
        if value is None or isinstance(value, dt.date):
            return value
        if isinstance(value, str) and ISO_DATE.fullmatch(value.strip()):
            return value.strip()
        raise ValueError(f"{shown(value)} is not a date; expected YYYY-MM-DD, e.g. 2026-05-12")

    _migrations: list[str] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _one_requester(self) -> Profile:
        given = self.answers.get(REQUESTER)
        if self.requester is not None and given is not None and given != self.requester:
            raise RequesterDiffers(self.requester, given)
        if self.requester is not None:
            # One home for who requests: the answer the rules, the interview and the app read
            # (and change); the top-level field is a shorthand for writing it.
            self.answers = {**self.answers, REQUESTER: self.requester}
            self.requester = None
        return self

    def known_answers(self) -> dict[str, str]:
        return {q: o for q, o in self.answers.items() if o != UNKNOWN}

    def engine_answers(self) -> dict[str, str]:
        """The answers the rules read: the profile's, with who requests (the metadata field, or
        the Southern local government for a profile that says nothing)."""
        requester = self.answers.get(REQUESTER) or "south"
        return {**self.answers, REQUESTER: requester}

    @property
    def migrations(self) -> list[str]:
        """What reading this profile changed in its answers (rules/migrations.yaml)."""
        return list(self._migrations)


def check_answers(answers: dict[str, str], kb: KnowledgeBase, lang: str = "en") -> list[str]:
    """One message per bad answer, naming the question (its text too) and the allowed options
    (with their labels, so that the message reads in the user's language)."""
    problems = []
    allowed_of = kb.answers_allowed
    for question_id, option in answers.items():
        if option in allowed_of.get(question_id, ()):
            continue  # the common case, without building the message's lists
        question = kb.questions.get(question_id)
        if question is None:
            shown_id = shorten(question_id)
            problems.append(t(lang, "profile.problem.unknown_question", question=shown_id))
            continue
        allowed = question.answer_ids()
        if option not in allowed:
            labels = {o.id: o.label.get(lang) for o in question.options}
            labels[UNKNOWN] = t(lang, "option.unknown")
            problems.append(
                t(
                    lang,
                    "profile.problem.option",
                    question=question_id,
                    text=question.text.get(lang),
                    option=shorten(option),
                    allowed=", ".join(allowed),
                    labels=", ".join(f"{o} ({labels[o]})" for o in allowed),
                )
            )
    return problems


def validate_profile(
    data: object, kb: KnowledgeBase, source: str = "profile", lang: str = "en"
) -> Profile:
    """Validate raw data (already parsed) into a Profile; raise ProfileError naming each problem."""
    if data is None or data == {} or data == "":
        raise ProfileError([t(lang, "profile.problem.empty_profile")], source)
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ProfileError([t(lang, "profile.problem.not_a_mapping", kind=kind)], source)
    # No `answers` is reported, not read as "no answers": a misspelt key would lose them all.
    problems = [] if "answers" in data else [t(lang, "input.problem.no_answers")]
    raw_answers = data.get("answers")
    if isinstance(raw_answers, dict):
        # YAML turns `yes`/`no`/numbers into non-strings: name them instead of a pydantic dump.
        bad = [k for k, v in raw_answers.items() if not isinstance(v, str)]
        if bad:
            raise ProfileError(
                [
                    t(
                        lang,
                        "profile.problem.answer_not_text",
                        question=shorten(k),
                        value=shown(raw_answers[k]),
                    )
                    for k in bad
                ],
                source,
            )
    try:
        profile = Profile.model_validate(data)
    except ValidationError as error:
        found = [field_problem(e, lang) for e in error.errors()]
        raise ProfileError(problems + found, source) from None
    if problems:
        raise ProfileError(problems, source)
    answers, notes = migrate_answers(profile.answers, kb, lang)
    if notes:
        profile = profile.model_copy(update={"answers": answers})
        profile._migrations = notes
    problems = check_answers(profile.answers, kb, lang)
    if problems:
        raise ProfileError(problems, source)
    return profile


def migrate_answers(
    answers: dict[str, str], kb: KnowledgeBase, lang: str = "en"
) -> tuple[dict[str, str], list[str]]:
    """Answers of earlier releases of the rules replaced by what they became (rules/
    migrations.yaml), and one note per change, so that an old file or a stored profile loses
    nothing and the person is told."""
    if not kb.migrations:
        return answers, []
    result = dict(answers)
    notes: list[str] = []
    for migration in kb.migrations.values():
        given = answers.get(migration.question)
        if given is None or migration.option not in (None, given):
            continue
        if migration.keep and all(q in answers for q in migration.becomes):
            continue  # the answer it would add is given: a profile of this release
        for question_id, option in migration.becomes.items():
            result.setdefault(question_id, option)
        if not migration.keep:
            result.pop(migration.question, None)
        notes.append(migration.note.get(lang))
    return result, notes


# pydantic's error types, as the catalogue names them (`field_error.<kind>`); any other type is
# `field_error.other`. The messages name the field by its id (as written in the file) and label.
_FIELD_ERRORS = {
    "missing": "missing",
    "extra_forbidden": "extra",
    "string_type": "text",
    "string_too_short": "empty",
    "string_too_long": "too_long",
    "literal_error": "choice",
    "date_parsing": "date",
    "date_from_datetime_parsing": "date",
    "date_from_datetime_inexact": "date",
    "date_type": "date",
    "value_error": "date",  # besides control characters and who requests (below): `date`
    "dict_type": "mapping",
    "model_type": "mapping",
    "model_attributes_type": "mapping",
}
_FIELDS = ("id", "title", "requester", "north", "south", "kind", "date", "notes", "answers")


def field_label(location: tuple, lang: str) -> str:
    """The label of a profile's field (its column in a table of requests)."""
    parts = [str(p) for p in location]
    if parts and parts[0] in ("north", "south") and len(parts) > 1:
        key = f"screen.col.{parts[0]}_{parts[1]}"
    elif parts and parts[0] in ("north", "south"):
        key = f"profile.field.{parts[0]}"
    elif parts and parts[0] == "answers":
        key = "profile.field.answers"
    else:
        key = f"screen.col.{parts[0]}" if parts else ""
    return t(lang, key) if key in catalogue(lang) else ".".join(parts)


def field_message(error: Mapping[str, Any], lang: str, fields: tuple[str, ...] = _FIELDS) -> str:
    """What is wrong with a field, in `lang`, from one of pydantic's errors (never its English
    message, except for an unforeseen kind of error in English)."""
    kind = _FIELD_ERRORS.get(error["type"], "other")
    context = error.get("ctx") or {}
    value = error.get("input")
    cause = context.get("error")  # what a validator of Profile raised (value_error)
    if isinstance(cause, ControlCharacter):
        return t(lang, "field_error.control", code=cause.code, position=cause.position)
    if isinstance(cause, RequesterDiffers):
        given = shorten(cause.given)
        return t(lang, "field_error.requester", requester=cause.requester, given=given)
    values = {
        "value": "" if isinstance(value, dict | list) else shown(value),
        "limit": context.get("max_length", context.get("min_length", "")),
        "allowed": ", ".join(fields),
        "expected": str(context.get("expected", "")).replace("'", "").replace(" or ", ", "),
        "message": error.get("msg", ""),
    }
    if kind == "other" and lang != "en":
        kind = "refused"
    return t(lang, f"field_error.{kind}", **values)


def field_problem(
    error: Mapping[str, Any], lang: str = "en", fields: tuple[str, ...] = _FIELDS
) -> str:
    """One pydantic error as "field 'x' (label): what is wrong (value: …)", value shortened."""
    location = error["loc"]
    if not location and isinstance((error.get("ctx") or {}).get("error"), RequesterDiffers):
        location = ("requester",)  # raised for the whole profile: it is about this field
    field, label = ".".join(shorten(p) for p in location), field_label(location, lang)
    key = "profile.problem.field" if label != field else "profile.problem.field_unlabelled"
    text = t(lang, key, field=field, label=label, message=field_message(error, lang, fields))
    value = error.get("input")
    kind = _FIELD_ERRORS.get(error["type"])
    if kind not in ("missing", "extra", "date") and not isinstance(value, dict | list):
        text += t(lang, "profile.problem.value", value=shown(value))
    return text


def parse_profile_text(text: str, source: str, suffix: str = ".yaml", lang: str = "en"):
    """Parse YAML or JSON text; raise ProfileError if it is neither, or if it holds what a tiny
    file could use to exhaust the machine (aliases, deep nesting) or to hide a value (a key
    given twice)."""
    if not text.strip():
        raise ProfileError([t(lang, "profile.problem.empty_file")], source)
    try:
        if suffix == ".json":
            return load_json(text)
        return load_yaml(text)
    except InputRefused as refused:
        raise ProfileError([refusal_text(refused, lang)], source) from None
    except json.JSONDecodeError as error:
        place = {"line": error.lineno, "column": error.colno, "reason": error.msg}
        raise ProfileError([t(lang, "profile.problem.json", **place)], source) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = (mark.line + 1, mark.column + 1) if mark else None
        if isinstance(error, yaml.reader.ReaderError):  # a character YAML refuses: where is it
            before = text[: error.position]
            at = (before.count("\n") + 1, len(before) - before.rfind("\n"))
        where = t(lang, "profile.problem.at", line=at[0], column=at[1]) if at else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        message = t(lang, "profile.problem.yaml", where=where, reason=shorten(problem, 200))
        raise ProfileError([message], source) from None


def refusal_text(refused: InputRefused, lang: str) -> str:
    """The message of a file refused while parsing, with where it is when known."""
    text = t(lang, f"input.problem.{refused.problem}", **refused.values)
    if refused.line is None:
        return text
    return t(lang, "input.where", line=refused.line, column=refused.column) + text


PROFILE_SUFFIXES = (".yaml", ".yml", ".json")


def profile_from_bytes(name: str, data: bytes, kb: KnowledgeBase, lang: str = "en") -> Profile:
    """Validate a profile file's bytes (a file on disk or an upload in the app): size, file
    type, encoding, syntax, fields, questions and options, each named when wrong."""
    suffix = Path(name).suffix.lower()
    if len(data) > MAX_PROFILE_BYTES:
        raise ProfileError([t(lang, "profile.problem.too_big", limit=MAX_PROFILE_BYTES)], name)
    if suffix not in PROFILE_SUFFIXES:
        allowed = ", ".join(PROFILE_SUFFIXES)
        message = t(lang, "profile.problem.file_type", suffix=suffix, allowed=allowed)
        raise ProfileError([message], name)
    if b"\x00" in data:
        raise ProfileError([t(lang, "profile.problem.not_text")], name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProfileError([t(lang, "profile.problem.not_text")], name) from None
    return validate_profile(parse_profile_text(text, name, suffix, lang), kb, name, lang)


def load_profile(path: Path | str, kb: KnowledgeBase, lang: str = "en") -> Profile:
    """Read and validate a profile file (.yaml, .yml or .json)."""
    path = Path(path)
    if not path.is_file():
        raise ProfileError([t(lang, "profile.problem.not_found")], str(path))
    if path.stat().st_size > MAX_PROFILE_BYTES:
        message = t(lang, "profile.problem.too_big", limit=MAX_PROFILE_BYTES)
        raise ProfileError([message], str(path))
    return profile_from_bytes(str(path), path.read_bytes(), kb, lang)
