"""Interface strings, one YAML catalogue per language (coopdec_expert/locales/*.yaml)."""

from __future__ import annotations

from functools import cache

import yaml

from .resources import package_data

LOCALES_DIR = package_data("locales")
LANGUAGES = ("fr", "en")


@cache
def catalogue(lang: str) -> dict[str, str]:
    if lang not in LANGUAGES:
        raise ValueError(f"language '{lang}' not supported; allowed: {', '.join(LANGUAGES)}")
    text = (LOCALES_DIR / f"{lang}.yaml").read_text(encoding="utf-8")
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return {str(key): str(value) for key, value in data.items()}


def t(lang: str, key: str, **values: object) -> str:
    """The text for `key` in `lang`, with {named} fields filled in."""
    text = catalogue(lang)[key]
    return text.format(**values) if values else text
