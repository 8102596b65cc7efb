"""The terminal interview: in-process with scripted replies, then the real `coopdec interview`
command in a subprocess (scripted stdin, end of input, Ctrl-C, --from).

Which question comes next is never guessed here: the in-process runs record what the
interview asked, and the subprocess runs are compared with an in-process twin fed the same
replies."""

from __future__ import annotations

import codecs
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import yaml

from coopdec_expert.i18n import t
from coopdec_expert.interview import Interview, save_profile
from coopdec_expert.knowledge.models import UNKNOWN
from coopdec_expert.profile import LocalGovernment, Profile, load_profile
from coopdec_expert.vocabulary import REQUESTER

from .conftest import ROOT

TIMEOUT = 60  # seconds: bound of every wait on a subprocess


# --- in-process harness -----------------------------------------------------------------


class Script:
    """`ask` replacement: pops scripted replies (text, or a function of the interview and the
    prompt), records every prompt, the reply actually typed and the answers held when the
    prompt was shown; EOFError when the script runs out, as `input()` does at end of input."""

    def __init__(self, replies, limit: int = 400):
        self.replies = list(replies)
        self.prompts: list[str] = []
        self.typed: list[str] = []
        self.answers_at_prompt: list[dict[str, str]] = []
        self.limit = limit
        self.interview: RecordingInterview | None = None

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        self.answers_at_prompt.append(dict(self.interview.answers))
        assert len(self.prompts) <= self.limit, "the interview keeps asking and never ends"
        if not self.replies:
            raise EOFError
        reply = self.replies.pop(0)
        reply = reply(self.interview, prompt) if callable(reply) else reply
        self.typed.append(reply)
        return reply


class RecordingInterview(Interview):
    """Records each question the interview puts (and the answers held at that moment)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.asked: list[str] = []
        self.answers_when_asked: list[dict[str, str]] = []

    def next_question(self):
        question, left = super().next_question()
        if question is not None:
            self.asked.append(question)
            self.answers_when_asked.append(dict(self.answers))
        return question, left


def make(assessor, replies, lang="fr", profile=None):
    out: list[str] = []
    script = Script(replies)
    interview = RecordingInterview(assessor, lang, ask=script, say=out.append, profile=profile)
    script.interview = interview
    return interview, script, out


def run(assessor, replies, lang="fr", profile=None):
    """Run to the end; end of input behaves as in the command (the answers so far are kept)."""
    interview, script, out = make(assessor, replies, lang, profile)
    try:
        result = interview.run()
    except EOFError:
        result = interview.result()
    return result, interview, script, out


def option(kb, question: str, index: int) -> str:
    """Id of the option numbered `index` (1-based) as shown to the person."""
    return kb.questions[question].options[index - 1].id


def best(interview, prompt) -> str:
    """Reply: the number of the most favourable option (the last one) of the current question."""
    return str(len(interview.kb.questions[interview.asked[-1]].options))


def second_best(interview, prompt) -> str:
    """Reply: the number of the option just before the most favourable one."""
    return str(len(interview.kb.questions[interview.asked[-1]].options) - 1)


def best_id(interview, prompt) -> str:
    """Reply: the id of the most favourable option, typed verbatim."""
    return interview.kb.questions[interview.asked[-1]].options[-1].id


def first_pending(assessor, answers: dict[str, str]) -> str | None:
    pending = [i.question for i in assessor.next_questions(answers) if i.question not in answers]
    return pending[0] if pending else None


SKIP_NAMES = ["", ""]  # Enter on the South name, then on the North name


# --- in-process tests ---------------------------------------------------------------------


def test_numbers_and_ids_record_exactly_those_answers(assessor, kb):
    replies = [*SKIP_NAMES, second_best, best, best_id, "q"]
    profile, interview, script, out = run(assessor, replies)
    assert not script.replies, "every scripted reply must have been used"
    q1, q2, q3 = interview.asked[:3]
    assert len({q1, q2, q3}) == 3, interview.asked
    assert q1 == first_pending(assessor, {}), "the first question must be the most decisive one"
    n1, n2 = len(kb.questions[q1].options), len(kb.questions[q2].options)
    assert script.typed[2:5] == [str(n1 - 1), str(n2), kb.questions[q3].options[-1].id]
    expected = {
        q1: option(kb, q1, n1 - 1),
        q2: option(kb, q2, n2),
        q3: kb.questions[q3].options[-1].id,
    }
    assert profile.answers == expected
    assert interview.history == [q1, q2, q3]
    # The metadata prompts came first, then one answer prompt per question.
    assert script.prompts[:2] == [t("fr", "interview.meta_south"), t("fr", "interview.meta_north")]
    assert script.prompts[2:] == [t("fr", "interview.prompt")] * 4
    assert profile.south is None and profile.north is None
    assert profile.date == dt.date.today()
    # Each question was shown with its text and numbered options.
    for question in (q1, q2, q3):
        assert kb.questions[question].text.get("fr") in out
        for number, choice in enumerate(kb.questions[question].options, start=1):
            assert f"  {number}. {choice.label.get('fr')}" in out
    assert f"  0. {t('fr', 'option.unknown')}" in out
    assert t("fr", "interview.done") not in out, "q must not be reported as a natural end"


@pytest.mark.parametrize("back", ["r", "b", "R", "back"])
def test_back_undoes_the_last_answer_and_asks_it_again(assessor, kb, back):
    replies = [*SKIP_NAMES, best, best, back, second_best, "q"]
    profile, interview, script, out = run(assessor, replies)
    q1, q2, q3, again = interview.asked[:4]
    assert again == q2, f"after going back, {q2} must be asked again, got {again}"
    best_q1, best_q2 = kb.questions[q1].options[-1].id, kb.questions[q2].options[-1].id
    assert script.answers_at_prompt[4] == {q1: best_q1, q2: best_q2}, "before going back"
    assert interview.answers_when_asked[3] == {q1: kb.questions[q1].options[-1].id}, (
        "going back must remove the last answer"
    )
    assert t("fr", "interview.back") in out
    # The second reply to q2 replaced the first one; q1 is untouched; q3 was never answered.
    assert profile.answers == {
        q1: kb.questions[q1].options[-1].id,
        q2: kb.questions[q2].options[-2].id,
    }
    assert interview.history == [q1, q2]


def test_back_twice_then_answer_again(assessor, kb):
    replies = [*SKIP_NAMES, best, best, "r", "r", second_best, "q"]
    profile, interview, script, out = run(assessor, replies)
    q1, q2, q3 = interview.asked[:3]
    assert interview.asked[3:5] == [q2, q1], "two backs undo two answers, the last first"
    assert interview.answers_when_asked[4] == {}
    assert profile.answers == {q1: kb.questions[q1].options[-2].id}
    assert out.count(t("fr", "interview.back")) == 2


def test_back_with_nothing_to_undo_keeps_going(assessor, kb):
    replies = [*SKIP_NAMES, "r", best, "q"]
    profile, interview, script, out = run(assessor, replies)
    assert not script.replies
    assert t("fr", "interview.nothing_to_undo") in out
    assert t("fr", "interview.back") not in out
    q1 = interview.asked[0]
    assert interview.asked[1] == q1, "the same question is asked again"
    assert profile.answers == {q1: kb.questions[q1].options[-1].id}


@pytest.mark.parametrize("reply", ["0", "?", "u"])
def test_zero_records_unknown(assessor, kb, reply):
    # The first question is who requests (always known); the second accepts `unknown`.
    profile, interview, script, out = run(assessor, [*SKIP_NAMES, "1", reply, "q"])
    first, q1 = interview.asked[:2]
    assert first == REQUESTER and kb.questions[q1].accepts_unknown
    assert profile.answers == {REQUESTER: "south", q1: UNKNOWN}
    assert len(interview.asked) == 3 and interview.asked[2] != q1, (
        "a question answered `unknown` must not be asked again in the same session"
    )


def test_who_requests_is_asked_first_and_refuses_unknown(assessor, kb):
    profile, interview, script, out = run(assessor, [*SKIP_NAMES, "0", "2", "q"])
    assert interview.asked[0] == REQUESTER and interview.asked[1] != REQUESTER
    assert t("fr", "interview.invalid", value="0", n=2) in out
    assert profile.answers == {REQUESTER: "north"}


def test_invalid_reply_asks_again_without_recording(assessor, kb):
    replies = [*SKIP_NAMES, "zz", "99", "-1", "", best, "q"]
    profile, interview, script, out = run(assessor, replies)
    assert not script.replies
    q1 = interview.asked[0]
    n = len(kb.questions[q1].options)
    assert n < 99
    for value in ("zz", "99", "-1", ""):
        assert t("fr", "interview.invalid", value=value, n=n) in out, value
    # The same question until the valid reply, then another one; nothing recorded before.
    others = [i for i, q in enumerate(interview.asked) if q != q1]
    assert others and all(q == q1 for q in interview.asked[: others[0]]), interview.asked
    assert script.answers_at_prompt[2:7] == [{}] * 5, "an invalid reply must record nothing"
    assert profile.answers == {q1: kb.questions[q1].options[-1].id}
    assert interview.history == [q1]


@pytest.mark.parametrize("quit_word", ["q", "Q", "quit"])
def test_quit_returns_the_answers_so_far(assessor, kb, quit_word):
    replies = [*SKIP_NAMES, best, best, quit_word, "1", "1"]
    profile, interview, script, out = run(assessor, replies)
    assert script.replies == ["1", "1"], "nothing may be asked after quitting"
    q1, q2 = interview.asked[:2]
    assert profile.answers == {q: kb.questions[q].options[-1].id for q in (q1, q2)}
    assert t("fr", "interview.done") not in out


def test_metadata_names_and_countries(assessor):
    replies = ["  Kaya  ", "", "Saint-Étienne", "France", "q"]
    profile, interview, script, out = run(assessor, replies)
    assert profile.south == LocalGovernment(name="Kaya", country="?")
    assert profile.north == LocalGovernment(name="Saint-Étienne", country="France")
    assert script.prompts[:4] == [
        t("fr", "interview.meta_south"),
        t("fr", "interview.meta_south_country"),
        t("fr", "interview.meta_north"),
        t("fr", "interview.meta_north_country"),
    ]
    assert profile.answers == {}


@pytest.fixture(scope="module")
def favourable_run(assessor):
    """The whole interview, always choosing the most favourable option, up to its own end."""
    return run(assessor, [*SKIP_NAMES, *[best] * 200])


def test_interview_ends_by_itself_asking_only_questions_that_matter(assessor, kb, favourable_run):
    profile, interview, script, out = favourable_run
    assert t("fr", "interview.done") in out, "the interview must end by itself"
    assert script.replies, "it ended because nothing was left to ask, not because input ran out"
    answers = profile.answers
    assert len(interview.asked) == len(set(interview.asked)) == len(answers) > 3
    assert answers == {q: kb.questions[q].options[-1].id for q in interview.asked}
    left = [i.question for i in assessor.next_questions(answers) if i.question not in answers]
    assert left == [], f"questions that still matter were never asked: {left}"
    for question, before in zip(interview.asked, interview.answers_when_asked, strict=True):
        impact = assessor.impact(before, question, assessor.outcome(before))
        assert impact.matters, f"{question} was asked although no answer to it changes anything"
        assert question == first_pending(assessor, before), "not the most decisive question"


def test_interview_does_not_stop_while_remaining_questions_can_change_the_result(
    assessor, kb, favourable_run
):
    """When the interview stops, the remaining open questions cannot change the verdict or the
    next step: answering all of them at their most favourable option must give the same
    (verdict, next step) as the answers saved."""
    profile, interview, script, out = favourable_run
    answers = dict(profile.answers)
    stopped = assessor.outcome(answers)
    completed = dict(answers)
    for _ in range(len(kb.questions)):
        todo = [q for q in assessor.outcome(completed).open_questions if q not in completed]
        if not todo:
            break
        completed.update({q: kb.questions[q].options[-1].id for q in todo})
    best_result = assessor.outcome(completed)
    added = {q: o for q, o in completed.items() if q not in answers}
    assert (best_result.verdict, best_result.next_step) == (stopped.verdict, stopped.next_step), (
        f"BUG: the interview stopped at ({stopped.verdict}, {stopped.next_step}), saying no "
        f"question left can change the result, but answering the remaining questions "
        f"favourably gives ({best_result.verdict}, {best_result.next_step}); "
        f"they are: {sorted(added)}"
    )


def _questions_in(condition) -> set[str]:
    """The question ids a condition (ask_if) reads."""
    data = condition.model_dump(by_alias=True, exclude_none=True)
    found, todo = set(), [data]
    while todo:
        item = todo.pop()
        if "answer" in item:
            found.add(item["answer"])
        todo.extend(item.get("all", []) + item.get("any", []))
        if "not" in item:
            todo.append(item["not"])
    return found


def test_interview_asks_a_question_whose_follow_ups_can_change_the_result(
    assessor, kb, favourable_run
):
    """A question that opens follow-up questions (they are asked only if it has a given
    answer) can change the result through them: when some answer to it makes a follow-up
    matter, the interview must not stop without asking it."""
    profile, interview, script, out = favourable_run
    answers = dict(profile.answers)
    stopped = assessor.outcome(answers)
    gateways = {
        q for other in kb.questions.values() if other.ask_if for q in _questions_in(other.ask_if)
    }
    missed = []
    for question in sorted(gateways & set(stopped.open_questions) - set(answers)):
        for choice in kb.questions[question].option_ids():
            given = {**answers, question: choice}
            after = assessor.outcome(given)
            follow_ups = set(after.open_questions) - set(stopped.open_questions)
            opened = sorted(f for f in follow_ups if assessor.impact(given, f, after).matters)
            if opened:
                missed.append((question, choice, opened))
    assert not missed, (
        f"BUG: the interview stopped at ({stopped.verdict}, {stopped.next_step}) without asking "
        f"a question one of whose answers opens follow-up questions that still change the "
        f"result (question, answer, follow-ups that matter): {missed}"
    )


def test_resume_does_not_ask_answered_questions_again(assessor, kb):
    first = first_pending(assessor, {})
    given = {first: kb.questions[first].options[-1].id}
    start = Profile(
        south=LocalGovernment(name="Kaya", country="Burkina Faso"),
        north=LocalGovernment(name="Poitiers", country="France"),
        date=dt.date(2020, 1, 2),
        answers=given,
    )
    profile, interview, script, out = run(assessor, ["r", best, best, "q"], profile=start)
    assert not script.replies
    assert script.prompts == [t("fr", "interview.prompt")] * 4, "names known: no metadata asked"
    assert first not in interview.asked, "an answer from the profile must not be asked again"
    # Back with no answer in this session must not remove an answer loaded from the profile.
    assert t("fr", "interview.nothing_to_undo") in out
    assert interview.answers_when_asked[1] == given
    q1, q2 = interview.asked[1:3]
    assert interview.asked[0] == q1
    assert profile.answers == {**given, **{q: kb.questions[q].options[-1].id for q in (q1, q2)}}
    assert profile.south == start.south and profile.north == start.north
    assert profile.date == dt.date(2020, 1, 2), "the profile's own date is kept"
    assert start.answers == given, "the profile given must not be modified in place"


def test_resume_asks_again_a_blocking_question_left_unknown(assessor, kb):
    """A profile whose only gap is a key question answered "don't know" earlier: the verdict is
    insufficient_information, so `--from` must ask that question again instead of ending."""
    leo = load_profile(ROOT / "examples" / "leo_interet_mutuel_en_action.yaml", kb)
    key = "governance.dependence_on_officials"
    start = leo.model_copy(update={"answers": {**leo.answers, key: UNKNOWN}})
    assert assessor.outcome(start.answers).verdict == "insufficient_information"
    profile, interview, script, out = run(assessor, [best], profile=start)
    assert interview.asked[0] == key, interview.asked
    assert profile.answers[key] == kb.questions[key].options[-1].id
    assert assessor.outcome(profile.answers).verdict == "ready"
    assert t("fr", "interview.done") in out


def test_interview_names_the_questions_still_holding_the_verdict(assessor, kb):
    """Answered "don't know" in this session, a blocking question is not asked twice; the
    interview ends by naming it as what keeps the verdict at insufficient_information."""
    leo = load_profile(ROOT / "examples" / "leo_interet_mutuel_en_action.yaml", kb)
    key = "governance.dependence_on_officials"
    start = leo.model_copy(update={"answers": {**leo.answers, key: UNKNOWN}})
    profile, interview, script, out = run(assessor, ["0"], profile=start)
    assert interview.asked == [key]
    assert profile.answers[key] == UNKNOWN
    assert t("fr", "interview.done_asked") in out
    assert t("fr", "interview.still_insufficient", n=1) in out
    assert f"  - {kb.questions[key].text.get('fr')}" in out


def test_resume_asks_only_the_missing_side(assessor):
    start = Profile(south=LocalGovernment(name="Kaya", country="Burkina Faso"))
    profile, interview, script, out = run(assessor, ["Poitiers", "France", "q"], profile=start)
    assert script.prompts[:2] == [
        t("fr", "interview.meta_north"),
        t("fr", "interview.meta_north_country"),
    ]
    assert profile.north == LocalGovernment(name="Poitiers", country="France")
    assert profile.south == start.south


def test_english_prompts(assessor, kb):
    replies = ["", "", "xx", best, "b", second_best, "q"]
    profile, interview, script, out = run(assessor, replies, lang="en")
    q1 = interview.asked[0]
    assert script.prompts[:2] == [t("en", "interview.meta_south"), t("en", "interview.meta_north")]
    assert set(script.prompts[2:]) == {"Your answer: "}
    assert out[0] == t("en", "interview.title") and out[1] == t("en", "interview.help")
    assert kb.questions[q1].text.get("en") in out
    assert f"  1. {kb.questions[q1].options[0].label.get('en')}" in out
    assert f"  0. {t('en', 'option.unknown')}" in out
    step = kb.steps[kb.questions[q1].step].name.get("en")
    progress = t("en", "interview.progress", n=1, step=step, left="\0").split("\0")[0]
    assert any(line.startswith(progress) for line in out), progress
    assert t("en", "interview.invalid", value="xx", n=len(kb.questions[q1].options)) in out
    assert t("en", "interview.back") in out
    for french in ("Votre réponse : ", t("fr", "interview.back"), kb.questions[q1].text.get("fr")):
        assert all(french not in line for line in out), french
    assert profile.answers == {q1: kb.questions[q1].options[-2].id}


# --- the real command, in a subprocess ---------------------------------------------------


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}


def _command(out, *extra) -> list[str]:
    return [sys.executable, "-m", "coopdec_expert.cli", "interview", "--out", str(out), *extra]


def _run_cli(args: list[str], stdin: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        args,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=_env(),
        timeout=TIMEOUT,
    )


def _dump(profile: Profile) -> dict:
    return profile.model_dump(mode="json", exclude_none=True)


def _saved(path) -> dict:
    assert path.is_file(), f"{path} was not saved"
    assert not path.with_name(path.name + ".tmp").exists(), "the temporary file was left behind"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _same_profile(saved: dict, expected: Profile) -> None:
    """Equal to the in-process result; the date may differ only by a run across midnight."""
    saved, wanted = dict(saved), _dump(expected)
    saved_date, wanted_date = saved.pop("date", None), wanted.pop("date")
    assert saved == wanted
    assert saved_date is not None, "the saved profile has no date"
    gap = dt.date.fromisoformat(str(saved_date)) - dt.date.fromisoformat(wanted_date)
    assert abs(gap.days) <= 1


def _no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr
    assert "Error" not in stderr, stderr


def _lines(replies: list[str]) -> str:
    return "".join(reply + "\n" for reply in replies)


@pytest.mark.slow
def test_cli_scripted_answers_with_back_then_quit(assessor, kb, tmp_path):
    replies = ["Kaya", "Burkina Faso", "Saint-Étienne", "France"]
    replies += [second_best, best, "r", second_best, best, "q"]
    expected, twin, script, _ = run(assessor, replies)
    assert not script.replies
    # The twin shows what the replies meant: q2 answered, undone, answered otherwise; then q4.
    q1, q2, q3, again, q4 = twin.asked[:5]
    assert again == q2
    assert expected.answers == {
        q1: kb.questions[q1].options[-2].id,
        q2: kb.questions[q2].options[-2].id,
        q4: kb.questions[q4].options[-1].id,
    }
    assert kb.questions[q2].options[-2].id != kb.questions[q2].options[-1].id

    target = tmp_path / "p.yaml"
    result = _run_cli(_command(target, "--lang", "fr"), _lines(script.typed))
    assert result.returncode == 0, result.stderr
    _no_traceback(result.stderr)
    saved = _saved(target)
    assert saved["answers"] == expected.answers
    assert saved["south"] == {"name": "Kaya", "country": "Burkina Faso"}
    assert saved["north"] == {"name": "Saint-Étienne", "country": "France"}
    _same_profile(saved, expected)
    assert t("fr", "interview.back") in result.stdout
    assert t("fr", "interview.saved", path=target) in result.stdout
    # Byte for byte what save_profile writes for the in-process result (same date).
    twin_file = tmp_path / "twin.yaml"
    date = dt.date.fromisoformat(str(saved["date"]))
    save_profile(expected.model_copy(update={"date": date}), twin_file)
    assert target.read_text(encoding="utf-8") == twin_file.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "replies, count",
    [
        pytest.param(["Kaya", "Burkina Faso", "", best, second_best], 2, id="after-two-answers"),
        pytest.param([], 0, id="before-anything"),
    ],
)
@pytest.mark.slow
def test_cli_end_of_input_saves_and_exits_130(assessor, tmp_path, replies, count):
    expected, twin, script, _ = run(assessor, replies)
    assert len(expected.answers) == count and len(twin.asked) == count + (count > 0)
    target = tmp_path / "p.yaml"
    result = _run_cli(_command(target, "--lang", "fr"), _lines(script.typed))
    assert result.returncode == 130, (result.returncode, result.stderr)
    _no_traceback(result.stderr)
    assert t("fr", "interview.interrupted") in result.stdout
    saved = _saved(target)
    _same_profile(saved, expected)
    assert len(saved.get("answers", {})) == count


class _Reader(threading.Thread):
    """Collects a pipe's text as it arrives (prompts have no newline, so no readline)."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.fd = stream.fileno()
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.chunks: list[str] = []
        self.lock = threading.Lock()

    def run(self):
        while True:
            try:
                data = os.read(self.fd, 4096)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.chunks.append(self.decoder.decode(data))

    @property
    def text(self) -> str:
        with self.lock:
            return "".join(self.chunks)


def _default_sigint() -> None:
    # If the test runner ignores SIGINT, the child would inherit that and never be interrupted.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
def test_cli_ctrl_c_saves_the_answers_given_and_exits_130(assessor, tmp_path):
    replies = ["Kaya", "Burkina Faso", "Poitiers", "France", best, second_best, best]
    expected, twin, script, _ = run(assessor, replies)
    assert len(expected.answers) == 3 and len(twin.asked) == 4, "a 4th question must come"
    target = tmp_path / "p.yaml"
    process = subprocess.Popen(
        _command(target, "--lang", "fr"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        bufsize=1,
        cwd=ROOT,
        env=_env(),
        preexec_fn=_default_sigint,
    )
    stdout, stderr = _Reader(process.stdout), _Reader(process.stderr)
    stdout.start()
    stderr.start()
    try:
        process.stdin.write(_lines(script.typed))
        process.stdin.flush()
        fourth = t("fr", "interview.progress", n=4, step="@", left=0).split("@")[0]
        prompt = t("fr", "interview.prompt")
        deadline = time.monotonic() + TIMEOUT
        while True:
            text = stdout.text
            at = text.find(fourth)
            if at >= 0 and prompt in text[at:]:
                break
            assert process.poll() is None, f"the command ended early: {text}\n{stderr.text}"
            assert time.monotonic() < deadline, f"no prompt for the 4th question: {text}"
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=TIMEOUT)
        process.stdin.close()
    stdout.join(TIMEOUT)
    stderr.join(TIMEOUT)
    process.stdout.close()
    process.stderr.close()
    assert code == 130, (code, stderr.text)
    _no_traceback(stderr.text)
    assert t("fr", "interview.interrupted") in stdout.text
    saved = _saved(target)
    assert saved["answers"] == expected.answers, "exactly the 3 answers given"
    _same_profile(saved, expected)


@pytest.mark.slow
def test_cli_from_continues_an_existing_profile(assessor, kb, tmp_path):
    first = first_pending(assessor, {})
    existing = {
        "id": "bf-kaya",
        "south": {"name": "Kaya", "country": "Burkina Faso"},
        "north": {"name": "Poitiers", "country": "France"},
        "date": "2020-01-02",
        "answers": {first: kb.questions[first].options[-1].id},
    }
    source = tmp_path / "before.yaml"
    source.write_text(yaml.safe_dump(existing, allow_unicode=True), encoding="utf-8")
    original = source.read_text(encoding="utf-8")
    replies = [second_best, best, "q"]
    expected, twin, script, _ = run(assessor, replies, profile=load_profile(source, kb))
    assert not script.replies and first not in twin.asked
    q1, q2 = twin.asked[:2]

    target = tmp_path / "after.yaml"
    result = _run_cli(_command(target, "--from", str(source), "--lang", "fr"), _lines(script.typed))
    assert result.returncode == 0, result.stderr
    _no_traceback(result.stderr)
    saved = _saved(target)
    assert saved["answers"] == {
        **existing["answers"],
        q1: kb.questions[q1].options[-2].id,
        q2: kb.questions[q2].options[-1].id,
    }
    assert saved == _dump(expected)
    assert str(saved["date"]) == "2020-01-02" and saved["id"] == "bf-kaya"
    assert t("fr", "interview.meta_south") not in result.stdout, "names known: not asked"
    assert kb.questions[first].text.get("fr") not in result.stdout, "answered: not asked again"
    assert source.read_text(encoding="utf-8") == original, "--from must not be rewritten"
