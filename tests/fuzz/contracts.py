"""The parser contract the fuzzers check (shared by the fuzz tests and the regressions)."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from monitor.domain import ParseResult
from monitor.errors import ParseError
from monitor.feeds.base import MAX_FUTURE_S
from monitor.feeds.registry import make_parser
from tests.fuzz.strategies import RECEIVED_AT

_FUTURE = timedelta(seconds=MAX_FUTURE_S)


def _finite_or_none(name: str, value: Any) -> None:
    if isinstance(value, float):
        assert math.isfinite(value), f"{name} is {value!r}"


def check_result(kind: str, result: ParseResult) -> None:
    """What every parser promises about what it returns."""
    assert isinstance(result, ParseResult), f"{kind} returned {type(result).__name__}"
    for reason, n in result.errors.items():
        assert isinstance(reason, str) and reason.strip(), f"reject reason {reason!r}"
        assert n > 0
    for obs in result.observations:
        assert -90.0 <= obs.lat <= 90.0 and -180.0 <= obs.lon <= 180.0, (obs.lat, obs.lon)
        assert obs.time.tzinfo is not None, f"naive time {obs.time!r}"
        assert obs.time <= RECEIVED_AT + _FUTURE, f"fix from the future: {obs.time}"
        assert isinstance(obs.subject_id, str) and obs.subject_id, obs
        for name in (
            "altitude_ft",
            "geo_altitude_ft",
            "ground_speed_kt",
            "track_deg",
            "heading_deg",
            "vertical_rate_fpm",
        ):
            _finite_or_none(name, getattr(obs, name))
    for info in result.vessel_info:
        assert info.time.tzinfo is not None
        for name in ("length_m", "beam_m", "draught_m"):
            _finite_or_none(name, getattr(info, name))
    for zone in result.zone_versions:
        assert zone.valid_from is None or zone.valid_from.tzinfo is not None
        assert zone.valid_to is None or zone.valid_to.tzinfo is not None
        assert zone.geometry.is_valid and not zone.geometry.is_empty, zone.zone_id
        minx, miny, maxx, maxy = zone.geometry.bounds
        assert -180.0 <= minx <= maxx <= 180.0 and -90.0 <= miny <= maxy <= 90.0, (
            zone.geometry.bounds
        )
    if result.feed_time is not None:
        assert result.feed_time.tzinfo is not None


def run_parser(kind: str, *bodies: Any) -> None:
    """Feed ``bodies`` through one fresh parser (stateful parsers keep state between them)."""
    parser = make_parser(kind)
    for body in bodies:
        try:
            result = parser(body, received_at=RECEIVED_AT, source="fuzz", record_ref="fuzz:1")
        except ParseError as exc:
            assert exc.feed and exc.reason and exc.reason.strip(), repr(exc)
            continue
        check_result(kind, result)
