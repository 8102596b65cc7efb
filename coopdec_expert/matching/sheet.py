"""A presentation sheet: one local government as it presents itself to potential partners (step 3
of the method, « Savoir se présenter »), written in the closed vocabularies of rules/6_matching/.

A sheet is read like a profile (same guards against hostile files), then checked against the
knowledge base: every theme, motivation, actor, network, kind and band must be a term of its
vocabulary (the message names the field, the value and the allowed values, in FR or EN), and its
commitment answers must be options of questions about its own side."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import CoopdecError
from ..i18n import t
from ..inputs import shorten
from ..knowledge.loader import KnowledgeBase
from ..knowledge.models import UNKNOWN
from ..profile import (
    CONTROL_IN_ID,
    PROFILE_SUFFIXES,
    Profile,
    ProfileError,
    check_answers,
    field_problem,
    parse_profile_text,
    refuse_control_characters,
)
from ..vocabulary import REQUESTER

MAX_SHEET_BYTES = 1_000_000
MAX_LIST = 30  # actors, networks, partnerships, languages of one sheet
# Questions a sheet may answer: its own side's commitment (and partner-search context), the
# requester's own process (the sheet's local government is the requester of its own search),
# and, for a Southern sheet, its country's context.
SHEET_STEPS = ("commitment", "partner_search")
LISTS = ("stakes", "brings", "seeks")  # the three lists of themes
Side = Literal["north", "south"]


class SheetError(CoopdecError):
    """A sheet cannot be used; each problem names the field, the value and what is allowed."""

    def __init__(self, problems: list[str], source: str = "sheet"):
        self.problems = list(problems)
        self.source = source
        super().__init__(f"{source}: " + "; ".join(self.problems))

    def __reduce__(self):
        return (type(self), (self.problems, self.source))


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return refuse_control_characters(value.strip())
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Link(_Model):
    """A place an actor of the territory is linked to: a country, and a town when known."""

    country: str = Field(min_length=1, max_length=100)
    place: str | None = Field(default=None, max_length=200)

    _text = field_validator("country", "place")(_clean)


class Actor(_Model):
    """One actor of the territory (a term of the `actors` vocabulary) and its known links."""

    kind: str = Field(min_length=1, max_length=80)
    name: str | None = Field(default=None, max_length=200)
    links: list[Link] = Field(default=[], max_length=MAX_LIST)

    _text = field_validator("kind", "name")(_clean)


class Presentation(_Model):
    """The argument in the local government's own words, the seed's three parts."""

    motivations: str | None = Field(default=None, max_length=5_000)
    territory: str | None = Field(default=None, max_length=5_000)
    contributions: str | None = Field(default=None, max_length=5_000)

    _text = field_validator("motivations", "territory", "contributions")(_clean)


class Sheet(_Model):
    """A local government's presentation sheet. Lists left empty are *not known* (the
    matching says so), never "none"."""

    id: str = Field(min_length=1, max_length=200)
    side: Side
    name: str = Field(min_length=1, max_length=200)
    country: str = Field(min_length=1, max_length=100)
    kind: str | None = Field(default=None, max_length=80)
    population: str | None = Field(default=None, max_length=80)
    languages: list[str] = Field(default=[], max_length=MAX_LIST)
    stakes: list[str] = Field(default=[], max_length=MAX_LIST)
    brings: list[str] = Field(default=[], max_length=MAX_LIST)
    seeks: list[str] = Field(default=[], max_length=MAX_LIST)
    motivations: list[str] = Field(default=[], max_length=MAX_LIST)
    actors: list[Actor] = Field(default=[], max_length=MAX_LIST)
    networks: list[str] = Field(default=[], max_length=MAX_LIST)
    partnerships: list[str] = Field(default=[], max_length=MAX_LIST)
    answers: dict[str, str] = {}
    presentation: Presentation = Presentation()

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return refuse_control_characters(value.strip(), CONTROL_IN_ID)

    _text = field_validator("name", "country", "kind", "population")(_clean)

    @field_validator("languages", "stakes", "brings", "seeks", "motivations", "networks")
    @classmethod
    def _terms(cls, values: list[str]) -> list[str]:
        cleaned = []
        for value in values:
            text = refuse_control_characters(value.strip())[:200]
            if text and text not in cleaned:  # a term given twice counts once
                cleaned.append(text)
        return cleaned

    @field_validator("partnerships")
    @classmethod
    def _partners(cls, values: list[str]) -> list[str]:
        return [refuse_control_characters(v.strip())[:200] for v in values if v.strip()]

    def motivation_vocabulary(self) -> str:
        return f"{self.side}_motivations"

    def label(self) -> str:
        return f"{self.name} ({self.country})"


def sheet_problems(sheet: Sheet, kb: KnowledgeBase, lang: str = "fr") -> list[str]:
    """One message per value outside its vocabulary, per answer not allowed, per list too long."""
    problems: list[str] = []

    def check(field: str, values: list[str], vocabulary: str) -> None:
        allowed = kb.vocabularies[vocabulary].ids()
        for value in values:
            if value not in allowed:
                problems.append(
                    t(
                        lang,
                        "matching.problem.unknown_term",
                        field=field,
                        value=shorten(value),
                        allowed=", ".join(allowed),
                    )
                )

    limit = kb.param("match_max_themes")
    for field in LISTS:
        values = getattr(sheet, field)
        check(field, values, "themes")
        if len(values) > limit:
            problems.append(
                t(
                    lang,
                    "matching.problem.too_many_themes",
                    field=field,
                    count=len(values),
                    limit=limit,
                )
            )
    check("motivations", sheet.motivations, sheet.motivation_vocabulary())
    check("networks", sheet.networks, "networks")
    for index, actor in enumerate(sheet.actors):
        check(f"actors[{index + 1}].kind", [actor.kind], "actors")
    if sheet.kind is not None:
        check("kind", [sheet.kind], "kinds")
    if sheet.population is not None:
        check("population", [sheet.population], "population_bands")
    problems.extend(_answer_problems(sheet, kb, lang))
    return problems


def allowed_questions(kb: KnowledgeBase, side: str) -> list[str]:
    """The questions a sheet of `side` may answer (its commitment, as the seed's step 1)."""
    sides = {side, "requester"} | ({"context"} if side == "south" else set())
    return [
        q.id
        for q in kb.questions.values()
        if q.step in SHEET_STEPS and q.side in sides and q.id != REQUESTER
    ]


def _answer_problems(sheet: Sheet, kb: KnowledgeBase, lang: str) -> list[str]:
    problems = []
    allowed = set(allowed_questions(kb, sheet.side))
    for question_id in sheet.answers:
        if question_id in kb.questions and question_id not in allowed:
            problems.append(
                t(
                    lang,
                    "matching.problem.question_not_for_sheet",
                    question=shorten(question_id),
                    side=t(lang, f"matching.side.{sheet.side}"),
                )
            )
    problems.extend(f"answers: {p}" for p in check_answers(sheet.answers, kb))
    if not problems:
        problems.extend(_motivation_conflicts(sheet, kb, lang))
    return problems


def motivation_answers(sheet: Sheet, kb: KnowledgeBase) -> dict[str, str]:
    """The typology answers the listed motivations stand for: listed ones as their term says,
    the others of the side absent (a sheet that lists none says nothing: no answer)."""
    if not sheet.motivations:
        return {}
    vocabulary = kb.vocabularies[sheet.motivation_vocabulary()]
    answers: dict[str, str] = {}
    for term in vocabulary.terms:
        for question_id, option in term.answers.items():
            if term.id in sheet.motivations:
                answers[question_id] = option
            else:
                options = kb.questions[question_id].option_ids()
                answers.setdefault(question_id, "absent" if "absent" in options else "none")
    return answers


def _motivation_conflicts(sheet: Sheet, kb: KnowledgeBase, lang: str) -> list[str]:
    problems = []
    vocabulary = kb.vocabularies[sheet.motivation_vocabulary()]
    listed = [term for term in vocabulary.terms if term.id in sheet.motivations]
    seen: dict[str, str] = {}
    for term in listed:
        for question_id in term.answers:
            if question_id in seen:
                problems.append(
                    t(
                        lang,
                        "matching.problem.one_of",
                        field="motivations",
                        first=seen[question_id],
                        second=term.id,
                    )
                )
            seen[question_id] = term.id
    for question_id, option in motivation_answers(sheet, kb).items():
        given = sheet.answers.get(question_id)
        if given not in (None, UNKNOWN, option):
            problems.append(
                t(
                    lang,
                    "matching.problem.contradiction",
                    question=question_id,
                    given=shorten(given),
                    implied=option,
                )
            )
    return problems


def sheet_answers(sheet: Sheet, kb: KnowledgeBase) -> dict[str, str]:
    """The sheet's answers as the rules read them: its own, the motivations it lists, and who
    requests (its side)."""
    return {**motivation_answers(sheet, kb), **sheet.answers, REQUESTER: sheet.side}


def validate_sheet(
    data: object, kb: KnowledgeBase, source: str = "sheet", lang: str = "fr"
) -> Sheet:
    """Raw data (parsed) into a Sheet; SheetError naming every problem."""
    if not isinstance(data, dict) or not data:
        raise SheetError([t(lang, "matching.problem.not_a_sheet")], source)
    raw_answers = data.get("answers")
    if isinstance(raw_answers, dict):
        bad = [k for k, v in raw_answers.items() if not isinstance(v, str)]
        if bad:
            raise SheetError(
                [t(lang, "matching.problem.answer_not_text", question=shorten(k)) for k in bad],
                source,
            )
    try:
        sheet = Sheet.model_validate(data)
    except ValidationError as error:
        fields = tuple(Sheet.model_fields)  # what an unknown key is told is allowed
        problems = [field_problem(e, lang, fields) for e in error.errors()]
        raise SheetError(problems, source) from None
    problems = sheet_problems(sheet, kb, lang)
    if problems:
        raise SheetError(problems, source)
    return sheet


def parse_sheets(data: object, kb: KnowledgeBase, source: str, lang: str = "fr") -> list[Sheet]:
    """One sheet, or several under `sheets:` (a directorate's file); every problem of every
    sheet is named with the sheet's position."""
    if isinstance(data, dict) and set(data) == {"sheets"}:
        items = data["sheets"]
        if not isinstance(items, list):
            raise SheetError([t(lang, "matching.problem.not_a_sheet")], source)
        sheets, problems = [], []
        for index, item in enumerate(items, start=1):
            try:
                sheets.append(validate_sheet(item, kb, f"{source} [{index}]", lang))
            except SheetError as error:
                problems.append(str(error))
        if problems:
            raise SheetError(problems, source)
        return sheets
    return [validate_sheet(data, kb, source, lang)]


def sheets_from_bytes(name: str, data: bytes, kb: KnowledgeBase, lang: str = "fr") -> list[Sheet]:
    """The sheet(s) of a YAML or JSON file's bytes (a file on disk or an upload)."""
    suffix = Path(name).suffix.lower()
    if len(data) > MAX_SHEET_BYTES:
        raise SheetError([t(lang, "matching.problem.too_large", limit=MAX_SHEET_BYTES)], name)
    if suffix not in PROFILE_SUFFIXES:
        raise SheetError(
            [
                t(
                    lang,
                    "matching.problem.suffix",
                    suffix=suffix,
                    allowed=", ".join(PROFILE_SUFFIXES),
                )
            ],
            name,
        )
    try:
        if b"\x00" in data:
            raise UnicodeDecodeError("utf-8", data, 0, 1, "NUL")
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SheetError([t(lang, "matching.problem.not_utf8")], name) from None
    try:
        parsed = parse_profile_text(text, name, suffix, lang)
    except ProfileError as error:
        raise SheetError(error.problems, name) from None
    return parse_sheets(parsed, kb, name, lang)


def load_sheets(path: Path | str, kb: KnowledgeBase, lang: str = "fr") -> list[Sheet]:
    path = Path(path)
    if not path.is_file():
        raise SheetError([t(lang, "matching.problem.missing")], str(path))
    if path.stat().st_size > MAX_SHEET_BYTES:
        raise SheetError([t(lang, "matching.problem.too_large", limit=MAX_SHEET_BYTES)], str(path))
    return sheets_from_bytes(str(path), path.read_bytes(), kb, lang)


def sheet_from_profile(profile: Profile, kb: KnowledgeBase, side: str | None = None) -> dict:
    """A sheet's data started from an assessed profile: the requesting side's identity, its
    motivations (the typology answers present) and its commitment answers. Themes are not in a
    profile: the interview (or the person) adds them."""
    side = side or profile.engine_answers()[REQUESTER]
    government = getattr(profile, side)
    allowed = set(allowed_questions(kb, side))
    answers = {q: o for q, o in profile.answers.items() if q in allowed and o != UNKNOWN}
    vocabulary = kb.vocabularies[f"{side}_motivations"]
    motivations = [
        term.id
        for term in vocabulary.terms
        if term.answers and all(answers.get(q) == o for q, o in term.answers.items())
    ]
    typology = {q for term in vocabulary.terms for q in term.answers}
    if motivations:
        answers = {q: o for q, o in answers.items() if q not in typology}
    data: dict[str, Any] = {
        "id": profile.id or (government.name if government else side),
        "side": side,
        "name": government.name if government else "?",
        "country": government.country if government else "?",
        "motivations": motivations,
        "answers": answers,
    }
    return data
