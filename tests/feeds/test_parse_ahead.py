"""The parse worker (``monitor.feeds.ahead``): the same outcomes as parsing in-process,
positions that survive the trip unchanged, stream state kept across batches, and every
way the worker can fail reported to the caller."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import hypothesis.strategies as st
import orjson
import pytest
from hypothesis import given, settings
from pyais.encode import encode_dict

from monitor.capture import CaptureRecord, RawJson
from monitor.domain import Observation, SubjectKind
from monitor.errors import CaptureError
from monitor.feeds.ahead import (
    DEFERRED_KINDS,
    ParseAhead,
    ParseWorkerError,
    decode_observations,
    encode_observations,
)
from monitor.feeds.batch import parse_records
from monitor.feeds.registry import StreamParsers
from tests.pipeline.fixtures import v2_aircraft, v2_record

T0 = datetime(2025, 11, 24, 12, 0, tzinfo=UTC)
MARITIME = Path(__file__).resolve().parents[1] / "fixtures" / "maritime"
AVIATION = Path(__file__).resolve().parents[1] / "fixtures" / "aviation"


# --- sources (module level: the worker imports them by name) ----------------------------------


@dataclass(frozen=True)
class Batches:
    """Fixed batches, then optionally an error (``CaptureError`` or ``ValueError``), or
    the last batch again forever."""

    batches: tuple[tuple[CaptureRecord, ...], ...]
    then: str = "stop"

    def __call__(self) -> Iterator[tuple[list[CaptureRecord], int]]:
        for i, batch in enumerate(self.batches):
            yield list(batch), i
        if self.then == "capture_error":
            raise CaptureError("line 3: bad_json: the capture is cut")
        if self.then == "bug":
            raise ValueError("a bug in the source")
        if self.then == "forever":
            i = len(self.batches)
            while True:
                yield list(self.batches[-1]), i
                i += 1


def _mixed_batches() -> tuple[tuple[CaptureRecord, ...], ...]:
    """ADS-B v2 (a raw-JSON body, as replay reads it), aisstream frames, an NGA MSI
    warning body (deferred), an unusable body, and NMEA text."""
    aircraft = [v2_aircraft(f"0d0{i:03x}", -66.0 + 0.01 * i, 11.0 + 0.01 * i) for i in range(300)]
    v2 = v2_record(T0, aircraft)
    v2_raw = replace(v2, body=RawJson(orjson.dumps(v2.body)), ref="cap:1")
    frames = [orjson.loads(line) for line in (MARITIME / "aisstream_frames.jsonl").read_bytes().splitlines() if line.strip()]
    ais = CaptureRecord("aisstream", T0 + timedelta(seconds=1), RawJson(orjson.dumps(frames)), ref="cap:2")
    nga = CaptureRecord(
        "nga_msi",
        T0 + timedelta(seconds=2),
        {"broadcast-warn": []},
        ref="cap:3",
    )
    broken = CaptureRecord("adsbx_v2", T0 + timedelta(seconds=3), RawJson(b'"not an object"'), ref="cap:4")
    nmea_text = "\n".join(encode_dict({"type": 1, "mmsi": 775123456, "lat": 10.5, "lon": -66.5, "speed": 9.0}, talker_id="AI", sentence_type="VDM"))
    nmea = CaptureRecord("ais_nmea", T0 + timedelta(seconds=4), nmea_text, source="rx1", ref="cap:5")
    return ((v2_raw, ais), (nga, broken, nmea))


# --- positions over the wire --------------------------------------------------------------


def test_parsed_positions_survive_the_columns_unchanged_and_share_their_strings() -> None:
    parsed = parse_records([r for b in _mixed_batches() for r in b], StreamParsers())
    obs = parsed.observations
    assert len(obs) > 300 and {o.subject_kind for o in obs} == {SubjectKind.AIRCRAFT, SubjectKind.VESSEL}
    back = decode_observations(encode_observations(obs))
    assert back == obs
    assert [type(o.time) for o in back] == [datetime] * len(back)
    assert all(o.time.tzinfo is not None for o in back)
    # a column of few values is decoded once per value: the fixes share it
    aircraft = [o for o in back if o.feed_kind == "adsbx_v2"]
    assert len({id(o.source) for o in aircraft}) == 1
    assert len({id(o.record_ref) for o in aircraft}) == 1
    # a column of many values (300 positions) travels as it is and still round-trips
    assert len({o.lat for o in aircraft}) == 300


def test_no_positions_round_trip() -> None:
    assert decode_observations(encode_observations([])) == []


def test_columns_that_do_not_match_the_position_fields_are_refused() -> None:
    import msgspec

    with pytest.raises(ValueError, match="position columns"):
        decode_observations(msgspec.msgpack.encode((1, [([1], None)])))


_text = st.one_of(st.none(), st.text(max_size=12))
_float = st.one_of(st.none(), st.floats(allow_nan=False, width=64))
_time = st.datetimes(  # hypothesis takes naive bounds and attaches the time zone itself
    min_value=datetime(1990, 1, 1),  # noqa: DTZ001
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
_observation = st.builds(
    Observation,
    source=st.sampled_from(["adsb_lol", "aisstream", "rx1"]),
    feed_kind=st.sampled_from(["adsbx_v2", "aisstream", "ais_nmea"]),
    subject_kind=st.sampled_from(list(SubjectKind)),
    subject_id=st.text(min_size=1, max_size=9),
    time=_time,
    lat=st.floats(-90, 90),
    lon=st.floats(-180, 180),
    callsign=_text,
    altitude_ft=_float,
    ground_speed_kt=_float,
    squawk=_text,
    on_ground=st.one_of(st.none(), st.booleans()),
    nic=st.one_of(st.none(), st.integers(0, 11)),
    gps_ok_before=st.one_of(st.none(), _time),
    vessel_type=st.one_of(st.none(), st.integers(0, 99)),
    record_ref=_text,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_observation, max_size=300))
def test_any_positions_round_trip(obs: list[Observation]) -> None:
    assert decode_observations(encode_observations(obs)) == obs


# --- the worker ---------------------------------------------------------------------------


def test_the_worker_parses_as_the_pipeline_would() -> None:
    batches = _mixed_batches()
    local = [parse_records(b, StreamParsers(), defer=DEFERRED_KINDS) for b in batches]
    with ParseAhead(Batches(batches)) as ahead:
        got = list(ahead)
    assert [meta for _, meta, _ in got] == [0, 1]
    for (records, _, parsed), sent, want in zip(got, batches, local, strict=True):
        assert [(r.feed, r.received_at, r.source, r.ref) for r in records] == [
            (r.feed, r.received_at, r.source, r.ref) for r in sent
        ]
        assert parsed.outcomes == want.outcomes
        assert parsed.observations == want.observations
        assert parsed.vessel_info == want.vessel_info
        # parsed bodies stay in the worker; a deferred one comes back to be parsed here
        for r in records:
            assert (r.body is None) is (r.feed not in DEFERRED_KINDS)
    outcomes = [o for _, _, p in got for o in p.outcomes]
    assert [o.deferred for o in outcomes] == [False, False, True, False, False]
    assert outcomes[3].failure is not None  # the unusable body, with the parser's reason
    assert ahead.worker_peak_rss_bytes is None or ahead.worker_peak_rss_bytes > 1_000_000


def test_a_message_split_across_batches_is_reassembled_by_the_worker() -> None:
    first, second = encode_dict(
        {"type": 5, "mmsi": 775123456, "shipname": "CARIBE STAR", "callsign": "YYAB3", "ship_type": 80},
        talker_id="AI", sentence_type="VDM", seq_id=1,
    )
    batches = (
        (CaptureRecord("ais_nmea", T0, first, source="rx1", ref="n:1"),),
        (CaptureRecord("ais_nmea", T0 + timedelta(seconds=1), second, source="rx1", ref="n:2"),),
    )
    with ParseAhead(Batches(batches)) as ahead:
        got = [parsed for _, _, parsed in ahead]
    assert got[0].vessel_info == []
    assert [v.name for v in got[1].vessel_info] == ["CARIBE STAR"]


def test_a_capture_error_in_the_source_reaches_the_caller_after_the_batches_before_it() -> None:
    batches = _mixed_batches()[:1]
    with ParseAhead(Batches(batches, then="capture_error")) as ahead:
        it = iter(ahead)
        records, _, _ = next(it)
        assert len(records) == 2
        with pytest.raises(CaptureError, match="the capture is cut"):
            next(it)


def test_any_other_source_error_is_a_parse_worker_error_naming_it() -> None:
    with ParseAhead(Batches(_mixed_batches()[:1], then="bug")) as ahead:
        with pytest.raises(ParseWorkerError, match="ValueError: a bug in the source"):
            list(ahead)


def test_a_killed_worker_is_reported_with_its_exit_code() -> None:
    with ParseAhead(Batches(_mixed_batches()[:1], then="forever")) as ahead:
        it = iter(ahead)
        next(it)
        os.kill(ahead.pid, signal.SIGKILL)
        with pytest.raises(ParseWorkerError, match=r"exit code -9\) after \d+ batch"):
            for _ in range(1000):
                next(it)


def test_ctrl_c_is_left_to_the_caller() -> None:
    with ParseAhead(Batches(_mixed_batches()[:1], then="forever")) as ahead:
        it = iter(ahead)
        _, _, first = next(it)
        assert first.observations
        time.sleep(0.2)  # past its start-up
        os.kill(ahead.pid, signal.SIGINT)
        time.sleep(0.2)
        for _ in range(5):  # still parsing
            _, _, parsed = next(it)
            assert parsed.observations == first.observations


def test_close_stops_a_worker_that_would_run_forever() -> None:
    ahead = ParseAhead(Batches(_mixed_batches()[:1], then="forever"))
    it = iter(ahead)
    next(it)
    ahead.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(ahead.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the parse worker still runs after close()")
