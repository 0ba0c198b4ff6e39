"""`monitor zones ...` against an in-memory store: what a user sees, and exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli.zones import app
from tests.zones.conftest import FIXTURES, MemoryZoneStore

runner = CliRunner()
WIDE = {"COLUMNS": "250"}


def run(*args: str):
    return runner.invoke(app, list(args), env=WIDE)


def test_history_svzm_shows_versions_and_authorities(cli_store: MemoryZoneStore) -> None:
    result = run("history", "SVZM")
    assert result.exit_code == 0, result.output
    out = result.output
    for text in (
        "FAA NOTAM KICZ A0012/25",
        "US President (statement, not a NOTAM)",
        "EASA",
        "2025-11-21T17:43:00Z",
        "2026-02-19T23:59:00Z",
        "prohibited",
        "advisory",
        "statement",
        "lifted",
    ):
        assert text in out, text
    rows = [line for line in out.splitlines() if line.startswith("│ ")]
    assert [r.split("│")[1].strip() for r in rows if r.split("│")[1].strip()] == [
        str(n) for n in range(1, 14)
    ]


def test_show_names_the_governing_version_at_a_time(cli_store: MemoryZoneStore) -> None:
    jan = run("show", "SVZM", "--at", "2026-01-03T12:00Z")
    assert jan.exit_code == 0
    assert "SVZM@v8 (prohibited)" in jan.output
    nov = run("show", "SVZM", "--at", "2025-11-25T12:00Z")
    assert "SVZM@v2 (advisory)" in nov.output and "SVZM@v1 FAA (advisory)" in nov.output


def test_list_in_force_and_kind_filter(cli_store: MemoryZoneStore) -> None:
    result = run("list", "--at", "2025-11-20T00:00Z", "--in-force", "--kind", "closed_airspace")
    assert result.exit_code == 0
    assert "0 zone(s)" in result.output  # nothing closed before the advisory
    result = run("list", "--at", "2026-01-03T12:00Z", "--kind", "closed_airspace")
    assert "SVZM" in result.output and "TTZP" in result.output and "4 zone(s)" in result.output


def test_import_geojson_then_reimport_is_idempotent(cli_store: MemoryZoneStore) -> None:
    path = FIXTURES / "watch_areas.geojson"
    first = run("import", str(path), "--authority", "desk")
    assert first.exit_code == 0, first.output
    assert "WATCH-PARAGUANA@v1" in first.output and "TFR-MARGARITA@v1" in first.output
    assert sorted(v.key for v in cli_store.versions) == ["TFR-MARGARITA@v1", "WATCH-PARAGUANA@v1"]
    assert {v.authority for v in cli_store.versions} == {"desk", "INAC (example)"}
    again = run("import", str(path), "--authority", "desk")
    assert again.exit_code == 0 and "2 feature(s) already held" in again.output
    assert len(cli_store.versions) == 2
    # the same area from another authority is that authority's declaration of the zone
    other = run("import", str(path), "--authority", "coast guard")
    assert "WATCH-PARAGUANA@v2" in other.output and "1 feature(s) already held" in other.output
    assert cli_store.versions[-1].authority == "coast guard"
    assert cli_store.versions[-1].change.value == "declare"


def test_import_kml_dry_run_stores_nothing(cli_store: MemoryZoneStore) -> None:
    result = run("import", str(FIXTURES / "watch_areas.kml"), "--dry-run")
    assert result.exit_code == 0 and "would import" in result.output
    assert "WATCH-GULF-PARIA@v1" in result.output
    assert cli_store.versions == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["import", str(FIXTURES / "bad_ring.kml")],
            "feature 1 (id 'OPEN-RING', name 'forgot to close')",
        ),
        (["import", "no/such/file.geojson"], "no such file"),
        (["import", str(FIXTURES / "README.md")], "unknown zone file type"),
        (["history", "NOPE"], "unknown zone 'NOPE'"),
        (["show", "svzm"], "did you mean SVZM"),
        (["list", "--at", "yesterday"], "--at: 'yesterday' is not an ISO-8601 time"),
        (["declare", "NEW-ONE", "--authority", "me", "--kind", "watch_area"], "give it a geometry"),
        (
            ["declare", "NEW-ONE", "--authority", "me", "--kind", "watch_area", "--bbox", "1,2,3"],
            "--bbox '1,2,3'",
        ),
        (
            [
                "declare",
                "NEW-ONE",
                "--authority",
                "me",
                "--kind",
                "watch_area",
                "--bbox",
                "-70,11,-69,12",
                "--floor",
                "FL200",
                "--ceiling",
                "FL100",
            ],
            "floor 20000 ft is above ceiling 10000 ft",
        ),
        (["lift", "TJZS", "--at", "2026-02-01"], "was lifted by FAA"),
        (["amend", "MPZL", "--from", "2026-02-01"], "nothing to amend"),
    ],
)
def test_user_mistakes_exit_2_without_traceback(
    cli_store: MemoryZoneStore, args: list[str], message: str
) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_declare_amend_lift_round(cli_store: MemoryZoneStore, tmp_path: Path) -> None:
    declared = run(
        "declare",
        "WATCH-Z",
        "--authority",
        "desk",
        "--kind",
        "watch_area",
        "--name",
        "Z box",
        "--bbox",
        "-70,11,-69,12",
        "--from",
        "2026-01-05T00:00Z",
        "--applies-to",
        "vessels",
    )
    assert declared.exit_code == 0, declared.output
    amended = run("amend", "WATCH-Z", "--status", "closed", "--from", "2026-01-06T00:00Z")
    assert amended.exit_code == 0, amended.output
    lifted = run("lift", "WATCH-Z", "--at", "2026-01-08T00:00Z", "--source-ref", "desk memo 7")
    assert lifted.exit_code == 0, lifted.output
    keys = [(v.key, v.change.value, v.status.value, v.authority) for v in cli_store.versions]
    assert keys == [
        ("WATCH-Z@v1", "declare", "active", "desk"),
        ("WATCH-Z@v2", "amend", "closed", "desk"),
        ("WATCH-Z@v3", "lift", "lifted", "desk"),
    ]
    history = run("history", "WATCH-Z")
    assert "desk memo 7" in history.output and "2026-01-08T00:00:00Z" in history.output


def test_declare_like_a_fir_and_amend_a_shipped_zone(cli_store: MemoryZoneStore) -> None:
    res = run(
        "declare",
        "TTZO",
        "--authority",
        "FAA",
        "--kind",
        "closed_airspace",
        "--status",
        "prohibited",
        "--like",
        "FIR-TTZO",
        "--from",
        "2026-01-04",
    )
    assert res.exit_code == 0, res.output
    (v,) = cli_store.versions
    assert v.key == "TTZO@v1" and v.geometry.area > 100
    res = run(
        "amend", "SVZM", "--authority", "AESA (Spain)", "--to", "2026-03-01", "--from", "2026-02-10"
    )
    assert res.exit_code == 0, res.output
    assert cli_store.versions[-1].key == "SVZM@v14"
    assert cli_store.versions[-1].authority == "AESA (Spain)"
