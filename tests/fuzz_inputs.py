"""Generated hostile inputs (hypothesis strategies) and what must hold for each, shared by the
fuzz tests (tests/test_fuzz_inputs.py, bounded) and bench/bench_hostile_inputs.py (many more).

Every input is at most a few kilobytes, so each is processed in bounded time by construction:
the guards (no aliases, depth <= 20, capped numbers, lines and cells) are what keeps a small
input small once parsed. A check returns a short tag of the outcome and raises AssertionError
when the input layer misbehaves: any exception other than the one for people (ProfileError,
TableError), a refusal that names no field or position, a message quoting unbounded input.
"""

from __future__ import annotations

import csv
import io
import json
import re

import yaml
from hypothesis import strategies as st

from coopdec_expert.profile import ProfileError, profile_from_bytes
from coopdec_expert.screening.table import RequestTable, TableError

MAX_PROBLEM_CHARS = 600  # one problem, its quoted value shortened to 60 characters included
OPTIONS = {
    "search.partner_status": ["not_started", "searching", "potential_partner", "unknown"],
    "relationship.purpose": ["funding_counter", "projects", "relationship", "unknown"],
    "context.political_stability": ["unstable", "fragile", "stable", "unknown"],
    "south.elected_executive": ["appointed", "elected", "unknown"],
    "agreement.status": ["none", "drafting", "signed", "unknown"],
}
QUESTION_IDS = list(OPTIONS)
KEYS = ["answers", "id", "title", "date", "north", "south", "requester", "notes", "kind"]
KEYS += ["anwsers", "x" * 70, "", "<<", "name", "country", *QUESTION_IDS]
# What a refusal may name instead of a field: the file as a whole, or a position in it.
WHOLE_FILE = (
    "the file is empty",
    "the profile is empty",
    "not a UTF-8 text file",
    "expected a mapping",
    "larger than",
    "file type",
    "le fichier est vide",
    "le profil est vide",
    "pas un fichier texte UTF-8",
    "un tableau de clés",
    "fichier de plus de",
    "type de fichier",
)
_NAMED = re.compile(r"(?:line|ligne) \d+|field '|question '|'[^']*'|\"[^\"]*\"|«[^»]*»")


# --- strategies --------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["searching", "stable", "relationship", "unknown", "2026-05-12", "0"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)
    ),
    max_leaves=20,
)
documents = st.dictionaries(st.sampled_from(KEYS), values, max_size=8)
government = st.fixed_dictionaries(
    {"name": st.text(min_size=1, max_size=30), "country": st.text(min_size=1, max_size=30)}
)
valid_documents = st.fixed_dictionaries(
    {
        "answers": st.fixed_dictionaries(
            {}, optional={q: st.sampled_from(o) for q, o in OPTIONS.items()}
        )
    },
    optional={
        "id": st.text(max_size=30),
        "title": st.text(max_size=60),
        "date": st.sampled_from(["2026-05-12", "2012-02-30", "12/05/2026"]),
        "south": government,
        "north": government,
        "requester": st.sampled_from(["north", "south", "nord"]),
    },
)


@st.composite
def hostile_snippets(draw, json_text: bool) -> str:
    """The constructs of issue 14, at random sizes and places, in YAML or JSON."""
    kind = draw(st.sampled_from(["alias", "deep", "deep_flow", "number", "duplicate", "long"]))
    depth = draw(st.integers(min_value=1, max_value=60))
    key = draw(st.sampled_from(KEYS))
    if json_text:
        return {
            "alias": '{"answers": {"a": "&x", "b": "*x"}}',
            "deep": '{"answers": ' + '{"k": ' * depth + "1" + "}" * depth + "}",
            "deep_flow": '{"answers": ' + "[" * depth + "]" * depth + "}",
            "number": '{"answers": {}, "id": ' + "9" * draw(st.integers(1, 6000)) + "}",
            "duplicate": f'{{"answers": {{}}, "{key}": "a", "{key}": "b"}}',
            "long": '{"answers": {"search.partner_status": "' + "z" * draw(st.integers(0, 3000)),
        }[kind]
    return {
        "alias": "answers:\n  a: &x [lol, lol]\n  b: [*x, *x]\n",
        "deep": "answers:\n" + "".join(f"{'  ' * i}k{i}:\n" for i in range(1, depth)),
        "deep_flow": "answers: " + "[" * depth + "]" * depth + "\n",
        "number": f"id: {'9' * draw(st.integers(1, 6000))}\nanswers: {{}}\n",
        "duplicate": f"answers: {{}}\n'{key}': a\n'{key}': b\n",
        "long": f"answers:\n  search.partner_status: {'z' * draw(st.integers(0, 3000))}\n",
    }[kind]


def _yaml(document: dict) -> str:
    return yaml.safe_dump(document, allow_unicode=True)


def _json(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, default=str)


@st.composite
def profile_files(draw) -> tuple[str, bytes]:
    """(file name, bytes): serialised documents, hostile snippets, mutations, raw bytes."""
    suffix = draw(st.sampled_from([".yaml", ".json", ".yml"]))
    source = draw(st.sampled_from(["valid", "document", "snippet", "raw", "mutated"]))
    if source == "raw":
        return "p" + suffix, draw(st.binary(max_size=400))
    if source == "snippet":
        text = draw(hostile_snippets(json_text=suffix == ".json"))
    else:
        document = draw(valid_documents if source in ("valid", "mutated") else documents)
        text = _json(document) if suffix == ".json" else _yaml(document)
    if source == "mutated" and text:
        position = draw(st.integers(min_value=0, max_value=len(text)))
        insert = draw(st.sampled_from(["&a ", "*a", "[", "{", "}", '"', "\n  ", ": ", "\x00"]))
        cut = draw(st.integers(min_value=0, max_value=5))
        text = text[:position] + insert + text[position + cut :]
    return "p" + suffix, text.encode("utf-8")


CELLS = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
    st.sampled_from(['"', '""', ";", ",", "\n", "\r\n", "#x", "=1+1", "$$", "", " "]),
    st.sampled_from(["projects", "stable", "relationship", "unknown", "Mali", "0", "12/05/2026"]),
)
HEADERS = ["id", "south_name", "south_country", "date", "relationship.purpse", "colonne"]
HEADERS += QUESTION_IDS


@st.composite
def table_files(draw) -> tuple[str, bytes]:
    """(file name, bytes) of a CSV: a header of real or misspelt columns, rows of awkward
    cells joined by hand (so quotes and separators break the format), in one of the encodings
    ministries send."""
    separator = draw(st.sampled_from([";", ",", "\t"]))
    header = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=6))
    if draw(st.integers(0, 9)) < 7:  # most tables have their id column
        header = ["id", *header]
    rows = draw(st.lists(st.lists(CELLS, max_size=8), max_size=12))
    text = "\n".join(separator.join(row) for row in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()):
        data += draw(st.binary(max_size=20))
    return "t.csv", data


# --- checks ------------------------------------------------------------------------------


def _check_problem(problem: str) -> None:
    assert problem and len(problem) <= MAX_PROBLEM_CHARS, problem[:200]
    named = _NAMED.search(problem) or any(phrase in problem for phrase in WHOLE_FILE)
    assert named, f"a refusal that names no field or position: {problem!r}"


def check_profile(name: str, data: bytes, kb, lang: str = "en") -> str:
    """Read a profile file's bytes as the CLI and the app do; return the outcome's tag."""
    try:
        profile_from_bytes(name, data, kb, lang)
    except ProfileError as error:
        assert error.problems, "a refusal without a problem"
        for problem in error.problems:
            _check_problem(problem)
        return "refused"
    return "accepted"


def check_table(name: str, data: bytes, kb, lang: str = "en") -> str:
    """Open a table and read every row; return the outcome's tag."""
    try:
        table = RequestTable(data, name, kb, lang)
    except TableError as error:
        message = str(error)
        assert "\n" not in message and len(message) <= MAX_PROBLEM_CHARS + 200, message[:200]
        return "refused"
    with table:
        for row in table.rows():
            assert (row.profile is None) == bool(row.problems), row
            for problem in row.problems:  # the column is the field ("(whole row)" at worst)
                assert problem.row >= 1 and problem.column and problem.problem, problem
                assert len(problem.value) <= 60, problem.value
                assert len(problem.problem) <= MAX_PROBLEM_CHARS, problem.problem[:200]
    return "read"


def well_formed_table(rows: list[list[str]], header: list[str], separator: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=separator, lineterminator="\n").writerows([header, *rows])
    return buffer.getvalue().encode("utf-8")
