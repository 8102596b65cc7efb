"""Explained proposals: for each pair shown, every criterion's points, why it matters (`because`
and the seed's quote, as in assessments), what in the two sheets produced it (the fields, named),
and what would make the pair stronger. Built only for the pairs shown: the ranking itself is
score.py's matrices."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..assessment import Out, SourceRef
from ..i18n import t
from ..knowledge.loader import KnowledgeBase
from .score import (
    CAPACITY_ANSWERS,
    CRITERIA,
    OCCUPIED,
    PURPOSE,
    Matcher,
    capacity_items,
    folded,
    guichet_reason,
    place_names,
)
from .sheet import Sheet

RECENT = "south.recently_created"


class Component(Out):
    """One criterion of a proposal. `points` is None for a note (shown, never scored);
    `assessed` is yes, partly (one half known) or no (counted at the declared unknown share).
    `fields` names the sheet fields the finding comes from, as `north.stakes`,
    `south.answers.south.mandate`."""

    criterion: str
    name: str
    weight: int | None
    points: float | None
    assessed: str
    because: str
    source: SourceRef
    fields: list[str]
    findings: list[str]
    stronger: list[str]


@dataclass
class Block:
    """The fractions and scores of a block of pairs, and where each sheet is in it."""

    fractions: dict[str, np.ndarray]
    totals: np.ndarray
    row_at: dict[int, int]
    col_at: dict[int, int]


class Proposal(Out):
    rank: int
    north: str
    south: str
    north_name: str
    south_name: str
    score: float
    out_of: int
    components: list[Component]
    notes: list[Component]


def _labels(kb: KnowledgeBase, vocabulary: str, ids: list[str] | set[str], lang: str) -> str:
    terms = kb.vocabularies[vocabulary].terms
    return ", ".join(term.label.get(lang) for term in terms if term.id in ids)


class Explainer:
    def __init__(self, matcher: Matcher, lang: str = "fr"):
        self.matcher = matcher
        self.kb = matcher.kb
        self.lang = lang

    def _t(self, key: str, **values: object) -> str:
        return t(self.lang, f"matching.explain.{key}", **values)

    def _component(self, criterion: str, fraction: float, **parts) -> Component:
        definition = self.kb.match_criteria[criterion]
        weight = self.matcher.policy.weights.get(criterion)
        known = not np.isnan(fraction)
        points = None
        if weight is not None:
            value = fraction if known else self.matcher.policy.unknown_share
            points = round(weight * value, 1)
        assessed = parts.pop("assessed", "yes" if known else "no")
        findings = parts.pop("findings", [])
        if assessed == "no":
            findings = [self._t("not_assessed"), *findings]
        return Component(
            criterion=criterion,
            name=definition.name.get(self.lang),
            weight=weight,
            points=points,
            assessed=assessed,
            because=definition.because.get(self.lang),
            source=SourceRef(section=definition.source.section, quote=definition.source.quote),
            findings=findings,
            **parts,
        )

    def proposal(self, rank: int, i: int, j: int) -> Proposal:
        """One pair's proposal (Northern sheet i, Southern sheet j)."""
        return self.proposals([(i, j)])[0]

    def proposals(self, pairs: list[tuple[int, int]], block: Block | None = None) -> list[Proposal]:
        """The proposals of the pairs, ranked in the order given. Pairs sharing one sheet (a
        sheet's best partners) are scored in one block — or in `block`, computed once for a
        whole register: the same functions, the same numbers as the ranking."""
        if not pairs:
            return []
        if block is None:
            block = self.block(
                np.array(sorted({i for i, _ in pairs})), np.array(sorted({j for _, j in pairs}))
            )
        result = []
        for rank, (i, j) in enumerate(pairs, start=1):
            at = (block.row_at[i], block.col_at[j])
            fractions = {k: float(v[at]) for k, v in block.fractions.items()}
            result.append(self._proposal(rank, i, j, fractions, float(block.totals[at])))
        return result

    def block(self, rows: np.ndarray, cols: np.ndarray) -> Block:
        return Block(
            fractions=self.matcher.fractions(rows, cols),
            totals=self.matcher.scores(rows, cols),
            row_at={int(r): k for k, r in enumerate(rows)},
            col_at={int(c): k for k, c in enumerate(cols)},
        )

    def register(self, tops: dict[str, list[tuple[int, int, float]]]) -> dict[str, list[Proposal]]:
        """Every sheet's proposals, the whole register's fractions computed once."""
        rows = np.arange(len(self.matcher.north.sheets))
        cols = np.arange(len(self.matcher.south.sheets))
        if not len(rows) or not len(cols):
            return {sheet_id: [] for sheet_id in tops}
        block = self.block(rows, cols)
        return {
            sheet_id: self.proposals([(i, j) for i, j, _ in found], block)
            for sheet_id, found in tops.items()
        }

    def _proposal(self, rank: int, i: int, j: int, fractions: dict, score: float) -> Proposal:
        matcher = self.matcher
        north, south = matcher.north.sheets[i], matcher.south.sheets[j]
        builders = {
            "shared_stakes": self._shared,
            "exchange": self._exchange,
            "motivations": self._motivations,
            "capacity": self._capacity,
            "occupied_space": self._occupied,
            "actor_links": self._links,
        }
        components = [builders[c](north, south, fractions) for c in CRITERIA]
        # `score` is the ranked number itself (components are rounded for display: their sum
        # may differ from it by a few tenths)
        return Proposal(
            rank=rank,
            north=north.id,
            south=south.id,
            north_name=north.label(),
            south_name=south.label(),
            score=round(score, 1),
            out_of=sum(matcher.policy.weights.values()),
            components=components,
            notes=[self._recent(south), self._languages(north, south)],
        )

    # --- criteria ------------------------------------------------------------------------
    def _shared(self, north: Sheet, south: Sheet, fractions) -> Component:
        fraction = fractions["shared_stakes"]
        shared = set(north.stakes) & set(south.stakes)
        findings, stronger = [], []
        fields = [f"{s.side}.stakes" for s in (north, south) if s.stakes]
        if np.isnan(fraction):
            missing = [s for s in (north, south) if not s.stakes]
            stronger += [self._t("fill", sheet=s.name, field="stakes") for s in missing]
        elif shared:
            findings.append(self._t("shared", themes=_labels(self.kb, "themes", shared, self.lang)))
            if fraction < 1:
                stronger.append(self._t("shared_more"))
        else:
            findings.append(self._t("shared_none"))
            stronger.append(self._t("shared_none_stronger"))
        return self._component(
            "shared_stakes", fraction, fields=fields, findings=findings, stronger=stronger
        )

    def _exchange(self, north: Sheet, south: Sheet, fractions) -> Component:
        findings, stronger, fields = [], [], []
        known = 0
        for giver, taker, key in (
            (north, south, "exchange_north_to_south"),
            (south, north, "exchange_south_to_north"),
        ):
            fraction = fractions[key]
            if np.isnan(fraction):
                for sheet, field in ((giver, "brings"), (taker, "seeks")):
                    if not getattr(sheet, field):
                        stronger.append(self._t("fill", sheet=sheet.name, field=field))
                continue
            known += 1
            fields += [f"{giver.side}.brings", f"{taker.side}.seeks"]
            matched = set(giver.brings) & set(taker.seeks)
            if matched:
                findings.append(
                    self._t(
                        "brings_sought",
                        giver=giver.name,
                        taker=taker.name,
                        themes=_labels(self.kb, "themes", matched, self.lang),
                    )
                )
            else:
                findings.append(self._t("brings_not_sought", giver=giver.name, taker=taker.name))
                stronger.append(self._t("one_way", giver=giver.name, taker=taker.name))
        assessed = "yes" if known == 2 else "partly" if known else "no"
        return self._component(
            "exchange",
            fractions["exchange"],
            assessed=assessed,
            fields=fields,
            findings=findings,
            stronger=stronger,
        )

    def _motivations(self, north: Sheet, south: Sheet, fractions) -> Component:
        findings, stronger, fields = [], [], []
        for sheet in (north, south):
            reason = guichet_reason(sheet, self.kb)
            if reason is not None:
                fields.append(f"{sheet.side}.{reason}")
                findings.append(self._t(f"guichet.{reason.split('.')[0]}", sheet=sheet.name))
                stronger.append(self._t("guichet_stronger", sheet=sheet.name))
                continue
            if sheet.motivations:
                fields.append(f"{sheet.side}.motivations")
                labels = _labels(
                    self.kb, sheet.motivation_vocabulary(), sheet.motivations, self.lang
                )
                findings.append(self._t("motivations", sheet=sheet.name, motivations=labels))
            purpose = sheet.answers.get(PURPOSE)
            if purpose is not None and purpose in self.kb.questions[PURPOSE].option_ids():
                fields.append(f"{sheet.side}.answers.{PURPOSE}")
                option = next(o for o in self.kb.questions[PURPOSE].options if o.id == purpose)
                findings.append(
                    self._t("purpose", sheet=sheet.name, purpose=option.label.get(self.lang))
                )
            if not sheet.motivations:
                stronger.append(self._t("fill", sheet=sheet.name, field="motivations"))
        fraction = fractions["motivations"]
        sides = {f.split(".")[0] for f in fields}
        if np.isnan(fraction):
            assessed = "no"
        else:
            assessed = "yes" if len(sides) == 2 or fraction == 0 else "partly"
        return self._component(
            "motivations",
            fraction,
            assessed=assessed,
            fields=fields,
            findings=findings,
            stronger=stronger,
        )

    def _capacity(self, north: Sheet, south: Sheet, fractions) -> Component:
        findings, stronger, fields = [], [], []
        policy = self.matcher.policy
        sides_known = 0
        for sheet in (north, south):
            items = capacity_items(sheet, self.kb, policy)
            sides_known += bool(items)
            for item, value in items.items():
                fields.append(f"{sheet.side}.{self._capacity_field(sheet, item)}")
                if value < 1:
                    stronger.append(self._t(f"capacity_low.{item}", sheet=sheet.name))
            missing = [
                item
                for item in policy.capacity_items
                if item not in items and self._capacity_field(sheet, item) is not None
            ]
            if items:
                findings.append(
                    self._t(
                        "capacity",
                        sheet=sheet.name,
                        percent=round(100 * sum(items.values()) / len(items)),
                        count=len(items),
                    )
                )
            for item in missing:
                stronger.append(
                    self._t("fill", sheet=sheet.name, field=self._capacity_field(sheet, item))
                )
        assessed = "yes" if sides_known == 2 else "partly" if sides_known else "no"
        return self._component(
            "capacity",
            fractions["capacity"],
            assessed=assessed,
            fields=fields,
            findings=findings,
            stronger=stronger,
        )

    @staticmethod
    def _capacity_field(sheet: Sheet, item: str) -> str | None:
        if item == "actor_diversity":
            return "actors"
        if item == "networks":
            return "networks"
        question = CAPACITY_ANSWERS[item][sheet.side]
        return None if question is None else f"answers.{question}"

    def _occupied(self, north: Sheet, south: Sheet, fractions) -> Component:
        fraction = fractions["occupied_space"]
        answer = north.answers.get(OCCUPIED)
        findings, stronger, fields = [], [], []
        if np.isnan(fraction):
            stronger.append(self._t("fill", sheet=north.name, field=f"answers.{OCCUPIED}"))
        else:
            fields.append(f"north.answers.{OCCUPIED}")
            option = next(o for o in self.kb.questions[OCCUPIED].options if o.id == answer)
            label = option.label.get(self.lang).format(
                many_partnerships=self.kb.param("many_partnerships")
            )
            findings.append(self._t("occupied", sheet=north.name, answer=label))
            if fraction < 1:
                stronger.append(self._t("occupied_stronger", sheet=north.name))
        return self._component(
            "occupied_space", fraction, fields=fields, findings=findings, stronger=stronger
        )

    def _links(self, north: Sheet, south: Sheet, fractions) -> Component:
        fraction = fractions["actor_links"]
        findings, stronger, fields = [], [], []
        for mine, other in ((north, south), (south, north)):
            for index, actor in enumerate(mine.actors, start=1):
                for link in actor.links:
                    if folded(link.country) != folded(other.country):
                        continue
                    fields.append(f"{mine.side}.actors[{index}].links")
                    to_place = link.place is not None and folded(link.place) in place_names(other)
                    kind = _labels(self.kb, "actors", {actor.kind}, self.lang)
                    findings.append(
                        self._t(
                            "link_place" if to_place else "link_country",
                            sheet=mine.name,
                            actor=actor.name or kind,
                            place=other.name if to_place else other.country,
                        )
                    )
        if np.isnan(fraction):
            stronger.append(self._t("links_unknown"))
        elif fraction == 0:
            fields += [f"{s.side}.actors" for s in (north, south) if any(a.links for a in s.actors)]
            findings.append(self._t("links_none"))
            stronger.append(self._t("links_stronger"))
        elif fraction < 1:
            stronger.append(self._t("links_stronger"))
        return self._component(
            "actor_links", fraction, fields=fields, findings=findings, stronger=stronger
        )

    # --- notes -----------------------------------------------------------------------------
    def _recent(self, south: Sheet) -> Component:
        answer = south.answers.get(RECENT)
        findings, fields = [], []
        if answer == "recent":
            fields.append(f"south.answers.{RECENT}")
            findings.append(self._t("recent", sheet=south.name))
        elif answer == "established":
            fields.append(f"south.answers.{RECENT}")
            findings.append(self._t("established", sheet=south.name))
        return self._component(
            "recently_created",
            np.nan if not fields else 1.0,
            fields=fields,
            findings=findings,
            stronger=[],
        )

    def _languages(self, north: Sheet, south: Sheet) -> Component:
        fields = [f"{s.side}.languages" for s in (north, south) if s.languages]
        findings: list[str] = []
        known = len(fields) == 2
        if known:
            common = {folded(x) for x in north.languages} & {folded(x) for x in south.languages}
            shared = [x for x in north.languages if folded(x) in common]
            findings.append(
                self._t("languages", languages=", ".join(shared))
                if shared
                else self._t("languages_none")
            )
        return self._component(
            "languages", 1.0 if known else np.nan, fields=fields, findings=findings, stronger=[]
        )


def proposals_for(matcher: Matcher, sheet_id: str, top: int, lang: str = "fr") -> list[Proposal]:
    return Explainer(matcher, lang).proposals(
        [(i, j) for i, j, _ in matcher.top_for(sheet_id, top)]
    )
