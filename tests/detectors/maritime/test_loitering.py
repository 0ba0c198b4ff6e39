"""Loitering: slow for an hour or more, far from shore (GFW: < 2 kn, >= 1 h, >= 20 nm)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.detectors.maritime.loitering import LoiteringConfig, LoiteringDetector
from monitor.domain import ChangeAction, IncidentKind, Severity
from tests.builders import at
from tests.detectors.maritime.helpers import (
    Harness,
    drifting,
    end_of,
    land_zone,
    steady,
    strike_zone,
)

LAND = land_zone("LAND-VEN", (-70.0, 8.0, -60.0, 10.5))  # the coast runs along 10.5N
KALIMA = "620997001"
OFFSHORE = (-66.2, 11.5)  # 60 nm north of the coast


def loiterer(start=OFFSHORE, *, slow_minutes=120.0, speed_kt=0.6, leave=True):
    """Arrives at 11 kn (10:00-10:30), drifts from 10:30, leaves at 11 kn."""
    arrive = steady(KALIMA, (start[0] - 0.1, start[1]), at(0), minutes=29, speed_kt=11.0)
    slow = drifting(KALIMA, start, at(30), minutes=slow_minutes, speed_kt=speed_kt)
    go = steady(KALIMA, end_of(slow), at(30 + slow_minutes + 1), minutes=60, speed_kt=11.0) if leave else []
    return [*arrive, *slow, *go]


def test_fires_after_an_hour_and_ends_when_under_way():
    h = Harness(LoiteringDetector(), [LAND])
    h.replay(loiterer(), until=at(260))
    (inc,) = h.incidents()
    assert inc.kind == IncidentKind.LOITERING.value and inc.subject_id == KALIMA
    opens = [(now, c) for now, c in h.emitted if c.action is ChangeAction.OPEN]
    (when, first), = opens
    # once the mean speed of the trailing hour is below 2 kn: about an hour after the drift
    # began at 10:30 (a few minutes sooner, as the slow end of the approach counts too)
    assert at(84) <= when <= at(92)
    assert when - inc.started_at == timedelta(hours=1)
    assert at(24) <= inc.started_at <= at(32)
    assert first.details["mean_speed_kt"] < 2.0
    assert first.details["shore_distance_nm"] == pytest.approx(60.0, abs=1.0)
    assert first.severity is Severity.LOW
    # under way again at 12:31: closed at the last slow sample, within minutes of it
    assert at(148) <= inc.ended_at <= at(152)
    assert inc.details["ended_because"].startswith("under way again")
    assert sum(c.action is ChangeAction.UPDATE for c in inc.changes) >= 2


def test_names_the_watched_zone_it_loiters_in():
    zone = strike_zone("STRIKE-SC", (-70.0, 10.9, -60.5, 15.5))
    h = Harness(LoiteringDetector(), [LAND, zone])
    h.replay(loiterer(), until=at(260))
    (inc,) = h.incidents()
    assert inc.zone_id == "STRIKE-SC" and inc.changes[0].severity is Severity.MEDIUM


def test_near_shore_no_incident():
    """The same drift 12 nm off the coast (an anchorage): not loitering at sea."""
    h = Harness(LoiteringDetector(), [LAND])
    h.replay(loiterer(start=(-66.2, 10.7)), until=at(260))
    assert h.incidents() == []


def test_shore_distance_is_configurable():
    h = Harness(LoiteringDetector(LoiteringConfig(min_shore_distance_nm=5.0)), [LAND])
    h.replay(loiterer(start=(-66.2, 10.7)), until=at(260))
    assert len(h.incidents()) == 1


def test_slow_for_less_than_an_hour_no_incident():
    h = Harness(LoiteringDetector(), [LAND])
    h.replay(loiterer(slow_minutes=50), until=at(200))
    assert h.incidents() == []


@pytest.mark.parametrize("speed_kt", [3.0, 8.0])
def test_under_way_slowly_is_not_loitering(speed_kt):
    h = Harness(LoiteringDetector(), [LAND])
    h.replay(loiterer(speed_kt=speed_kt), until=at(260))
    assert h.incidents() == []


def test_reported_speed_must_be_low_too():
    """Positions say 0.6 kn but the vessel reports 6 kn over ground (e.g. circling): the
    mean reported speed vetoes."""
    h = Harness(LoiteringDetector(), [LAND])
    fixes = [o.__class__(**{**{f: getattr(o, f) for f in o.__slots__}, "ground_speed_kt": 6.0})
             for o in loiterer()]
    h.replay(fixes, until=at(260))
    assert h.incidents() == []


def test_lost_contact_closes_at_the_last_slow_sample():
    h = Harness(LoiteringDetector(LoiteringConfig(lost_after_s=3600)), [LAND])
    h.replay(loiterer(leave=False), until=at(400))
    (inc,) = h.incidents()
    assert at(148) <= inc.ended_at <= at(151)
    assert inc.details["ended_because"] == "contact lost"


def test_no_land_known_everything_is_offshore():
    h = Harness(LoiteringDetector(), [])
    h.replay(loiterer(start=(-66.2, 10.7)), until=at(260))
    assert len(h.incidents()) == 1
