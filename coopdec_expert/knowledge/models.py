"""Pydantic models of the knowledge base in rules/: the schema every YAML file must follow."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from ..vocabulary import (  # noqa: F401 - the vocabulary, re-exported for the schema's readers
    APPROACHES,
    SEVERITIES,
    STEPS,
    UNKNOWN,
    Approach,
    Severity,
    Step,
)

LANGS: tuple[str, ...] = ("fr", "en")
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$", max_length=80)]


class Strict(BaseModel):
    """Base: unknown keys are errors, so a typo in a rule file is reported, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text in both languages of the product."""

    fr: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr


class Source(Strict):
    """Where the seed says it: section number and a verbatim quote."""

    section: Literal["1", "2", "3", "4", "5"]
    quote: str = Field(min_length=12)


# --- conditions -----------------------------------------------------------------------


class AnswerCondition(Strict):
    """True when the answer to `answer` is one of the given options (never `unknown`)."""

    answer: Identifier
    is_: Identifier | None = Field(default=None, alias="is")
    in_: list[Identifier] | None = Field(default=None, alias="in")
    at_least: Identifier | None = None
    at_most: Identifier | None = None

    @model_validator(mode="after")
    def _exactly_one_test(self) -> AnswerCondition:
        given = [k for k in ("is_", "in_", "at_least", "at_most") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "an answer condition needs exactly one of 'is', 'in', 'at_least', 'at_most'"
            )
        if self.in_ is not None and not self.in_:
            raise ValueError("'in' needs at least one option")
        return self


class FactCondition(Strict):
    """True when another rule has concluded the derived fact `fact`."""

    fact: Identifier


class AllCondition(Strict):
    all: list[Condition] = Field(min_length=1)


class AnyCondition(Strict):
    any: list[Condition] = Field(min_length=1)


class NotCondition(Strict):
    not_: Condition = Field(alias="not")


def _condition_kind(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        value = value.model_dump(by_alias=True)
    if not isinstance(value, dict):
        return None
    for key in ("answer", "fact", "all", "any", "not"):
        if key in value:
            return key
    return None


Condition = Annotated[
    Annotated[AnswerCondition, Tag("answer")]
    | Annotated[FactCondition, Tag("fact")]
    | Annotated[AllCondition, Tag("all")]
    | Annotated[AnyCondition, Tag("any")]
    | Annotated[NotCondition, Tag("not")],
    Discriminator(
        _condition_kind,
        custom_error_type="condition",
        custom_error_message="a condition is a mapping with one of the keys "
        "'answer', 'fact', 'all', 'any', 'not'",
    ),
]

AllCondition.model_rebuild()
AnyCondition.model_rebuild()
NotCondition.model_rebuild()


# --- catalogue entries ---------------------------------------------------------------


class Option(Strict):
    id: Identifier
    label: Text


Side = Literal["north", "south", "both", "context", "requester"]
SourceKind = Literal["seed", "interpretation", "policy"]


class Question(Strict):
    """One question of the readiness interview; options go from least to most favourable
    (`ordinal: false` when they have no such order, e.g. who requests the assessment).

    `side`: whose situation it asks about — the Northern or Southern local government, both
    (the relationship), the context (the country), or the requester's own process. A key question
    is one without which no verdict can be given; `key_rationale` says why."""

    id: Identifier
    area: Identifier | None = None
    step: Step
    side: Side
    key: bool = False
    key_rationale: Text | None = None
    ordinal: bool = True
    actionable: bool = True
    text: Text
    help: Text
    options: list[Option] = Field(min_length=2)
    accepts_unknown: bool = True
    unknown_reason: str | None = None
    ask_if: Condition | None = None
    source: Source

    @field_validator("options")
    @classmethod
    def _distinct_options(cls, options: list[Option]) -> list[Option]:
        ids = [o.id for o in options]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate option ids: {ids}")
        if UNKNOWN in ids:
            raise ValueError("'unknown' is implicit; set accepts_unknown instead of listing it")
        return options

    @model_validator(mode="after")
    def _unknown_reason(self) -> Question:
        if not self.accepts_unknown and not self.unknown_reason:
            raise ValueError("accepts_unknown: false needs an unknown_reason")
        if self.key and self.key_rationale is None:
            raise ValueError("a key question needs a key_rationale (why no verdict without it)")
        return self

    def option_ids(self) -> list[str]:
        return [o.id for o in self.options]

    def answer_ids(self) -> list[str]:
        """The answers it takes: its options, then `unknown` when it accepts it."""
        return self.option_ids() + ([UNKNOWN] if self.accepts_unknown else [])


class ScoreEffect(Strict):
    """The area reaches at least `level` (1-3) when the rule holds."""

    area: Identifier
    level: int = Field(ge=1, le=3)


class Effects(Strict):
    """What a rule concludes when its conditions hold."""

    flags: list[Identifier] = []
    scores: list[ScoreEffect] = []
    step_done: Step | None = None
    approach: Approach | None = None
    conclude: list[Identifier] = []
    recommend: list[Identifier] = []

    @model_validator(mode="after")
    def _not_empty(self) -> Effects:
        if not (
            self.flags
            or self.scores
            or self.step_done
            or self.approach
            or self.conclude
            or self.recommend
        ):
            raise ValueError("'then' must conclude something")
        return self


class RuleDef(Strict):
    id: Identifier
    when: Condition
    then: Effects
    because: Text
    source: Source


class Flag(Strict):
    """A weakness the answers show. The source text gives no severity: `severity` is a
    judgement, declared as such — `source_kind` says whether the flag states what the text
    states (seed), reads it (interpretation) or is a choice of this tool (policy), and
    `severity_rationale` why this severity. `severity_from` names a parameter that sets the
    severity instead (e.g. how much the context weighs, which a ministry may set)."""

    id: Identifier
    severity: Severity
    severity_from: Identifier | None = None
    area: Identifier
    source_kind: SourceKind
    severity_rationale: Text
    text: Text
    source: Source


class Recommendation(Strict):
    """Advice; shown when a flag it addresses is raised, the step is next, or a rule asks."""

    id: Identifier
    step: Step
    addresses: list[Identifier] = []
    when_next_step: bool = False
    text: Text
    source: Source


class Area(Strict):
    id: Identifier
    core: bool = False
    name: Text
    description: Text
    source: Source


class StepDef(Strict):
    id: Step
    name: Text
    description: Text
    source: Source


class ApproachDef(Strict):
    id: Approach
    name: Text
    description: Text
    source: Source


class Parameter(Strict):
    """A threshold or weight a ministry could argue about."""

    id: Identifier
    value: int | str | dict[str, int] | list[str]
    description: Text
    source: Source | Literal["policy choice"]


class ScoreLabel(Strict):
    score: int = Field(ge=0, le=3)
    label: Text


class Migration(Strict):
    """An answer of an earlier version of the rules and what it becomes, so that a stored
    profile or an old profile file loses nothing: `becomes` lists the answers that replace it
    (empty: the question no longer exists and its answer is dropped, `note` says why)."""

    id: Identifier
    question: Identifier
    option: Identifier | None = None  # None: whatever the option
    becomes: dict[Identifier, Identifier] = {}  # answers set, where the profile has none
    keep: bool = False  # the old answer stays (the question still exists)
    note: Text


# --- partner matching (rules/6_matching/) ----------------------------------------------

# The closed vocabularies a presentation sheet is written in (coopdec_expert/matching/): the
# themes of a territory's stakes, what it brings and seeks; its actors and networks; its kind
# and population band; each side's motivations (the §3 typology).
VocabularyId = Literal[
    "themes",
    "actors",
    "networks",
    "kinds",
    "population_bands",
    "north_motivations",
    "south_motivations",
]
# The criteria the matching scores (coopdec_expert/matching/score.py has one scorer each) and
# the notes it shows without scoring them.
MatchCriterionId = Literal[
    "shared_stakes",
    "exchange",
    "motivations",
    "capacity",
    "occupied_space",
    "actor_links",
    "recently_created",
    "languages",
]


class Term(Strict):
    """One word of a closed vocabulary. `answers`: for a motivation, the answers of the §3
    typology questions it stands for (a sheet listing it answers them so)."""

    id: Identifier
    label: Text
    description: Text | None = None
    answers: dict[Identifier, Identifier] = {}
    source: Source | Literal["policy choice"]


class VocabularyDef(Strict):
    """A closed vocabulary: its terms, each cited or declared a policy choice."""

    id: VocabularyId
    name: Text
    description: Text
    terms: list[Term] = Field(min_length=1)
    source: Source | Literal["policy choice"]

    @field_validator("terms")
    @classmethod
    def _distinct_terms(cls, terms: list[Term]) -> list[Term]:
        ids = [term.id for term in terms]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate term ids: {sorted({i for i in ids if ids.count(i) > 1})}")
        return terms

    def ids(self) -> list[str]:
        return [term.id for term in self.terms]


class MatchCriterion(Strict):
    """A criterion of partner matching: why it matters (`because`, `source`), and the parameter
    holding its weight — none for a note, shown with its quote but never scored."""

    id: MatchCriterionId
    weight_from: Identifier | None = None
    name: Text
    because: Text
    source: Source
