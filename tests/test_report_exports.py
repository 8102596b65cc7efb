"""Exports for people (issue 13): the Markdown/PDF report names things by their labels, not ids,
in the typography of its language; its PDF has left-aligned cells, the verdict in its colour
and headings kept with their content."""

from __future__ import annotations

import re

import pytest

from coopdec_expert import pdf
from coopdec_expert.report import render

from .conftest import EXAMPLES_DIR

EXAMPLE = "kongoussi_guichet_de_financement.yaml"  # flags, a capped score, answers set aside


@pytest.fixture(scope="module")
def reports(assessor, kb):
    from coopdec_expert.profile import load_profile

    profile = load_profile(EXAMPLES_DIR / EXAMPLE, kb)
    return {
        lang: (
            assessor.assess(profile, lang),
            render(assessor.assess(profile, lang), profile, kb, "markdown"),
        )
        for lang in ("fr", "en")
    }


def _body(text: str) -> str:
    """The report without its last lines (rules applied, rules version: ids for experts) and
    without the source quotes (French text quoted verbatim)."""
    body = text.rsplit("\n---\n", 1)[0]
    return "\n".join(line for line in body.splitlines() if not line.lstrip().startswith(">"))


def test_the_report_names_verdict_steps_flags_and_questions_by_their_labels(reports, kb):
    for lang, (assessment, text) in reports.items():
        body = _body(text)
        assert f"`{assessment.readiness.verdict}`" not in body
        assert f"`{assessment.readiness.next_step}`" not in body
        assert assessment.flags and not [f.id for f in assessment.flags if f"`{f.id}`" in body]
        assert not [m.question for m in assessment.missing if m.question in body]
        capped = [s for s in assessment.scores if s.capped_by]
        assert capped and all(
            kb.flags[f].text.get(lang) in body for s in capped for f in s.capped_by
        )
        assert not [f for s in capped for f in s.capped_by if f in body]


def test_the_english_report_has_no_french_punctuation(reports):
    body = _body(reports["en"][1]).split("| | |", 1)[1]  # past the user's own title and names
    for french in (" ;", " :", "«", "»", "\u202f"):
        assert french not in body, french
    body_fr = _body(reports["fr"][1])  # the report's own separators in French typography
    assert "\u202f;" in body_fr and "\u202f:" in body_fr


def _html(text: str) -> str:
    return pdf.pdf_html(text)


def test_pdf_table_cells_are_left_aligned_and_the_verdict_in_its_colour(reports):
    for assessment, text in reports.values():
        html = _html(text)
        cells = re.findall(r"<t[dh](?=[\s>])[^>]*>", html)
        assert cells and all('align="left"' in cell for cell in cells)  # never justified
        tint = pdf.VERDICT_TINTS[assessment.readiness.verdict]
        coloured = re.findall(rf'<td[^>]*bgcolor="{tint}"[^>]*>([^<]*)<', html)
        assert coloured == [assessment.readiness.verdict_label]
    assert len(set(pdf.VERDICT_TINTS.values())) == 4


def test_a_heading_is_never_left_at_the_bottom_of_a_page(monkeypatch):
    """Whatever the length of what comes before, a heading starts with room below it."""
    starts = []
    write_html = pdf._Document.write_html

    def recording(self, text, *args, **kwargs):
        if text.startswith("<h"):
            starts.append((self.get_y(), self.h - self.b_margin))
        return write_html(self, text, *args, **kwargs)

    monkeypatch.setattr(pdf._Document, "write_html", recording)
    for lines in range(30, 75, 3):
        filler = "\n\n".join(f"Paragraphe de remplissage numéro {i}." for i in range(lines))
        data = pdf.markdown_to_pdf(f"# Titre\n\n{filler}\n\n## Section\n\nSon contenu.\n", "t")
        assert data.startswith(b"%PDF")
    near_bottom = [(y, bottom) for y, bottom in starts if y > bottom - pdf.KEEP_WITH_HEADING_MM]
    assert not near_bottom
    assert any(y < 40 for y, _ in starts[1:])  # some heading was moved to a new page
