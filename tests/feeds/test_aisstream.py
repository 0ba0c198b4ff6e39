"""The ``aisstream`` parser over real and synthetic frames, and the adapter against a local server."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from websockets.asyncio.server import serve

from monitor.errors import ParseError
from monitor.feeds.aisstream import AisstreamAdapter, make_parser, parse_time_utc
from monitor.feeds.streams import Backoff
from tests.feeds.maritime_helpers import FIXTURES, Collector, HealthLog, wait_until

RECEIVED = datetime(2025, 12, 2, 10, 0, tzinfo=UTC)


def frames(name: str = "aisstream_frames.jsonl", where: Path = FIXTURES) -> list[dict]:
    return [json.loads(x) for x in (where / name).read_text().splitlines() if x.strip()]


def parse(body, received_at: datetime = RECEIVED):  # type: ignore[no-untyped-def]
    return make_parser()(body, received_at=received_at, source="aisstream", record_ref="cap:7")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-10-22 22:47:36.94034384 +0000 UTC", datetime(2023, 10, 22, 22, 47, 36, 940343, tzinfo=UTC)),
        ("2023-10-15 09:51:08.143077274 +0000 UTC", datetime(2023, 10, 15, 9, 51, 8, 143077, tzinfo=UTC)),
        ("2025-12-02 09:59:31 +0000 UTC", datetime(2025, 12, 2, 9, 59, 31, tzinfo=UTC)),
        ("2025-12-02 05:59:31.5 -0400 AST", datetime(2025, 12, 2, 9, 59, 31, 500000, tzinfo=UTC)),
    ],
)
def test_time_utc_nanoseconds_become_microseconds(text: str, expected: datetime) -> None:
    assert parse_time_utc(text) == expected


def test_synthetic_frames_give_exact_values_and_counted_rejects() -> None:
    p = make_parser()
    obs, infos, errors = [], [], {}
    for f in frames():
        r = p(f, received_at=RECEIVED, source="aisstream", record_ref="cap:7")
        obs += r.observations
        infos += r.vessel_info
        for k, v in r.errors.items():
            errors[k] = errors.get(k, 0) + v
    first, classb = obs
    assert (first.subject_id, first.lat, first.lon) == ("775123456", 10.6, -66.9)
    assert (first.ground_speed_kt, first.track_deg, first.heading_deg, first.nav_status) == (12.3, 87.5, 88.0, 0)
    assert first.time == datetime(2025, 12, 2, 9, 59, 30, 123456, tzinfo=UTC)
    assert first.name == "CARIBE STAR" and first.record_ref == "cap:7" and first.feed_kind == "aisstream"
    # not-available values are unknown, not numbers
    assert (classb.ground_speed_kt, classb.track_deg, classb.heading_deg, classb.name) == (None, None, None, None)
    static, part_b = infos
    assert (static.name, static.callsign, static.imo, static.ship_type) == ("CARIBE STAR", "YYAB3", 9312345, 80)
    assert (static.length_m, static.beam_m, static.draught_m, static.destination) == (180.0, 30.0, 9.5, "LA GUAIRA")
    assert (part_b.mmsi, part_b.name, part_b.callsign, part_b.ship_type, part_b.length_m) == ("775900001", None, "YV9X", 37, 12.0)
    assert errors == {"no_position": 1, "invalid_message": 1, "bad_shape": 1}
    assert p.stats["other_type"] == 1  # the base station


def test_real_frames_from_the_live_stream(samples_dir: Path) -> None:
    p = make_parser()
    obs, infos = [], []
    for f in frames("aisstream_message_examples.jsonl", samples_dir):
        r = p(f, received_at=datetime(2023, 10, 15, 9, 52, tzinfo=UTC), source="aisstream", record_ref=None)
        assert not r.errors
        obs += r.observations
        infos += r.vessel_info
    assert [o.subject_id for o in obs] == ["538009327", "211306490", "574222258"]
    pos = obs[0]
    assert (pos.lat, pos.lon) == pytest.approx((51.967933333333335, 4.1139600000000005))
    assert (pos.ground_speed_kt, pos.track_deg, pos.heading_deg, pos.nav_status) == (4.2, 296.1, 307.0, 0)
    assert pos.name == "NORDIC QINNGUA"  # space padding removed
    assert pos.time == datetime(2023, 10, 15, 9, 51, 8, 143077, tzinfo=UTC)
    assert obs[1].heading_deg is None and obs[1].name == "CAMELOT"
    assert (obs[2].vessel_type, obs[2].track_deg) == (30, 341.8)
    assert [(v.mmsi, v.name) for v in infos] == [("244660640", "RVE 56"), ("232204000", "VIVID"), ("574222258", None)]
    rve = infos[0]
    assert (rve.callsign, rve.length_m, rve.beam_m, rve.destination, rve.imo, rve.draught_m) == (
        "PD2026", 22.0, 5.0, "MAASVLAKTE", None, None,
    )
    ext = infos[-1]
    assert (ext.mmsi, ext.length_m, ext.beam_m, ext.ship_type) == ("574222258", 24.0, 7.0, 30)
    assert p.stats["other_type"] == 15


def test_error_frame_is_an_api_error() -> None:
    with pytest.raises(ParseError) as err:
        parse({"error": "Api Key Is Not Valid"})
    assert err.value.reason == "api_error" and "Api Key" in err.value.detail


def test_batched_list_and_json_text_bodies() -> None:
    fs = frames()[:2]
    assert len(parse(fs).observations) == 2
    assert len(parse(orjson.dumps(fs[0]).decode()).observations) == 1
    with pytest.raises(ParseError) as err:
        parse("{not json")
    assert err.value.reason == "bad_json"
    with pytest.raises(ParseError):
        parse(42)


def test_a_time_in_the_future_is_rejected() -> None:
    f = frames()[0]
    r = parse(f, received_at=datetime(2025, 12, 2, 9, 0, tzinfo=UTC))
    assert r.observations == [] and r.errors == {"future_time": 1}


# --- the adapter against a real local websocket server ----------------------------------


def test_adapter_subscribes_reconnects_on_silence_and_close_and_backs_off_on_bad_key() -> None:
    sample = frames()
    subs: list[tuple[float, dict]] = []
    connections: list[int] = []

    async def handler(ws) -> None:  # type: ignore[no-untyped-def]
        opened = time.monotonic()
        n = len(connections)
        connections.append(n)
        sub = json.loads(await asyncio.wait_for(ws.recv(), timeout=3.0))
        subs.append((time.monotonic() - opened, sub))
        if n == 0:  # two frames, then silence: the watchdog must cut us off
            await ws.send(json.dumps(sample[0]))
            await ws.send(json.dumps(sample[1]))
            await ws.wait_closed()  # silent until the client gives up
        elif n == 1:  # one frame, then the server closes
            await ws.send(json.dumps(sample[3]))
            await ws.close()
        elif n == 2:  # the key has expired
            await ws.send(json.dumps({"error": "Api Key Is Not Valid"}))
            await ws.close()
        else:
            await ws.wait_closed()

    async def main() -> tuple[Collector, HealthLog, AisstreamAdapter]:
        async with serve(handler, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            adapter = AisstreamAdapter(
                "test-key",
                [((5.0, -80.0), (20.0, -58.0))],
                url=f"ws://127.0.0.1:{port}",
                message_types=["PositionReport", "ShipStaticData"],
                silence_timeout_s=0.4,
                api_error_delay_s=0.3,
                backoff=Backoff(initial_s=0.05, max_s=0.1, jitter=0.0),
            )
            out, health, stop = Collector(), HealthLog(), asyncio.Event()
            task = asyncio.create_task(adapter.run(out, stop, health))
            await wait_until(lambda: len(connections) >= 4, timeout_s=8)
            stop.set()
            await asyncio.wait_for(task, 5)
        return out, health, adapter

    out, health, adapter = asyncio.run(main())
    assert all(delay < 3.0 for delay, _ in subs)
    assert subs[0][1] == {
        "APIKey": "test-key",
        "BoundingBoxes": [[[5.0, -80.0], [20.0, -58.0]]],
        "FilterMessageTypes": ["PositionReport", "ShipStaticData"],
    }
    assert health.kinds()[:5] == ["up", "down:silence", "up", "down:closed", "poll_failed"]
    assert health.events[4] == ("poll_failed", "aisstream", "api_error")
    bodies = [r.body for r in out.records]
    assert bodies[:3] == [sample[0], sample[1], sample[3]]
    assert bodies[3] == {"error": "Api Key Is Not Valid"}  # recorded too, as evidence
    assert all(r.feed == "aisstream" and r.source == "aisstream" for r in out.records)
    assert adapter.connections >= 4


def test_adapter_reports_an_unreachable_service_once() -> None:
    async def main() -> HealthLog:
        adapter = AisstreamAdapter(
            "k", url="ws://127.0.0.1:9", open_timeout_s=0.5,
            backoff=Backoff(initial_s=0.05, max_s=0.1, jitter=0.0),
        )
        health, stop = HealthLog(), asyncio.Event()
        task = asyncio.create_task(adapter.run(Collector(), stop, health))
        await asyncio.sleep(0.4)
        stop.set()
        await asyncio.wait_for(task, 5)
        return health

    assert asyncio.run(main()).kinds() == ["down:connect_failed"]


def test_adapter_needs_a_key_and_a_box() -> None:
    with pytest.raises(ValueError, match="API key"):
        AisstreamAdapter("")
    with pytest.raises(ValueError, match="bounding box"):
        AisstreamAdapter("k", [])
