"""Real traffic placed over the San Juan FIR on the day of the FAA ban and after it.

The readsb snapshot of the Caribbean (306 real aircraft, 30 April 2022; see
``../shared/reference/samples/SOURCES.md``) is re-dated and every airborne aircraft placed at a
point inside TJZS, then replayed through the whole monitor (``monitor replay``: shipped zones,
shipped identity tables, the configured detectors). Dated inside the FAA's 3 January 2026
prohibition (which bound US operators only), incursions are raised for US operators and
US-registered aircraft only; dated after the FAA removed its notices (29 January), none.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import shapely
from typer.testing import CliRunner

from monitor.capture import CaptureRecord, CaptureWriter
from monitor.cli.app import app
from monitor.identity.aircraft import AircraftIdentifier
from monitor.identity.tables import default_tables
from monitor.zones.bundled import load_bundled_zones

BAN_DAY = datetime(2026, 1, 3, 12, 0, tzinfo=UTC)
AFTER_REMOVAL = datetime(2026, 1, 30, 12, 0, tzinfo=UTC)
#: carriers of other States seen in the snapshot: never bound by the US ban
FOREIGN = ("AMX", "CMP", "AVA", "VOI", "ACA", "VIV", "KLM", "LAN", "AAR", "DLA", "IBE")


def _points_inside_tjzs(n: int) -> list[tuple[float, float]]:
    """``n`` distinct points inside the San Juan FIR, on a regular grid."""
    fir = next(v for v in load_bundled_zones() if v.key == "FIR-TJZS@v1").geometry
    minx, miny, maxx, maxy = fir.bounds
    pts: list[tuple[float, float]] = []
    steps = 60
    for i in range(steps):
        for j in range(steps):
            x = minx + (maxx - minx) * (i + 0.5) / steps
            y = miny + (maxy - miny) * (j + 0.5) / steps
            if fir.contains(shapely.Point(x, y)) and fir.exterior.distance(shapely.Point(x, y)) > 0.2:
                pts.append((round(x, 4), round(y, 4)))
    assert len(pts) >= n
    return pts[:: max(1, len(pts) // n)][:n]


def _capture(samples_dir: Path, when: datetime, path: Path) -> list[dict]:
    body = json.loads(
        (samples_dir / "adsbx_readsb_aircraft_caribbean_subset_20220430T235959Z.json").read_text()
    )
    flying = [
        a for a in body["aircraft"]
        if "lat" in a and "lon" in a and a.get("alt_baro") not in (None, "ground")
    ]
    for a, (lon, lat) in zip(flying, _points_inside_tjzs(len(flying)), strict=True):
        a["lon"], a["lat"] = lon, lat
        a["seen_pos"] = a["seen"] = 0.5
    with CaptureWriter(path) as w:
        for k in range(3):  # three snapshots a minute apart
            t = when.timestamp() + 60 * k
            w.write(CaptureRecord(
                feed="adsbx_v2",
                received_at=datetime.fromtimestamp(t, UTC),
                body={**body, "now": t, "aircraft": flying},
            ))
    return flying


def _incursions(tmp_path: Path, samples_dir: Path, when: datetime) -> tuple[list[dict], list[dict]]:
    capture = tmp_path / f"tjzs_{when:%Y%m%d}.jsonl"
    flying = _capture(samples_dir, when, capture)
    url = f"sqlite:///{tmp_path / f'tjzs_{when:%Y%m%d}.sqlite'}"
    runner = CliRunner()
    res = runner.invoke(app, ["--database-url", url, "replay", str(capture)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app, ["--database-url", url, "incidents", "--kind", "incursion", "--format", "json",
              "--limit", "1000"]
    )
    assert res.exit_code == 0, res.output
    return flying, json.loads(res.stdout)


@pytest.mark.slow
def test_on_the_ban_day_only_us_operators_are_bound(tmp_path: Path, samples_dir: Path) -> None:
    flying, rows = _incursions(tmp_path, samples_dir, BAN_DAY)
    assert len(flying) > 200
    by_hex = {a["hex"]: a for a in flying}
    ident = AircraftIdentifier(default_tables())
    raised = {r["subject_id"] for r in rows}
    assert rows, "no incursion on the ban day"
    for r in rows:
        a = by_hex[r["subject_id"]]
        callsign = (a.get("flight") or "").strip()
        assert r["zone_id"] == "TJZS"
        assert callsign[:3] not in FOREIGN, f"{callsign} is a foreign carrier: not bound"
        assert not (a.get("dbFlags", 0) & 1), f"{callsign} is military: exempt"
        details = r["details"]
        assert details["binds"] == "operators:US" and details["rule"] == "TJZS@v2"
        assert details["bound"] in ("bound", "possibly")
        if details["bound"] == "bound":
            assert r["severity"] == "critical"
            assert details["registry"] == "US" or details["operator"] in {
                d.icao for d in ident.tables.designators.values() if d.iso2 == "US"
            }
        else:
            assert r["severity"] != "critical"
    # every aircraft that says it is a US airline or carries an N-number is among them
    for a in flying:
        callsign = (a.get("flight") or "").strip()
        reg = a.get("r") or ""
        if a.get("dbFlags", 0) & 1:
            assert a["hex"] not in raised
        elif callsign[:3] in ("AAL", "JBU", "DAL", "UAL", "SWA", "NKS", "FFT") or (
            reg.startswith("N") and callsign[:3] not in FOREIGN and not callsign[:3].isalpha()
        ):
            assert a["hex"] in raised, f"{callsign} {reg} is a US operator: bound"
        elif callsign[:3] in FOREIGN:
            assert a["hex"] not in raised
    bound = sum(r["details"]["bound"] == "bound" for r in rows)
    print(f"ban day: {len(flying)} aircraft over TJZS, {len(rows)} incursions ({bound} bound)")


@pytest.mark.slow
def test_after_the_removal_nobody_is_bound(tmp_path: Path, samples_dir: Path) -> None:
    flying, rows = _incursions(tmp_path, samples_dir, AFTER_REMOVAL)
    assert len(flying) > 200 and rows == []
