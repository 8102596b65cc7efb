"""The example profiles shipped with the package: their names, a one-line description of each
situation (the "Situation" column of examples/README.md, in French or English, which names no
verdict), and a copy for a user who has no repository to start from."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from .errors import CoopdecError
from .profile import PROFILE_SUFFIXES
from .resources import shipped

EXAMPLES_DIR = shipped("examples")
HEADINGS = {"en": "## English", "fr": "## Français"}
_ROW = re.compile(r"^\| `(?P<file>[^`]+)` \| (?P<situation>[^|]+?) \|")
_YAML = (".yaml", ".yml")


class ExampleError(CoopdecError):
    """A bad example name or target; `key` and `values` give the catalogue message."""

    def __init__(self, key: str, **values: object):
        self.key = key
        self.values = values
        super().__init__(f"{key}: {values}")


def example_names() -> list[str]:
    """File names of the shipped examples, sorted."""
    return sorted(p.name for p in EXAMPLES_DIR.iterdir() if p.suffix in PROFILE_SUFFIXES)


def descriptions(lang: str) -> dict[str, str]:
    """File name -> one-line situation, from the README's table in `lang`."""
    text = (EXAMPLES_DIR / "README.md").read_text(encoding="utf-8")
    heading = HEADINGS[lang]
    section = text.split(heading, 1)[1] if heading in text else ""
    section = section.split("\n## ", 1)[0]
    found = (_ROW.match(line) for line in section.splitlines())
    return {m["file"]: m["situation"].strip() for m in found if m}


SHEETS = "sheets"  # presentation sheets of partner matching (coopdec match), listed apart
_SHEET_ROW = re.compile(r"^\| `(?P<file>sheets/[^`]+)` \| (?P<en>[^|]+?) \| (?P<fr>[^|]+?) \|")


def sheet_names() -> list[str]:
    """The shipped presentation sheets, as `sheets/<file>`, sorted."""
    folder = EXAMPLES_DIR / SHEETS
    if not folder.is_dir():
        return []
    return sorted(f"{SHEETS}/{p.name}" for p in folder.iterdir() if p.suffix in PROFILE_SUFFIXES)


def sheet_descriptions(lang: str) -> dict[str, str]:
    """`sheets/<file>` -> one-line situation, from the README's table of sheets."""
    text = (EXAMPLES_DIR / "README.md").read_text(encoding="utf-8")
    found = (_SHEET_ROW.match(line) for line in text.splitlines())
    return {m["file"]: m[lang].strip() for m in found if m}


def example_path(name: str) -> Path:
    """The shipped file called `name`, with or without its extension (a sheet as
    `sheets/<file>`)."""
    names = example_names() + sheet_names()
    by_stem = {Path(n).with_suffix("").as_posix(): n for n in names}
    file = name if name in names else by_stem.get(name)
    if file is None:
        raise ExampleError("examples.unknown", name=name, allowed=", ".join(by_stem))
    return EXAMPLES_DIR / file


def copy_example(name: str, out: Path, force: bool = False) -> Path:
    """Copy an example to `out`: a file of the same kind (YAML or JSON), or a folder (made if
    needed) that receives it under its own name. An existing file is kept unless `force`."""
    source = example_path(name)
    allowed = _YAML if source.suffix in _YAML else (".json",)
    if out.suffix.lower() in PROFILE_SUFFIXES and not out.is_dir():
        if out.suffix.lower() not in allowed:
            raise ExampleError(
                "examples.bad_suffix", path=out, example=source.name, allowed=", ".join(allowed)
            )
        target = out
    else:
        target = out / source.name
    if target.is_dir() or (target.exists() and not force):
        raise ExampleError("examples.exists", path=target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    except OSError as error:
        raise ExampleError("examples.cannot_write", path=target, reason=error.strerror) from None
    return target
