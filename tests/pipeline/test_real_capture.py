"""`monitor replay` of the real recordings in ../shared (every feed kind, 2020-2023)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from monitor.cli.app import app


def test_replay_of_real_capture_completes_and_reports_what_it_skipped(samples_dir, tmp_path):
    capture = samples_dir / "real_capture.jsonl"
    report_path = tmp_path / "report.json"
    result = CliRunner().invoke(
        app,
        [
            "--database-url", f"sqlite:///{tmp_path / 'real.sqlite'}",
            "replay", str(capture), "--report", str(report_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "35 records" in result.output
    report = json.loads(report_path.read_text())
    assert report["records"] == 35
    assert report["bad_lines"] == {}
    # every kind produced observations, and what could not be used is counted by reason
    assert report["observations"] > 15_000
    skipped = report["skipped_items"]
    assert skipped["adsbx_v2:no_position"] > 0
    assert skipped.get("ais_nmea:bad_checksum", 0) >= 1
    assert any(k.startswith("ais_nmea:") for k in skipped)
    assert report["zone_versions"] > 0  # NGA warnings with coordinates became zones
    listed = CliRunner().invoke(
        app,
        ["--database-url", f"sqlite:///{tmp_path / 'real.sqlite'}", "zones", "list"],
    )
    assert listed.exit_code == 0, listed.output
    assert "NAVAREA" in listed.output or "HYDROLANT" in listed.output
