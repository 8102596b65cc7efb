"""Filling a presentation sheet in the terminal: identity, then each list chosen by number from
its closed vocabulary (Enter leaves it empty: not known). What an assessed profile already says
(identity, motivations, commitment answers) is not asked again."""

from __future__ import annotations

from collections.abc import Callable

from ..i18n import t
from ..knowledge.loader import KnowledgeBase
from .sheet import LISTS, Sheet, validate_sheet

MAX_TRIES = 5  # a choice typed wrong this many times is left empty


class SheetInterview:
    def __init__(
        self, kb: KnowledgeBase, lang: str, ask: Callable[[str], str], say: Callable[[str], None]
    ):
        self.kb, self.lang, self.ask, self.say = kb, lang, ask, say

    def _t(self, key: str, **values: object) -> str:
        return t(self.lang, f"matching.interview.{key}", **values)

    def _text(self, key: str, required: bool = True) -> str:
        for _ in range(MAX_TRIES):
            value = self.ask(self._t(key)).strip()
            if value or not required:
                return value
        return "?"

    def _choose(self, key: str, vocabulary: str, many: bool) -> list[str]:
        terms = self.kb.vocabularies[vocabulary].terms
        self.say(self._t(key))
        for number, term in enumerate(terms, start=1):
            self.say(f"  {number}. {term.label.get(self.lang)}")
        for _ in range(MAX_TRIES):
            typed = self.ask(self._t("choose_many" if many else "choose_one")).strip()
            if not typed:
                return []
            parts = [p.strip() for p in typed.replace(";", ",").split(",") if p.strip()]
            if all(p.isdigit() and 1 <= int(p) <= len(terms) for p in parts) and (
                many or len(parts) == 1
            ):
                return list(dict.fromkeys(terms[int(p) - 1].id for p in parts))
            self.say(self._t("bad_choice", count=len(terms)))
        return []

    def run(self, data: dict) -> Sheet:
        """The sheet, from `data` (a profile's start, or nothing) and the answers typed."""
        data = dict(data)
        while data.get("side") not in ("north", "south"):
            typed = self._text("side").casefold()
            data["side"] = {"nord": "north", "sud": "south"}.get(typed, typed)
            if data["side"] not in ("north", "south"):
                self.say(self._t("bad_side"))
        for key in ("name", "country"):
            if not data.get(key) or data[key] == "?":
                data[key] = self._text(key)
        data.setdefault("id", data["name"])
        for key, vocabulary in (("kind", "kinds"), ("population", "population_bands")):
            if not data.get(key):
                chosen = self._choose(key, vocabulary, many=False)
                if chosen:
                    data[key] = chosen[0]
        for key in LISTS:
            if not data.get(key):
                data[key] = self._choose(key, "themes", many=True)[
                    : self.kb.param("match_max_themes")
                ]
        if not data.get("motivations"):
            data["motivations"] = self._choose(
                "motivations", f"{data['side']}_motivations", many=True
            )
        if not data.get("networks"):
            data["networks"] = self._choose("networks", "networks", many=True)
        kinds = self._choose("actors", "actors", many=True)
        if kinds:
            data["actors"] = [{"kind": k} for k in kinds]
        languages = self._text("languages", required=False)
        if languages:
            data["languages"] = [x.strip() for x in languages.split(",") if x.strip()]
        return validate_sheet(data, self.kb, "interview", self.lang)
