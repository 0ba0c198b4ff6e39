"""The CLI keeps the API's contract: an unknown zone is an error naming it (the API's 400),
a query against a database that does not exist says so (and creates nothing), and the
table does not cut text mid-word."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli.app import app
from monitor.store import Store
from tests.web import scenario


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("contract") / "c.sqlite"
    store = Store.open(f"sqlite:///{path}")
    try:
        scenario.fill_store(store, scenario.load())
    finally:
        store.close()
    return f"sqlite:///{path}"


def _monitor(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli.app", *args],
        capture_output=True, text=True, timeout=120, cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"},
    )


@pytest.mark.parametrize("command", [["incidents"], ["map", "--out", "m.html"]])
def test_an_unknown_zone_is_an_error_naming_it(db: str, tmp_path: Path, command: list[str]) -> None:
    proc = _monitor("--database-url", db, *command, "--zone", "NOPE", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--zone: unknown zone 'NOPE'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "m.html").exists()


def test_a_known_zone_still_answers(db: str) -> None:
    result = CliRunner().invoke(app, ["--database-url", db, "incidents", "--zone", "SVZM", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert ",SVZM," in result.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["incidents"],
        ["map", "--out", "m.html"],
        ["zones", "list"],
        ["zones", "show", "SVZM"],
        ["zones", "history", "SVZM"],
    ],
)
def test_a_query_against_a_missing_database_says_so_and_creates_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    missing = tmp_path / "var" / "nothing-here.sqlite"
    proc = _monitor("--database-url", f"sqlite:///{missing}", *command, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "no database at" in proc.stderr and "nothing-here.sqlite" in proc.stderr.replace("\n", "")
    assert "Traceback" not in proc.stderr
    assert not missing.exists()
    assert not (tmp_path / "m.html").exists()


def test_table_cells_wrap_at_word_boundaries(db: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "monitor.cli.app", "--database-url", db, "incidents"],
        capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "COLUMNS": "90"},
    )
    assert proc.returncode == 0, proc.stderr
    words = {w for line in proc.stdout.splitlines() for w in line.replace("│", " ").split()}
    # every word of the summaries appears whole in some line (wrapped, never cut)
    for summary in ("LAV123 airborne inside SVZM at FL350", "MAR AZUL stopped transmitting in STRIKE-EAST"):
        for word in summary.split():
            assert word in words, (word, proc.stdout)
