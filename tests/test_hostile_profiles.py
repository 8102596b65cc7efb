"""Tiny hostile profiles (issue 14): each refused while parsing with one short message naming the
problem and where it is, never a traceback, never the whole input echoed back."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from coopdec_expert.cli import app
from coopdec_expert.inputs import MAX_DEPTH, SHOWN_CHARS
from coopdec_expert.profile import ProfileError, profile_from_bytes

runner = CliRunner()


def alias_bomb(levels: int = 6) -> str:
    """The "billion laughs" under `answers:`: each level repeats the previous one nine times.
    Six levels (9**6 = 531,441 strings) finish in seconds without the guard, so that the test
    fails instead of hanging; the issue's 403-byte file had nine."""
    lines = ["answers:", '  l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels + 1):
        previous = ",".join([f"*l{level - 1}"] * 9)
        lines.append(f"  l{level}: &l{level} [{previous}]")
    return "\n".join(lines) + "\n"


def refusal(name: str, text: str, kb, lang: str = "en") -> str:
    with pytest.raises(ProfileError) as error:
        profile_from_bytes(name, text.encode(), kb, lang)
    return str(error.value)


def test_an_alias_bomb_is_refused_at_its_first_anchor(kb):
    text = alias_bomb()
    assert len(text) < 500
    message = refusal("bomb.yaml", text, kb)
    assert message == (
        "bomb.yaml: line 2, column 7: YAML aliases and anchors (& and *) are not accepted; "
        "write each value in full"
    )


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("deep.yaml", "answers: " + "[" * 500 + "]" * 500 + "\n", "line 1, column 29"),
        ("deep.json", '{"answers": ' + "[" * 1000 + "]" * 1000 + "}", "line 1, column 32"),
        ("deep.yaml", "answers:\n" + "".join(f"{'  ' * i}k{i}:\n" for i in range(1, 40)), ""),
        ("deep.json", '{"answers": {}, "id": ' + '{"k": ' * 600 + "1" + "}" * 600 + "}", ""),
    ],
)
def test_deep_nesting_is_refused_before_python_recurses(kb, name, text, where):
    message = refusal(name, text, kb)
    assert f"nested more than {MAX_DEPTH} levels deep" in message
    assert where in message
    assert len(message) < 300


def test_a_malformed_deep_json_is_still_a_syntax_error_when_shallow(kb):
    """The cheap depth check counts brackets; brackets that do not match are the JSON parser's
    to report, with its line and column."""
    message = refusal("bad.json", '{"answers": [}', kb)
    assert "not valid JSON at line 1, column 14" in message


@pytest.mark.parametrize(
    ("name", "text", "field"),
    [
        ("big.yaml", "answers:\n  search.partner_status: " + "9" * 5000, "search.partner_status"),
        ("big.yaml", "id: " + "9" * 5000 + "\nanswers: {}\n", "field 'id'"),
        ("big.json", '{"answers": {}, "date": ' + "9" * 5000 + "}", "field 'date'"),
        ("big.json", '{"answers": {"search.partner_status": -' + "1" * 4400 + "}}", "partner_st"),
    ],
)
def test_an_integer_too_long_for_python_names_its_field(kb, name, text, field):
    message = refusal(name, text, kb)
    assert field in message and "digits>" in message
    assert len(message) < 300


def test_values_quoted_in_messages_are_shortened(kb):
    huge = "x" * 100_000
    for text in (
        f"answers:\n  search.partner_status: [{huge}]\n",
        f"answers:\n  search.partner_status: {huge}\n",
        f"answers:\n  {huge}: searching\n",
        f"{huge}: 1\nanswers: {{}}\n",
    ):
        message = refusal("long.yaml", text, kb)
        assert len(message) < 400, message[:500]
        assert "x" * SHOWN_CHARS not in message


def test_cli_refuses_each_with_exit_2_and_one_line(tmp_path):
    cases = {
        "bomb.yaml": alias_bomb(),
        "deep.json": '{"answers": ' + "[" * 1000 + "]" * 1000 + "}",
        "int.yaml": "answers:\n  search.partner_status: " + "9" * 5000 + "\n",
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = runner.invoke(app, ["assess", str(path)])
        assert result.exit_code == 2, result.output[:500]
        assert result.stdout == ""
        message = result.stderr.strip()
        assert message.startswith("error: ") and "\n" not in message and len(message) < 400


def test_terminal_escape_sequences_in_a_file_name_are_not_printed(tmp_path):
    path = tmp_path / "\x1b[2J\x1b[31mprofil.yaml"
    path.write_text("answers:\n  nope: x\n", encoding="utf-8")
    result = runner.invoke(app, ["assess", str(path)])
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr and "[31mprofil.yaml" in result.stderr


def test_a_profile_error_keeps_its_problems_across_processes():
    """A screening worker's ProfileError reaches the parent with its problems intact (the
    default pickling passed the joined message back as the list of problems)."""
    import pickle

    from coopdec_expert.profile import ProfileError

    error = pickle.loads(pickle.dumps(ProfileError(["unknown question 'x'", "bad date"], "f.csv")))
    assert error.problems == ["unknown question 'x'", "bad date"] and error.source == "f.csv"
    assert str(error) == "f.csv: unknown question 'x'; bad date"
