"""Each importer on the real samples in ``../shared/reference/samples`` (provenance in its
``SOURCES.md``), decoded positions checked field by field against the file's own rows, and
on tiny hand-made rows for what the samples lack (flags 4 and 8, cancelled warnings, the
OpenSky history CSV, of which no real file is in the samples)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from monitor.backfill import opensky, reader, readsb_trace
from monitor.backfill.base import FileTally
from monitor.capture import CaptureRecord
from monitor.domain import Observation, SubjectKind, VesselInfo
from monitor.units import FPM_PER_MPS, FT_PER_M, KT_PER_MPS

TRACE = "readsb_trace_full_ac671b_20250204.json"
TRACK = "opensky_tracks_all_HK5220_0ac382.json"
FLIGHTS = "opensky_flights_all_20180129.json"
AIS_500 = "ais_marinecadastre_AIS_2024_01_01_first500.csv"
AIS_FLOATS = "ais_marinecadastre_aisdb_noaa_20230111_1000rows.csv"
NGA = "nga_msi_broadcast_warn_2023-04.json"


def entries(path: Path) -> tuple[list, FileTally]:
    fmt = reader.detect_format(path)
    tally = FileTally(str(path), fmt)
    return list(reader.file_entries(path, fmt, tally)), tally


def t(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, tz=UTC)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [(TRACE, "readsb_trace"), (TRACK, "opensky_tracks"), (FLIGHTS, "opensky_flights"),
     (AIS_500, "marinecadastre"), (AIS_FLOATS, "marinecadastre"), (NGA, "nga_msi"),
     ("real_capture.jsonl", "capture"), ("ais_nmea_aisdb_uscg_nais_20120101.nmea", "nmea")],
)
def test_every_sample_is_recognised(samples_dir: Path, name: str, fmt: str) -> None:
    assert reader.detect_format(samples_dir / name) == fmt


def test_readsb_trace_first_and_last_rows_as_in_the_file(samples_dir: Path) -> None:
    doc = orjson.loads((samples_dir / TRACE).read_bytes())
    rows, base = doc["trace"], doc["timestamp"]
    got, tally = entries(samples_dir / TRACE)
    obs = [e[3] for e in got]
    assert all(isinstance(o, Observation) for o in obs)
    # the first row is stale (flags 1): readsb repeats an old position; skipped, counted
    assert rows[0][6] & 1 and tally.examples["stale"][0][0] == 1
    stale = sum(1 for r in rows if r[6] & 1)
    assert tally.skipped == {"stale": stale} and len(obs) == len(rows) - stale == 2425
    first, r = obs[0], rows[1]
    assert first.record_ref == f"{TRACE}:2"
    assert first.time == t(base + r[0]) == t(1738703622.619 + 8.96)
    assert (first.lat, first.lon) == (r[1], r[2]) == (16.795675, -88.045513)
    assert first.altitude_ft == 32000 and first.on_ground is False
    assert first.ground_speed_kt == 482.0 and first.track_deg == 336.8
    assert first.vertical_rate_fpm == 0 and first.geo_altitude_ft == 33825
    assert first.subject_id == "ac671b" and first.subject_kind is SubjectKind.AIRCRAFT
    assert (first.registration, first.aircraft_type, first.military) == ("N899DN", "B739", False)
    assert first.callsign is None  # no details row seen yet
    assert first.position_source == "adsb_icao"
    fourth = obs[2]  # row 4 carries the first details object
    assert fourth.callsign == "DAL1812" and fourth.squawk == "4637"
    assert (fourth.nic, fourth.nac_p, fourth.emergency) == (8, 10, None)
    assert obs[3].callsign == "DAL1812"  # carried over the null-details row after it
    last, r = obs[-1], rows[-1]
    assert last.time == t(base + 81655.47) and last.record_ref == f"{TRACE}:{len(rows)}"
    assert (last.lat, last.lon) == (39.877403, -104.63974)
    assert r[3] == "ground" and last.on_ground is True and last.altitude_ft is None
    assert (last.ground_speed_kt, last.track_deg, last.vertical_rate_fpm) == (58.5, 270.0, -64)
    assert last.callsign == "DAL2927" and last.squawk == "2676"
    times = [o.time for o in obs]
    assert times == sorted(times)


def _trace(rows: list) -> dict:
    return {"icao": "ABC123", "r": "N1", "t": "C172", "dbFlags": 1, "timestamp": 1767420000.0,
            "trace": rows}


def test_readsb_trace_flags_ground_nulls_and_bad_rows() -> None:
    details = {"flight": "TEST1   ", "squawk": "7700", "emergency": "general", "nic": 5}
    rows = [
        [0.0, 10.5, -66.9, 12000, 250.0, 90.0, 0, 512, details, "adsb_icao", 12300, 520, 200, 0.0],
        [10.0, 10.51, -66.89, 12100, None, None, 4, 576, None, "adsb_icao", None, None, None, None],
        [20.0, 10.52, -66.88, 12400, 251.0, 91.0, 8, 0, None, "mlat", None, None, None, None],
        [15.0, 10.53, -66.87, 12500, 251.0, 91.0, 0, 0, None, "adsb_icao"],  # time backwards
        [30.0, 95.0, -66.86, 12500, 251.0, 91.0, 0, 0, None, "adsb_icao"],  # bad latitude
        [40.0, 10.54, -66.85, "ground", 5.0, 180.0, 2, None, None, "adsb_icao"],  # new leg
        ["x", 10.55, -66.84, 0, 0, 0, 0, 0, None, "adsb_icao"],  # bad time
        [50.0, 10.56],  # short row
    ]
    tally = FileTally("t.json")
    obs = [e[3] for e in readsb_trace.parse_trace(_trace(rows), name="t.json", tally=tally)]
    assert [o.record_ref for o in obs] == ["t.json:1", "t.json:2", "t.json:3", "t.json:6"]
    a, b, c, d = obs
    assert a.subject_id == "abc123" and a.military is True
    assert (a.callsign, a.squawk, a.emergency, a.nic) == ("TEST1", "7700", "general", 5)
    assert b.ground_speed_kt is None and b.track_deg is None and b.vertical_rate_fpm == 576
    assert b.callsign == "TEST1" and b.emergency == "general"  # carried over a null row
    # flag 8: the altitude field is geometric, the barometric one unknown
    assert c.altitude_ft is None and c.geo_altitude_ft == 12400 and c.position_source == "mlat"
    # a new leg forgets the call sign and squawk of the last one; "ground" has no altitude
    assert d.callsign is None and d.squawk is None and d.on_ground is True and d.altitude_ft is None
    assert tally.skipped == {"time_backwards": 1, "bad_coordinates": 1, "bad_time": 1, "bad_row": 1}
    assert tally.examples["time_backwards"][0][0] == 4
    assert tally.examples["bad_coordinates"][0][0] == 5


def test_opensky_track_path_rows_in_feet(samples_dir: Path) -> None:
    doc = orjson.loads((samples_dir / TRACK).read_bytes())
    got, tally = entries(samples_dir / TRACK)
    obs = [e[3] for e in got]
    assert len(obs) == len(doc["path"]) == 40 and not tally.skipped
    for o, row, n in ((obs[0], doc["path"][0], 1), (obs[-1], doc["path"][-1], 40)):
        assert o.time == t(row[0]) and (o.lat, o.lon) == (row[1], row[2])
        assert o.altitude_ft == pytest.approx(row[3] * FT_PER_M)
        assert o.track_deg == row[4] and o.on_ground is False
        assert o.callsign == "HK5220" and o.subject_id == "0ac382"
        assert o.record_ref == f"{TRACK}:{n}" and o.ground_speed_kt is None
    assert obs[0].time == t(1694114383) and obs[0].altitude_ft == pytest.approx(10000.0, abs=0.1)
    assert obs[-1].time == t(1694115007) and (obs[-1].lat, obs[-1].lon) == (4.8099, -74.0981)


def test_opensky_flights_become_dated_routes(samples_dir: Path) -> None:
    tally = FileTally("f")
    routes = reader.read_routes(samples_dir / FLIGHTS, tally)
    doc = orjson.loads((samples_dir / FLIGHTS).read_bytes())
    assert tally.rows == len(doc) == 472
    assert len(routes) == 85  # flights with a call sign and both airports
    r = next(r for r in routes if r.line == 44)
    assert (r.callsign, r.origin, r.destination) == ("SWG9426", "CYYZ", "CYUL")
    assert r.first_seen == t(1517227317) and r.last_seen == t(1517230676)
    assert r.csv_row() == "SWG9426,CYYZ,CYUL,2018-01-29T12:01:57Z,2018-01-29T12:57:56Z"
    assert tally.skipped["no_airports"] + tally.skipped["no_callsign"] == 472 - 85


def _csv_rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], [(i + 2, r) for i, r in enumerate(rows[1:])]


def test_opensky_history_csv_in_metres_converted_once() -> None:
    # the column layout pyopensky / traffic write for state_vectors_data4 (no real file in
    # the samples: these rows are made up in that layout)
    text = (
        "time,icao24,lat,lon,velocity,heading,vertrate,callsign,onground,alert,spi,squawk,"
        "baroaltitude,geoaltitude,lastposupdate,lastcontact\n"
        "1767420010,0d0de1,10.5,-66.9,200.0,90.0,5.08,AMX544  ,False,False,False,1042,"
        "3048.0,3100.0,1767420009.5,1767420010.0\n"
        "1767420020,0d0de1,10.5,-66.9,200.0,90.0,5.08,AMX544  ,False,False,False,1042,"
        "3048.0,3100.0,1767420009.5,1767420020.0\n"
        "1767420030,0d0de1,nan,-66.9,,,,,True,False,False,,,,1767420029.0,1767420030.0\n"
        "2026-01-03 06:00:40+00:00,0d0de1,10.6,-66.8,,,,,True,False,False,,,,,\n"
    )
    header, rows = _csv_rows(text)
    tally = FileTally("s.csv")
    obs = [e[3] for e in opensky.parse_csv(header, rows, name="s.csv", tally=tally)]
    assert len(obs) == 2
    a, b = obs
    assert a.time == t(1767420009.5) and (a.lat, a.lon) == (10.5, -66.9)
    assert a.ground_speed_kt == pytest.approx(200.0 * KT_PER_MPS)
    assert a.vertical_rate_fpm == pytest.approx(5.08 * FPM_PER_MPS)
    assert a.altitude_ft == pytest.approx(10000.0, abs=0.01)
    assert a.geo_altitude_ft == pytest.approx(3100.0 * FT_PER_M)
    assert (a.callsign, a.squawk, a.track_deg, a.on_ground) == ("AMX544", "1042", 90.0, False)
    assert a.record_ref == "s.csv:2"
    assert b.time == datetime(2026, 1, 3, 6, 0, 40, tzinfo=UTC) and b.on_ground is True
    assert b.altitude_ft is None and b.record_ref == "s.csv:5"
    assert tally.skipped == {"repeated_position": 1, "bad_coordinates": 1}
    assert tally.examples["bad_coordinates"][0][0] == 4


@pytest.mark.parametrize("name", [AIS_500, AIS_FLOATS])
def test_marinecadastre_rows_as_in_the_file(samples_dir: Path, name: str) -> None:
    lines = (samples_dir / name).read_text().splitlines()
    got, tally = entries(samples_dir / name)
    obs = [e for e in got if isinstance(e[3], Observation)]
    assert len(obs) == len(lines) - 1 and not tally.skipped
    by_line = {e[2]: e[3] for e in obs}
    for line_no in (2, len(lines)):
        row = lines[line_no - 1].split(",")
        o = by_line[line_no]
        assert o.subject_id == row[0] and o.subject_kind is SubjectKind.VESSEL
        assert o.time == datetime.fromisoformat(row[1]).replace(tzinfo=UTC)
        assert (o.lat, o.lon) == (float(row[2]), float(row[3]))
        assert o.ground_speed_kt == float(row[4])
        assert o.track_deg == (None if float(row[5]) == 360 else float(row[5]))  # 360: n/a
        assert o.heading_deg == (None if float(row[6]) == 511 else float(row[6]))
        assert o.name == row[7] and o.record_ref == f"{name}:{line_no}"
        assert o.vessel_type == int(float(row[10]))


def test_marinecadastre_static_data_both_variants(samples_dir: Path) -> None:
    got, _ = entries(samples_dir / AIS_FLOATS)
    info = {e[3].mmsi: e[3] for e in got if isinstance(e[3], VesselInfo)}
    # 636021061,2023-01-11T00:00:00,...,MSC NAISHA III,IMO9307839,5LCB4,70,8.0,208.0,30.0,8.0,70.0,A
    v = info["636021061"]
    assert (v.name, v.imo, v.callsign, v.ship_type) == ("MSC NAISHA III", 9307839, "5LCB4", 70)
    assert (v.length_m, v.beam_m, v.draught_m) == (208.0, 30.0, 8.0)
    o = next(e[3] for e in got if isinstance(e[3], Observation) and e[3].subject_id == "636021061")
    assert o.nav_status == 8  # "8.0" in the re-saved file
    got, _ = entries(samples_dir / AIS_500)
    info = {e[3].mmsi: e[3] for e in got if isinstance(e[3], VesselInfo)}
    # 368070610,...,BELLATRIX,IMO0000000,WDK6036,36,,14,4,,,B: unknown IMO and draught
    v = info["368070610"]
    assert (v.name, v.imo, v.callsign, v.ship_type) == ("BELLATRIX", None, "WDK6036", 36)
    assert (v.length_m, v.beam_m, v.draught_m) == (14.0, 4.0, None)


def test_nga_archive_is_one_record_for_the_live_parser(samples_dir: Path) -> None:
    got, tally = entries(samples_dir / NGA)
    assert len(got) == 1 and tally.rows == 454
    rec = got[0][3]
    assert isinstance(rec, CaptureRecord) and rec.feed == "nga_msi"
    # timed at the earliest issueDate ("201628Z MAR 2020"), before any fix it concerns
    assert rec.received_at == datetime(2020, 3, 20, 16, 28, tzinfo=UTC)
    assert any(w["issueDate"] == "201628Z MAR 2020" for w in rec.body["broadcast-warn"])


def test_capture_file_records_as_replay_reads_them(samples_dir: Path) -> None:
    got, tally = entries(samples_dir / "real_capture.jsonl")
    assert len(got) == tally.records == 35
    assert all(isinstance(e[3], CaptureRecord) for e in got)
    assert got[0][3].ref == "real_capture.jsonl:1"
