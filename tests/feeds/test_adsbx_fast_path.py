"""The readsb parser's typed fast path (raw bytes) gives exactly the general path's result.

Raw bodies first go through a msgspec schema of the fields used; anything unusual sends the
whole body to the general path. These tests hold the two paths equal on generated bodies
that sit on and around every validity bound, and check that the fast path really is the
one taken for clean bodies (real recordings included).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from monitor.errors import ParseError
from monitor.feeds.adsbx import _parse_fast, make_parser
from monitor.feeds.base import decode_json_body

RECEIVED = datetime(2025, 11, 24, 16, 0, 5, tzinfo=UTC)
NOW_MS = int(datetime(2025, 11, 24, 16, 0, 0, tzinfo=UTC).timestamp() * 1000)


def _outcome(body: Any) -> tuple[str, Any]:
    """What the parser made of ``body``: its result's content, or the error's reason."""
    try:
        r = make_parser()(body, received_at=RECEIVED, source="t", record_ref="cap:1")
    except ParseError as exc:
        return ("error", exc.reason)
    return ("ok", (r.observations, dict(r.errors), r.feed_time))


def _numbers(*edges: float) -> st.SearchStrategy[Any]:
    """Numbers around the given bounds (both sides), as ints and floats, plus odd values."""
    near = [v for e in edges for v in (e, e - 0.5, e + 0.5, int(e))]
    return st.one_of(
        st.sampled_from(near),
        st.floats(min(edges) - 10, max(edges) + 10, allow_nan=False),
        st.integers(int(min(edges)) - 10, int(max(edges)) + 10),
        st.sampled_from([True, "12", None, 10**20, -(10**20)]),
    )


_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "hex": st.sampled_from(["3c6444", "A1B2C3", " 0d0de1 ", "~2a4b6c", "12345", "~", "", 7]),
    "lat": _numbers(-90, 90),
    "lon": _numbers(-180, 180),
    "nic": st.sampled_from([0, 6, 7, 8, 8.0, "8", None]),
    "seen_pos": _numbers(0, 1e9),
    "seen": _numbers(0, 30),
    "alt_baro": st.one_of(_numbers(-5000, 200_000), st.sampled_from(["ground", "air", ""])),
    "alt_geom": _numbers(-5000, 200_000),
    "gs": _numbers(0, 4000),
    "track": _numbers(0, 360),
    "true_heading": _numbers(0, 360),
    "baro_rate": _numbers(-100_000, 100_000),
    "geom_rate": _numbers(-100_000, 100_000),
    "flight": st.sampled_from(["AAL123  ", "   ", "", "CMP201", 5]),
    "squawk": st.sampled_from(["7700", "1200", 7700]),
    "emergency": st.sampled_from(["none", "general", "unlawful", 1]),
    "nac_p": st.sampled_from([7, 8, 10, "9", 9.5]),
    "gpsOkBefore": _numbers(0, 1e11),
    "r": st.sampled_from(["YV1234", None, 3]),
    "t": st.sampled_from(["B738", None]),
    "dbFlags": st.sampled_from([0, 1, 3, 8, "1"]),
    "type": st.sampled_from(["adsb_icao", "mlat", "tisb_trackfile", "adsr_icao", "mode_s", "odd", 3]),
    "mlat": st.sampled_from([[], ["lat", "lon"], "lat"]),
    "tisb": st.sampled_from([[], ["lat", "lon"]]),
    "rssi": st.floats(-50, 0),
    "lastPosition": st.fixed_dictionaries(
        {}, optional={"lat": _numbers(-90, 90), "lon": _numbers(-180, 180), "nic": st.just(7), "seen_pos": _numbers(0, 100)}
    ),
}

#: a clean current-readsb record: what most aircraft of a real body look like
_CLEAN: dict[str, st.SearchStrategy[Any]] = {
    "hex": st.sampled_from(["3c6444", "0d0de1", "~2a4b6c"]),
    "type": st.sampled_from(["adsb_icao", "mlat", "adsr_icao", "mode_s"]),
    "lat": st.floats(-90, 90),
    "lon": st.floats(-180, 180),
    "seen_pos": st.floats(0, 60),
    "alt_baro": st.one_of(st.integers(-1000, 60_000), st.just("ground")),
    "gs": st.floats(0, 700),
    "track": st.floats(0, 360),
    "nic": st.integers(0, 11),
    "nac_p": st.integers(0, 11),
}


@st.composite
def aircraft(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.integers(0, 3)) > 0:  # mostly clean records, one key perturbed at most
        rec = draw(st.fixed_dictionaries(_CLEAN))
        if draw(st.booleans()):
            key = draw(st.sampled_from(sorted(_VALUES)))
            rec[key] = draw(_VALUES[key])
        if draw(st.integers(0, 5)) == 0:  # heard without a position
            rec.pop("lat")
        return rec
    optional = {k: v for k, v in _VALUES.items() if k != "hex"}
    return draw(st.fixed_dictionaries({"hex": _VALUES["hex"]}, optional=optional))


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    key = draw(st.sampled_from(["ac", "aircraft"]))
    now = draw(st.sampled_from([NOW_MS, NOW_MS / 1000.0, NOW_MS + 10**9, None, "x"]))
    body: dict[str, Any] = {key: draw(st.lists(aircraft(), max_size=6))}
    if now is not None:
        body["now"] = now
    return body


def _general(raw: bytes) -> tuple[str, Any]:
    """The general path's outcome on ``raw``: full decode, then the per-record rules."""
    try:
        decoded = decode_json_body("adsbx_v2", raw)
    except ParseError as exc:
        return ("error", exc.reason)
    return _outcome(decoded)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies())
def test_raw_bytes_and_decoded_body_give_the_same_result(body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()  # Python's json: integers beyond 64 bits too
    fast = _parse_fast(raw, RECEIVED.timestamp(), "t", "cap:1")
    event("fast path" if fast is not None else "general path")
    assert _outcome(raw) == _general(raw)


def test_a_clean_body_takes_the_fast_path(load_aviation: Any) -> None:
    body = load_aviation("adsb_lol_v2_point_svzm.json")
    raw = orjson.dumps(body)
    fast = _parse_fast(raw, RECEIVED.timestamp(), "t", "cap:1")
    assert fast is not None and len(fast.observations) > 0
    assert _outcome(raw) == _outcome(body)


def test_one_odd_record_sends_the_body_to_the_general_path_with_its_reason(
    load_aviation: Any,
) -> None:
    body = load_aviation("adsb_lol_v2_point_svzm.json")
    _, (clean, _, _) = _outcome(orjson.dumps(body))
    body["ac"][0]["gs"] = -3.0
    raw = orjson.dumps(body)
    assert _parse_fast(raw, RECEIVED.timestamp(), "t", "cap:1") is None
    kind, (observations, errors, _) = _outcome(raw)
    assert kind == "ok" and errors.get("negative_speed") == 1
    assert len(observations) == len(clean)  # the fix is kept, its speed dropped
    assert observations[0].ground_speed_kt is None


def test_html_and_broken_bodies_keep_their_reasons() -> None:
    assert _outcome(b"<html><body>502 Bad Gateway</body></html>") == ("error", "html_body")
    assert _outcome(b'{"ac": [{"hex": "3c6444", "lat": 1') == ("error", "bad_json")
    assert _outcome(b'{"msg": "No API key"}') == ("error", "api_error")


@pytest.mark.parametrize(
    "name",
    [
        "adsbx_readsb_aircraft_caribbean_subset_20220430T235959Z.json",
        "readsb_local_aircraft_washingtondc_20200519.json",
    ],
)
def test_real_recordings_agree_on_both_paths(samples_dir: Path, name: str) -> None:
    path = samples_dir / name
    if not path.exists():
        pytest.skip(f"{name} is not in ../shared/reference/samples")
    raw = path.read_bytes()
    doc = orjson.loads(raw)
    received = datetime.fromtimestamp(
        (doc["now"] / 1000 if doc["now"] > 1e11 else doc["now"]) + 1, UTC
    )
    parser = make_parser()
    a = parser(raw, received_at=received, source="t", record_ref=None)
    b = parser(doc, received_at=received, source="t", record_ref=None)
    assert a.observations == b.observations and a.errors == b.errors
    assert len(a.observations) > 0
