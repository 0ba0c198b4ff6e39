"""The aisstream parser's typed fast path (raw bytes) gives exactly the general path's result.

Frames of a raw body are decoded against a small schema of a position report; any other
or odd frame goes to the general path alone. These tests hold the two paths equal
(observations, vessel data, rejects by reason, the parser's counters, errors raised) on
generated batches around every validity bound, and check the fast path is really taken.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from monitor.errors import ParseError
from monitor.feeds.aisstream import make_parser, parse_time_utc
from monitor.feeds.aisstream_fast import fast_time_utc

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "maritime" / "aisstream_frames.jsonl"
FRAMES: list[dict[str, Any]] = [
    json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()
]
RECEIVED = datetime(2025, 12, 2, 10, 0, 0, tzinfo=UTC)


def _outcome(body: Any) -> tuple[Any, ...]:
    parser = make_parser()
    try:
        r = parser(body, received_at=RECEIVED, source="t", record_ref="cap:1")
    except ParseError as exc:
        return ("error", exc.reason, dict(parser.stats))
    return ("ok", r.observations, r.vessel_info, dict(r.errors), dict(parser.stats))


def _general(raw: bytes) -> tuple[Any, ...]:
    """The general path on ``raw``: a text body is decoded fully, then walked as dicts."""
    return _outcome(raw.decode("utf-8"))


_TIMES = st.sampled_from(
    [
        "2025-12-02 09:59:30.123456789 +0000 UTC",
        "2025-12-02 09:59:31 +0000 UTC",
        "2025-12-02 09:59:32.5 +0000 UTC",
        "2025-12-02T09:59:32.5 +0000 UTC",
        "2025-12-02 09:59:32.1234567890 +0000 UTC",
        "2025-12-02 09:59:32.12a456 +0000 UTC",
        "2025-12-02 09:59:32.123456abc +0000 UTC",
        "2025-12-02 11:59:32 +0200 UTC",
        "2025-13-02 09:59:32 +0000 UTC",
        "2025-12-02 10:05:00.000001 +0000 UTC",
        "2025-12-02 10:05:00 +0000 UTC",
        "2025-12-02 10:05:01 +0000 UTC",
        "2025-W49-2 09:59:32 +0000 UTC",
        "2025-12-02 09:59:3\u0663 +0000 UTC",
        "2025-12-02 09:59:32. +0000 UTC",
        "2025-12-02 09:59:32.\u0663 +0000 UTC",
        "2025-02-30 09:59:32 +0000 UTC",
        "2025-12-02 24:00:00 +0000 UTC",
        "yesterday",
        "",
    ]
)
_NUM = st.one_of(
    st.floats(-400, 600, allow_nan=False),
    st.integers(-400, 600),
    st.sampled_from([91, 181, 0, 102.3, 102.25, 63, 360, 511, -1, "1", True, None, 10**20]),
)


@st.composite
def frames(draw: st.DrawFn) -> Any:
    frame = copy.deepcopy(draw(st.sampled_from(FRAMES)))
    if draw(st.integers(0, 2)) == 0:
        return frame  # unchanged
    mtype = frame.get("MessageType")
    report = frame.get("Message", {}).get(mtype) if isinstance(mtype, str) else None
    for _ in range(draw(st.integers(1, 3))):
        what = draw(st.sampled_from(["field", "time", "mmsi", "valid", "type", "meta", "drop", "other"]))
        if what == "field" and isinstance(report, dict):
            key = draw(st.sampled_from(["Latitude", "Longitude", "Sog", "Cog", "TrueHeading", "NavigationalStatus"]))
            report[key] = draw(_NUM)
        elif what == "time" and isinstance(frame.get("MetaData"), dict):
            frame["MetaData"]["time_utc"] = draw(_TIMES)
        elif what == "mmsi" and isinstance(report, dict):
            report["UserID"] = draw(st.sampled_from([0, 1, 999999999, 10**9, -5, "775123456", None, 2.5]))
        elif what == "valid" and isinstance(report, dict):
            report["Valid"] = draw(st.sampled_from([False, True, None, 0]))
        elif what == "type":
            frame["MessageType"] = draw(
                st.sampled_from(["PositionReport", "LongRangeAisBroadcastMessage", "ExtendedClassBPositionReport", 5])
            )
        elif what == "meta":
            frame["MetaData"] = draw(st.sampled_from([None, [], {}, {"ShipName": 3}, {"ShipName": "X@@@  "}]))
        elif what == "drop" and isinstance(report, dict):
            report.pop(draw(st.sampled_from(["Latitude", "UserID", "Valid"])), None)
        else:
            return draw(st.sampled_from([{"error": "Api Key Is Not Valid"}, 7, [], {"MessageType": "PositionReport"}]))
    return frame


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(frames(), max_size=8), single=st.booleans())
def test_raw_bytes_and_decoded_body_give_the_same_result(batch: list[Any], single: bool) -> None:
    body: Any = batch[0] if single and batch else batch
    raw = json.dumps(body).encode()  # Python's json: integers beyond 64 bits too
    got = _outcome(raw)
    event(f"{got[0]}")
    assert got == _general(raw)


def test_a_batch_of_position_reports_takes_the_fast_path() -> None:
    clean = [f for f in FRAMES if f["MessageType"] in ("PositionReport", "StandardClassBPositionReport")]
    raw = json.dumps(clean).encode()
    from monitor.feeds import aisstream_fast

    calls: Counter[str] = Counter()

    def general(frame: dict[str, Any], res: Any, stats: Counter[str]) -> None:
        calls["general"] += 1

    r = aisstream_fast.parse_fast(raw, Counter(), general, RECEIVED, "t", "cap:1")
    assert r is not None and len(r.observations) >= 2
    # frames without a usable time (none in MetaData) are the general path's, the others not
    assert calls["general"] == sum(1 for f in clean if not f.get("MetaData", {}).get("time_utc"))
    assert _outcome(raw) == _general(raw)


@pytest.mark.parametrize(
    "text",
    [
        "2023-10-22 22:47:36.94034384 +0000 UTC",
        "2023-10-22 22:47:36 +0000 UTC",
        "2023-10-22 22:47:36.5 +0000 UTC",
        "2023-10-22 22:47:36.000000001 +0000 UTC",
    ],
)
def test_fast_time_parse_agrees_with_the_general_one(text: str) -> None:
    assert fast_time_utc(text) == parse_time_utc(text)


def test_real_message_examples_agree_on_both_paths(samples_dir: Path) -> None:
    path = samples_dir / "aisstream_message_examples.jsonl"
    if not path.exists():
        pytest.skip("aisstream_message_examples.jsonl is not in ../shared/reference/samples")
    frames = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    bodies = [f.get("body", f) if isinstance(f, dict) else f for f in frames]
    raw = json.dumps(bodies).encode()
    assert _outcome(raw) == _general(raw)


def test_the_fast_path_knows_every_type_the_general_path_reads() -> None:
    from monitor.feeds import aisstream, aisstream_fast

    read_there = set(aisstream._POSITION) | {"ShipStaticData", "StaticDataReport"}
    assert set(aisstream_fast.FAST_TYPES) | aisstream_fast.GENERAL_TYPES == read_there
    assert all(aisstream._POSITION[k] == v for k, v in aisstream_fast.FAST_TYPES.items())


@pytest.mark.parametrize("status", [0, 15, 16, -1, 10**20, True, 3.0])
def test_navigational_status_outside_0_to_15_is_unknown_on_both_paths(status: Any) -> None:
    frame = copy.deepcopy(next(f for f in FRAMES if f.get("MessageType") == "PositionReport"))
    frame["Message"]["PositionReport"]["NavigationalStatus"] = status
    raw = json.dumps([frame]).encode()
    got = _outcome(raw)
    assert got == _general(raw)
    expected = status if type(status) is int and 0 <= status <= 15 else None
    assert [o.nav_status for o in got[1]] == [expected]
