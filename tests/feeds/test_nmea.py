"""The ``ais_nmea`` parser over real receiver logs and our own fixture, and the TCP / UDP readers."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyais import encode_dict

from monitor.domain import Observation, SubjectKind
from monitor.errors import ParseError
from monitor.feeds.nmea import (
    NmeaParser,
    NmeaTcpAdapter,
    NmeaUdpAdapter,
    build_vessel_observation,
    make_parser,
    nmea_checksum,
)
from monitor.feeds.registry import make_parser as registry_parser
from monitor.feeds.streams import Backoff, LineBuffer
from tests.feeds.maritime_helpers import FIXTURES, Collector, HealthLog, utc, wait_until

T = datetime(2023, 4, 7, 12, 0, tzinfo=UTC)


def parse(text: str, parser: NmeaParser | None = None, received_at: datetime = T):
    p = parser or make_parser()
    return p(text, received_at=received_at, source="rx", record_ref="cap:1")


# --- our fixture: every line shape, exact values ---------------------------------------


def test_fixture_gives_the_expected_vessels_times_and_errors() -> None:
    spec = json.loads((FIXTURES / "caribbean_receiver.expected.json").read_text())
    p = make_parser()
    r = parse((FIXTURES / "caribbean_receiver.nmea").read_text(), p, utc(spec["received_at"]))

    assert [o.subject_id for o in r.observations] == [f"{v['mmsi']:09d}" for v in spec["positions"]]
    for obs, v in zip(r.observations, spec["positions"], strict=True):
        want = v["expect"]
        tol = want.get("position_tolerance_deg", 1e-6)
        assert obs.lat == pytest.approx(v["lat"], abs=tol)
        assert obs.lon == pytest.approx(v["lon"], abs=tol)
        assert obs.time == utc(want["time"]), obs.subject_id
        for key in ("ground_speed_kt", "track_deg", "heading_deg", "nav_status"):
            assert getattr(obs, key) == (None if want[key] is None else pytest.approx(want[key])), key
        assert obs.subject_kind is SubjectKind.VESSEL
        assert obs.position_source == "ais" and obs.feed_kind == "ais_nmea"
        assert obs.record_ref == "cap:1"

    assert len(r.vessel_info) == len(spec["statics"])
    for info, s in zip(r.vessel_info, spec["statics"], strict=True):
        assert info.mmsi == f"{s['fields']['mmsi']:09d}"
        for key, value in s["expect"].items():
            got = info.time if key == "time" else getattr(info, key)
            assert got == (utc(value) if key == "time" else value), key

    assert dict(r.errors) == spec["errors"]
    for key, n in spec["stats"].items():
        assert p.stats[key] == n


def test_not_available_values_become_none_not_numbers() -> None:
    line = encode_dict(
        {"type": 1, "mmsi": 775000003, "lat": 10.5, "lon": -66.5, "speed": 102.3, "course": 360.0, "heading": 511},
        talker_id="AI", sentence_type="VDM",
    )[0]
    (obs,) = parse(line).observations
    assert (obs.ground_speed_kt, obs.track_deg, obs.heading_deg) == (None, None, None)


def test_lat_91_lon_181_is_not_an_observation() -> None:
    line = encode_dict({"type": 18, "mmsi": 775000004, "lat": 91.0, "lon": 181.0}, talker_id="AI", sentence_type="VDM")[0]
    r = parse(line)
    assert r.observations == [] and r.errors["no_position"] == 1


def test_mmsi_keeps_its_leading_zeros() -> None:
    line = encode_dict({"type": 1, "mmsi": 2393200, "lat": 37.9, "lon": 23.6}, talker_id="AI", sentence_type="VDM")[0]
    assert parse(line).observations[0].subject_id == "002393200"


def test_vessel_observation_builder_fills_the_vessel_constants() -> None:
    kw = dict(source="s", subject_id="775000001", time=T, lat=1.0, lon=2.0, name="X", ground_speed_kt=3.0,
              track_deg=4.0, heading_deg=5.0, vessel_type=30, nav_status=7, record_ref="r")
    built = build_vessel_observation(*kw.values())
    plain = Observation(feed_kind="ais_nmea", subject_kind=SubjectKind.VESSEL, position_source="ais", **kw)
    assert built == plain


# --- multi-part messages across bodies, and their bounds ---------------------------------


def _type5(seq: int = 1) -> list[str]:
    return encode_dict(
        {"type": 5, "mmsi": 775123456, "shipname": "CARIBE STAR", "callsign": "YYAB3", "ship_type": 80},
        talker_id="AI", sentence_type="VDM", seq_id=seq,
    )


def test_multipart_split_across_two_bodies_of_one_stream_is_reassembled() -> None:
    p = make_parser()
    first, second = _type5()
    r1 = parse(first, p, T)
    assert r1.vessel_info == [] and p.pending_count == 1 and not r1.errors
    r2 = parse(second, p, T + timedelta(seconds=1))
    assert [v.name for v in r2.vessel_info] == ["CARIBE STAR"] and p.pending_count == 0


def test_pending_fragment_times_out_and_is_counted() -> None:
    p = NmeaParser(pending_timeout_s=10.0)
    first, second = _type5()
    parse(first, p, T)
    r = parse(second, p, T + timedelta(seconds=30))
    assert r.vessel_info == []
    assert r.errors == {"incomplete_message": 1, "orphan_fragment": 1}


def test_pending_fragments_are_bounded() -> None:
    p = NmeaParser(max_pending=3)
    firsts = "\n".join(_type5(seq)[0] for seq in range(6))
    r = parse(firsts, p)
    assert p.pending_count == 3 and r.errors["incomplete_message"] == 3


def _sentence(fields: str) -> str:
    return f"!{fields}*{nmea_checksum(fields.encode()):02X}"


def test_out_of_order_fragments_are_counted_and_dropped() -> None:
    p = make_parser()
    text = "\n".join([
        _sentence("AIVDM,3,1,7,A,8000000000000000000000000000000000000000000,0"),
        _sentence("AIVDM,3,3,7,A,0000000000,2"),  # part 2 never came
        _sentence("AIVDM,3,2,7,A,0000000000,0"),  # late: its part 1 was dropped
    ])
    r = parse(text, p)
    assert r.errors == {"fragment_out_of_order": 1, "orphan_fragment": 1}
    assert p.pending_count == 0


def test_truncated_body_keeps_part_one_waiting_not_lost() -> None:
    p = make_parser()
    first, second = _type5()
    text = first + "\n" + second[: len(second) // 2]
    r = parse(text, p)
    assert r.errors["bad_checksum"] == 1 and p.pending_count == 1


# --- bodies that are not NMEA text --------------------------------------------------------


def test_a_json_body_is_a_parse_error_not_a_crash() -> None:
    with pytest.raises(ParseError) as err:
        make_parser()({"not": "nmea"}, received_at=T, source="rx", record_ref=None)
    assert err.value.reason == "not_text"


def test_registry_gives_a_fresh_parser_per_source() -> None:
    a, b = registry_parser("ais_nmea"), registry_parser("ais_nmea")
    first, _ = _type5()
    a(first, received_at=T, source="a", record_ref=None)
    assert isinstance(a, NmeaParser) and a.pending_count == 1 and b.pending_count == 0


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0", 0x23), (b"", 0), (b"A" * 300, 0)],
)
def test_checksum_matches_a_plain_xor(data: bytes, expected: int) -> None:
    x = 0
    for b in data:
        x ^= b
    assert nmea_checksum(data) == x == expected


# --- real recordings -------------------------------------------------------------------


def _load_chk(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def test_gpsd_live_log_matches_gpsds_own_decode(samples_dir: Path) -> None:
    """gpsd's expected decode of ais-raw-messages.log is the oracle (raw units, scaled=false)."""
    r = parse((samples_dir / "ais_nmea_gpsd_ais-raw-messages.log").read_text())
    oracle = _load_chk(samples_dir / "ais_nmea_gpsd_ais-raw-messages.decoded.chk")
    positions = [d for d in oracle if d["type"] in (1, 2, 3, 18, 19, 27)]
    assert len(positions) == 91 and not r.errors
    assert len(r.observations) == len(positions)
    for obs, d in zip(r.observations, positions, strict=True):
        assert obs.subject_id == f"{d['mmsi']:09d}"
        assert obs.lat == pytest.approx(d["lat"] / 600000.0, abs=1e-6)
        assert obs.lon == pytest.approx(d["lon"] / 600000.0, abs=1e-6)
        assert obs.ground_speed_kt == (None if d["speed"] == 1023 else pytest.approx(d["speed"] / 10.0))
        assert obs.track_deg == (None if d["course"] == 3600 else pytest.approx(d["course"] / 10.0))
        assert obs.heading_deg == (None if d["heading"] == 511 else d["heading"])
        if "status" in d:
            assert obs.nav_status == d["status"]
    expected = []
    for d in oracle:
        mmsi = f"{d['mmsi']:09d}"
        if d["type"] == 5:
            expected.append((mmsi, d["shipname"], d["callsign"]))
        elif d["type"] == 24:  # gpsd merges parts A and B; we emit each part as it comes
            expected += [(mmsi, d["shipname"], None), (mmsi, None, d["callsign"])]
    # gpsd reports the merged type 24 when part B arrives; part A came earlier
    assert sorted((v.mmsi, v.name or "", v.callsign or "") for v in r.vessel_info) == sorted(
        (m, n or "", c or "") for m, n, c in expected
    )
    lady_rina = next(v for v in r.vessel_info if v.name == "LADY RINA")
    assert (lady_rina.imo, lady_rina.length_m, lady_rina.beam_m, lady_rina.draught_m) == (9631383, 183.0, 27.0, 7.5)


def test_pyais_tag_block_sample(samples_dir: Path) -> None:
    """AISHub lines, comments, garbage, tag blocks, SA/AA talkers, a malformed checksum."""
    p = make_parser()
    r = parse((samples_dir / "ais_nmea_pyais_sample_tagblocks.ais").read_text(), p)
    # the multi-part !SAVDM type 5 behind a tag block with a valid c: time
    (info,) = r.vessel_info
    assert (info.mmsi, info.name, info.callsign) == ("366989380", "MARE ISLAND", "WDC2198")
    assert info.time == datetime(2015, 4, 9, 23, 22, 18, tzinfo=UTC)  # c:1428621738 of part 1
    assert len(r.observations) == 10
    assert r.errors == {"garbage": 1, "bad_checksum": 1, "bad_tag_block": 4, "bad_sentence": 1}
    assert any("IamNotAnAisMessage" in s for s in r.error_samples)
    assert p.stats["gatehouse"] == 1


def test_gatehouse_wrapper_time_is_the_fix_time(samples_dir: Path) -> None:
    """A $PGHP line times the next AIS message only; the others keep received_at."""
    r = parse((samples_dir / "ais_nmea_pyais_gatehouse.nmea").read_text())
    assert [(o.subject_id, o.time) for o in r.observations] == [
        ("367309370", datetime(2008, 5, 9, 0, 0, 0, 10000, tzinfo=UTC)),
        ("413355820", T),
        ("445451000", datetime(2009, 5, 9, 0, 0, 0, 10000, tzinfo=UTC)),
        ("412764890", T),
    ]


def test_aisdb_tag_blocks_give_2021_fix_times(samples_dir: Path) -> None:
    r = parse((samples_dir / "ais_nmea_aisdb_tagblock_20211101.nm4").read_text())
    assert len(r.observations) == 914
    assert r.errors == {"no_position": 2, "bad_mmsi": 1}
    first = r.observations[0]  # line 2 (line 1 is a base station), c:1635731909
    assert (first.subject_id, first.time) == ("412750020", datetime(2021, 11, 1, 1, 58, 29, tzinfo=UTC))
    assert min(o.time for o in r.observations) >= datetime(2021, 11, 1, 1, 58, tzinfo=UTC)
    assert max(o.time for o in r.observations) < datetime(2021, 11, 1, 2, 1, tzinfo=UTC)


def test_uscg_trailing_fields_are_cut_at_the_checksum(samples_dir: Path) -> None:
    r = parse((samples_dir / "ais_nmea_aisdb_uscg_nais_20120101.nmea").read_text())
    assert r.errors == {"bad_position": 2}  # two sentences really encode lat -101 / lon 200
    assert [o.subject_id for o in r.observations] == ["367033650", "636091044", "366764000"]
    assert r.observations[0].lat == pytest.approx(42.79855)
    assert [(v.mmsi, v.name) for v in r.vessel_info] == [
        ("249190000", "RUTH THERESA"),
        ("366764000", "R/V GULF CHALLENGER"),
    ]


def test_gps_sentences_are_counted_as_not_ais_not_errors(samples_dir: Path) -> None:
    p = make_parser()
    r = parse((samples_dir / "ais_nmea_gpsd_ais-nmea.log").read_text(), p)
    assert p.stats["not_ais"] == 1313 and p.stats["messages"] == 171
    assert r.errors == {"no_position": 3}
    assert len(r.observations) == 141


def test_pyais_bad_input_sample_is_counted_by_reason(samples_dir: Path) -> None:
    p = make_parser()
    r = parse((samples_dir / "ais_nmea_pyais_nmea_data_sample.txt").read_text(), p)
    assert p.stats["messages"] == 778  # what pyais itself decodes from this file
    assert r.errors["decode_error"] == 100  # the empty-payload sentences
    assert len(r.observations) == 758


def test_every_real_nmea_sample_parses_without_raising(samples_dir: Path) -> None:
    for path in sorted(samples_dir.glob("ais_nmea_*")):
        if path.suffix == ".chk":
            continue
        r = parse(path.read_text())
        assert r.observations or r.vessel_info, path.name


# --- line buffering: the pyais#213 failure -------------------------------------------------


def test_line_buffer_keeps_a_line_split_across_reads() -> None:
    first, second = _type5()
    stream = (f"{first}\n{second}\n!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23\n").encode()
    # the chunking of the issue: a read ends mid-line and the next message starts in it
    cut1, cut2 = 32, len(first) + 10
    buf = LineBuffer()
    lines = buf.feed(stream[:cut1]) + buf.feed(stream[cut1:cut2]) + buf.feed(stream[cut2:])
    assert [x.decode() for x in lines] == [first, second, "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23"]


def test_line_buffer_drops_an_endless_line_and_recovers() -> None:
    buf = LineBuffer(max_line_bytes=50)
    assert buf.feed(b"x" * 80) == []
    assert buf.feed(b"yyy\n!ok\n") == [b"!ok"]
    assert buf.dropped_overlong == 1


# --- adapters against real local sockets ---------------------------------------------------


def _fast_backoff() -> Backoff:
    return Backoff(initial_s=0.05, max_s=0.1, jitter=0.0)


def test_tcp_adapter_reassembles_a_message_split_across_writes_and_reconnects() -> None:
    first, second = _type5()
    position = encode_dict({"type": 1, "mmsi": 775123456, "lat": 10.6, "lon": -66.9}, talker_id="AI", sentence_type="VDM")[0]
    payload = f"{first}\n{second}\n{position}\n".encode()
    connections: list[int] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        if len(connections) == 1:
            cut = len(first) + 12  # inside part 2
            writer.write(payload[:cut])
            await writer.drain()
            await asyncio.sleep(0.15)
            writer.write(payload[cut:])
            await writer.drain()
            await asyncio.sleep(0.3)
        writer.close()  # end of the session: the adapter must reconnect

    async def main() -> tuple[list, HealthLog, int]:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        adapter = NmeaTcpAdapter("127.0.0.1", port, flush_interval_s=0.05, silence_timeout_s=5.0, backoff=_fast_backoff())
        out, health, stop = Collector(), HealthLog(), asyncio.Event()
        task = asyncio.create_task(adapter.run(out, stop, health))
        await wait_until(lambda: len(connections) >= 2)
        stop.set()
        await asyncio.wait_for(task, 5)
        server.close()
        await server.wait_closed()
        return out.records, health, adapter.connections

    records, health, n_conn = asyncio.run(main())
    assert n_conn >= 2
    assert all(r.feed == "ais_nmea" and r.source == "ais_nmea_tcp" for r in records)
    p = make_parser()
    infos, obs = [], []
    for rec in records:
        res = p(rec.body, received_at=rec.received_at, source=rec.source_name, record_ref=None)
        assert not res.errors
        infos += res.vessel_info
        obs += res.observations
    assert [v.name for v in infos] == ["CARIBE STAR"] and len(obs) == 1
    assert health.kinds()[:2] == ["up", "down:eof"]


def test_tcp_adapter_treats_silence_as_a_dead_connection() -> None:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"# hello\n")
        await writer.drain()
        await asyncio.sleep(2.0)  # then says nothing
        writer.close()

    async def main() -> HealthLog:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        adapter = NmeaTcpAdapter("127.0.0.1", port, flush_interval_s=0.05, silence_timeout_s=0.3, backoff=_fast_backoff())
        out, health, stop = Collector(), HealthLog(), asyncio.Event()
        task = asyncio.create_task(adapter.run(out, stop, health))
        await wait_until(lambda: "down:silence" in health.kinds() and adapter.connections >= 2)
        stop.set()
        await asyncio.wait_for(task, 5)
        server.close()
        await server.wait_closed()
        return health

    health = asyncio.run(main())
    assert health.kinds()[:3] == ["up", "down:silence", "up"]


def test_tcp_adapter_reports_a_refused_connection_once() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nobody listens there now

    async def main() -> HealthLog:
        adapter = NmeaTcpAdapter("127.0.0.1", port, backoff=_fast_backoff())
        health, stop = HealthLog(), asyncio.Event()
        task = asyncio.create_task(adapter.run(Collector(), stop, health))
        await asyncio.sleep(0.4)
        stop.set()
        await asyncio.wait_for(task, 5)
        return health

    assert asyncio.run(main()).kinds() == ["down:connect_failed"]


def test_udp_adapter_batches_datagrams_and_reports_silence() -> None:
    lines = [
        encode_dict({"type": 1, "mmsi": 775000010 + i, "lat": 10.0 + i / 10, "lon": -66.0}, talker_id="AI", sentence_type="VDM")[0]
        for i in range(3)
    ]

    async def main() -> tuple[list, HealthLog]:
        adapter = NmeaUdpAdapter("127.0.0.1", 0, flush_interval_s=0.1, silence_timeout_s=0.3)
        out, health, stop = Collector(), HealthLog(), asyncio.Event()
        task = asyncio.create_task(adapter.run(out, stop, health))
        await asyncio.wait_for(adapter.listening.wait(), 5)
        assert adapter.bound is not None
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        tx.sendto((lines[0] + "\r\n" + lines[1]).encode(), adapter.bound)  # no final newline
        tx.sendto((lines[2] + "\n").encode(), adapter.bound)
        tx.close()
        await out.wait_for(lambda: sum(r.body.count("\n") + 1 for r in out.records) >= 3)
        await wait_until(lambda: "down:silence" in health.kinds())
        stop.set()
        await asyncio.wait_for(task, 5)
        return out.records, health

    records, health = asyncio.run(main())
    text = "\n".join(r.body for r in records)
    r = parse(text)
    assert sorted(o.subject_id for o in r.observations) == ["775000010", "775000011", "775000012"]
    assert health.kinds()[:2] == ["up", "down:silence"]
