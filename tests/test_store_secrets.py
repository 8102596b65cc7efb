"""The register's URL may hold a password (issue 14): every message masks it, on the command line
and in the store's errors, whatever the driver says back."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from coopdec_expert.cli import app
from coopdec_expert.screening.store import Store, StoreError, masked_url

runner = CliRunner()
PASSWORD = "S3cret-Pa55word"
URLS = [
    f"postgresql+psycopg://coopdec:{PASSWORD}@127.0.0.1:9/registre",  # driver missing
    f"nonsense://coopdec:{PASSWORD}@127.0.0.1/registre",  # no such dialect
    f"postgresql://coopdec:{PASSWORD}@127.0.0.1:notaport/registre",  # does not parse
    f"postgresql://coopdec:{PASSWORD}@x@127.0.0.1:9:9/registre",  # unescaped @ in the password
]


@pytest.mark.parametrize("url", URLS)
def test_store_errors_mask_the_password(url):
    with pytest.raises(StoreError) as error:
        Store(url)
    message = str(error.value)
    assert PASSWORD not in message and "Pa55" not in message, message
    assert "coopdec:***@" in message, message
    assert PASSWORD not in masked_url(url)


@pytest.mark.parametrize("command", ["screen", "history", "rescreen"])
def test_the_command_line_never_prints_the_password(tmp_path, command):
    table = tmp_path / "d.csv"
    table.write_text("id;relationship.purpose\nbf-1;relationship\n", encoding="utf-8")
    args = {
        "screen": ["screen", str(table), "--out", str(tmp_path / "out"), "--workers", "1"],
        "history": ["history", "bf-1"],
        "rescreen": ["rescreen", "--workers", "1"],
    }[command]
    result = runner.invoke(app, [*args, "--store", URLS[0]])
    assert result.exit_code == 2, result.output
    assert PASSWORD not in result.output and PASSWORD not in result.stderr
    assert "coopdec:***@127.0.0.1:9/registre" in result.stderr
    assert "Traceback" not in result.stderr
