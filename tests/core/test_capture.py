"""The capture format: round trip, gzip, and bad lines counted with their line numbers."""

from __future__ import annotations

import gzip

import pytest

from monitor.capture import CaptureReader, CaptureRecord, CaptureWriter, load_record
from monitor.errors import CaptureError
from tests.builders import at


def test_round_trip_keeps_body_exactly(tmp_path):
    path = tmp_path / "c.jsonl"
    body_json = {"now": 1764669600000, "ac": [{"hex": "0d0abc", "alt_baro": "ground"}]}
    body_text = "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23\n!AIVDM,1,1,,B,x,0*00"
    with CaptureWriter(path) as w:
        w.write(CaptureRecord("adsbx_v2", at(0), body_json, source="adsb_lol"))
        w.write(CaptureRecord("ais_nmea", at(1), body_text))
    records = list(CaptureReader(path))
    assert [r.feed for r in records] == ["adsbx_v2", "ais_nmea"]
    assert records[0].body == body_json
    assert records[0].source == "adsb_lol"
    assert records[1].body == body_text
    assert records[1].source is None
    assert records[0].received_at == at(0)
    assert records[1].ref == "c.jsonl:2"


def test_gzip_capture_is_read_transparently(tmp_path):
    path = tmp_path / "c.jsonl.gz"
    with CaptureWriter(path) as w:
        w.write(CaptureRecord("nga_msi", at(0), {"broadcast-warn": []}))
    with gzip.open(path, "rt") as fh:
        assert '"feed":"nga_msi"' in fh.read()
    assert [r.feed for r in CaptureReader(path)] == ["nga_msi"]


def test_bad_lines_are_counted_with_line_numbers_and_the_rest_is_read(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        "\n".join(
            [
                '{"feed":"adsbx_v2","received_at":"2025-12-02T10:00:00Z","body":{"ac":[]}}',
                "this is not json",
                '{"feed":"flightradar","received_at":"2025-12-02T10:00:00Z","body":{}}',
                '{"feed":"adsbx_v2","received_at":"yesterday","body":{}}',
                '{"feed":"adsbx_v2","body":{}}',
                "[1,2,3]",
                '{"feed":"adsbx_v2","received_at":"2025-12-02T10:00:00","body":{}}',
                '{"feed":"opensky_states","received_at":"2025-12-02T10:00:05Z","body":{"time":1,"states":[]}}',
                '{"feed":"adsbx_v2","received_at":"2025-12-02T10:00',
            ]
        )
    )
    reader = CaptureReader(path)
    records = list(reader)
    assert [r.feed for r in records] == ["adsbx_v2", "opensky_states"]
    assert [(p.line, p.reason) for p in reader.problems] == [
        (2, "bad_json"),
        (3, "unknown_feed"),
        (4, "bad_time"),
        (5, "missing_key"),
        (6, "not_an_object"),
        (7, "bad_time"),
        (9, "bad_json"),
    ]
    assert "flightradar" in reader.problems[1].detail


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CaptureError, match="does not exist"):
        CaptureReader(tmp_path / "nope.jsonl")


def test_naive_received_at_is_rejected():
    with pytest.raises(CaptureError, match="no UTC offset"):
        load_record(b'{"feed":"adsbx_v2","received_at":"2025-12-02T10:00:00","body":{}}')


def test_real_capture_reads_every_line(samples_dir):
    reader = CaptureReader(samples_dir / "real_capture.jsonl")
    records = list(reader)
    assert len(records) == 35
    assert reader.problems == []
    assert {r.feed for r in records} == {"adsbx_v2", "opensky_states", "ais_nmea", "aisstream", "nga_msi"}
