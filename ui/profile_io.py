"""Profiles in and out of the app: uploads checked like `load_profile` checks files, the YAML of
`coopdec interview`, the shipped examples, the Markdown and PDF reports."""

from __future__ import annotations

import re
import unicodedata

from coopdec_expert.assessment import Assessment
from coopdec_expert.examples import EXAMPLES_DIR, example_names
from coopdec_expert.interview import profile_yaml  # noqa: F401 - re-exported for the views
from coopdec_expert.knowledge.loader import KnowledgeBase
from coopdec_expert.pdf import markdown_to_pdf
from coopdec_expert.profile import (
    Profile,
    ProfileError,
    load_profile,
    profile_from_bytes,
)
from coopdec_expert.report import render


def read_uploaded_profile(name: str, data: bytes, kb: KnowledgeBase, lang: str = "fr") -> Profile:
    """Validate uploaded bytes into a Profile; raise ProfileError naming the problem (size, file
    type, encoding, syntax, field, question, option) exactly as the CLI does for a file."""
    return profile_from_bytes(name, data, kb, lang)


def examples() -> list[str]:
    """File names of the shipped example profiles."""
    return example_names()


def load_example(name: str, kb: KnowledgeBase) -> Profile:
    if name not in examples():
        raise ProfileError(["not a shipped example"], name)
    return load_profile(EXAMPLES_DIR / name, kb)


def example_titles(kb: KnowledgeBase) -> dict[str, str]:
    """File name -> "title (file name)" of every shipped example."""
    titles = {}
    for name in examples():
        title = load_example(name, kb).title
        titles[name] = f"{title} ({name})" if title else name
    return titles


def report_markdown(assessment: Assessment, profile: Profile, kb: KnowledgeBase) -> str:
    return render(assessment, profile, kb, "markdown")


def report_pdf(assessment: Assessment, profile: Profile, kb: KnowledgeBase) -> bytes:
    title = profile.title or profile.id or "coopdec-expert"
    return markdown_pdf(report_markdown(assessment, profile, kb), title)


def markdown_pdf(markdown: str, title: str) -> bytes:
    return markdown_to_pdf(markdown, title)


def file_stem(profile: Profile, prefix: str = "evaluation") -> str:
    """A file name stem naming the partnership (its id, else its title, else its two local
    governments), ASCII letters, digits and dashes: `evaluation-koudougou-rennes`."""
    names = [side.name for side in (profile.south, profile.north) if side is not None]
    raw = profile.id or profile.title or " ".join(names) or "partenariat"
    ascii_text = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()[:60].strip("-")
    return f"{prefix}-{slug or 'partenariat'}"
