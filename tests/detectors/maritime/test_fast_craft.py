"""Fast craft: small or unidentified vessels at go-fast speed inside strike zones."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.detectors.maritime.fast_craft import FastCraftConfig, FastCraftDetector
from monitor.domain import ChangeAction, IncidentKind, Severity, VesselInfo
from tests.builders import T0, at
from tests.detectors.maritime.helpers import Harness, end_of, steady, strike_zone

PARIA = strike_zone("STRIKE-PARIA", (-62.9, 10.62, -61.2, 11.6), severity=Severity.HIGH)
BOAT = "775123456"


def run(speed_kt=38.0, *, start=(-61.0, 11.35), minutes=60.0, slow_after=None, vessels=None,
        zones=(PARIA,), config=None, **kw):
    """From 10:00, westbound from 0.2 deg east of the zone, fixes every 30 s."""
    fixes = steady(BOAT, start, at(0), minutes=minutes, every_s=30.0, speed_kt=speed_kt,
                   bearing_deg=270.0, **kw)
    if slow_after is not None:
        fixes = [o for o in fixes if o.time <= at(slow_after)]
        fixes += steady(BOAT, end_of(fixes), at(slow_after, 30), minutes=40, every_s=30.0,
                        speed_kt=8.0, bearing_deg=270.0, **kw)
    h = Harness(FastCraftDetector(config or FastCraftConfig()), zones, vessels=vessels)
    h.replay(fixes, until=at(minutes + 60))
    return h


def test_unidentified_go_fast_in_a_strike_zone():
    h = run(slow_after=40)
    (inc,) = h.incidents()
    assert inc.kind == IncidentKind.FAST_CRAFT.value and inc.zone_id == "STRIKE-PARIA"
    # enters the zone (-61.2, 11.8 nm west) after 18.6 min at 38 kn; no static data by then
    assert at(18) <= inc.started_at <= at(20)
    first = inc.changes[0]
    assert first.details["profile"] == "unidentified (no static data)"
    assert first.severity is Severity.HIGH
    assert first.details["max_speed_kt"] == pytest.approx(38.0)
    assert inc.ended_at == at(40)  # the last fast fix; closed 15 min into the slow stretch


@pytest.mark.parametrize(
    ("info", "opens"),
    [
        (VesselInfo(BOAT, T0, "t", name="LA NEGRA", ship_type=37, length_m=11.0), True),
        (VesselInfo(BOAT, T0, "t", name="SEA RAY", ship_type=None, length_m=9.5), True),
        (VesselInfo(BOAT, T0, "t", name="BOLIVAR", ship_type=37, length_m=None), True),
        (VesselInfo(BOAT, T0, "t", name="CONFERRY", ship_type=40, length_m=96.0), False),
        (VesselInfo(BOAT, T0, "t", name="GUARDACOSTA", ship_type=55, length_m=20.0), False),
        (VesselInfo(BOAT, T0, "t", name="PATRULLERO", ship_type=35, length_m=None), False),
    ],
    ids=["pleasure-11m", "9.5m", "pleasure", "fast-ferry-96m", "law-enforcement", "military"],
)
def test_profile_from_static_data(info, opens):
    h = run(vessels={BOAT: info})
    assert len(h.incidents()) == (1 if opens else 0)


def test_small_craft_opens_at_the_second_fast_fix_inside():
    info = VesselInfo(BOAT, T0, "t", name="LA NEGRA", ship_type=37, length_m=11.0)
    h = run(start=(-61.3, 11.35), vessels={BOAT: info})
    (when, first), = [(n, c) for n, c in h.emitted if c.action is ChangeAction.OPEN]
    assert first.at == at(0) and when - first.at <= timedelta(seconds=60)


def test_too_slow_no_incident():
    assert run(speed_kt=22.0).incidents() == []


def test_outside_strike_zones_no_incident():
    assert run(start=(-58.0, 11.35)).incidents() == []


def test_implausible_speed_is_not_a_boat():
    assert run(speed_kt=120.0).incidents() == []


def test_speed_implied_by_positions_when_none_is_reported():
    h = run(report_speed=False, slow_after=40)
    (inc,) = h.incidents()
    assert inc.changes[0].details["max_speed_kt"] == pytest.approx(38.0, abs=0.5)


def test_lost_contact_closes_at_the_last_fast_fix():
    h = run(minutes=30)
    (inc,) = h.incidents()
    assert inc.ended_at == at(30)
    assert inc.details["ended_because"] == "contact lost"
