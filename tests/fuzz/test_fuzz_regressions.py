"""What the fuzzers found, kept as plain regression tests of the correct behaviour.

Each case is the minimal input the fuzzer shrank to (or a hand-shrunk equivalent), with
the exception or the bad value it produced on 2025-11-24. The correct behaviour is the
contract the fuzzers check (:mod:`tests.fuzz.contracts`): the bad item is skipped and counted
by reason, or the documented error is raised with a reason; what is returned is usable
(finite numbers, WGS84 range, valid areas). API cases are in ``test_fuzz_api.py``.
"""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from monitor.capture.format import CaptureReader, load_record
from monitor.errors import CaptureError
from tests.fuzz.contracts import run_parser
from tests.fuzz.strategies import FIXTURES

_AISHUB_HEADER = {"ERROR": False, "USERNAME": "AH_TEST", "FORMAT": "AIS", "RECORDS": 1}
_AISHUB_VESSEL = {
    "MMSI": 775123456,
    "TIME": 1764669485,
    "LONGITUDE": -40140000,
    "LATITUDE": 6360000,
    "SOG": 123,
    "COG": 875,
    "HEADING": 88,
    "NAME": "X",
    "TYPE": 80,
    "A": 150,
    "B": 30,
    "C": 15,
    "D": 15,
    "DRAUGHT": 95,
}
_OPENSKY_STATE = [
    "0d80a1",
    "LAV203  ",
    "Venezuela",
    1763999995,
    1763999999,
    -67.2,
    10.9,
    3048.0,
    False,
    200.0,
    45.0,
    5.08,
    None,
    3124.2,
    "7500",
    False,
    0,
]


def _aishub(**fields: Any) -> Any:
    return [_AISHUB_HEADER, [dict(_AISHUB_VESSEL, **fields)]]


def _opensky(index: int, value: Any) -> Any:
    state = list(_OPENSKY_STATE)
    state[index] = value
    return {"time": 1764000000, "states": [state]}


def _notam_polygon(ring: list[list[Any]]) -> Any:
    """The fixture's one NOTAM with a GeoJSON Polygon (A1260/25), with ``ring`` as its area."""
    doc = json.loads(
        (FIXTURES / "aviation" / "nms_notams_geojson.json").read_text(encoding="utf-8")
    )
    feature = copy.deepcopy(doc["data"]["geojson"][5])
    assert feature["geometry"]["type"] == "Polygon"
    feature["geometry"]["coordinates"] = [ring]
    doc["data"]["geojson"] = [feature]
    return doc


#: (case id, capture kind, body); the comment says what happened instead
CASES: list[tuple[str, str, Any]] = [
    # ValueError "year 10000 is out of range" (aishub.AishubParser._time)
    ("aishub-time-year-10000", "aishub", _aishub(TIME=253402300800)),
    # OverflowError "timestamp out of range for platform time_t" (same place)
    ("aishub-time-overflow", "aishub", _aishub(TIME=1e19)),
    # ValueError "year 316889355 is out of range" (adsbx.parse_adsbx: feed_time from a huge
    # but finite "now"; _now_seconds only checks > 0 and finite)
    ("adsbx-now-huge", "adsbx_v2", {"ac": [], "now": 10**19}),
    ("adsbx-now-1e16", "adsbx_v2", {"ac": [], "now": 1e16}),
    # TypeError "unhashable type: 'list'" / 'dict' (nga_msi.NgaMsiParser.__call__, navArea lookup)
    (
        "nga-navarea-list",
        "nga_msi",
        {"broadcast-warn": [{"navArea": ["4"], "msgNumber": 1, "msgYear": 2025, "text": "x"}]},
    ),
    (
        "nga-navarea-object",
        "nga_msi",
        {"broadcast-warn": [{"navArea": {"v": "4"}, "msgNumber": 1, "msgYear": 2025, "text": "x"}]},
    ),
    # VesselInfo.length_m / beam_m / draught_m == inf: aishub._num accepts the strings
    # "inf" and "1e400" (float() does), and huge numbers overflow once scaled
    ("aishub-dimension-inf-text", "aishub", _aishub(A="inf")),
    ("aishub-dimension-1e400-text", "aishub", _aishub(C="1e400")),
    ("aishub-draught-inf-text", "aishub", _aishub(DRAUGHT="inf")),
    # Observation.altitude_ft / geo_altitude_ft / ground_speed_kt / vertical_rate_fpm == inf:
    # a finite but huge JSON number (valid for orjson) overflows in the unit conversion
    ("opensky-baro-altitude-1e308", "opensky_states", _opensky(7, 1e308)),
    ("opensky-velocity-1e308", "opensky_states", _opensky(9, 1e308)),
    ("opensky-vertical-rate-1e308", "opensky_states", _opensky(11, 1e308)),
    ("opensky-geo-altitude-1e308", "opensky_states", _opensky(13, 1e308)),
    # ZoneVersion outside WGS84: a NOTAM's own GeoJSON polygon is taken without a range check
    (
        "notam-polygon-lon-181",
        "faa_nms",
        _notam_polygon([[-72.0, 11.0], [181, 11.0], [-71.5, 11.5], [-72.0, 11.5], [-72.0, 11.0]]),
    ),
    # ZoneVersion with an invalid (self-intersecting) area: no validity check or repair either
    (
        "notam-polygon-bowtie",
        "faa_nms",
        _notam_polygon(
            [[0, 11.0], [-71.5, 11.0], [-71.5, 11.5], [-72.0, 11.5], [-72.0, 11.0], [0, 11.0]]
        ),
    ),
]


@pytest.mark.parametrize(("kind", "body"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_parser_contract_holds(kind: str, body: Any) -> None:
    run_parser(kind, body)


# --- capture lines ---------------------------------------------------------------------------

#: received_at values whose conversion to UTC leaves datetime's range (year 1 / year 9999)
EDGE_TIMES = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]


@pytest.mark.parametrize("received_at", EDGE_TIMES)
def test_capture_line_with_out_of_range_time_is_bad_time(received_at: str) -> None:
    # was: OverflowError "date value out of range" from timeutil.parse_utc's astimezone
    line = json.dumps({"feed": "aishub", "received_at": received_at, "body": None})
    with pytest.raises(CaptureError, match=r"^bad_time"):
        load_record(line)


def test_capture_reader_counts_out_of_range_time_and_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text(
        '{"feed": "aishub", "received_at": "0001-01-01T00:00:00+01:00", "body": null}\n'
        '{"feed": "aishub", "received_at": "2025-12-02T10:00:00Z", "body": null}\n'
    )
    reader = CaptureReader(path)
    assert len(list(reader)) == 1
    assert reader.reasons["bad_time"] == 1


@pytest.mark.parametrize("keep", ["most", "half", "header", "one-byte"])
def test_truncated_gzip_capture_is_counted_not_raised(tmp_path: Path, keep: str) -> None:
    # was: EOFError "Compressed file ended before the end-of-stream marker was reached"
    # (one-byte: gzip.BadGzipFile "Not a gzipped file (b'\\x1f')"), raised by the
    # ``for ... in enumerate(fh)`` of CaptureReader.__iter__, outside its try. A capture cut
    # short by a crash or a full disk must replay up to the cut (or, when nothing at all is
    # readable, raise the documented CaptureError).
    line = b'{"feed": "aishub", "received_at": "2025-12-02T10:00:00Z", "body": null}\n'
    raw = gzip.compress(line * 3)
    cut = {"most": len(raw) - 8, "half": len(raw) // 2, "header": 12, "one-byte": 1}[keep]
    path = tmp_path / "c.jsonl.gz"
    path.write_bytes(raw[:cut])
    reader = CaptureReader(path)
    try:
        records = list(reader)
    except CaptureError:
        assert keep in ("header", "one-byte"), "records before the cut were lost"
        return
    assert len(records) <= 3
    assert reader.reasons["truncated_file"] == 1
