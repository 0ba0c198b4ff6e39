"""AISHub ``ws.php`` answers (human and AIS formats, errors) and the once-a-minute poller."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx
import pytest

from monitor.errors import ParseError, RateLimited
from monitor.feeds.aishub import AishubAdapter, make_parser
from tests.feeds.maritime_helpers import FIXTURES

RECEIVED = datetime(2025, 12, 2, 10, 0, tzinfo=UTC)


def load(name: str):  # type: ignore[no-untyped-def]
    return json.loads((FIXTURES / name).read_text())


def parse(body):  # type: ignore[no-untyped-def]
    return make_parser()(body, received_at=RECEIVED, source="aishub", record_ref="cap:9")


def test_human_format_positions_static_and_rejects() -> None:
    r = parse(load("aishub_human.json"))
    star, moored = r.observations
    assert (star.subject_id, star.lat, star.lon, star.name, star.callsign) == ("775123456", 10.6, -66.9, "CARIBE STAR", "YYAB3")
    assert (star.ground_speed_kt, star.track_deg, star.heading_deg, star.nav_status, star.vessel_type) == (12.3, 87.5, 88.0, 0, 80)
    assert star.time == datetime(2025, 12, 2, 9, 58, 5, tzinfo=UTC) and star.feed_kind == "aishub"
    assert (moored.ground_speed_kt, moored.track_deg, moored.heading_deg, moored.name) == (None, None, None, None)
    assert r.errors == {"no_position": 1, "bad_mmsi": 1}
    infos = {v.mmsi: v for v in r.vessel_info}
    assert set(infos) == {"775123456", "352001234"}  # static data even without a position
    star_info = infos["775123456"]
    assert (star_info.imo, star_info.length_m, star_info.beam_m, star_info.draught_m, star_info.destination) == (
        9312345, 180.0, 30.0, 9.5, "LA GUAIRA",
    )


def test_ais_format_is_scaled() -> None:
    r = parse(load("aishub_ais.json"))
    (obs,) = r.observations
    assert (obs.lat, obs.lon) == pytest.approx((10.6, -66.9))
    assert (obs.ground_speed_kt, obs.track_deg) == pytest.approx((12.3, 87.5))
    assert obs.time == datetime.fromtimestamp(1764669485, tz=UTC)
    assert r.vessel_info[0].draught_m == pytest.approx(9.5)


def test_error_header_and_wrong_shapes() -> None:
    with pytest.raises(ParseError) as err:
        parse(load("aishub_error.json"))
    assert err.value.reason == "api_error" and "Invalid username" in err.value.detail
    for bad in ({"MMSI": 1}, [], [[1, 2]]):
        with pytest.raises(ParseError) as err:
            parse(bad)
        assert err.value.reason == "bad_shape"
    assert parse([{"ERROR": False, "RECORDS": 0}]).observations == []


def test_poller_sends_the_documented_query_and_calls_at_most_once_a_minute() -> None:
    seen: list[httpx.URL] = []
    now = [1000.0]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, content=(FIXTURES / "aishub_human.json").read_bytes())

    async def main():  # type: ignore[no-untyped-def]
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            adapter = AishubAdapter(client, "AH_TEST", base_url="http://127.0.0.1:9", interval_s=10, monotonic=lambda: now[0])
            first = await adapter.poll()
            now[0] += 30
            with pytest.raises(RateLimited) as early:
                await adapter.poll()
            now[0] += 31
            second = await adapter.poll()
            return adapter, first, early.value, second

    adapter, first, early, second = asyncio.run(main())
    assert adapter.interval_s == 60.0  # raised to the documented minimum
    assert len(seen) == 2  # the early call never reached the network
    assert early.retry_after_s == pytest.approx(30.0)
    assert seen[0].path == "/ws.php" and dict(seen[0].params) == {
        "username": "AH_TEST", "format": "1", "output": "json", "compress": "0",
        "latmin": "5.0", "latmax": "20.0", "lonmin": "-80.0", "lonmax": "-58.0", "interval": "30",
    }
    assert first.records[0].feed == "aishub" and first.records[0].body[0]["RECORDS"] == 4
    assert second.next_delay_s == 60.0


def test_empty_answer_means_called_too_often() -> None:
    async def main() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=b""))) as client:
            await AishubAdapter(client, "AH_TEST").poll()

    with pytest.raises(RateLimited):
        asyncio.run(main())


def test_poller_needs_a_username() -> None:
    with pytest.raises(ValueError, match="username"):
        AishubAdapter(httpx.AsyncClient(), "")
