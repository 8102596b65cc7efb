"""Partner matching, vectorised: every Northern sheet against every Southern one in a few numpy
operations, so that a directorate's register of a thousand sheets a side ranks in about a second.

Each criterion of rules/6_matching/3_criteria.yaml gives a pair a *fraction* in [0, 1], or NaN
when the sheets do not say enough to assess it. The score is Σ weight × fraction, where a NaN
counts for `match_unknown_share` % of its weight: an unknown is never a zero (nor as good as a
known first level; the lint checks that). Explanations (explain.py) call the same functions on
the pairs shown, so the numbers they explain are the numbers that ranked them.

- shared_stakes: themes both list in `stakes` (symmetric), min(count, full) / full.
- exchange: North `brings` ∩ South `seeks`, and South `brings` ∩ North `seeks`; each direction
  half the criterion; a direction is unknown when one list is empty.
- motivations: per sheet 1 (motivations listed, or a relationship), 0 for a « guichet »
  (`relationship.purpose: funding_counter`, or a Southern sheet whose only motivation is the
  financial one), ½ for "a series of projects"; a guichet on either side makes the pair 0,
  otherwise the mean of the two sides.
- capacity: per sheet, the weighted mean of what it fills in (commitment answers on their
  ordinal scale, the diversity of its actors, networks); the pair's is the mean of both.
- occupied_space: the Northern sheet's `north.existing_partnerships` on its ordinal scale.
- actor_links: 1 when an actor of one territory is linked to the other's town, a share when only
  to its country, 0 when the sheets list links but none between them; unknown when neither
  lists any link.
A pair already partnered (either sheet names the other in `partnerships`) is never proposed;
pairs are always one Northern and one Southern sheet.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np

from ..knowledge.loader import KnowledgeBase
from .sheet import Sheet, sheet_answers

CRITERIA = ("shared_stakes", "exchange", "motivations", "capacity", "occupied_space", "actor_links")
NOTES = ("recently_created", "languages")
# capacity items: the answer each reads, per side (None: not on that side)
CAPACITY_ANSWERS: dict[str, dict[str, str | None]] = {
    "means": {"north": "north.capacity", "south": None},
    "in_charge": {"north": "north.in_charge", "south": "south.in_charge"},
    "mandate": {"north": "north.mandate", "south": "south.mandate"},
    "actors_carrying": {
        "north": "north.actors_associated",
        "south": "commitment.actors_associated",
    },
}
PURPOSE = "relationship.purpose"
GUICHET_PURPOSE = "funding_counter"
FINANCIAL_ONLY = ("financial",)  # a Southern sheet listing this motivation alone
OCCUPIED = "north.existing_partnerships"


def folded(text: str) -> str:
    """Names compared as people write them: case, accents, hyphens and spaces ignored."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(letters.replace("-", " ").replace("’", "'").split())


def place_names(sheet: Sheet) -> set[str]:
    """The folded names a link's `place` may use for the sheet's town: its name, its id, and
    the name without its title ("Ville de Rezé" is Rezé, "Commune de Léo" is Léo)."""
    name = folded(sheet.name)
    names = {name, folded(sheet.id)}
    for word in (" de ", " du ", " d'", " des "):
        if word in name:
            names.add(name.rsplit(word, 1)[1].strip())
    return names


def ordinal(kb: KnowledgeBase, question_id: str, option: str | None) -> float:
    """An answer on its question's scale, least (0) to most (1) favourable; NaN if none."""
    if option is None or question_id not in kb.questions:
        return np.nan
    options = kb.questions[question_id].option_ids()
    if option not in options:
        return np.nan  # unknown
    return options.index(option) / (len(options) - 1)


@dataclass(frozen=True)
class Policy:
    """The numbers of rules/6_matching/3_criteria.yaml (all declared policy choices)."""

    weights: dict[str, int]
    unknown_share: float
    shared_for_full: int
    exchange_for_full: int
    country_link_share: float
    actor_kinds_for_full: int
    capacity_items: dict[str, int]

    @classmethod
    def of(cls, kb: KnowledgeBase) -> Policy:
        weights = {
            c: kb.param(kb.match_criteria[c].weight_from)  # type: ignore[arg-type]
            for c in CRITERIA
        }
        return cls(
            weights=weights,
            unknown_share=kb.param("match_unknown_share") / 100,
            shared_for_full=kb.param("match_shared_stakes_for_full"),
            exchange_for_full=kb.param("match_exchange_for_full"),
            country_link_share=kb.param("match_country_link_share") / 100,
            actor_kinds_for_full=kb.param("match_actor_kinds_for_full"),
            capacity_items=dict(kb.param("match_capacity_items")),
        )


def guichet_reason(sheet: Sheet, kb: KnowledgeBase) -> str | None:
    """Why the sheet presents the cooperation as a « guichet », or None: the field behind it."""
    if sheet.answers.get(PURPOSE) == GUICHET_PURPOSE:
        return f"answers.{PURPOSE}"
    if sheet.side == "south" and tuple(sheet.motivations) == FINANCIAL_ONLY:
        return "motivations"
    return None


def motivation_fraction(sheet: Sheet, kb: KnowledgeBase) -> float:
    if guichet_reason(sheet, kb) is not None:
        return 0.0
    known = []
    if sheet.motivations:
        known.append(1.0)
    purpose = ordinal(kb, PURPOSE, sheet.answers.get(PURPOSE))
    if not np.isnan(purpose):
        known.append(purpose)
    return min(known) if known else np.nan


def capacity_items(sheet: Sheet, kb: KnowledgeBase, policy: Policy) -> dict[str, float]:
    """The capacity items the sheet fills in, each in [0, 1] (missing ones are left out)."""
    items: dict[str, float] = {}
    answers = sheet_answers(sheet, kb)
    for item, by_side in CAPACITY_ANSWERS.items():
        question = by_side[sheet.side]
        if question is not None:
            value = ordinal(kb, question, answers.get(question))
            if not np.isnan(value):
                items[item] = value
    if sheet.actors:
        kinds = {actor.kind for actor in sheet.actors}
        items["actor_diversity"] = min(len(kinds), policy.actor_kinds_for_full) / (
            policy.actor_kinds_for_full
        )
    if sheet.networks:
        items["networks"] = 1.0
    return items


def capacity_fraction(sheet: Sheet, kb: KnowledgeBase, policy: Policy) -> float:
    items = capacity_items(sheet, kb, policy)
    total = sum(policy.capacity_items.get(k, 0) for k in items)
    if not total:
        return np.nan
    return sum(policy.capacity_items.get(k, 0) * v for k, v in items.items()) / total


@dataclass
class Side:
    """One side's sheets as arrays (themes as the bits of a 64-bit integer)."""

    sheets: list[Sheet]
    stakes: np.ndarray
    brings: np.ndarray
    seeks: np.ndarray
    motivation: np.ndarray
    capacity: np.ndarray
    occupied: np.ndarray
    links_listed: np.ndarray  # the sheet lists at least one link of its actors
    index: dict[str, int] = field(default_factory=dict)


@dataclass
class Sparse:
    """Facts about a few pairs (links between actors, existing partnerships) as index arrays:
    Northern sheet, Southern sheet, value."""

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray

    @classmethod
    def of(cls, by_row: dict[int, dict[int, float]]) -> Sparse:
        triples = [(i, j, v) for i, row in by_row.items() for j, v in row.items()]
        rows, cols, values = zip(*triples, strict=True) if triples else ((), (), ())
        return cls(
            np.array(rows, dtype=np.intp),
            np.array(cols, dtype=np.intp),
            np.array(values, dtype=float),
        )


def _mask(values: list[str], bits: dict[str, int]) -> int:
    mask = 0
    for value in values:
        mask |= 1 << bits[value]
    return mask


def encode(sheets: list[Sheet], kb: KnowledgeBase, policy: Policy) -> Side:
    bits = {term: i for i, term in enumerate(kb.vocabularies["themes"].ids())}
    n = len(sheets)
    side = Side(
        sheets=sheets,
        stakes=np.fromiter((_mask(s.stakes, bits) for s in sheets), np.uint64, n),
        brings=np.fromiter((_mask(s.brings, bits) for s in sheets), np.uint64, n),
        seeks=np.fromiter((_mask(s.seeks, bits) for s in sheets), np.uint64, n),
        motivation=np.fromiter((motivation_fraction(s, kb) for s in sheets), float, n),
        capacity=np.fromiter((capacity_fraction(s, kb, policy) for s in sheets), float, n),
        occupied=np.fromiter(
            (ordinal(kb, OCCUPIED, s.answers.get(OCCUPIED)) for s in sheets), float, n
        ),
        links_listed=np.fromiter((any(a.links for a in s.actors) for s in sheets), bool, n),
        index={s.id: i for i, s in enumerate(sheets)},
    )
    return side


def _count_fraction(count: np.ndarray, for_full: int) -> np.ndarray:
    return np.minimum(count, for_full) / for_full


def _both(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a != 0)[:, None] & (b != 0)[None, :]


class Matcher:
    """Sheets of both sides, encoded once; scores for any block of pairs."""

    def __init__(self, sheets: list[Sheet], kb: KnowledgeBase):
        self.kb = kb
        self.policy = Policy.of(kb)
        self.north = encode([s for s in sheets if s.side == "north"], kb, self.policy)
        self.south = encode([s for s in sheets if s.side == "south"], kb, self.policy)
        self._links = Sparse.of(self._pairs_of_links())
        self._partnered = Sparse.of(self._partnered_pairs())

    # --- sparse pair facts: links between actors, existing partnerships ---------------------
    def _places(self, side: Side) -> tuple[dict, dict]:
        by_place: dict[tuple[str, str], list[int]] = {}
        by_country: dict[str, list[int]] = {}
        for i, sheet in enumerate(side.sheets):
            for place in place_names(sheet):
                by_place.setdefault((folded(sheet.country), place), []).append(i)
            by_country.setdefault(folded(sheet.country), []).append(i)
        return by_place, by_country

    def _pairs_of_links(self) -> dict[int, dict[int, float]]:
        """north -> south -> best link fraction between their actors, for pairs with one."""
        found: dict[int, dict[int, float]] = {}
        share = self.policy.country_link_share
        for mine, other, north_first in (
            (self.north, self.south, True),
            (self.south, self.north, False),
        ):
            by_place, by_country = self._places(other)
            for i, sheet in enumerate(mine.sheets):
                for actor in sheet.actors:
                    for link in actor.links:
                        country = folded(link.country)
                        strong = by_place.get((country, folded(link.place))) if link.place else None
                        for j in by_country.get(country, []):
                            value = 1.0 if strong and j in strong else share
                            row, col = (i, j) if north_first else (j, i)
                            pairs = found.setdefault(row, {})
                            pairs[col] = max(pairs.get(col, 0.0), value)
        return found

    def _partnered_pairs(self) -> dict[int, dict[int, float]]:
        names: dict[tuple[int, str], list[int]] = {}
        for k, side in enumerate((self.north, self.south)):
            for i, sheet in enumerate(side.sheets):
                for key in (folded(sheet.id), folded(sheet.name)):
                    names.setdefault((k, key), []).append(i)
        pairs: dict[int, dict[int, float]] = {}
        for k, side in enumerate((self.north, self.south)):
            for i, sheet in enumerate(side.sheets):
                for partner in sheet.partnerships:
                    for j in names.get((1 - k, folded(partner)), []):
                        row, col = (i, j) if k == 0 else (j, i)
                        pairs.setdefault(row, {})[col] = 1.0
        return pairs

    # --- fractions -----------------------------------------------------------------------
    def fractions(self, rows: np.ndarray, cols: np.ndarray) -> dict[str, np.ndarray]:
        """Each criterion's fraction for the block rows (Northern) × cols (Southern); NaN where
        not assessed. `exchange_north_to_south` and `exchange_south_to_north` are its halves."""
        n, s = self.north, self.south
        result: dict[str, np.ndarray] = {}
        stakes_n, stakes_s = n.stakes[rows], s.stakes[cols]
        shared = np.bitwise_count(stakes_n[:, None] & stakes_s[None, :])
        result["shared_stakes"] = np.where(
            _both(stakes_n, stakes_s), _count_fraction(shared, self.policy.shared_for_full), np.nan
        )
        for name, brings, seeks, transpose in (
            ("exchange_north_to_south", n.brings[rows], s.seeks[cols], False),
            ("exchange_south_to_north", s.brings[cols], n.seeks[rows], True),
        ):
            if transpose:
                count = np.bitwise_count(seeks[:, None] & brings[None, :])
                known = _both(seeks, brings)
            else:
                count = np.bitwise_count(brings[:, None] & seeks[None, :])
                known = _both(brings, seeks)
            result[name] = np.where(
                known, _count_fraction(count, self.policy.exchange_for_full), np.nan
            )
        both_known = ~np.isnan(result["exchange_north_to_south"]) | ~np.isnan(
            result["exchange_south_to_north"]
        )
        halves = self._valued(result["exchange_north_to_south"]) + self._valued(
            result["exchange_south_to_north"]
        )
        result["exchange"] = np.where(both_known, halves / 2, np.nan)
        mot_n, mot_s = n.motivation[rows][:, None], s.motivation[cols][None, :]
        guichet = (mot_n == 0) | (mot_s == 0)
        known = ~np.isnan(mot_n) | ~np.isnan(mot_s)
        mean = (self._valued(mot_n) + self._valued(mot_s)) / 2
        result["motivations"] = np.where(guichet, 0.0, np.where(known, mean, np.nan))
        cap_n, cap_s = n.capacity[rows][:, None], s.capacity[cols][None, :]
        known = ~np.isnan(cap_n) | ~np.isnan(cap_s)
        mean = (self._valued(cap_n) + self._valued(cap_s)) / 2
        result["capacity"] = np.where(known, mean, np.nan)
        result["occupied_space"] = np.broadcast_to(
            n.occupied[rows][:, None], (len(rows), len(cols))
        ).copy()
        links = np.where(n.links_listed[rows][:, None] | s.links_listed[cols][None, :], 0.0, np.nan)
        r, c, values = self._in_block(self._links, rows, cols)
        links[r, c] = values
        result["actor_links"] = links
        return result

    def _valued(self, fraction: np.ndarray) -> np.ndarray:
        """A fraction with its unknowns counted at the declared share."""
        return np.where(np.isnan(fraction), self.policy.unknown_share, fraction)

    def points(self, fractions: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Each criterion's points (weight × fraction, unknown at its share)."""
        return {c: self.policy.weights[c] * self._valued(fractions[c]) for c in CRITERIA}

    def scores(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Total score of each pair of the block, out of the sum of the weights; -inf for a
        pair already partnered (never proposed)."""
        total = sum(self.points(self.fractions(rows, cols)).values())
        total = np.asarray(total, dtype=float)
        r, c, _ = self._in_block(self._partnered, rows, cols)
        total[r, c] = -np.inf
        return total

    def _in_block(self, facts: Sparse, rows: np.ndarray, cols: np.ndarray):
        """(positions in rows, positions in cols, values) of the sparse facts inside the block,
        found with index arrays (no Python loop over the register)."""
        if not len(facts.values):
            return facts.rows, facts.cols, facts.values
        row_pos = np.full(len(self.north.sheets), -1)
        row_pos[rows] = np.arange(len(rows))
        col_pos = np.full(len(self.south.sheets), -1)
        col_pos[cols] = np.arange(len(cols))
        r, c = row_pos[facts.rows], col_pos[facts.cols]
        inside = (r >= 0) & (c >= 0)
        return r[inside], c[inside], facts.values[inside]

    # --- ranking -------------------------------------------------------------------------
    def side_of(self, sheet_id: str) -> tuple[str, int] | None:
        for name, side in (("north", self.north), ("south", self.south)):
            if sheet_id in side.index:
                return name, side.index[sheet_id]
        return None

    def top_for(self, sheet_id: str, top: int) -> list[tuple[int, int, float]]:
        """The best `top` partners of one sheet: (north index, south index, score), best
        first; ties by the partner's id so the order never depends on the input's order."""
        found = self.side_of(sheet_id)
        if found is None:
            raise KeyError(sheet_id)
        name, index = found
        if name == "north":
            row = self.scores(np.array([index]), np.arange(len(self.south.sheets)))[0]
            partners = self.south
        else:
            row = self.scores(np.arange(len(self.north.sheets)), np.array([index]))[:, 0]
            partners = self.north
        chosen = _best(row, [s.id for s in partners.sheets], top)
        return [((index, j) if name == "north" else (j, index)) + (float(row[j]),) for j in chosen]

    def top_all(self, top: int) -> dict[str, list[tuple[int, int, float]]]:
        """Every sheet's best `top` partners, from one score matrix."""
        n_rows, n_cols = len(self.north.sheets), len(self.south.sheets)
        result: dict[str, list[tuple[int, int, float]]] = {}
        if not n_rows or not n_cols:
            return {s.id: [] for s in self.north.sheets + self.south.sheets}
        matrix = self.scores(np.arange(n_rows), np.arange(n_cols))
        south_ids = [s.id for s in self.south.sheets]
        north_ids = [s.id for s in self.north.sheets]
        for i, sheet in enumerate(self.north.sheets):
            result[sheet.id] = [
                (i, j, float(matrix[i, j])) for j in _best(matrix[i], south_ids, top)
            ]
        columns = np.ascontiguousarray(matrix.T)
        for j, sheet in enumerate(self.south.sheets):
            result[sheet.id] = [
                (i, j, float(columns[j, i])) for i in _best(columns[j], north_ids, top)
            ]
        return result


def _best(row: np.ndarray, ids: list[str], top: int) -> list[int]:
    """Indices of the `top` best finite scores, best first, ties broken by id."""
    finite = np.flatnonzero(np.isfinite(row))
    if not len(finite) or top <= 0:
        return []
    if len(finite) > top:
        # the k-th best score, then every index at least as good (ties kept, sorted below)
        threshold = np.partition(row[finite], len(finite) - top)[len(finite) - top]
        finite = finite[row[finite] >= threshold]
    ordered = sorted(finite.tolist(), key=lambda j: (-row[j], ids[j]))
    return ordered[:top]
