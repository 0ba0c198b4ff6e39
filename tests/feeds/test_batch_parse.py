"""Parsing a batch record by record (``monitor.feeds.batch``): outcomes in order, deferred
records parsed later in their place, parser bugs kept as outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monitor.capture import CaptureRecord
from monitor.domain import Notice, Observation, ParseResult, SubjectKind, VesselInfo
from monitor.errors import ParseError
from monitor.feeds.batch import ParsedRecords, complete, parse_records

T0 = datetime(2025, 11, 24, 12, 0, tzinfo=UTC)


def _fake_parser(kind: str, source: str):  # type: ignore[no-untyped-def]
    """Bodies are small dicts saying what to give: positions, vessel info, notices,
    ``fail`` (a ParseError reason) or ``bug``."""

    def parse(body: Any, *, received_at: datetime, source: str, record_ref: str | None) -> ParseResult:
        if "fail" in body:
            raise ParseError(kind, body["fail"], "the body says so")
        if "bug" in body:
            raise ZeroDivisionError("division by zero")
        r = ParseResult()
        for i in range(body.get("obs", 0)):
            r.observations.append(Observation(
                source=source, feed_kind=kind, subject_kind=SubjectKind.VESSEL,
                subject_id=f"{record_ref}-{i}", time=received_at, lat=10.0, lon=-66.0,
                record_ref=record_ref,
            ))
        for i in range(body.get("info", 0)):
            r.vessel_info.append(VesselInfo(mmsi=f"77512{i:04d}", time=received_at, source=source))
        for i in range(body.get("notices", 0)):
            r.notices.append(Notice(ref=f"{record_ref}/{i}", text="NAVAREA IV", issued_at=received_at, source=source))
        if body.get("skip"):
            r.reject("bad_lat", "lat=91")
        return r

    return parse


def _records() -> list[CaptureRecord]:
    bodies = [
        ("aisstream", {"obs": 3, "info": 1}),
        ("nga_msi", {"notices": 2}),
        ("aisstream", {"obs": 2, "skip": True}),
        ("aisstream", {"fail": "not_json"}),
        ("nga_msi", {"obs": 1, "notices": 1}),
        ("aisstream", {"bug": True}),
        ("aisstream", {"obs": 1, "info": 2}),
    ]
    return [
        CaptureRecord(kind, T0 + timedelta(seconds=i), body, ref=f"r{i}")
        for i, (kind, body) in enumerate(bodies)
    ]


def _as_tuple(p: ParsedRecords) -> tuple:
    return (p.observations, p.vessel_info, p.zone_versions, p.notices, p.outcomes)


def test_outcomes_follow_the_records() -> None:
    parsed = parse_records(_records(), _fake_parser)
    assert [o.n_observations for o in parsed.outcomes] == [3, 0, 2, 0, 1, 0, 1]
    assert [o.failure for o in parsed.outcomes] == [None, None, None, "not_json", None, "parser_bug", None]
    assert parsed.outcomes[2].errors == {"bad_lat": 1}
    assert parsed.outcomes[2].error_samples == ["bad_lat: lat=91"]
    assert parsed.outcomes[0].items == 4
    bug = parsed.outcomes[5]
    assert bug.bug and "ZeroDivisionError: division by zero" in bug.detail
    assert "Traceback" in bug.detail
    assert [o.subject_id for o in parsed.observations] == [
        "r0-0", "r0-1", "r0-2", "r2-0", "r2-1", "r4-0", "r6-0"
    ]


def test_deferred_records_are_parsed_later_in_their_place() -> None:
    records = _records()
    whole = parse_records(records, _fake_parser)
    first = parse_records(records, _fake_parser, defer=frozenset({"nga_msi"}))
    assert first.deferred
    assert [o.deferred for o in first.outcomes] == [False, True, False, False, True, False, False]
    assert first.notices == []
    done = complete(records, first, _fake_parser)
    assert not done.deferred
    assert _as_tuple(done) == _as_tuple(whole)


def test_nothing_deferred_is_returned_as_it_is() -> None:
    parsed = parse_records(_records(), _fake_parser)
    assert complete(_records(), parsed, _fake_parser) is parsed


def test_outcomes_for_another_batch_are_refused() -> None:
    records = _records()
    parsed = parse_records(records, _fake_parser, defer=frozenset({"nga_msi"}))
    with pytest.raises(ValueError, match="7 parse outcome"):
        complete(records[:3], parsed, _fake_parser)


def test_stream_parsers_keep_one_parser_per_kind_and_source() -> None:
    from monitor.feeds.registry import StreamParsers

    asked: list[int] = []

    def firs() -> dict:
        asked.append(1)
        return {}

    parsers = StreamParsers(firs)
    a = parsers("ais_nmea", "rx1")
    assert parsers("ais_nmea", "rx1") is a  # its multi-part state lives on
    assert parsers("ais_nmea", "rx2") is not a
    assert parsers("faa_nms", "faa") is parsers("faa_nms", "faa")
    assert len(asked) == 3  # the zone set is read once per parser made
