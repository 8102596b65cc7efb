"""Interface strings, one YAML catalogue per language (coopdec_expert/locales/*.yaml).

French texts follow French typography whatever the catalogue's spaces: a narrow no-break space
(U+202F) before « : ; ! ? » and inside « guillemets », so that a colon never starts a line and
"Sud:" never shows. Counts agree with their noun through `tn` (`key.one` / `key.other`).
"""

from __future__ import annotations

import re
from functools import cache

import yaml

from .resources import package_data

LOCALES_DIR = package_data("locales")
LANGUAGES = ("fr", "en")
NARROW_NBSP = "\u202f"
_BEFORE_PUNCTUATION = re.compile(r"[ \u00a0]([:;!?»])")
_AFTER_GUILLEMET = re.compile(r"«[ \u00a0]")


def french_spacing(text: str) -> str:
    """French typography for a text of the interface or of the knowledge base: the space written
    before : ; ! ? and », and after «, becomes a narrow no-break space (so the sign never starts
    a line). A sign written without a space (`answers:`, `https://`, `12:30`) stays as it is."""
    spaced = _BEFORE_PUNCTUATION.sub(NARROW_NBSP + r"\1", text)
    return _AFTER_GUILLEMET.sub("«" + NARROW_NBSP, spaced)


@cache
def catalogue(lang: str) -> dict[str, str]:
    if lang not in LANGUAGES:
        raise ValueError(f"language '{lang}' not supported; allowed: {', '.join(LANGUAGES)}")
    text = (LOCALES_DIR / f"{lang}.yaml").read_text(encoding="utf-8")
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    texts = {str(key): str(value) for key, value in data.items()}
    if lang == "fr":
        texts = {key: french_spacing(value) for key, value in texts.items()}
    return texts


def t(lang: str, key: str, **values: object) -> str:
    """The text for `key` in `lang`, with {named} fields filled in."""
    text = catalogue(lang)[key]
    return text.format(**values) if values else text


def plural_form(lang: str, n: int) -> str:
    """`one` or `other`: French counts 0 and 1 in the singular, English only 1."""
    if lang == "fr":
        return "one" if abs(n) < 2 else "other"
    return "one" if abs(n) == 1 else "other"


def tn(lang: str, key: str, n: int, **values: object) -> str:
    """`t` of `key.one` or `key.other` as `n` asks, with {n} filled in too."""
    return t(lang, f"{key}.{plural_form(lang, n)}", n=n, **values)
