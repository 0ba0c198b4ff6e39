"""The simulator speaks each feed's wire format exactly (checked field by field, with pyais,
against the real recordings in ../shared when present, and through the project's parsers)."""

from __future__ import annotations

import gzip
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import orjson
import pytest
from pyais import decode
from pyais.stream import IterMessages

from monitor.capture import CaptureReader
from monitor.sim.model import SOURCE_NMEA
from monitor.sim.sampling import adsb_snapshot, aisstream_frames, nmea_messages, opensky_snapshot
from monitor.sim.scenario import build_demo
from monitor.sim.shipped import shipped_paths

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "samples"

#: fields readsb documents for aircraft objects (README-json.md), plus the v2 API extras
READSB_FIELDS = {
    "hex",
    "type",
    "flight",
    "r",
    "t",
    "dbFlags",
    "alt_baro",
    "alt_geom",
    "gs",
    "track",
    "baro_rate",
    "squawk",
    "emergency",
    "category",
    "lat",
    "lon",
    "nic",
    "rc",
    "seen_pos",
    "version",
    "nac_p",
    "sil",
    "sil_type",
    "gpsOkBefore",
    "gpsOkLat",
    "gpsOkLon",
    "mlat",
    "tisb",
    "messages",
    "seen",
    "rssi",
}
AIS_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} \+0000 UTC$")


@cache
def scn():  # type: ignore[no-untyped-def]
    return build_demo()


@cache
def shipped_records() -> list:
    return list(CaptureReader(shipped_paths()["demo_capture"]))


def test_adsbx_v2_response_shape() -> None:
    s = scn()
    body = adsb_snapshot(s, s.start_s + 3600.0)
    assert set(body) == {"ac", "msg", "now", "total", "ctime", "ptime"}
    assert body["msg"] == "No error" and body["total"] == len(body["ac"]) > 10
    assert isinstance(body["now"], int) and body["now"] == pytest.approx((s.start_s + 3600) * 1000)
    for ac in body["ac"]:
        assert set(ac) <= READSB_FIELDS, set(ac) - READSB_FIELDS
        assert re.fullmatch(r"[0-9a-f]{6}", ac["hex"])
        assert len(ac["flight"]) == 8
        assert ac["alt_baro"] == "ground" or isinstance(ac["alt_baro"], int)
        assert ac["type"] in ("adsb_icao", "mlat")
        if ac["type"] == "mlat":
            assert "nic" not in ac and "nac_p" not in ac and ac["mlat"]
        else:
            assert isinstance(ac["nic"], int) and isinstance(ac["nac_p"], int)
        assert 0 <= ac["seen_pos"] <= 2.5


def test_adsbx_point_query_keeps_only_aircraft_within_the_radius() -> None:
    s = scn()
    t = s.start_s + 5400.0
    everything = adsb_snapshot(s, t)["ac"]
    near = adsb_snapshot(s, t, centre=(12.2, -69.0), radius_nm=150.0)["ac"]
    assert 0 < len(near) < len(everything)
    from monitor.sim import geo

    for ac in near:
        assert geo.distance_m(12.2, -69.0, ac["lat"], ac["lon"]) <= 150 * 1852


def test_military_and_gnss_degraded_fields() -> None:
    s = scn()
    seen_mil, seen_bad = set(), set()
    for t in range(int(s.start_s) + 3700, int(s.start_s) + 7100, 60):
        for ac in adsb_snapshot(s, float(t))["ac"]:
            if ac.get("dbFlags", 0) & 1:
                seen_mil.add(ac["flight"].strip())
                assert 0xADF7C8 <= int(ac["hex"], 16) <= 0xAFFFFF  # the US military range
            if "gpsOkBefore" in ac:
                seen_bad.add(ac["hex"])
                assert ac["nic"] < 7 and ac["nac_p"] < 8 and ac["type"] == "adsb_icao"
    assert {"FORTE11", "JAKE21", "RCH123"} <= seen_mil
    assert len(seen_bad) >= 5


def test_opensky_state_vectors_are_in_metres_and_seconds() -> None:
    s = scn()
    body = opensky_snapshot(s, s.start_s + 3600.0)
    assert set(body) == {"time", "states"} and isinstance(body["time"], int)
    for sv in body["states"]:
        assert len(sv) == 17
        assert isinstance(sv[0], str) and len(sv[1]) == 8 and isinstance(sv[2], str)
        assert isinstance(sv[3], int) and sv[3] <= sv[4] <= body["time"]
        assert isinstance(sv[8], bool)
        if not sv[8]:
            assert 0 < sv[7] < 17_000  # metres, not feet
            assert 50 < sv[9] < 300  # m/s, not knots
        assert sv[16] in (0, 2)
    # origin_country is the State of the address block, as OpenSky derives it
    countries = {sv[0]: sv[2] for sv in body["states"]}
    for hex_, country in countries.items():
        if hex_.startswith("0d8"):
            assert country == "Venezuela", hex_
        elif hex_.startswith("0c2"):
            assert country == "Panama", hex_
        elif hex_[0] == "a":
            assert country == "United States", hex_
    empty = opensky_snapshot(s, s.start_s - 86400.0)
    assert empty["states"] is None


def test_aisstream_frames_match_the_documented_envelope() -> None:
    s = scn()
    frames = aisstream_frames(s, s.start_s, s.start_s + 1800.0)
    kinds = Counter(f.frame["MessageType"] for f in frames)
    assert kinds["PositionReport"] > 100 and kinds["ShipStaticData"] > 10
    for fr in frames:
        doc = fr.frame
        assert list(doc) == ["Message", "MessageType", "MetaData"]
        assert list(doc["Message"]) == [doc["MessageType"]]
        meta = doc["MetaData"]
        assert set(meta) == {"MMSI", "MMSI_String", "ShipName", "latitude", "longitude", "time_utc"}
        assert AIS_TIME.match(meta["time_utc"])
        inner = doc["Message"][doc["MessageType"]]
        assert inner["UserID"] == meta["MMSI"]
        if "Latitude" in inner:
            assert inner["Latitude"] == meta["latitude"]


def test_aisstream_frames_have_the_real_recordings_keys() -> None:
    path = SHARED / "aisstream_message_examples.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found (the shared reference folder is not beside the repo)")
    real = {}
    for line in path.read_bytes().splitlines():
        doc = orjson.loads(line)
        real[doc["MessageType"]] = doc
    s = scn()
    ours = {}
    for fr in aisstream_frames(s, s.start_s + 3 * 3600 - 7200, s.start_s + 3 * 3600):
        ours.setdefault(fr.frame["MessageType"], fr.frame)
    for mtype in ("PositionReport", "ShipStaticData", "StandardClassBPositionReport"):
        assert mtype in ours, mtype
        mine, theirs = ours[mtype], real[mtype]
        assert set(mine["MetaData"]) == set(theirs["MetaData"])
        assert set(mine["Message"][mtype]) == set(theirs["Message"][mtype]), mtype
        if "Dimension" in theirs["Message"][mtype]:
            assert set(mine["Message"][mtype]["Dimension"]) == {"A", "B", "C", "D"}


def test_nga_body_has_the_real_recordings_keys() -> None:
    path = SHARED / "nga_msi_broadcast_warn_2023-04.json"
    if not path.exists():
        pytest.skip(f"{path} not found (the shared reference folder is not beside the repo)")
    real_keys = set(orjson.loads(path.read_bytes())["broadcast-warn"][0])
    for w in scn().warnings:
        assert set(w) == real_keys


def test_nmea_sentences_decode_to_the_reported_values() -> None:
    s = scn()
    msgs = nmea_messages(s, s.start_s, s.start_s + 3600.0)
    assert msgs
    reports = {
        (int(r.t_s), r.voyage.mmsi): r
        for r in s.vessel_reports(s.start_s, s.start_s + 3600.0, source=SOURCE_NMEA)
    }
    n_multi = 0
    for msg in msgs:
        raw = [line.encode() for line in msg.lines]
        decoded = list(IterMessages(raw))
        assert len(decoded) == 1
        m = decoded[0]
        m.tag_block.init()
        data = m.decode().asdict()
        if len(msg.lines) == 2:
            n_multi += 1
            assert data["msg_type"] == 5 and data["shipname"]
            assert msg.lines[0].startswith("\\g:1-2-") and msg.lines[1].startswith("\\g:2-2-")
            continue
        rep = reports[(int(m.tag_block.receiver_timestamp), data["mmsi"])]
        assert data["lat"] == pytest.approx(rep.lat, abs=2e-6)
        assert data["lon"] == pytest.approx(rep.lon, abs=2e-6)
        assert data["speed"] == pytest.approx(rep.sog_kt, abs=0.05)
        assert data["course"] == pytest.approx(rep.cog_deg, abs=0.05)
    assert n_multi > 5


def test_ais_views_of_one_report_agree() -> None:
    """aisstream and the NMEA receiver see the same position for the same report."""
    s = scn()
    t0, t1 = s.start_s, s.start_s + 1800.0
    by_key = {}
    for fr in aisstream_frames(s, t0, t1):
        if fr.frame["MessageType"] == "PositionReport":
            inner = fr.frame["Message"]["PositionReport"]
            by_key.setdefault(fr.mmsi, []).append((inner["Latitude"], inner["Longitude"]))
    matched = 0
    for msg in nmea_messages(s, t0, t1):
        if len(msg.lines) != 1:
            continue
        data = decode(msg.lines[0].split("\\")[-1]).asdict()
        if data["mmsi"] in by_key:
            assert any(
                abs(lat - data["lat"]) < 2e-6 and abs(lon - data["lon"]) < 2e-6
                for lat, lon in by_key[data["mmsi"]]
            )
            matched += 1
    assert matched > 20


def test_shipped_capture_is_small_gzip_json_lines_and_says_nothing_false() -> None:
    path = shipped_paths()["demo_capture"]
    assert path.stat().st_size < 2_000_000
    with gzip.open(path, "rb") as fh:
        first = orjson.loads(fh.readline())
    assert set(first) <= {"feed", "received_at", "body", "source"}
    reader = CaptureReader(path)
    kinds = Counter(rec.feed for rec in shipped_records())
    assert not reader.problems
    assert set(kinds) == {"adsbx_v2", "opensky_states", "aisstream", "ais_nmea", "nga_msi"}
    times = [rec.received_at for rec in shipped_records()]
    assert times == sorted(times)
    assert times[0] >= datetime(2026, 1, 3, 10, tzinfo=UTC)
    assert times[-1] <= datetime(2026, 1, 3, 13, tzinfo=UTC)


def test_some_type_5_messages_straddle_two_nmea_bodies() -> None:
    bodies = [rec.body for rec in shipped_records() if rec.feed == "ais_nmea"]
    straddling = sum(
        1
        for a, b in zip(bodies, bodies[1:], strict=False)
        if a.splitlines()[-1].startswith("\\g:1-2-") and b.splitlines()[0].startswith("\\g:2-2-")
    )
    assert straddling >= 3


def test_every_record_parses_with_the_project_parsers() -> None:
    """The pipeline's own parsers read every simulated body without rejecting anything."""
    try:
        from monitor.feeds.registry import make_parser

        parsers = {
            k: make_parser(k)
            for k in ("adsbx_v2", "opensky_states", "ais_nmea", "aisstream", "nga_msi")
        }
    except (ImportError, AttributeError) as exc:
        pytest.skip(f"feed parsers not available yet: {exc}")
    errors: Counter[str] = Counter()
    samples: list[str] = []
    observations: defaultdict[str, int] = defaultdict(int)
    zones = notices = 0
    for rec in shipped_records():
        res = parsers[rec.feed](
            rec.body, received_at=rec.received_at, source=rec.source_name, record_ref=rec.ref
        )
        observations[rec.feed] += len(res.observations)
        zones += len(res.zone_versions)
        notices += len(res.notices)
        errors.update({f"{rec.feed}:{k}": v for k, v in res.errors.items()})
        samples.extend(res.error_samples[:2])
    assert not errors, (errors, samples[:10])
    assert all(observations[k] > 0 for k in ("adsbx_v2", "opensky_states", "ais_nmea", "aisstream"))
    assert zones >= 1 and notices >= 1
