"""The identity detectors on the real recordings (``../shared/reference/samples/real_capture.jsonl``:
readsb 2022, OpenSky 2023, real NMEA logs and aisstream frames; see its SOURCES.md).

* identity_change: the real AIS static data is recorded per MMSI (name, call sign, IMO,
  type, destination) and raises no change for vessels whose reports agree;
* operator_return: an operator seen in the 2022 snapshot and again in the 2023 one is
  "back" after the gap between them, and only such operators.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from monitor.cli.app import app
from monitor.store import Store


@pytest.fixture(scope="module")
def replayed(samples_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('real') / 'real.sqlite'}"
    res = CliRunner().invoke(app, ["--database-url", url, "replay", str(samples_dir / "real_capture.jsonl")])
    assert res.exit_code == 0, res.output
    return url


def _incidents(url: str, kind: str) -> list[dict]:
    res = CliRunner().invoke(
        app, ["--database-url", url, "incidents", "--kind", kind, "--format", "json", "--limit", "1000"]
    )
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.mark.slow
def test_real_static_data_is_kept_per_mmsi_and_raises_no_change(replayed: str) -> None:
    store = Store.open(replayed, migrate_schema=False)
    try:
        with store.engine.connect() as conn:
            rows, mmsis = conn.execute(
                text("SELECT count(*), count(DISTINCT mmsi) FROM vessel_identity_history")
            ).one()
    finally:
        store.close()
    assert mmsis >= 100 and rows >= mmsis  # every vessel that sent static data has a history
    assert _incidents(replayed, "identity_change") == []


@pytest.mark.slow
def test_operators_back_after_the_gap_between_the_real_snapshots(replayed: str) -> None:
    returns = _incidents(replayed, "operator_return")
    assert returns, "no operator flew in both the 2022 and the 2023 snapshots"
    for r in returns:
        d = r["details"]
        # the days in between without any flight of the operator
        empty = (date.fromisoformat(d["day"]) - date.fromisoformat(d["last_seen_day"])).days - 1
        assert d["gap_days"] == empty >= 7
        assert d["last_seen_day"] == "2022-04-30" and d["day"] == "2023-08-28"
        assert r["severity"] == "info"
