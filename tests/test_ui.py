"""The Streamlit app driven by streamlit.testing (AppTest): every page, answers kept across pages
and languages, bad uploads, what-if, downloads. The app shows what the library computes, so the
expected values come from the same public functions."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from coopdec_expert.engine.assess import default_assessor
from coopdec_expert.explain.path import paths_to_next_level
from coopdec_expert.explain.whatif import what_if
from coopdec_expert.i18n import catalogue, t
from coopdec_expert.knowledge.models import UNKNOWN
from coopdec_expert.profile import MAX_PROFILE_BYTES, Profile, ProfileError, load_profile
from coopdec_expert.vocabulary import REQUESTER
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


def download(at, key: str) -> bytes:
    """The bytes behind a download button (deferred ones are generated as on a click)."""
    proto = at.get("download_button")
    proto = next(b for b in proto if b.key == key).proto
    for manager in reversed(_Media.managers):
        try:
            url = (
                manager.execute_deferred(proto.deferred_file_id)
                if proto.deferred_file_id
                else proto.url
            )
            return manager._storage.get_file(url.rsplit("/", 1)[1]).content
        except Exception:  # noqa: BLE001 - the file is in one of the managers
            continue
    raise AssertionError(f"download {key} not found")


# --- Évaluer / Assess ------------------------------------------------------------------


def test_interview_shows_what_can_change_the_result_and_records_answers(app):
    assessor = default_assessor()
    assert app.title[0].value == t("fr", "ui.assess.title")
    decisive = [i.question for i in assessor.next_questions(Profile().engine_answers())]
    # who requests is always shown (read as the Southern local government until answered)
    assert sorted(shown_questions(app)) == sorted({*decisive, REQUESTER})
    assert radio_for(app, REQUESTER).value == "south"
    # "Ne sait pas" is offered wherever the question accepts it
    for radio in app.radio:
        if radio.label.startswith(assessor.kb.questions[REQUESTER].text.fr):
            assert t("fr", "option.unknown") not in radio.options
        else:
            assert radio.options[-1] == t("fr", "option.unknown")
    first = decisive[0]
    option = assessor.kb.questions[first].options[-1].id
    radio_for(app, first).set_value(option).run()
    assert answers(app) == {first: option}
    still_open = {
        i.question
        for i in assessor.next_questions(Profile(answers={first: option}).engine_answers())
    }
    assert set(shown_questions(app)) == still_open | {first, REQUESTER}
    assert radio_for(app, first).value == option
    # answering "don't know" is recorded as `unknown`, and the question stays editable
    second = next(q for q in shown_questions(app) if q not in (first, REQUESTER))
    radio_for(app, second).set_value(UNKNOWN).run()
    assert answers(app) == {first: option, second: UNKNOWN}
    assert second in shown_questions(app)
    assert shown_verdict(app) == assessor.assess(Profile(answers=answers(app))).readiness.verdict


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
    loaded = t(
        "en", "ui.load.done", source=user_text("moundou_commune_urbaine_tchad.yaml"), n=len(before)
    )
    assert [s.value for s in app.success][0] == loaded
    kb = default_assessor().kb
    assert radio_for(app, question).label.startswith(kb.questions[question].text.en)
    assert radio_for(app, question).value == UNKNOWN
    for page in ("result", "why", "knowledge", "workshop", "assess"):
        go(app, page)
    assert answers(app) == before
    english(app, False)
    assert app.title[0].value == t("fr", "ui.assess.title")
    assert answers(app) == before


BAD_UPLOADS = [
    ("notes.txt", b"answers: {}\n", "file type '.txt' not supported"),
    ("unknown.yaml", b"answers:\n  nope.question: yes_it_is\n", "unknown question 'nope.question'"),
    (
        "option.yaml",
        b"answers:\n  south.elected_executive: emperor\n",
        "option 'emperor' is not allowed; allowed:",
    ),
    ("huge.yaml", b"#" * (MAX_PROFILE_BYTES + 1), f"larger than {MAX_PROFILE_BYTES} bytes"),
    ("binary.yaml", bytes(range(256)) * 4, "not a UTF-8 text file"),
    ("latin1.json", '{"title": "é"}'.encode("latin-1"), "not a UTF-8 text file"),
    ("broken.yaml", b"answers: [unclosed\n", "not valid YAML"),
    ("broken.json", b'{"answers": ', "not valid JSON"),
    ("empty.yaml", b"   \n", "the file is empty"),
    ("list.yaml", b"- a\n- b\n", "expected a mapping"),
]


@pytest.mark.parametrize(("name", "data", "message"), BAD_UPLOADS, ids=[b[0] for b in BAD_UPLOADS])
def test_upload_checks_name_the_problem(name, data, message):
    from ui.profile_io import read_uploaded_profile

    with pytest.raises(ProfileError) as error:
        read_uploaded_profile(name, data, default_assessor().kb)
    assert message in str(error.value)
    assert error.value.source == name


def test_bad_uploads_leave_the_answers_untouched_and_a_good_one_loads(app):
    load(app, "koudougou_pret_a_conventionner.yaml")
    before = answers(app)
    for name, data, message in BAD_UPLOADS:
        app.file_uploader[0].set_value((name, data, "application/octet-stream")).run()
        assert not app.exception, (name, [e.value for e in app.exception])
        errors = [e.value for e in app.error]
        assert any(message in e and name in e for e in errors), (name, errors)
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


def test_workshop_reveals_a_case_step_by_step(app):
    go(app, "workshop")
    app.selectbox(key="coopdec.workshop_case_choice").set_value(
        "kongoussi_guichet_de_financement.yaml"
    ).run()
    profile = example("kongoussi_guichet_de_financement.yaml")
    assert app.header[0].value == profile.title
    assert profile.notes and any(i.value == profile.notes for i in app.info)
    headers = [t("fr", f"ui.workshop.stage.{s}") for s in ("answers", "verdict", "why", "change")]
    next_button = t("fr", "ui.workshop.next")
    expected = default_assessor().assess(profile)
    for header in headers:
        next(b for b in app.button if b.label == next_button).click().run()
        assert not app.exception
        assert [h.value for h in app.header] == [header]  # one part at a time
        if header == headers[1]:
            assert shown_verdict(app) == expected.readiness.verdict
        if header == headers[0]:
            kb = default_assessor().kb
            asked = {row for table in app.table for row in table.value.iloc[:, 0]}
            assert asked == {kb.questions[q].text.fr for q in profile.answers}
    app.toggle(key="coopdec.workshop_projector_toggle").set_value(True).run()
    assert any("font-size:1.45rem" in m.value for m in app.markdown)
    english(app)
    assert [h.value for h in app.header] == [t("en", "ui.workshop.stage.change")]
    assert answers(app) == {}  # the workshop never touches the interview's answers


# --- texts ------------------------------------------------------------------------------


def test_every_interface_text_is_in_both_catalogues():
    used = set()
    for path in (ROOT / "ui").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        used |= {f"ui.{key}" for key in re.findall(r"\btr\(\s*\"([a-z_.]+)\"", source)}
        used |= set(re.findall(r"\"(ui\.[a-z_.]+)\"", source))
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

    from .support import free_port, start_server, stop, wait_until_healthy

    port = free_port()
    log = tmp_path / "ui.log"
    command = [sys.executable, "-m", "coopdec_expert.cli", "ui", "--port", str(port)]
    process = start_server([*command, "--address", "127.0.0.1"], tmp_path, log)
    try:
        wait_until_healthy(process, port, log)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as page:
            assert page.status == 200
    finally:
        assert stop(process) == 0, log.read_text()
