"""``monitor status`` as a user types it, on the demo scenario replayed into SQLite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli.app import app

DEMO = Path(__file__).resolve().parents[2] / "monitor/sim/data/demo_scenario.jsonl.gz"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('status') / 'demo.sqlite'}"
    result = CliRunner().invoke(app, ["--database-url", url, "replay", str(DEMO)])
    assert result.exit_code == 0, result.output
    return url


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def test_json_board_during_the_ban(db: str) -> None:
    r = run("--database-url", db, "status", "--at", "2026-01-03T12:00Z", "--format", "json")
    assert r.exit_code == 0, r.output
    board = json.loads(r.stdout)
    bound = sorted(f["fir"] for f in board["firs"] if f["binding_in_force"])
    assert bound == ["SVZM", "TJZS", "TNCF", "TTZP"]
    assert all(r["binds"] == "operators:US" and r["sources"]
               for f in board["firs"] for r in f["rules"] if r["binding"])


def test_table_names_the_rules_whom_they_bind_and_their_sources(db: str) -> None:
    r = run("--database-url", db, "status", "--at", "2026-01-03T12:00Z")
    assert r.exit_code == 0, r.output
    assert "4 binding rule(s) in force" in r.stdout
    assert "BINDING FAA prohibited" in r.stdout
    assert "US operators" in r.stdout
    assert "sources: " in r.stdout
    assert "Flights a day through SVZM: 2026-01-03" in r.stdout


def test_digest_says_nothing_binding_today(db: str) -> None:
    r = run("--database-url", db, "status", "--at", "2026-12-04T11:00Z", "--digest")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == (
        "Airspace digest 2026-12-04 11:00Z (2026-12-04 07:00 America/Caracas): nothing binding in force"
    )
    assert lines[2].startswith("Nothing binding in force. The last binding rule(s), FAA prohibited in SVZM, TJZS, TNCF, TTZP, binding US operators")
    assert "RULES IN FORCE\n- none" in r.stdout
    assert "REROUTES, LAST 24 H (0)" in r.stdout


def test_digest_during_the_ban_lists_rules_traffic_and_reroutes(db: str) -> None:
    r = run("--database-url", db, "status", "--at", "2026-01-03T13:00Z", "--digest")
    assert r.exit_code == 0, r.output
    text = r.stdout
    assert "- SVZM: BINDING FAA prohibited, binds US operators" in text
    assert "2026-01-03 06:00Z SVZM: FAA prohibited took effect" in text
    assert "TRAFFIC THROUGH SVZM" in text and "- 2026-01-03: " in text
    assert "DAL1121 KATL-SBGR: +199 km" in text
    assert "OPEN INCIDENTS" in text


def test_a_bad_time_is_one_line_and_exit_2(db: str) -> None:
    import sys

    from monitor.cli.app import main
    argv = sys.argv
    sys.argv = ["monitor", "--database-url", db, "status", "--at", "noon"]
    try:
        with pytest.raises(SystemExit) as exc:
            main()
    finally:
        sys.argv = argv
    assert exc.value.code == 2
