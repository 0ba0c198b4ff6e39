"""The `monitor` command as a user types it: queries, exports, and mistakes."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from monitor.capture import CaptureWriter
from monitor.cli.app import app
from tests.pipeline.fixtures import v2_aircraft, v2_record

#: inside the FAA's prohibition for US operators (2026-01-03 06:00Z to 01-04 05:00Z)
BAN = datetime(2026, 1, 3, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """A database holding the incursion of one US-registered flight that crosses SVZM on the
    day the FAA prohibited US operators there (shipped zones)."""
    tmp = tmp_path_factory.mktemp("cli")
    capture = tmp / "flight.jsonl"
    with CaptureWriter(capture) as w:
        for i in range(30):  # 10:00 to 10:29, westbound from Trinidad over Venezuela
            w.write(v2_record(BAN + timedelta(minutes=i),
                              [v2_aircraft("a6b5c4", -61.5 - 0.25 * i, 8.0, flight="N518JA  ")]))
    url = f"sqlite:///{tmp / 'cli.sqlite'}"
    result = CliRunner().invoke(app, ["--database-url", url, "replay", str(capture)])
    assert result.exit_code == 0, result.output
    return url


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_incidents_json_lists_the_incursion(db):
    result = run("--database-url", db, "incidents", "--zone", "SVZM", "--kind", "incursion", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["kind"], r["subject_id"], r["zone_id"]) for r in rows] == [("incursion", "a6b5c4", "SVZM")]
    assert rows[0]["subject_label"] == "N518JA"


def test_geojson_csv_and_kml_carry_the_same_incident(db, tmp_path):
    gj = json.loads(run("--database-url", db, "incidents", "--format", "geojson", "--kind", "incursion").stdout)
    assert gj["type"] == "FeatureCollection"
    feature = gj["features"][0]
    assert feature["geometry"]["type"] == "LineString"
    assert feature["properties"]["url"].endswith(f"/incidents/{feature['id']}")
    rows = list(csv.DictReader(io.StringIO(run("--database-url", db, "incidents", "--format", "csv", "--kind", "incursion").stdout)))
    assert rows[0]["subject_id"] == "a6b5c4" and rows[0]["wkt"].startswith("LINESTRING")
    out = tmp_path / "x.kml"
    assert run("--database-url", db, "incidents", "--format", "kml", "--out", str(out)).exit_code == 0
    assert "<Placemark>" in out.read_text() and "a6b5c4" in out.read_text()


def test_table_is_the_default(db):
    result = run("--database-url", db, "incidents")
    assert result.exit_code == 0
    assert "incursion" in result.stdout and "SVZM" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["incidents", "--kind", "ufo"], "--kind: unknown kind 'ufo'"),
        (["incidents", "--bbox", "1,2,3"], "bbox: expected min_lon,min_lat,max_lon,max_lat"),
        (["incidents", "--since", "last tuesday"], "--since: not an ISO-8601 time"),
        (["incidents", "--since", "2025-12-03", "--until", "2025-12-01"], "since:"),
        (["incidents", "--severity", "extreme"], "--severity: unknown severity"),
        (["replay", "no-such-file.jsonl"], "does not exist"),
    ],
)
def test_user_mistakes_print_a_message_not_a_traceback(db, args, message):
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "monitor.cli.app", "--database-url", db, *args],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_static_map_is_written(db, tmp_path):
    out = tmp_path / "map.html"
    result = run("--database-url", db, "map", "--out", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "a6b5c4" in html or "N518JA" in html
    # self-contained: scripts and styles are inline, nothing is fetched from elsewhere
    assert re.search(r"""<script[^>]*\bsrc=["']https?://""", html) is None
    assert re.search(r"""<link[^>]*\bhref=["']https?://""", html) is None
    assert re.search(r"""<img[^>]*\bsrc=["']https?://""", html) is None
