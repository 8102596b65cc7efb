"""A terminal interview: one question at a time, only questions that can still change the
result, the most decisive first; go back at any time; the profile is saved at the end, on `q`,
on end of input and on Ctrl-C, so nothing typed is lost."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import yaml

from .engine.assess import Assessor
from .i18n import t
from .knowledge.models import UNKNOWN
from .profile import LocalGovernment, Profile
from .vocabulary import REQUESTER

BACK = {"r", "b", "retour", "back"}
QUIT = {"q", "quit", "quitter"}
UNKNOWN_KEYS = {"0", "?", "u", "unknown", "nsp"}


class Interview:
    """State of one interview; `ask` and `say` are injected so tests can script them."""

    def __init__(
        self,
        assessor: Assessor,
        lang: str,
        ask: Callable[[str], str],
        say: Callable[[str], None],
        profile: Profile | None = None,
    ):
        self.assessor = assessor
        self.kb = assessor.kb
        self.lang = lang
        self.ask = ask
        self.say = say
        self.profile = profile or Profile()
        self.answers: dict[str, str] = dict(self.profile.answers)
        self.history: list[str] = []  # questions answered in this session, in order
        self._before: list[str | None] = []  # the answer each of them had before

    def _metadata(self) -> None:
        for side, name_key, country_key in (
            ("south", "interview.meta_south", "interview.meta_south_country"),
            ("north", "interview.meta_north", "interview.meta_north_country"),
        ):
            if getattr(self.profile, side) is not None:
                continue
            name = self.ask(t(self.lang, name_key)).strip()
            if not name:
                continue
            country = self.ask(t(self.lang, country_key)).strip() or "?"
            setattr(self.profile, side, LocalGovernment(name=name[:200], country=country[:100]))

    def read(self) -> dict[str, str]:
        """The answers as the rules read them (Assessor.answers_for): who requests, and no
        answer to a question that does not apply."""
        return self.assessor.answers_for(self.profile.model_copy(update={"answers": self.answers}))

    def next_question(self) -> tuple[str | None, int]:
        """Who requests first, when nobody said; then the most decisive open question not yet
        asked in this session (a question answered "don't know" in an earlier session is asked
        again), and how many are left."""
        asked = set(self.history)
        pending = [q for q in self.assessor.missing(self.read()) if q not in asked]
        if REQUESTER not in self.answers:
            pending.insert(0, REQUESTER)
        return (pending[0] if pending else None), len(pending)

    def run(self) -> Profile:
        self.say(t(self.lang, "interview.title"))
        self.say(t(self.lang, "interview.help"))
        self._metadata()
        while True:
            question_id, left = self.next_question()
            if question_id is None:
                left_open = self.assessor.missing(self.read())
                self.say(t(self.lang, "interview.done_asked" if left_open else "interview.done"))
                self._still_open()
                return self.result()
            if not self._ask_one(question_id, len(self.answers) + 1, left):
                return self.result()

    def _ask_one(self, question_id: str, number: int, left: int) -> bool:
        """Ask until a valid reply; False when the person quits."""
        question = self.kb.questions[question_id]
        lang = self.lang
        step = self.kb.steps[question.step].name.get(lang)
        self.say("")
        self.say(t(lang, "interview.progress", n=number, step=step, left=left))
        self.say(question.text.get(lang))
        self.say(f"  ({question.help.get(lang)})")
        options = question.options
        for index, option in enumerate(options, start=1):
            self.say(f"  {index}. {option.label.get(lang)}")
        if question.accepts_unknown:
            self.say(f"  0. {t(lang, 'option.unknown')}")
        while True:
            reply = self.ask(t(lang, "interview.prompt")).strip().lower()
            if reply in QUIT:
                return False
            if reply in BACK:
                self._back()
                return True
            if reply in UNKNOWN_KEYS and question.accepts_unknown:
                self._answer(question_id, UNKNOWN)
                return True
            if reply.isdigit() and 1 <= int(reply) <= len(options):
                self._answer(question_id, options[int(reply) - 1].id)
                return True
            by_id = [o.id for o in options if o.id == reply]
            if by_id:
                self._answer(question_id, by_id[0])
                return True
            self.say(t(lang, "interview.invalid", value=reply[:40], n=len(options)))

    def _still_open(self) -> None:
        """When the verdict still lacks information, name the questions left "don't know"."""
        outcome = self.assessor.outcome(self.read())
        if outcome.verdict != "insufficient_information":
            return
        blocking = self.assessor.questions.blocking(self.read(), outcome)
        self.say(t(self.lang, "interview.still_insufficient", n=len(blocking)))
        for question_id in blocking:
            self.say(f"  - {self.kb.questions[question_id].text.get(self.lang)}")

    def _answer(self, question_id: str, option: str) -> None:
        self.history.append(question_id)
        self._before.append(self.answers.get(question_id))
        self.answers[question_id] = option

    def _back(self) -> None:
        if not self.history:
            self.say(t(self.lang, "interview.nothing_to_undo"))
            return
        question_id, before = self.history.pop(), self._before.pop()
        if before is None:
            self.answers.pop(question_id, None)
        else:
            self.answers[question_id] = before
        self.say(t(self.lang, "interview.back"))

    def result(self) -> Profile:
        return self.profile.model_copy(
            update={"answers": dict(self.answers), "date": self.profile.date or dt.date.today()}
        )


def profile_yaml(profile: Profile) -> str:
    """The profile as YAML, as `coopdec assess` reads it back."""
    data = profile.model_dump(mode="json", exclude_none=True)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def save_profile(profile: Profile, path: Path) -> None:
    """Write the profile as YAML (written to a temporary file first, then renamed)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(profile_yaml(profile), encoding="utf-8")
    temporary.replace(path)
