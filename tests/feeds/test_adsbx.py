"""readsb / ADS-B v2 parser and adapters: real samples, hand-made v2 responses, bad input."""

from __future__ import annotations

import asyncio
import copy
import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from monitor.errors import ConfigError, FeedError, ParseError, RateLimited
from monitor.feeds.adsbx import (
    PROVIDERS,
    AdsbV2Adapter,
    LocalReadsbAdapter,
    _haversine_nm,
    make_parser,
    tile_bbox,
)
from monitor.feeds.registry import make_parser as registry_parser

CARIBBEAN = "adsbx_readsb_aircraft_caribbean_subset_20220430T235959Z.json"
GLOBAL = "adsbx_readsb_aircraft_global_20220430T235959Z.json"
LOCAL_DC = "readsb_local_aircraft_washingtondc_20200519.json"

#: the watched region of the shipped config: (min_lon, min_lat, max_lon, max_lat)
REGION = (-85.0, -2.0, -55.0, 22.0)


def parse(body: Any, received_at: datetime, source: str = "test") -> Any:
    return make_parser()(body, received_at=received_at, source=source, record_ref="cap:1")


def by_id(result: Any) -> dict[str, Any]:
    return {o.subject_id: o for o in result.observations}


# --- real recordings -------------------------------------------------------------------


def test_registry_maps_the_kind_to_this_parser() -> None:
    parser = registry_parser("adsbx_v2")
    result = parser(
        {"now": 1.0, "aircraft": []}, received_at=datetime.now(UTC), source="x", record_ref=None
    )
    assert result.observations == []


def test_caribbean_subset_values_match_the_file(samples_dir: Path) -> None:
    body = orjson.loads((samples_dir / CARIBBEAN).read_bytes())
    received = datetime(2022, 5, 1, 0, 0, 0, tzinfo=UTC)
    result = parse(body, received, source="adsbx_sample")

    assert len(result.observations) == 306  # every aircraft of the subset has a position
    assert not result.errors
    assert result.feed_time == datetime(2022, 4, 30, 23, 59, 59, 612000, tzinfo=UTC)
    obs = by_id(result)

    # the one military aircraft of the subset: a US Coast Guard H-60 off Florida
    mil = obs["ae4dff"]
    assert mil.military is True
    assert (mil.callsign, mil.registration, mil.aircraft_type) == ("C6047", "6047", "H60")
    assert (mil.lat, mil.lon) == (27.058674, -82.461372)
    assert mil.altitude_ft == 200 and mil.geo_altitude_ft == 225
    assert mil.ground_speed_kt == 143.7 and mil.track_deg == 326.64
    assert mil.vertical_rate_fpm == -64  # geom_rate: no baro_rate in this record
    assert mil.squawk == "1277" and mil.emergency is None
    assert (mil.nic, mil.nac_p) == (10, 11)
    assert mil.position_source == "adsb" and mil.on_ground is False
    # now 1651363199.612 s - seen_pos 0.56 s
    assert abs(mil.time.timestamp() - 1651363199.052) < 1e-6
    assert (mil.source, mil.feed_kind, mil.record_ref) == ("adsbx_sample", "adsbx_v2", "cap:1")
    assert sum(1 for o in result.observations if o.military) == 1

    # a non-ICAO TIS-B target on the ground at Miami: the ~ stays, ground, no altitude
    tisb = obs["~32c2b3"]
    assert tisb.on_ground is True and tisb.altitude_ft is None
    assert tisb.position_source == "tisb" and tisb.ground_speed_kt == 10.1
    assert tisb.military is None  # no database fields: unknown, not "not military"
    assert sum(1 for o in result.observations if o.subject_id.startswith("~")) == 16

    mlat = obs["0ae029"]
    assert mlat.position_source == "mlat" and mlat.heading_deg == 111.55
    assert mlat.callsign == "LRS1035" and mlat.military is False  # r/t known, no dbFlags

    adsc = obs["a884b6"]
    assert adsc.position_source == "adsc"
    assert abs(adsc.time.timestamp() - (1651363199.612 - 110.444)) < 1e-6

    sources = {o.position_source for o in result.observations}
    assert sources == {"adsb", "other", "tisb", "adsc", "adsr", "mlat", "mode_s"}


def test_global_snapshot_counts(samples_dir: Path) -> None:
    body = orjson.loads((samples_dir / GLOBAL).read_bytes())
    result = parse(body, datetime(2022, 5, 1, tzinfo=UTC))
    assert len(body["aircraft"]) == 8423
    assert len(result.observations) == 7980  # 7659 with lat/lon + 321 lastPosition-only
    assert dict(result.errors) == {"no_position": 443}
    assert sum(1 for o in result.observations if o.military) == 60  # of 107 flagged, 60 placed
    assert sum(1 for o in result.observations if o.gps_ok_before is not None) == 16
    stale = by_id(result)["780fa4"]  # only a lastPosition, 40630.697 s old
    assert (stale.lat, stale.lon, stale.nic) == (24.412785, 114.954512, 8)
    assert abs(stale.time.timestamp() - (1651363199.612 - 40630.697)) < 1e-6
    gok = by_id(result)["4baad9"]
    assert gok.gps_ok_before == datetime.fromtimestamp(1651363179.3, UTC)
    assert (gok.nic, gok.nac_p) == (7, 0)


def test_local_readsb_file_now_in_seconds(samples_dir: Path) -> None:
    body = json.loads((samples_dir / LOCAL_DC).read_text())
    result = parse(body, datetime(2020, 5, 19, 15, 27, 20, tzinfo=UTC))
    assert result.feed_time == datetime(2020, 5, 19, 15, 27, 15, tzinfo=UTC)  # now=1589902035 s
    assert len(result.observations) == 16
    assert dict(result.errors) == {"no_position": 20}
    first = by_id(result)["a9bb8b"]
    assert first.time == datetime(2020, 5, 19, 15, 27, 14, tzinfo=UTC)  # seen_pos 1
    assert first.callsign == "N726TM" and first.altitude_ft == 32000
    assert first.geo_altitude_ft == 33150 and first.vertical_rate_fpm == 0
    assert first.position_source is None  # this readsb writes no "type": unknown
    assert first.military is None and first.emergency is None
    # the aircraft heard without a position are not emitted at all
    assert "a400b2" not in by_id(result) and "adfbe0" not in by_id(result)


# --- hand-made v2 API response -----------------------------------------------------------


@pytest.fixture
def v2(load_aviation: Any, nov24: datetime) -> Any:
    body = load_aviation("adsb_lol_v2_point_svzm.json")
    return parse(body, nov24 + timedelta(seconds=1), source="adsb_lol")


def test_v2_now_is_milliseconds(v2: Any, nov24: datetime) -> None:
    assert v2.feed_time == nov24
    cmp = by_id(v2)["e8044e"]
    assert cmp.time == nov24 - timedelta(seconds=1.2)
    assert cmp.callsign == "CMP204" and cmp.registration == "HP-1829CMP"
    assert cmp.vertical_rate_fpm == -64 and cmp.emergency is None
    assert cmp.source == "adsb_lol" and cmp.feed_kind == "adsbx_v2"


def test_v2_emergency_and_squawk(v2: Any) -> None:
    em = by_id(v2)["a1b2c3"]
    assert em.squawk == "7700" and em.emergency == "general"


def test_v2_military_flag(v2: Any) -> None:
    obs = by_id(v2)
    assert obs["ae1234"].military is True
    assert obs["e8044e"].military is False  # database answered (r, t) and no dbFlags


def test_v2_non_icao_address_kept(v2: Any) -> None:
    tisb = by_id(v2)["~2fc00d"]
    assert tisb.position_source == "tisb" and tisb.vertical_rate_fpm == 0


def test_v2_ground_and_uppercase_hex(v2: Any) -> None:
    gnd = by_id(v2)["0d8123"]  # hex was "0D8123"
    assert gnd.on_ground is True and gnd.altitude_ft is None
    assert gnd.heading_deg == 92.0 and gnd.track_deg is None  # absent: unknown


def test_v2_last_position_is_a_stale_fix(v2: Any, nov24: datetime) -> None:
    stale = by_id(v2)["0d8789"]
    assert (stale.lat, stale.lon, stale.nic) == (10.5, -67.5, 8)
    assert stale.time == nov24 - timedelta(seconds=300.5)
    assert stale.position_source == "mode_s"


def test_v2_no_position_is_counted_not_emitted(v2: Any) -> None:
    assert "a0c9f1" not in by_id(v2)
    assert dict(v2.errors) == {"no_position": 1}
    assert len(v2.observations) == 8


def test_v2_gnss_fields(v2: Any) -> None:
    deg = by_id(v2)["0d8aaa"]
    assert (deg.nic, deg.nac_p) == (0, 0)
    assert deg.gps_ok_before == datetime(2025, 11, 24, 15, 58, 19, 500000, tzinfo=UTC)
    assert by_id(v2)["0d8456"].position_source == "mlat"


def test_ac_null_means_no_aircraft(nov24: datetime) -> None:
    result = parse({"ac": None, "msg": "No error", "now": 1764000000000, "total": 0}, nov24)
    assert result.observations == [] and not result.errors


def test_missing_now_falls_back_to_received_at(nov24: datetime) -> None:
    body = {"ac": [{"hex": "0d8001", "lat": 10.0, "lon": -66.0, "seen_pos": 2.0}]}
    result = parse(body, nov24)
    assert result.observations[0].time == nov24 - timedelta(seconds=2)


def test_raw_bytes_are_decoded(load_aviation: Any, nov24: datetime) -> None:
    raw = orjson.dumps(load_aviation("adsb_lol_v2_point_svzm.json"))
    assert len(parse(raw, nov24).observations) == 8


# --- bad input -----------------------------------------------------------------------------


def _load_bad() -> dict[str, Any]:
    path = Path(__file__).resolve().parents[1] / "fixtures" / "aviation" / "adsbx_bad_records.json"
    return json.loads(path.read_text())


BAD = _load_bad()


@pytest.mark.parametrize("case", BAD["cases"], ids=[c["name"] for c in BAD["cases"]])
def test_bad_record_table(case: dict[str, Any], nov24: datetime) -> None:
    record = copy.deepcopy(BAD["base"])
    record.update(case["patch"])
    good = copy.deepcopy(BAD["base"]) | {"hex": "0d8fff"}
    body = {"ac": [record, good], "now": 1764000000000, "msg": "No error"}
    result = parse(body, nov24)
    ids = {o.subject_id for o in result.observations}
    assert "0d8fff" in ids, "a bad record must never cost its neighbours"
    if case["reject"]:
        assert result.errors[case["reject"]] == 1
    else:
        assert not result.errors
    kept = [o for o in result.observations if o.subject_id != "0d8fff"]
    assert len(kept) == (1 if case["kept"] else 0)
    for name, value in case.get("fields", {}).items():
        assert getattr(kept[0], name) == value, name
    if case["reject"] not in (None, "no_position") and not case["kept"]:
        assert result.error_samples, "the bad value is kept for the log"


def test_non_object_aircraft_counted(nov24: datetime) -> None:
    body = {"ac": [["0d8001", 10.0, -66.0], "x", None], "now": 1764000000000}
    assert dict(parse(body, nov24).errors) == {"not_an_object": 3}


def test_future_fixes_rejected(nov24: datetime) -> None:
    an_hour_ahead = int((nov24 + timedelta(hours=1)).timestamp() * 1000)
    body = {
        "ac": [{"hex": "0d8001", "lat": 10.0, "lon": -66.0, "seen_pos": 1.0}],
        "now": an_hour_ahead,
    }
    result = parse(body, nov24)
    assert result.observations == [] and dict(result.errors) == {"future_time": 1}
    # 4 minutes ahead is clock skew, within MAX_FUTURE_S: kept
    body["now"] = int((nov24 + timedelta(minutes=4)).timestamp() * 1000)
    assert len(parse(body, nov24).observations) == 1


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"ac": [{"hex": "0d8001", "lat": 10.0, "lo', "bad_json"),
        (b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "html_body"),
        (b"   ", "empty_body"),
    ],
    ids=["truncated", "html 200", "empty"],
)
def test_unusable_bytes_raise_parse_error(raw: bytes, reason: str, nov24: datetime) -> None:
    with pytest.raises(ParseError) as info:
        parse(raw, nov24)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ([{"hex": "0d8001"}], "wrong_shape"),
        ({"msg": "You need a key"}, "api_error"),
        ({"ac": "none", "now": 1}, "wrong_shape"),
        ({"states": []}, "wrong_shape"),
        ("<html>oops</html>", "wrong_shape"),
        (None, "wrong_shape"),
    ],
    ids=["list", "api error", "ac string", "opensky body", "string", "null"],
)
def test_wrong_shapes_raise_parse_error(body: Any, reason: str, nov24: datetime) -> None:
    with pytest.raises(ParseError) as info:
        parse(body, nov24)
    assert info.value.reason == reason


# --- tiling (pure) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bbox", "radius_nm"),
    [
        (REGION, 250.0),
        ((-90.0, 0.0, -55.0, 28.0), 250.0),  # the samples' Caribbean box
        ((-70.0, 8.0, -65.0, 12.0), 250.0),  # smaller than one circle
        ((-20.0, 55.0, 30.0, 72.0), 250.0),  # high latitude: longitude degrees shrink
        ((-80.0, -10.0, -60.0, 10.0), 100.0),  # across the equator, small circles
    ],
)
def test_tiles_cover_every_point_of_the_box(
    bbox: tuple[float, float, float, float], radius_nm: float
) -> None:
    centres = tile_bbox(bbox, radius_nm)
    min_lon, min_lat, max_lon, max_lat = bbox
    steps = 40
    for i in range(steps + 1):
        lat = min_lat + (max_lat - min_lat) * i / steps
        for j in range(steps + 1):
            lon = min_lon + (max_lon - min_lon) * j / steps
            nearest = min(_haversine_nm(lat, lon, c_lat, c_lon) for c_lat, c_lon in centres)
            assert nearest <= radius_nm, (lat, lon, nearest)
    for c_lat, c_lon in centres:
        assert min_lat <= c_lat <= max_lat and min_lon <= c_lon <= max_lon


def test_tile_count_is_reasonable() -> None:
    # 24 x 30 degrees at 250 nm: about 1,440 x 1,780 nm; one circle covers ~2 r^2 of it
    assert 14 <= len(tile_bbox(REGION, 250.0)) <= 30
    assert len(tile_bbox((-70.0, 8.0, -65.0, 12.0), 250.0)) == 1


def test_tiling_rejects_a_bad_box() -> None:
    with pytest.raises(ConfigError):
        tile_bbox((-55.0, 22.0, -85.0, -2.0), 250.0)


# --- adapters ----------------------------------------------------------------------------


class FakeClock:
    """Monotonic time that only moves when the adapter sleeps."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


def v2_body(n: int) -> bytes:
    return orjson.dumps(
        {
            "ac": [{"hex": f"0d8{n:03d}", "lat": 10.0, "lon": -66.0, "seen_pos": 1.0}],
            "now": 1764000000000,
            "msg": "No error",
            "total": 1,
            "ctime": 1764000000000,
            "ptime": 3,
        }
    )


def test_adsb_lol_tiling_request_sequence(nov24: datetime) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, content=v2_body(len(seen)), headers={"content-type": "application/json"}
        )

    clock = FakeClock()

    async def run() -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            adapter = AdsbV2Adapter(
                client,
                PROVIDERS["adsb_lol"],
                REGION,
                base_url="http://127.0.0.1:9",
                sleep=clock.sleep,
                monotonic=clock.monotonic,
                clock=lambda: nov24,
            )
            return adapter, await adapter.poll()

    adapter, result = asyncio.run(run())
    tiles = adapter.tiles
    assert len(seen) == len(tiles) == len(result.records)
    for request, (lat, lon) in zip(seen, tiles, strict=True):
        parts = request.url.path.split("/")
        assert parts[1:3] == ["v2", "point"] and parts[5] == "250"
        assert abs(float(parts[3]) - lat) < 1e-3 and abs(float(parts[4]) - lon) < 1e-3
        assert request.url.host == "127.0.0.1"
    # one request per second: a 1 s wait before every request but the first
    assert clock.sleeps == [pytest.approx(1.0)] * (len(tiles) - 1)
    rec = result.records[0]
    assert (rec.feed, rec.source, rec.received_at) == ("adsbx_v2", "adsb_lol", nov24)
    assert rec.body["ac"][0]["hex"] == "0d8001"  # kept exactly as received
    assert {r.ref for r in result.records} == {
        f"live:adsb_lol:{i}" for i in range(1, len(tiles) + 1)
    }


def test_adsb_fi_path_and_keyed_provider_headers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=v2_body(1))

    clock = FakeClock()

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            fi = AdsbV2Adapter(
                client,
                PROVIDERS["adsb_fi"],
                (-70.0, 8.0, -65.0, 12.0),
                base_url="http://127.0.0.1:9/api",
                sleep=clock.sleep,
                monotonic=clock.monotonic,
            )
            await fi.poll()
            ax = AdsbV2Adapter(
                client,
                PROVIDERS["adsbexchange"],
                (-70.0, 8.0, -65.0, 12.0),
                api_key="k3y",
                base_url="http://127.0.0.1:9",
                sleep=clock.sleep,
                monotonic=clock.monotonic,
            )
            await ax.poll()
            gw = AdsbV2Adapter(
                client,
                PROVIDERS["adsbexchange"],
                (-70.0, 8.0, -65.0, 12.0),
                api_key="k3y",
                auth_header="api-auth",
                base_url="http://127.0.0.1:9/api/aircraft",
                sleep=clock.sleep,
                monotonic=clock.monotonic,
            )
            await gw.poll()

    asyncio.run(run())
    assert seen[0].url.path == "/api/v2/lat/10/lon/-67.5/dist/250"
    assert seen[1].headers["X-RapidAPI-Key"] == "k3y"
    assert seen[1].url.path == "/v2/lat/10/lon/-67.5/dist/250/"
    assert seen[2].headers["api-auth"] == "k3y"


def test_keyed_provider_without_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="needs an API key"):
        AdsbV2Adapter(httpx.AsyncClient(), PROVIDERS["adsbexchange"], REGION)
    with pytest.raises(ConfigError, match="over"):
        AdsbV2Adapter(httpx.AsyncClient(), PROVIDERS["adsb_lol"], REGION, radius_nm=300)


def test_rate_limit_mid_poll_keeps_what_was_fetched() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 3:
            return httpx.Response(429, headers={"Retry-After": "30"})
        return httpx.Response(200, content=v2_body(calls))

    clock = FakeClock()

    async def run() -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            adapter = AdsbV2Adapter(
                client,
                PROVIDERS["airplanes_live"],
                REGION,
                base_url="http://127.0.0.1:9",
                sleep=clock.sleep,
                monotonic=clock.monotonic,
            )
            return await adapter.poll()

    result = asyncio.run(run())
    assert len(result.records) == 2 and result.next_delay_s == 30.0


def test_html_200_on_first_tile_raises_feed_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            content=b"<html><body>Cloudflare: checking your browser</body></html>",
            headers={"content-type": "text/html"},
        )

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            clock = FakeClock()
            adapter = AdsbV2Adapter(
                client,
                PROVIDERS["adsb_lol"],
                REGION,
                base_url="http://127.0.0.1:9",
                sleep=clock.sleep,
                monotonic=clock.monotonic,
            )
            await adapter.poll()

    with pytest.raises(FeedError) as info:
        asyncio.run(run())
    assert info.value.reason == "html_body" and info.value.feed == "adsb_lol"


def test_first_tile_rate_limited_raises() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "5"})

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            clock = FakeClock()
            await AdsbV2Adapter(
                client,
                PROVIDERS["adsb_lol"],
                REGION,
                base_url="http://127.0.0.1:9",
                sleep=clock.sleep,
                monotonic=clock.monotonic,
            ).poll()

    with pytest.raises(RateLimited) as info:
        asyncio.run(run())
    assert info.value.retry_after_s == 5.0


def test_local_readsb_file_is_reread_each_poll(tmp_path: Path, nov24: datetime) -> None:
    path = tmp_path / "aircraft.json"
    adapter = LocalReadsbAdapter(path, clock=lambda: nov24)
    with pytest.raises(FeedError) as info:
        asyncio.run(adapter.poll())
    assert info.value.reason == "file_missing"

    path.write_bytes(orjson.dumps({"now": 1764000000.0, "aircraft": [{"hex": "0d8001"}]}))
    first = asyncio.run(adapter.poll()).records[0]
    path.write_bytes(orjson.dumps({"now": 1764000005.0, "aircraft": []}))
    second = asyncio.run(adapter.poll()).records[0]
    assert first.body["aircraft"] == [{"hex": "0d8001"}] and second.body["now"] == 1764000005.0
    assert (first.feed, first.source, first.received_at) == ("adsbx_v2", "readsb_local", nov24)

    path.write_bytes(b'{"now": 1764000005.0, "aircr')  # readsb caught mid-write
    with pytest.raises(FeedError) as info:
        asyncio.run(adapter.poll())
    assert info.value.reason == "bad_json"


def test_local_readsb_url(nov24: datetime) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/data/aircraft.json"
        return httpx.Response(200, content=b'{"now": 1764000000.0, "messages": 5, "aircraft": []}')

    async def run() -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await LocalReadsbAdapter(
                "http://127.0.0.1:8080/data/aircraft.json", client=client, clock=lambda: nov24
            ).poll()

    record = asyncio.run(run()).records[0]
    assert record.body == {"now": 1764000000.0, "messages": 5, "aircraft": []}
    assert math.isclose(parse(record.body, nov24).feed_time.timestamp(), 1764000000.0)


def test_real_capture_records_parse(samples_dir: Path) -> None:
    from monitor.capture import CaptureReader

    parser = registry_parser("adsbx_v2")
    counts = []
    for record in CaptureReader(samples_dir / "real_capture.jsonl"):
        if record.feed == "adsbx_v2":
            result = parser(
                record.body,
                received_at=record.received_at,
                source=record.source_name,
                record_ref=record.ref,
            )
            counts.append(len(result.observations))
            assert not set(result.errors) - {"no_position"}
    assert counts == [306, 7980, 16]
