"""``monitor simulate``: writes a readable capture, its labels and routes, and says SYNTHETIC."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from monitor.capture import CaptureReader
from monitor.cli.simulate import simulate
from monitor.sim.labels import LabelSet


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("simulate")(simulate)

    @app.command("noop")
    def noop() -> None:  # a second command keeps typer from collapsing to a single one
        pass

    return app


def test_simulate_writes_capture_labels_and_routes(tmp_path: Path) -> None:
    out = tmp_path / "scn.jsonl.gz"
    result = CliRunner().invoke(
        _app(), ["simulate", "--out", str(out), "--hours", "0.5", "--seed", "7"]
    )
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.output and "monitor replay" in result.output
    records = list(CaptureReader(out))
    assert records and {r.feed for r in records} >= {"adsbx_v2", "aisstream", "ais_nmea"}
    labels = LabelSet.read(tmp_path / "scn_labels.json")
    assert labels.synthetic and labels.scenario == "demo"
    assert all(lab.start < labels.end for lab in labels.labels)
    assert (tmp_path / "scn_routes.csv").read_text().startswith("# SYNTHETIC")


def test_simulate_outage_variant_and_explicit_labels_path(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    lab = tmp_path / "truth" / "o.json"
    lab.parent.mkdir()
    result = CliRunner().invoke(
        _app(), ["simulate", "-o", str(out), "--labels-out", str(lab), "--outage"]
    )
    assert result.exit_code == 0, result.output
    labels = LabelSet.read(lab)
    assert labels.scenario == "outage" and not labels.of_kind("going_dark")
    assert out.read_bytes().startswith(b'{"feed"')


def test_simulate_rejects_a_bad_length(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        _app(), ["simulate", "-o", str(tmp_path / "x.jsonl"), "--hours", "9"]
    )
    assert result.exit_code != 0
    assert "hours" in result.output.lower()
