"""Fuzzing the input layer (issue 14), bounded: generated profiles (YAML and JSON bytes) and
tables (CSV bytes) never raise anything but the error meant for people, every refusal names a
field or a position, and a well-formed table with one cell removed loses or shifts no other row.
bench/bench_hostile_inputs.py runs the same checks on many more inputs for the README."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from coopdec_expert.screening.table import RequestTable

from .fuzz_inputs import check_profile, check_table, profile_files, table_files, well_formed_table

pytestmark = pytest.mark.slow  # `make test-fast` leaves it out; `uv run pytest` runs it

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(profile_files(), st.sampled_from(["fr", "en"]))
def test_profiles_are_accepted_or_refused_naming_the_field(kb, file, lang):
    name, data = file
    event(check_profile(name, data, kb, lang))


@FUZZ
@given(table_files())
def test_tables_are_read_or_refused_row_by_row(kb, file):
    name, data = file
    event(check_table(name, data, kb))


QUESTIONS = ["relationship.purpose", "context.political_stability"]
OPTIONS = {"relationship.purpose": ["projects", "relationship", "unknown"]}
OPTIONS["context.political_stability"] = ["stable", "fragile", "unknown"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_cell_removed_or_added_never_shifts_another_row(kb, data):
    """Rows of valid answers, one of them given a cell too few or too many: that row alone is
    rejected, every other row is assessed with exactly its own answers."""
    count = data.draw(st.integers(min_value=1, max_value=12))
    separator = data.draw(st.sampled_from([";", ","]))
    header = ["id", "south_name", "south_country", *QUESTIONS]
    expected = {}
    rows = []
    for index in range(count):
        answers = {q: data.draw(st.sampled_from(OPTIONS[q])) for q in QUESTIONS}
        name = data.draw(st.text(alphabet='ab ";,\n', min_size=1, max_size=6).filter(str.strip))
        rows.append([f"r{index}", name, "Mali", *answers.values()])
        expected[f"r{index}"] = answers
    broken = data.draw(st.integers(min_value=0, max_value=count - 1))
    if data.draw(st.booleans()):
        del rows[broken][data.draw(st.integers(min_value=1, max_value=len(header) - 1))]
    else:
        rows[broken].insert(data.draw(st.integers(min_value=1, max_value=4)), "extra")
    table_bytes = well_formed_table(rows, header, separator)
    note(repr(table_bytes))
    with RequestTable(table_bytes, "t.csv", kb, "en") as table:
        read = list(table.rows())
    assert [r.number for r in read] == list(range(2, count + 2))  # no row lost
    assert [r.number for r in read if r.profile is None] == [broken + 2]
    for row in read:
        if row.profile is not None:
            assert row.profile.answers == expected[row.profile.id]  # none shifted
