"""The Streamlit app driven by streamlit.testing (AppTest): every page, answers kept across pages
and languages, bad uploads, what-if, downloads. The app shows what the library computes, so the
expected values come from the same public functions."""

from __future__ import annotations

import html
import os
import re
import time
from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from coopdec_expert.engine.assess import default_assessor
from coopdec_expert.explain.path import paths_to_next_level
from coopdec_expert.explain.whatif import what_if
from coopdec_expert.explain.whynot import why_not
from coopdec_expert.i18n import catalogue, french_spacing, t, tn
from coopdec_expert.knowledge.models import UNKNOWN
from coopdec_expert.profile import MAX_PROFILE_BYTES, Profile, ProfileError, load_profile
from coopdec_expert.vocabulary import REQUESTER
from ui.views.workshop import ANSWERS_PER_SLIDE
from ui.widgets import user_text

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "ui" / "app.py"
EXAMPLES = ROOT / "examples"


class _Media:
    """The media managers AppTest creates, so that download data can be read back."""

    managers: list = []


def start_app(monkeypatch) -> AppTest:
    """The app run once under AppTest, its media (downloads) recorded in _Media.managers."""
    import streamlit.testing.v1.app_test as app_test
    from streamlit.runtime.media_file_manager import MediaFileManager

    class Recording(MediaFileManager):
        def __init__(self, storage):
            super().__init__(storage)
            _Media.managers.append(self)

    _Media.managers = []
    monkeypatch.setattr(app_test, "MediaFileManager", Recording)
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.run()
    return at


@pytest.fixture
def app(monkeypatch):
    at = start_app(monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    return at


def example(name: str) -> Profile:
    return load_profile(EXAMPLES / name, default_assessor().kb)


def answers(at) -> dict[str, str]:
    return dict(at.session_state["coopdec.answers"])


def shown_questions(at) -> list[str]:
    """Question ids of the answer widgets on the page (key: coopdec.q.GEN.LANG.QUESTION)."""
    return [r.key.split(".", 4)[4] for r in at.radio if r.key and r.key.startswith("coopdec.q.")]


def radio_for(at, question_id: str):
    return next(r for r in at.radio if r.key and r.key.endswith("." + question_id))


def shown_verdict(at) -> str:
    for block in at.markdown:
        found = re.search(r'data-verdict="([a-z_]+)"', block.value)
        if found:
            return found.group(1)
    raise AssertionError("no verdict badge on the page")


def load(at, name: str):
    at.selectbox(key="coopdec.example_choice").select(name).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def go(at, page: str):
    at.switch_page(f"page_scripts/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def english(at, on: bool = True):
    at.toggle(key="coopdec.lang_toggle").set_value(on).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def download_file(at, key: str):
    """The media file behind a download button: its bytes (`.content`) and `.filename`."""
    proto = next(b for b in at.get("download_button") if b.key == key).proto
    for manager in reversed(_Media.managers):
        try:
            url = (
                manager.execute_deferred(proto.deferred_file_id)
                if proto.deferred_file_id
                else proto.url
            )
            return manager._storage.get_file(url.rsplit("/", 1)[1].split(".")[0])
        except Exception:  # noqa: BLE001 - the file is in one of the managers
            continue
    raise AssertionError(f"download {key} not found")


def download(at, key: str) -> bytes:
    """The bytes behind a download button (deferred ones are generated as on a click)."""
    return download_file(at, key).content


# --- Évaluer / Assess ------------------------------------------------------------------


def next_question(at, lang: str = "fr") -> str | None:
    """The question in the "next question" box, if any (the box comes before the steps, so
    its radio is the first of the page)."""
    heading = f"**:material/arrow_forward: {t(lang, 'ui.assess.next_question')}**"
    if not any(m.value == heading for m in at.main.markdown):
        return None
    first = next(r for r in at.main.radio if r.key and r.key.startswith("coopdec.q."))
    return first.key.split(".", 4)[4]


def folded_questions(at) -> set[str]:
    """Question ids of the answer widgets folded in the "no longer change" expanders."""
    folded = set()
    for expander in at.expander:
        for radio in expander.radio:
            if radio.key and radio.key.startswith("coopdec.q."):
                folded.add(radio.key.split(".", 4)[4])
    return folded


def sidebar_text(at) -> str:
    parts = [m.value for m in at.sidebar.markdown] + [c.value for c in at.sidebar.caption]
    parts += [p.proto.text for p in at.sidebar.get("progress")]
    return "\n".join(parts)


def test_the_next_decisive_question_comes_first_and_nothing_vanishes(app):
    assessor = default_assessor()
    assert app.title[0].value == t("fr", "ui.assess.title")
    decisive = [i.question for i in assessor.next_questions(Profile().engine_answers())]
    assert next_question(app) == decisive[0]
    relevant = set(assessor.assess(Profile()).relevant_questions)
    shown = set(shown_questions(app))
    # who requests is always in view (read as the Southern local government until answered)
    assert shown == set(decisive) | relevant | {REQUESTER}
    assert radio_for(app, REQUESTER).value == "south"
    assert folded_questions(app) == relevant - set(decisive) - {REQUESTER}  # the others folded
    # "Ne sait pas" is offered wherever the question accepts it
    for radio in app.radio:
        if radio.key and radio.key.endswith("." + REQUESTER):
            assert t("fr", "option.unknown") not in radio.options
        else:
            assert radio.options[-1] == t("fr", "option.unknown")
    first = decisive[0]
    option = assessor.kb.questions[first].options[-1].id
    radio_for(app, first).set_value(option).run()
    assert answers(app) == {first: option}
    still_open = [
        i.question
        for i in assessor.next_questions(Profile(answers={first: option}).engine_answers())
    ]
    assert next_question(app) == still_open[0]
    assert radio_for(app, first).value == option
    # a question that stopped mattering is folded, not removed: nothing asked before vanishes
    assert set(decisive) <= set(shown_questions(app))
    stopped = set(decisive) - set(still_open) - {first}
    assert stopped <= folded_questions(app)
    # answering "don't know" is recorded as `unknown`, and the question stays editable
    second = still_open[0]
    radio_for(app, second).set_value(UNKNOWN).run()
    assert answers(app) == {first: option, second: UNKNOWN}
    assert second in shown_questions(app)
    assert shown_verdict(app) == assessor.assess(Profile(answers=answers(app))).readiness.verdict


def test_the_verdict_and_the_progress_stay_in_view_with_counts_that_agree(app):
    assessor = default_assessor()
    text = sidebar_text(app)
    assert 'data-verdict="insufficient_information"' in text
    missing = len(assessor.assess(Profile()).missing)
    assert tn("fr", "ui.assess.answered", 0) == "0 réponse donnée" and "0 réponse donnée" in text
    assert tn("fr", "ui.assess.left", missing) in text
    first = next_question(app)
    radio_for(app, first).set_value(assessor.kb.questions[first].options[0].id).run()
    assert "1 réponse donnée" in sidebar_text(app)  # French agreement, singular
    second = next_question(app)
    radio_for(app, second).set_value(assessor.kb.questions[second].options[0].id).run()
    assert "2 réponses données" in sidebar_text(app)
    english(app)
    assert "2 answers given" in sidebar_text(app)


def test_a_middling_interview_is_never_a_dead_end(app):
    """Answer the next question with a middle option (sometimes "don't know"), as advisors do:
    while the verdict is insufficient information, the questions it names stay on the page,
    and "nothing can change the result" shows only when nothing can."""
    import random

    assessor = default_assessor()
    rng = random.Random(13)
    done = t("fr", "ui.assess.done")
    for _ in range(40):
        assessment = assessor.assess(Profile(answers=answers(app)))
        shown = set(shown_questions(app)) - folded_questions(app)  # in view, not folded
        named = {q for r in assessment.readiness.reasons for q in r.questions}
        assert named <= shown, named - shown
        assert {m.question for m in assessment.missing} <= shown
        assert (done in [s.value for s in app.success]) == (not assessment.missing)
        assert shown_verdict(app) == assessment.readiness.verdict
        question = next_question(app)
        if question is None:
            break
        options = assessor.kb.questions[question].option_ids()
        choice = UNKNOWN if rng.random() < 1 / 7 else options[(len(options) - 1) // 2]
        radio_for(app, question).set_value(choice).run()
        assert not app.exception, [e.value for e in app.exception]
    final = assessor.assess(Profile(answers=answers(app)))
    assert final.readiness.verdict != "insufficient_information" or final.missing


def test_questions_named_by_the_verdict_are_shown_even_if_missing_left_them_out():
    """The page's own guard: whatever `missing` holds, a question the verdict's reasons name is
    shown in its step, never folded away."""
    from ui.views.assess import page_plan

    assessment = default_assessor().assess(Profile())
    named = {q for r in assessment.readiness.reasons for q in r.questions}
    assert named
    plan = page_plan(assessment.model_copy(update={"missing": []}), {})
    assert named <= plan["shown"] and not named & plan["folded"]
    assert plan["next"] is None  # nothing in `missing`: no "next question"


def test_a_load_notice_goes_when_the_answers_change(app):
    load(app, "ziniare_recherche_de_partenaire.yaml")
    n = len(example("ziniare_recherche_de_partenaire.yaml").answers)
    loaded = tn("fr", "ui.load.loaded", n, source=user_text("ziniare_recherche_de_partenaire.yaml"))
    assert loaded in [s.value for s in app.success]
    go(app, "result")
    go(app, "assess")
    assert loaded in [s.value for s in app.success]  # still true: the answers are those loaded
    question = next(q for q in shown_questions(app) if q != REQUESTER)
    radio_for(app, question).set_value(UNKNOWN).run()
    assert loaded not in [s.value for s in app.success]  # no longer true: not shown


def test_loading_an_example_shows_every_answer_and_editing_one_keeps_the_others(app):
    profile = example("ziniare_recherche_de_partenaire.yaml")
    load(app, "ziniare_recherche_de_partenaire.yaml")
    assert answers(app) == profile.answers
    assert set(profile.answers) <= set(shown_questions(app))
    assert any("ziniare" in s.value for s in app.success)
    question = next(iter(profile.answers))
    radio_for(app, question).set_value(UNKNOWN).run()
    assert answers(app) == {**profile.answers, question: UNKNOWN}
    expected = default_assessor().assess(profile.model_copy(update={"answers": answers(app)}))
    assert shown_verdict(app) == expected.readiness.verdict


def test_language_switch_and_page_changes_keep_the_answers(app):
    load(app, "moundou_commune_urbaine_tchad.yaml")
    question = next(q for q in shown_questions(app) if q != REQUESTER)
    radio_for(app, question).set_value(UNKNOWN).run()
    before = answers(app)
    english(app)
    assert answers(app) == before
    assert app.title[0].value == t("en", "ui.assess.title")
    # the file name as Markdown source: escaped (`\_`), shown as typed
    loaded = tn(
        "en", "ui.load.loaded", len(before), source=user_text("moundou_commune_urbaine_tchad.yaml")
    )
    assert loaded not in [s.value for s in app.success]  # the answers changed since the load
    kb = default_assessor().kb
    assert radio_for(app, question).label.startswith(kb.questions[question].text.en)
    assert radio_for(app, question).value == UNKNOWN
    for page in ("result", "why", "knowledge", "workshop", "assess"):
        go(app, page)
    assert answers(app) == before
    english(app, False)
    assert app.title[0].value == t("fr", "ui.assess.title")
    assert answers(app) == before


# (file name, bytes, what the English message says, what the French one says)
BAD_UPLOADS = [
    ("notes.txt", b"answers: {}\n", "file type '.txt' not supported", "type de fichier"),
    (
        "unknown.yaml",
        b"answers:\n  nope.question: yes_it_is\n",
        "unknown question 'nope.question'",
        "question inconnue «\u202fnope.question\u202f»",
    ),
    (
        "option.yaml",
        b"answers:\n  south.elected_executive: emperor\n",
        "option 'emperor' is not allowed; allowed: appointed (",
        "réponse «\u202femperor\u202f» non permise\u202f; réponses permises\u202f: appointed (",
    ),
    (
        "huge.yaml",
        b"#" * (MAX_PROFILE_BYTES + 1),
        f"larger than {MAX_PROFILE_BYTES} bytes",
        f"fichier de plus de {MAX_PROFILE_BYTES} octets",
    ),
    ("binary.yaml", bytes(range(256)) * 4, "not a UTF-8 text file", "pas un fichier texte UTF-8"),
    (
        "latin1.json",
        '{"title": "é"}'.encode("latin-1"),
        "not a UTF-8 text file",
        "pas un fichier texte UTF-8",
    ),
    ("broken.yaml", b"answers: [unclosed\n", "not valid YAML", "YAML invalide"),
    ("broken.json", b'{"answers": ', "not valid JSON", "JSON invalide"),
    ("empty.yaml", b"   \n", "the file is empty", "le fichier est vide"),
    ("list.yaml", b"- a\n- b\n", "expected a mapping", "un tableau de clés"),
    (
        "date.yaml",
        b"date: 2026-13-45\nanswers: {}\n",
        "field 'date' (Date of the request): '2026-13-45' is not a date",
        "champ «\u202fdate\u202f» (Date de la demande)\u202f: '2026-13-45' n'est pas une date",
    ),
    (
        "north.yaml",
        b"north: {name: Rennes}\nanswers: {}\n",
        "field 'north.country' (Country of the Northern local government): required",
        "champ «\u202fnorth.country\u202f» (Pays de la collectivité du Nord)\u202f: obligatoire",
    ),
]
PYDANTIC_ENGLISH = (
    "Field required",
    "Input should",
    "Value error",
    "Extra inputs",
    "is not allowed",
)


@pytest.mark.parametrize(
    ("name", "data", "english", "french"), BAD_UPLOADS, ids=[b[0] for b in BAD_UPLOADS]
)
def test_upload_checks_name_the_problem_in_the_users_language(name, data, english, french):
    from ui.profile_io import read_uploaded_profile

    for lang, message in (("en", english), ("fr", french)):
        with pytest.raises(ProfileError) as error:
            read_uploaded_profile(name, data, default_assessor().kb, lang)
        assert message in str(error.value), (lang, str(error.value))
        assert error.value.source == name
        if lang == "fr":
            assert not any(phrase in str(error.value) for phrase in PYDANTIC_ENGLISH)


def test_bad_uploads_leave_the_answers_untouched_and_a_good_one_loads(app):
    load(app, "koudougou_pret_a_conventionner.yaml")
    before = answers(app)
    for name, data, _, french in BAD_UPLOADS:
        app.file_uploader[0].set_value((name, data, "application/octet-stream")).run()
        assert not app.exception, (name, [e.value for e in app.exception])
        errors = [e.value for e in app.error]
        shown = user_text(french)
        assert any(shown in e and user_text(name) in e for e in errors), (name, errors)
        assert answers(app) == before
    good = example("garoua_delegue_du_gouvernement.yaml")
    text = yaml.safe_dump(good.model_dump(mode="json", exclude_none=True), allow_unicode=True)
    app.file_uploader[0].set_value(("mine.yaml", text.encode(), "application/x-yaml")).run()
    assert not app.error
    assert answers(app) == good.answers


def test_the_profile_download_reloads_to_the_same_profile(app):
    load(app, "leo_interet_mutuel_en_action.yaml")
    data = download(app, "coopdec.download_yaml")
    from ui.profile_io import read_uploaded_profile

    reloaded = read_uploaded_profile("x.yaml", data, default_assessor().kb)
    original = example("leo_interet_mutuel_en_action.yaml")
    assert reloaded == original
    # the partnership fields typed on the page go into the downloaded profile
    title = next(w for w in app.text_input if w.key.endswith(".title"))
    title.set_value("Léo – Lannion, atelier du 3 mars").run()
    south = next(w for w in app.text_input if w.key.endswith(".south_name"))
    south.set_value("Commune de Léo").run()
    data = download(app, "coopdec.download_yaml")
    reloaded = read_uploaded_profile("x.yaml", data, default_assessor().kb)
    assert reloaded.title == "Léo – Lannion, atelier du 3 mars"
    assert reloaded.south == original.south.model_copy(update={"name": "Commune de Léo"})
    assert reloaded.answers == original.answers


# --- Résultat / Result -----------------------------------------------------------------


def test_result_page_shows_the_assessment_and_downloads_the_report(app):
    profile = example("koudougou_pret_a_conventionner.yaml")
    expected = default_assessor().assess(profile, "fr")
    load(app, "koudougou_pret_a_conventionner.yaml")
    go(app, "result")
    assert app.title[0].value == t("fr", "ui.result.title")
    assert shown_verdict(app) == expected.readiness.verdict
    page = "\n".join(m.value for m in app.markdown)
    for step in expected.readiness.steps_done:
        assert html.escape(default_assessor().kb.steps[step].name.fr) in page
    recommendation_titles = [e.label for e in app.expander if e.label.startswith("Priorité")]
    assert recommendation_titles == [
        t("fr", "ui.result.rec_title", priority=r.priority, text=r.text)
        for r in expected.recommendations
    ]
    for rec in expected.recommendations:
        assert rec.source.quote in page
    markdown = download(app, "coopdec.download_md").decode("utf-8")
    assert expected.readiness.verdict_label in markdown
    assert markdown.startswith("# " + t("fr", "report.title"))
    pdf = download(app, "coopdec.download_pdf")
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    english(app)
    markdown_en = download(app, "coopdec.download_md").decode("utf-8")
    assert markdown_en.startswith("# " + t("en", "report.title"))
    assert t("en", f"verdict.{expected.readiness.verdict}") in markdown_en


def test_result_page_flags_by_severity_and_unplaced_approach(app):
    profile = example("dolisie_dependance_aux_seuls_elus.json")
    expected = default_assessor().assess(profile, "fr")
    load(app, "dolisie_dependance_aux_seuls_elus.json")
    go(app, "result")
    assert shown_verdict(app) == "not_ready"
    high = [f.text for f in expected.flags if f.severity == "high"]
    assert high and all(any(text in e.value for e in app.error) for text in high)
    go(app, "assess")
    reset = next(b for b in app.button if b.label == t("fr", "ui.load.reset"))
    reset.click().run()
    assert answers(app) == {}
    go(app, "result")
    assert any(c.value == t("fr", "ui.result.approach_unknown") for c in app.caption)


def test_report_downloads_are_named_after_the_partnership_and_ready_before_the_click(app):
    """The PDF race: a deferred file (made on click) was gone when the Markdown download had
    rerun the page. Now both are made with the page, at addresses that do not change, and a
    download does not rerun the page."""
    load(app, "koudougou_pret_a_conventionner.yaml")
    assert download_file(app, "coopdec.download_yaml").filename == (
        "profil-bf-koudougou-rennes.yaml"
    )
    go(app, "result")
    buttons = {b.key: b.proto for b in app.get("download_button")}
    for key in ("coopdec.download_md", "coopdec.download_pdf"):
        assert not buttons[key].deferred_file_id and buttons[key].url
        assert buttons[key].ignore_rerun  # clicking does not rerun the page
    assert download_file(app, "coopdec.download_pdf").filename == (
        "evaluation-bf-koudougou-rennes-fr.pdf"
    )
    assert download_file(app, "coopdec.download_md").filename == (
        "evaluation-bf-koudougou-rennes-fr.md"
    )
    app.run()  # another run of the page (what a click used to cause): same addresses
    again = {b.key: b.proto.url for b in app.get("download_button")}
    assert again["coopdec.download_pdf"] == buttons["coopdec.download_pdf"].url
    assert again["coopdec.download_md"] == buttons["coopdec.download_md"].url
    english(app)
    assert download_file(app, "coopdec.download_pdf").filename == (
        "assessment-bf-koudougou-rennes-en.pdf"
    )


def _markdown_outside_rule_ids(at) -> list[str]:
    """Markdown of the page outside the "rule ids, for experts" expanders."""
    from streamlit.testing.v1.element_tree import Block, Expander

    folded = {t(lang, "ui.why.rule_ids") for lang in ("fr", "en")}
    found = []

    def walk(node) -> None:
        if isinstance(node, Expander) and node.label in folded:
            return
        if isinstance(node, Block):
            for child in node.children.values():
                walk(child)
        elif getattr(node, "type", "") == "markdown":
            found.append(node.value)

    walk(at.main)
    return found


def test_rule_ids_reach_experts_only(app):
    kb = default_assessor().kb
    load(app, "bousse_cooperation_container.yaml")
    go(app, "result")
    for expander in app.expander:
        expander.proto.expanded = True
    ids = [f"`{rule}`" for rule in kb.rules]
    outside = "\n".join(_markdown_outside_rule_ids(app))
    assert not [i for i in ids if i in outside]
    inside = "\n".join(m.value for e in app.expander for m in e.markdown)
    assert any(i in inside for i in ids)  # still there for experts, folded
    go(app, "why")
    app.selectbox(key="coopdec.target.fr").set_value("ready").run()
    outside = "\n".join(_markdown_outside_rule_ids(app))
    assert not [i for i in ids if i in outside]


# --- Pourquoi ? / Why? -----------------------------------------------------------------


def test_why_page_chains_why_not_and_paths(app):
    load(app, "garoua_delegue_du_gouvernement.yaml")
    go(app, "why")
    kb = default_assessor().kb
    item = app.selectbox(key="coopdec.why_item.fr")
    flag_index = next(i for i, label in enumerate(item.options) if label.startswith("Signal"))
    item.set_value(flag_index).run()
    page = "\n".join(m.value for m in app.markdown)
    flag = default_assessor().assess(example("garoua_delegue_du_gouvernement.yaml")).flags[0]
    assert kb.rules[flag.raised_by[0]].because.fr in page
    app.selectbox(key="coopdec.target.fr").set_value("ready").run()
    assert app.expander, "why-not lists the rules to act on"
    path = paths_to_next_level(default_assessor(), answers(app), "fr")
    page = "\n".join(m.value for m in app.markdown)
    assert path.paths and path.paths[0].changes[0].question_text in page


def test_why_not_ready_names_each_open_question_once_without_listing_every_answer(app):
    assessor, kb = default_assessor(), default_assessor().kb
    load(app, "ziniare_recherche_de_partenaire.yaml")
    go(app, "why")
    # the target offered first is the verdict just above the current one
    assert app.selectbox(key="coopdec.target.fr").value == "ready"
    page = "\n".join(m.value for m in app.tabs[1].markdown)
    report = why_not(assessor, assessor.answers_for(Profile(answers=answers(app))), "ready", "fr")
    open_ones = [o for o in report.obstacles if o.code == "open_question"]
    assert open_ones
    for obstacle in open_ones:
        question = kb.questions[obstacle.item]
        text = question.text.fr
        assert f"**{text}**" not in page  # not a heading, then again a bullet
        assert page.count(f"- {text}\n") + page.endswith(f"- {text}") <= 1, question.id
        assert text in page  # named: once in the list, or where a rule needs it
    for question in kb.questions.values():  # "any answer will do" is said, not listed
        assert " / ".join(o.label.fr for o in question.options) not in page, question.id
    # a rule needed by several obstacles is described once, then named
    assert page.count(t("fr", "ui.why.see_above")) >= 1
    # an empty profile: criteria not assessed, to be answered (any answer assesses them)
    go(app, "assess")
    next(b for b in app.button if b.label == t("fr", "ui.load.reset")).click().run()
    go(app, "why")
    assert app.selectbox(key="coopdec.target.fr").value == "conditional"
    page = "\n".join(m.value for m in app.tabs[1].markdown)
    assert t("fr", "ui.why.requirement_open", question="").strip() in page
    key_questions = [
        q
        for r in why_not(assessor, Profile().engine_answers(), "conditional", "fr").obstacles
        if r.code == "unknown_key_question"
        for q in [kb.questions[r.item]]
    ]
    assert key_questions
    for question in key_questions:  # a key question: one line, not a heading and a bullet
        line = t("fr", "ui.why.requirement_open", question=question.text.fr)
        assert page.count(line) == 1, question.id
        assert f"**{question.text.fr}**" not in page
    for question in kb.questions.values():
        assert " / ".join(o.label.fr for o in question.options) not in page, question.id


def test_paths_never_offer_a_worse_context_answer(app):
    """Garoua (a commune under a delegate of the government): its decentralisation, still
    embryonic, blocks the next level; only a better state is offered, never a worse one."""
    kb = default_assessor().kb
    load(app, "garoua_delegue_du_gouvernement.yaml")
    go(app, "why")
    question = "south.decentralisation_status"
    labels = {o.id: o.label.fr for o in kb.questions[question].options}
    for tab in (app.tabs[3], app.tabs[1]):  # the shortest path, why not (the next verdict up)
        page = "\n".join(m.value for m in tab.markdown)
        blocked = [line for line in page.splitlines() if labels["embryonic"] in line]
        assert blocked, page  # the real blocker is named, with the better answer only
        assert all(labels["effective"] in line for line in blocked)
        assert not any(labels["not_effective"] in line for line in blocked)


def test_what_if_changes_the_shown_verdict_but_not_the_saved_answers(app):
    load(app, "dolisie_dependance_aux_seuls_elus.json")
    saved = answers(app)
    paths = paths_to_next_level(default_assessor(), saved, "fr").paths
    path = next(p for p in paths if "verdict" in p.moves)
    changes = {c.question: c.after for c in path.changes}
    expected = what_if(default_assessor(), Profile(answers=saved), changes, "fr")
    assert expected.verdict[0] != expected.verdict[1]
    go(app, "why")
    app.multiselect(key="coopdec.whatif_questions.fr").set_value(list(changes)).run()
    for question, option in changes.items():
        app.selectbox(key=f"coopdec.whatif.fr.{question}").set_value(option).run()
    line = t(
        "fr",
        "ui.why.whatif_verdict",
        before=t("fr", f"verdict.{expected.verdict[0]}"),
        after=t("fr", f"verdict.{expected.verdict[1]}"),
    )
    assert any(m.value == line for m in app.markdown)
    assert answers(app) == saved
    go(app, "result")
    assert shown_verdict(app) == expected.verdict[0]


# --- Base de connaissances / Knowledge base ---------------------------------------------


def test_knowledge_base_is_searchable_and_marks_the_fired_rules(app):
    kb = default_assessor().kb
    go(app, "knowledge")
    assert len(app.code) == len(kb.rules)  # each rule shows its condition beside its quote
    app.text_input(key="coopdec.kb_search").set_value("délégués du gouvernement").run()
    assert 0 < len(app.code) < len(kb.rules)
    app.text_input(key="coopdec.kb_search").set_value("").run()
    go(app, "assess")
    load(app, "bousse_cooperation_container.yaml")
    fired = set(default_assessor().assess(example("bousse_cooperation_container.yaml")).fired)
    go(app, "knowledge")
    app.toggle(key="coopdec.kb_only_fired").set_value(True).run()
    assert len(app.code) == len(fired)
    page = "\n".join(m.value for m in app.markdown)
    for rule_id in fired:
        assert kb.rules[rule_id].source.quote in page


def test_knowledge_base_declares_each_flags_weight(app):
    """A directorate reads, for each flag, what it rests on and why it has its severity."""
    kb = default_assessor().kb
    go(app, "knowledge")
    captions = "\n".join(c.value for c in app.caption)
    for flag in kb.flags.values():
        assert flag.severity_rationale.fr in captions, flag.id
    assert t("fr", "source_kind.policy") in captions
    assert "`context_severity`" in captions  # the parameter that sets the context flags


# --- Atelier / Workshop ----------------------------------------------------------------


def _workshop_case(at, name: str):
    go(at, "workshop")
    at.selectbox(key="coopdec.workshop_case_choice").set_value(name).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _next_slide(at) -> bool:
    button = next(b for b in at.button if b.label == t("fr", "ui.workshop.next"))
    if button.disabled:
        return False
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    return True


def test_workshop_shows_a_case_one_slide_at_a_time(app):
    kb = default_assessor().kb
    profile = example("bousse_cooperation_container.yaml")
    expected = default_assessor().assess(profile)
    _workshop_case(app, "bousse_cooperation_container.yaml")
    assert app.header[0].value == profile.title
    assert profile.notes and any(i.value == profile.notes for i in app.info)
    shown_answers: list[str] = []
    headers = []
    while _next_slide(app):
        header = [h.value for h in app.header]
        assert len(header) == 1  # one part at a time
        headers.append(header[0])
        on_this_slide = [
            question
            for block in app.markdown
            for question in profile.answers
            if block.value.startswith(french_spacing(kb.questions[question].text.fr))
        ]
        assert len(on_this_slide) <= 8  # a step's 22 answers do not go on one slide
        shown_answers += on_this_slide
        if header[0] == t("fr", "ui.workshop.stage.verdict"):
            assert shown_verdict(app) == expected.readiness.verdict
    # every answer once, in pages of at most ANSWERS_PER_SLIDE, then the other parts
    assert sorted(shown_answers) == sorted(profile.answers)
    answer_slides = [h for h in headers if h.startswith(t("fr", "ui.workshop.answers_of", step=""))]
    assert len(answer_slides) >= len(profile.answers) / ANSWERS_PER_SLIDE
    for part in ("verdict", "criteria", "change"):
        assert t("fr", f"ui.workshop.stage.{part}") in headers
    assert headers[-1] == t("fr", "ui.workshop.stage.change")
    # no short path changes this verdict: the slide says what the next verdict would take
    page = "\n".join(m.value for m in app.markdown)
    assert expected.readiness.verdict == "not_ready"
    assessor = default_assessor()
    paths = paths_to_next_level(assessor, assessor.answers_for(profile), "fr").paths
    if any(p.verdict != expected.readiness.verdict for p in paths):
        assert t("fr", "ui.workshop.for_verdict", verdict="").split("«")[0] not in page
        assert "**Chemin 1**" in page  # the path that changes it is shown instead
    else:
        above = t("fr", "verdict.conditional")
        assert f"**{t('fr', 'ui.workshop.for_verdict', verdict=above)}**" in page
    assert answers(app) == {}  # the workshop never touches the interview's answers


def test_projector_view_hides_the_sidebar_and_keeps_the_controls_on_one_line(app):
    _workshop_case(app, "kongoussi_guichet_de_financement.yaml")
    app.toggle(key="coopdec.workshop_projector_toggle").set_value(True).run()
    styles = [h.proto.body for h in app.get("html")]
    assert any('[data-testid="stSidebar"]' in body and "display: none" in body for body in styles)
    assert not app.title  # the slide has the whole screen
    # previous, next, restart and the switch sit in the columns of one row
    row = next(
        block
        for block in app.main.children.values()
        if len([b for b in getattr(block, "children", {}).values()]) >= 5
    )
    labels = {b.label for b in row.button}
    assert {t("fr", f"ui.workshop.{b}") for b in ("back", "next", "restart")} <= labels
    english(app)
    assert app.header and answers(app) == {}


def test_what_would_change_it_shows_the_blockers_and_only_paths_that_change_the_verdict(app):
    assessor = default_assessor()
    profile = example("garoua_delegue_du_gouvernement.yaml")
    report = paths_to_next_level(assessor, dict(profile.answers), "fr")
    assert report.blocked_by_context  # the elected executive: a fact, not a choice
    assert any("verdict" not in p.moves for p in report.paths)  # paths the slide must hide
    _workshop_case(app, "garoua_delegue_du_gouvernement.yaml")
    while _next_slide(app):
        pass
    assert [h.value for h in app.header] == [t("fr", "ui.workshop.stage.change")]
    page = "\n".join(m.value for m in app.markdown)
    assert t("fr", "explain.blocked") in page
    for requirement in report.blocked_by_context:
        assert requirement.question_text in page
    for path in report.paths:
        goal_kept = t(
            "fr",
            "ui.why.path_step",
            verdict=t("fr", f"verdict.{path.verdict}"),
            step=assessor.kb.steps[path.next_step].name.fr,
        )
        assert goal_kept not in page


def test_the_page_says_its_language_and_puts_streamlits_own_words_in_it(app):
    import json

    def script() -> str:
        bodies = [h.proto.body for h in app.get("html") if "__coopdecTexts" in h.proto.body]
        assert len(bodies) == 1
        return bodies[0]

    assert '"lang": "fr"' in script()
    for key in ("ui.streamlit.upload", "ui.streamlit.drag_drop", "ui.streamlit.help_for"):
        assert json.dumps(t("fr", key)) in script()
    english(app)
    assert '"lang": "en"' in script() and json.dumps(t("en", "ui.streamlit.upload")) in script()


# --- texts ------------------------------------------------------------------------------


def test_every_interface_text_is_in_both_catalogues():
    used = set()
    for path in (ROOT / "ui").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        used |= {f"ui.{key}" for key in re.findall(r"\btr\(\s*\"([a-z_.]+)\"", source)}
        used |= set(re.findall(r"\"(ui\.[a-z_.]+)\"", source))
        counted = set(re.findall(r"\btn\(\s*[\w.]+(?:\(\))?,\s*\"(ui\.[a-z_.]+)\"", source))
        used = (used - counted) | {f"{k}.{form}" for k in counted for form in ("one", "other")}
    french, english_ = catalogue("fr"), catalogue("en")
    assert used and used <= set(french), sorted(used - set(french))
    assert {k for k in french if k.startswith("ui.")} == {
        k for k in english_ if k.startswith("ui.")
    }


# --- starting the app -------------------------------------------------------------------


def test_upload_limit_is_set_for_the_server():
    import tomllib

    config = tomllib.loads((ROOT / "ui" / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    # The server ceiling fits a directorate's table of requests (screening page), not more.
    assert config["server"]["maxUploadSize"] * 1024 * 1024 >= MAX_PROFILE_BYTES
    assert config["server"]["maxUploadSize"] <= 20
    # The profile uploader keeps its own 1 MB limit.
    source = (ROOT / "ui" / "views" / "assess.py").read_text(encoding="utf-8")
    assert "max_upload_size=1," in source


@pytest.mark.slow
def test_coopdec_ui_starts_the_app_from_any_folder(tmp_path):
    import sys
    import urllib.request

    from .support import SERVER_CEILING_S, free_port, start_server, stop, wait_until_healthy

    port = free_port()
    log = tmp_path / "ui.log"
    command = [sys.executable, "-m", "coopdec_expert.cli", "ui", "--port", str(port)]
    process = start_server([*command, "--address", "127.0.0.1"], tmp_path, log)
    try:
        wait_until_healthy(process, port, log)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as page:
            assert page.status == 200
        # the engine and the pages' imports are warmed in the server, before anyone comes
        deadline = time.monotonic() + SERVER_CEILING_S
        while "coopdec-expert: app warmed in" not in log.read_text():
            assert time.monotonic() < deadline and process.poll() is None, log.read_text()
            time.sleep(0.2)  # polling interval
        # the warm-up waits for the server by its state (Streamlit's readiness check is a
        # coroutine: calling it from a thread warned, and was always true)
        assert "never awaited" not in log.read_text()
    finally:
        assert stop(process) == 0, log.read_text()


@pytest.mark.slow
def test_the_warm_up_loads_the_pages_and_frees_sessions_before_the_other_pages():
    """`coopdec ui`'s warm-up builds the assessor and imports the first page's modules, lets a
    waiting session go on, then imports the other pages (in a fresh process: nothing of the
    app loaded before)."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from coopdec_expert import serve\n"
        "seen = []\n"
        "serve.warm(lambda: seen.append([m in sys.modules for m in serve.OTHER_PAGES]))\n"
        "print(seen == [[False] * len(serve.OTHER_PAGES)],"
        " all(m in sys.modules for m in serve.FIRST_PAGE + serve.OTHER_PAGES))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"], done.stdout + done.stderr


def _session_processes(session: int) -> list[int]:
    """Processes still alive in a process session (zombies are gone for good)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            alive.append(int(entry.name))
    return alive


@pytest.mark.slow
@pytest.mark.parametrize("launcher", ["coopdec", "uv run coopdec"])
def test_sigterm_to_coopdec_ui_stops_the_server_and_frees_the_port(tmp_path, launcher):
    """`kill PID` of `coopdec ui` (the command itself, or `uv run` around it) stops the server:
    no process of it is left and the port is free."""
    import shutil
    import signal
    import socket
    import sys

    from .support import SERVER_CEILING_S, free_port, start_server, wait_until_healthy

    if not Path("/proc").is_dir():
        pytest.skip("reads the process table in /proc")
    if launcher == "coopdec":
        command = [str(Path(sys.executable).parent / "coopdec")]
    else:
        uv = shutil.which("uv")
        if uv is None:
            pytest.skip("uv is not on the PATH")
        command = [uv, "run", "--frozen", "--project", str(ROOT), "coopdec"]
    port = free_port()
    log = tmp_path / "ui.log"
    process = start_server(
        [*command, "ui", "--port", str(port), "--address", "127.0.0.1"], tmp_path, log
    )
    wait_until_healthy(process, port, log)
    os.kill(process.pid, signal.SIGTERM)  # the process we started, not its group
    assert process.wait(timeout=SERVER_CEILING_S) is not None
    deadline = time.monotonic() + SERVER_CEILING_S
    while _session_processes(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)  # polling interval while the server's last threads end
    assert not _session_processes(process.pid), log.read_text()[-2000:]
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # nothing listens any more
