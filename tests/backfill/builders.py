"""Tiny builders of archive files for the backfill tests (made-up rows in the real
layouts; the real samples are read in ``test_formats.py``)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import orjson

#: 2026-01-03 08:00Z: the FAA prohibition for US operators in SVZM is in force
BAN_T0 = datetime(2026, 1, 3, 8, 0, tzinfo=UTC)
AIS_HEADER = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo,TransceiverClass"
)


def trace_doc(icao: str, start: datetime, n: int, *, lat0: float = 13.5, lon0: float = -67.5,
              step_s: float = 15.0, callsign: str = "AAL901") -> dict:
    """A readsb trace of ``n`` rows flying south from ``(lat0, lon0)`` (into SVZM)."""
    rows = []
    for i in range(n):
        details = {"flight": f"{callsign:<8}", "squawk": "1234"} if i % 20 == 0 else None
        rows.append([i * step_s, round(lat0 - i * 0.015, 6), round(lon0 + i * 0.002, 6), 35000,
                     450.0, 175.0, 0, 0, details, "adsb_icao", 35500, 0, 280, 0.0])
    return {"icao": icao, "r": "N901AA", "t": "B738", "dbFlags": 0,
            "timestamp": start.timestamp(), "trace": rows}


def write_trace(folder: Path, icao: str, start: datetime = BAN_T0, n: int = 240, **kw: object) -> Path:
    """Gzip-compressed and named ``.json``, as readsb writes them."""
    path = folder / f"trace_full_{icao}.json"
    path.write_bytes(gzip.compress(orjson.dumps(trace_doc(icao, start, n, **kw))))  # type: ignore[arg-type]
    return path


def ais_rows(mmsi: str, start: datetime, n: int, *, lat0: float = 12.0, lon0: float = -64.0,
             step_s: float = 60.0) -> list[str]:
    out = []
    for i in range(n):
        t = datetime.fromtimestamp(start.timestamp() + i * step_s, tz=UTC)
        out.append(f"{mmsi},{t:%Y-%m-%dT%H:%M:%S},{lat0 + i * 0.001:.5f},{lon0:.5f},6.0,0.0,"
                   "0.0,TEST VESSEL,IMO9307839,5LCB4,70,0,100,20,5.0,70,A")
    return out


def write_ais(folder: Path, name: str, rows: list[str], *, gz: bool = False) -> Path:
    data = ("\n".join([AIS_HEADER, *rows]) + "\n").encode()
    path = folder / name
    path.write_bytes(gzip.compress(data) if gz else data)
    return path
