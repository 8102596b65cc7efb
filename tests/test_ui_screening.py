"""The Tri des demandes / Screening page driven by AppTest: a table made from `coopdec template`
screened with the same verdicts as `assess` one by one, rejected rows named with their row
number while the good rows are still assessed, a file that is not a table refused with
TableError's message, the history of a partnership across two uploads, and English."""

from __future__ import annotations

import csv
import io
import tempfile
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from coopdec_expert.cli import app as cli
from coopdec_expert.engine.assess import default_assessor
from coopdec_expert.i18n import t, tn
from coopdec_expert.profile import load_profile
from coopdec_expert.screening import TableError, screen_table
from ui.views.screening import (
    FILTER_KEYS,
    HISTORY_PICK,
    HISTORY_TYPED,
    JOB,
    MAX_UPLOAD_MB,
    REPORTS_KEY,
    UPLOAD_KEY,
)
from ui.widgets import VERDICT_COLOURS, user_text

from .support import SERVER_CEILING_S
from .test_ui import APP, EXAMPLES, ROOT, download, start_app

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out; `uv run pytest` runs it

# Examples answered (nearly) in full: sparse rows are screened ~100 times slower.
EXAMPLE_FILES = [
    "koudougou_pret_a_conventionner.yaml",
    "leo_interet_mutuel_en_action.yaml",
    "bousse_cooperation_container.yaml",
    "moundou_commune_urbaine_tchad.yaml",
]
FOUR = EXAMPLE_FILES


@pytest.fixture(scope="module")
def template() -> tuple[list[str], list[str]]:
    """Header and help row of the French CSV template, as `coopdec template` prints them."""
    result = CliRunner().invoke(cli, ["template", "--lang", "fr"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout.lstrip("\ufeff")), delimiter=";"))
    return rows[0], rows[1]


def example_row(name: str, header: list[str], **changes: str) -> list[str]:
    """One template row from a shipped example (its metadata and answers)."""
    data = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    cells = {k: str(v) for k, v in data.items() if isinstance(v, str | int) or k == "date"}
    for side in ("north", "south"):
        for field, value in (data.get(side) or {}).items():
            cells[f"{side}_{field}"] = str(value)
    cells.update(data["answers"])
    cells.update(changes)
    unknown = set(cells) - set(header)
    assert not unknown, unknown
    return [cells.get(column, "") for column in header]


def table_bytes(template, rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows([*template, *rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


@pytest.fixture
def temporary_folder(monkeypatch, tmp_path) -> Path:
    """This test's own system temporary folder (AppTest runs the page in this process), so that
    another process's temporary files are never mistaken for the page's."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def page(monkeypatch, tmp_path, temporary_folder):
    """The app on the screening page, its register a fresh SQLite file."""
    monkeypatch.setenv("COOPDEC_STORE", str(tmp_path / "register.sqlite"))
    at = start_app(monkeypatch)
    at.switch_page("page_scripts/screening.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == t("fr", "ui.screening.title")
    return at


def wait_for_batch(at):
    """Rerun the page, as its refresh does, until the batch process has ended (a ceiling for a
    busy machine, not a pause)."""
    deadline = time.monotonic() + SERVER_CEILING_S
    while JOB in at.session_state:
        assert time.monotonic() < deadline, "the batch did not end"
        time.sleep(0.25)  # polling interval
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def screen(at, name: str, data: bytes, reports: bool = False):
    at.file_uploader(key=UPLOAD_KEY).set_value((name, data, "text/csv")).run()
    if reports:
        at.checkbox(key=REPORTS_KEY).check().run()
    at.button(key="coopdec.screening.run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return wait_for_batch(at)


def table_with(at, column: str):
    """The (last) dataframe on the page that has this column."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    assert found, f"no table with column {column!r}"
    return found[-1]


def test_a_filled_template_gives_the_verdicts_of_assess_and_the_files(
    page, template, temporary_folder
):
    header = template[0]
    rows = [example_row(name, header) for name in EXAMPLE_FILES]
    screen(page, "demandes.csv", table_bytes(template, rows))
    kb = default_assessor().kb
    expected = {}
    for name in EXAMPLE_FILES:
        profile = load_profile(EXAMPLES / name, kb)
        expected[profile.id] = default_assessor().assess(profile, "fr").readiness
    shown = table_with(page, t("fr", "ui.screening.col.id"))
    ids = list(shown[t("fr", "ui.screening.col.id")])
    assert ids == list(expected)  # file order
    verdicts = dict(zip(ids, shown[t("fr", "ui.screening.col.verdict")], strict=True))
    steps = dict(zip(ids, shown[t("fr", "ui.screening.col.next_step")], strict=True))
    for identifier, readiness in expected.items():
        assert verdicts[identifier] == t("fr", f"verdict.{readiness.verdict}")
        assert steps[identifier] == readiness.next_step_label
    assert any(t("fr", "ui.screening.no_rejected") == s.value for s in page.success)

    # filtering by verdict keeps exactly the requests with that verdict
    one = expected[ids[0]].verdict
    page.multiselect(key=FILTER_KEYS["verdict"]).select(one).run()
    filtered = table_with(page, t("fr", "ui.screening.col.id"))
    assert set(filtered[t("fr", "ui.screening.col.id")]) == {
        i for i, r in expected.items() if r.verdict == one
    }
    # by country (South or North): exactly the requests with that country on either side
    countries = {
        load_profile(EXAMPLES / name, kb).id: {
            side.country for side in (p.south, p.north) if side is not None
        }
        for name in EXAMPLE_FILES
        for p in [load_profile(EXAMPLES / name, kb)]
    }
    country = "Burkina Faso"
    assert country in page.multiselect(key=FILTER_KEYS["country"]).options
    page.multiselect(key=FILTER_KEYS["verdict"]).set_value([]).run()
    page.multiselect(key=FILTER_KEYS["country"]).select(country).run()
    by_country = table_with(page, t("fr", "ui.screening.col.id"))
    wanted = {i for i, found in countries.items() if country in found}
    assert wanted and wanted != set(expected)  # the filter has something to keep and to drop
    assert set(by_country[t("fr", "ui.screening.col.id")]) == wanted

    # downloads: the batch's own files, the results with the same verdicts
    results_csv = download(page, "coopdec.screening.download.results.csv").decode("utf-8-sig")
    kept = list(csv.DictReader(io.StringIO(results_csv), delimiter=";"))
    assert {r["id"]: r["verdict"] for r in kept} == {i: r.verdict for i, r in expected.items()}
    assert download(page, "coopdec.screening.download.results.xlsx")[:2] == b"PK"
    assert download(page, "coopdec.screening.download.summary.pdf")[:5] == b"%PDF-"
    errors_csv = download(page, "coopdec.screening.download.errors.csv").decode("utf-8-sig")
    assert errors_csv.strip() == "ligne;colonne;valeur;problème;valeurs permises"
    # the charts are drawn, the temporary folder is gone
    assert len(page.get("vega_lite_chart")) >= 4  # verdict, step, countries, flags
    assert tempfile.gettempdir() == str(temporary_folder)
    assert not list(temporary_folder.glob("coopdec-batch-*"))


def test_a_bad_row_is_named_by_its_row_and_the_good_rows_are_still_assessed(page, template):
    header = template[0]
    rows = [
        example_row(EXAMPLE_FILES[0], header),
        example_row(EXAMPLE_FILES[1], header, **{"relationship.purpose": "nonsense"}),
        example_row(EXAMPLE_FILES[2], header),
    ]
    screen(page, "demandes.csv", table_bytes(template, rows))
    rejected = table_with(page, t("fr", "ui.screening.col.allowed"))
    # header = row 1, help row = row 2: the second request is on row 4
    assert list(rejected[t("fr", "ui.screening.col.row")]) == [4]
    assert list(rejected[t("fr", "ui.screening.col.column")]) == ["relationship.purpose"]
    assert list(rejected[t("fr", "ui.screening.col.value")]) == ["nonsense"]
    assert "relationship" in rejected[t("fr", "ui.screening.col.allowed")].iloc[0]
    assert any(tn("fr", "ui.screening.rejected", 1) == e.value for e in page.error)
    results = table_with(page, t("fr", "ui.screening.col.id"))
    kb = default_assessor().kb
    assert list(results[t("fr", "ui.screening.col.id")]) == [
        load_profile(EXAMPLES / name, kb).id for name in (EXAMPLE_FILES[0], EXAMPLE_FILES[2])
    ]


def test_a_file_that_is_not_a_table_shows_the_message_and_the_app_goes_on(page, template, tmp_path):
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00binary"
    with pytest.raises(TableError) as refused:
        screen_table(data, "photo.png", "fr", None, out_dir=tmp_path / "out")
    screen(page, "photo.png", data)
    assert [e.value for e in page.error] == [
        t("fr", "ui.screening.refused", message=user_text(refused.value))
    ]
    assert not page.dataframe  # nothing screened, nothing pretended
    # the app still works: a good file next
    screen(
        page, "demandes.csv", table_bytes(template, [example_row(EXAMPLE_FILES[0], template[0])])
    )
    assert not page.error
    assert len(table_with(page, t("fr", "ui.screening.col.id"))) == 1


def test_history_of_two_versions_oldest_first_and_english(page, template):
    header = template[0]
    first = example_row(EXAMPLE_FILES[0], header, id="bf-test")
    second = example_row(EXAMPLE_FILES[0], header, id="bf-test", **{"agreement.status": "none"})
    screen(page, "version-1.csv", table_bytes(template, [first]))
    screen(page, "version-2.csv", table_bytes(template, [second]), reports=True)
    page.selectbox(key=HISTORY_PICK).select("bf-test").run()
    shown = table_with(page, t("fr", "screen.history.source"))
    assert list(shown[t("fr", "screen.history.source")]) == ["version-1.csv", "version-2.csv"]
    dates = list(shown[t("fr", "screen.history.date")])
    assert dates == sorted(dates)
    # the reports asked for the second batch, as a zip of Markdown and PDF
    archive = zipfile.ZipFile(io.BytesIO(download(page, "coopdec.screening.download.reports.zip")))
    assert sorted(archive.namelist()) == ["bf-test.md", "bf-test.pdf"]
    # an id typed by hand: one never screened has no history
    page.text_input(key=HISTORY_TYPED).input("nobody").run()
    assert any(t("fr", "ui.screening.history.none", id="nobody") == i.value for i in page.info)
    page.text_input(key=HISTORY_TYPED).input("").run()

    page.toggle(key="coopdec.lang_toggle").set_value(True).run()
    assert not page.exception, [e.value for e in page.exception]
    assert page.title[0].value == t("en", "ui.screening.title")
    # the last batch (version 2) in English, with the verdict and next step of assess
    kb = default_assessor().kb
    profile = load_profile(EXAMPLES / EXAMPLE_FILES[0], kb)
    profile = profile.model_copy(
        update={"id": "bf-test", "answers": {**profile.answers, "agreement.status": "none"}}
    )
    readiness = default_assessor().assess(profile, "en").readiness
    results = table_with(page, t("en", "ui.screening.col.id"))
    assert list(results[t("en", "ui.screening.col.verdict")]) == [
        t("en", f"verdict.{readiness.verdict}")
    ]
    assert list(results[t("en", "ui.screening.col.next_step")]) == [readiness.next_step_label]
    history_en = table_with(page, t("en", "screen.history.source"))
    assert list(history_en[t("en", "screen.history.source")]) == ["version-1.csv", "version-2.csv"]
    assert page.button(key="coopdec.screening.run").label == t("en", "ui.screening.run")


def test_a_file_over_the_page_limit_is_refused_before_reading(page):
    import tomllib

    config = tomllib.loads((APP.parent / ".streamlit" / "config.toml").read_text("utf-8"))
    # the page's own limit, capped by the server's
    limit = min(MAX_UPLOAD_MB, config["server"]["maxUploadSize"])
    assert page.file_uploader(key=UPLOAD_KEY).label == t("fr", "ui.screening.upload", limit=limit)
    page.button(key="coopdec.screening.run").click().run()  # no file yet
    assert [e.value for e in page.error] == [t("fr", "ui.screening.no_file")]
    screen(page, "big.csv", b"id;x\n" + b"a;b\n" * (limit * 1024 * 1024 // 4))
    message = t("fr", "ui.screening.too_big", file="big.csv", limit=limit)
    assert [e.value for e in page.error] == [t("fr", "ui.screening.refused", message=message)]
    assert "coopdec.screening.last" not in page.session_state


def charts(at) -> dict[str, tuple[pd.DataFrame, dict]]:
    """Each chart of the page by its title: its data and its spec."""
    import json

    import pyarrow

    found = {}
    for chart in [*at.get("arrow_vega_lite_chart"), *at.get("vega_lite_chart")]:
        spec = json.loads(chart.proto.spec)
        title = spec["layer"][0].get("title")
        data = pyarrow.ipc.open_stream(chart.proto.datasets[0].data.data).read_pandas()
        found[title] = (data, spec)
    return found


def test_charts_follow_the_filters_in_the_verdict_colours_with_whole_labels(page, template):
    header = template[0]
    screen(page, "demandes.csv", table_bytes(template, [example_row(n, header) for n in FOUR]))
    kb = default_assessor().kb
    verdicts = {
        load_profile(EXAMPLES / n, kb).id: default_assessor().assess(load_profile(EXAMPLES / n, kb))
        for n in FOUR
    }
    by_verdict = t("fr", "screen.summary.by_verdict")
    data, spec = charts(page)[by_verdict]
    assert sum(data.iloc[:, 1]) == len(FOUR)
    colours = spec["layer"][0]["encoding"]["color"]["scale"]["range"]
    order = [v for v in VERDICT_COLOURS if any(a.readiness.verdict == v for a in verdicts.values())]
    assert colours == [VERDICT_COLOURS[v] for v in order]
    # the flags chart: labels whole (wrapped on lines, no length limit, never "…")
    flags_data, flags_spec = charts(page)[t("fr", "screen.summary.top_flags")]
    axis = flags_spec["layer"][0]["encoding"]["y"]["axis"]
    assert axis["labelLimit"] == 0 and "split" in axis["labelExpr"]
    assert not any(label.endswith("…") for label in flags_data.iloc[:, 0])
    shown_flags = {label.replace("\n", " ") for label in flags_data.iloc[:, 0]}
    raised = {f.text for a in verdicts.values() for f in a.flags}
    assert shown_flags <= raised
    # filtered: the charts count the requests the filters keep
    one = order[0]
    page.multiselect(key=FILTER_KEYS["verdict"]).select(one).run()
    data, _ = charts(page)[by_verdict]
    assert list(data.iloc[:, 0]) == [t("fr", f"verdict.{one}")]
    assert sum(data.iloc[:, 1]) == sum(a.readiness.verdict == one for a in verdicts.values())


def test_duplicate_ids_are_flagged_in_the_file_check(page, template):
    header = template[0]
    rows = [
        example_row(FOUR[0], header, id="bf-1"),
        example_row(FOUR[1], header, id="bf-2"),
        example_row(FOUR[2], header, id="bf-1"),
    ]
    screen(page, "demandes.csv", table_bytes(template, rows))
    warning = tn("fr", "ui.screening.duplicates", 1, ids="bf-1")
    assert warning in [w.value for w in page.warning]
    results = table_with(page, t("fr", "ui.screening.col.id"))
    assert list(results[t("fr", "ui.screening.col.id")]) == ["bf-1", "bf-2"]


def test_a_running_batch_shows_rows_done_of_total_and_can_be_cancelled(page, tmp_path):
    import re
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from bench_screening import generate

    source = tmp_path / "deux-cents.csv"
    generate(source, 200, "realistic")
    upload = ("deux-cents.csv", source.read_bytes(), "text/csv")
    page.file_uploader(key=UPLOAD_KEY).set_value(upload)
    page.run()
    page.button(key="coopdec.screening.run").click().run()
    assert page.button(key="coopdec.screening.run").disabled  # one batch at a time
    pattern = re.compile(r"^(\d+) sur 200 lignes traitées")
    deadline = time.monotonic() + SERVER_CEILING_S
    done = 0
    while done == 0:
        assert time.monotonic() < deadline and JOB in page.session_state, "no progress shown"
        time.sleep(0.1)  # polling interval
        page.run()
        texts = [p.proto.text for p in page.get("progress")]
        found = [pattern.match(text) for text in texts]
        done = max((int(m.group(1)) for m in found if m), default=0)
    page.button(key="coopdec.screening.cancel").click().run()
    assert JOB not in page.session_state
    notices = [i.value for i in page.info]
    assert any(n.startswith("Tri annulé après") for n in notices), notices
    assert not page.button(key="coopdec.screening.run").disabled
