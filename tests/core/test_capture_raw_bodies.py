"""Capture bodies kept as raw JSON bytes for the parsers that decode them themselves."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson

from monitor.capture import CaptureReader, CaptureRecord, CaptureWriter, RawJson, body_value
from monitor.capture.format import dump_record, load_record

T = datetime(2025, 11, 24, 16, 0, tzinfo=UTC)
ADSB = {"now": 1764000000000, "ac": [{"hex": "3c6444", "lat": 10.5, "lon": -66.9, "type": "adsb_icao"}]}


def _write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_raw_kinds_come_as_bytes_equal_to_the_decoded_body(tmp_path: Path) -> None:
    rec = CaptureRecord(feed="adsbx_v2", received_at=T, body=ADSB, source="adsb_lol")
    nga = CaptureRecord(feed="nga_msi", received_at=T, body={"broadcast-warn": []})
    path = _write(tmp_path / "c.jsonl", [dump_record(rec), dump_record(nga)])
    got = list(CaptureReader(path, raw_bodies=frozenset({"adsbx_v2"})))
    assert isinstance(got[0].body, RawJson) and body_value(got[0].body) == ADSB
    assert got[0].source == "adsb_lol" and got[0].received_at == T and got[0].ref == "c.jsonl:1"
    assert got[1].body == {"broadcast-warn": []}  # not a raw kind: decoded as before
    plain = list(CaptureReader(path))
    assert plain[0].body == ADSB  # the default reader decodes everything


def test_a_raw_body_is_written_back_verbatim(tmp_path: Path) -> None:
    line = orjson.dumps({"feed": "adsbx_v2", "received_at": "2025-11-24T16:00:00Z", "body": ADSB})
    rec = load_record(line, raw_bodies=frozenset({"adsbx_v2"}))
    out = tmp_path / "out.jsonl"
    with CaptureWriter(out) as w:
        w.write(rec)
    again = list(CaptureReader(out))
    assert again[0].body == ADSB and again[0].feed == "adsbx_v2"


def test_bad_lines_keep_their_reasons_when_reading_raw(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "bad.jsonl",
        [
            b'{"feed": "adsbx_v2", "received_at": "2025-11-24T16:00:00Z", "body": {"ac": [1,}',
            b'{"feed": "adsbx_v2", "received_at": "yesterday", "body": {}}',
            b'{"feed": "adsbx_v2", "body": {}}',
            b'{"feed": "nope", "received_at": "2025-11-24T16:00:00Z", "body": {}}',
            orjson.dumps({"feed": "adsbx_v2", "received_at": "2025-11-24T16:00:00Z", "body": ADSB}),
        ],
    )
    reader = CaptureReader(path, raw_bodies=frozenset({"adsbx_v2"}))
    got = list(reader)
    assert len(got) == 1 and body_value(got[0].body) == ADSB
    assert reader.reasons == {"bad_json": 1, "bad_time": 1, "missing_key": 1, "unknown_feed": 1}
    assert [p.line for p in reader.problems] == [1, 2, 3, 4]
