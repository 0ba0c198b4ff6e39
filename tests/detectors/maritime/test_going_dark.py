"""Going dark: a vessel silent while others around it keep reporting and the feed is up.

The main case: a tanker in a strike zone stops transmitting at 10:30 while two fishing
boats 10-15 km away keep reporting every two minutes; it reappears at 13:10, 24 nm west.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.detectors.maritime.going_dark import GoingDarkConfig, GoingDarkDetector
from monitor.domain import ChangeAction, IncidentKind, Severity
from tests.builders import at
from tests.detectors.maritime.helpers import Harness, drifting, end_of, steady, strike_zone

ZONE = strike_zone("STRIKE-PARIA", (-63.0, 10.6, -61.2, 11.6))
DARK = "613254871"
FISHERS = ("775009541", "775009544")


def tanker(start=(-62.05, 11.30), **kw):
    """Under way westwards from 10:00, silent from 10:30 (last fix 10:30), back at 13:10."""
    before = steady(DARK, start, at(0), minutes=30, speed_kt=9.0, bearing_deg=270.0, **kw)
    gone = steady(DARK, end_of(before), at(30), minutes=160, speed_kt=9.0, bearing_deg=270.0,
                  every_s=600.0, **kw)
    return before, gone[-1]


def fishers(minutes=200, near=(-62.10, 11.22)):
    out = []
    for k, mmsi in enumerate(FISHERS):
        lon, lat = near[0] + 0.1 * k, near[1] + 0.05 * k
        out += drifting(mmsi, (lon, lat), at(0), minutes=minutes, every_s=120.0, speed_kt=3.0)
    return out


def opened(h: Harness):
    return [(now, c) for now, c in h.emitted if c.action is ChangeAction.OPEN]


def test_fires_at_the_threshold_and_closes_on_reappearance_with_gap_and_speed():
    h = Harness(GoingDarkDetector(GoingDarkConfig(gap_s=7200)), [ZONE])
    before, back = tanker()
    h.replay([*before, *fishers(), back], until=at(200))
    (inc,) = h.incidents()
    assert inc.kind == IncidentKind.GOING_DARK.value
    assert inc.subject_id == DARK and inc.zone_id == "STRIKE-PARIA"
    assert inc.started_at == at(30)  # the silence starts at the last fix
    (when, first), = opened(h)
    assert at(150) <= when <= at(151)  # opened once the 2 h threshold was reached
    assert first.severity is Severity.HIGH
    assert first.details["coverage_neighbours"] == 2
    assert first.details["feeds_checked"] == ["test"]
    assert inc.ended_at == at(190)
    d = inc.details
    assert d["last_fix_at"] == at(30).isoformat() and d["reappeared_at"] == at(190).isoformat()
    assert (d["last_lon"], d["last_lat"]) == end_of(before)
    assert (d["reappeared_lon"], d["reappeared_lat"]) == (back.lon, back.lat)
    assert d["gap_s"] == 160 * 60
    assert d["distance_nm"] == pytest.approx(24.0, abs=0.1)
    assert d["implied_speed_kt"] == pytest.approx(9.0, abs=0.05)
    close = inc.changes[-1]
    assert close.track == (end_of(before), (back.lon, back.lat))


def test_feed_outage_raises_nothing():
    """The feed delivers nothing from 10:31 to 13:09: every vessel falls silent together."""
    h = Harness(GoingDarkDetector(), [ZONE])
    before, back = tanker()
    others = [o for o in fishers() if not at(31) <= o.time < at(189)]
    h.replay([*before, *others, back], until=at(240))
    assert h.incidents() == []


def test_outage_beginning_just_before_the_threshold_raises_nothing():
    """The tanker is silent from 10:30; the feed itself dies at 12:27, three minutes before
    the 2 h threshold, and comes back at 13:30 without the tanker."""
    h = Harness(GoingDarkDetector(), [ZONE])
    before, _ = tanker()
    others = [o for o in fishers(minutes=300) if not at(147) <= o.time < at(210)]
    h.replay([*before, *others], until=at(300))
    assert h.incidents() == []


def test_no_coverage_evidence_no_incident():
    """Nobody near the tanker is heard (the only other vessel is 300 km away)."""
    h = Harness(GoingDarkDetector(), [ZONE])
    before, back = tanker()
    far = drifting("775009541", (-65.0, 12.5), at(0), minutes=200, every_s=120.0)
    h.replay([*before, *far, back], until=at(200))
    assert h.incidents() == []


def test_far_from_any_watched_zone_no_incident():
    h = Harness(GoingDarkDetector(), [strike_zone("STRIKE-FAR", (-70.0, 14.0, -69.0, 15.0))])
    before, back = tanker()
    h.replay([*before, *fishers(), back], until=at(200))
    assert h.incidents() == []


def test_near_a_watched_zone_counts_with_its_distance():
    """Last fix 5 nm south of the zone (zone from 11.4N; the tanker at 11.317N)."""
    zone = strike_zone("STRIKE-NORTH", (-63.0, 11.4, -61.2, 12.0))
    h = Harness(GoingDarkDetector(), [zone])
    before, back = tanker(start=(-62.05, 11.317))
    h.replay([*before, *fishers(), back], until=at(200))
    (inc,) = h.incidents()
    assert inc.zone_id == "STRIKE-NORTH"
    assert inc.details["zone_distance_nm"] == pytest.approx(5.0, abs=0.1)
    assert inc.changes[0].severity is Severity.MEDIUM


def test_shorter_silence_than_the_threshold_no_incident():
    h = Harness(GoingDarkDetector(GoingDarkConfig(gap_s=3 * 3600)), [ZONE])
    before, back = tanker()
    h.replay([*before, *fishers(), back], until=at(200))
    assert h.incidents() == []


def test_in_port_no_incident():
    """A ship alongside in La Guaira switches AIS off: not going dark."""
    port_zone = strike_zone("STRIKE-CENTRAL", (-68.6, 10.2, -65.4, 11.8))
    h = Harness(GoingDarkDetector(), [port_zone])
    before = steady(DARK, (-66.935, 10.605), at(0), minutes=30, speed_kt=0.0)
    others = fishers(near=(-66.95, 10.70))
    h.replay([*before, *others], until=at(200))
    assert h.incidents() == []


@pytest.mark.parametrize(("kw", "why"), [({"nav_status": 5}, "moored"), ({}, "few fixes")])
def test_moored_or_one_off_reception_no_incident(kw, why):
    h = Harness(GoingDarkDetector(), [ZONE])
    before, back = tanker(**kw)
    if why == "few fixes":
        before = before[-2:]
    h.replay([*before, *fishers(), back], until=at(200))
    assert h.incidents() == []


def test_reappearance_after_a_long_coarse_batch_opens_and_closes_at_once():
    """No sweep saw the silence (one detect call per hour of data): the reappearance itself
    opens and closes the incident, after the same checks."""
    det = GoingDarkDetector()
    h = Harness(det, [ZONE])
    before, back = tanker()
    h.step(before)
    others = fishers()
    for t in range(31, 190):  # the feed keeps delivering (others' records), no detect call
        h.feed("test", at(t))
    h.step([o for o in others if o.time <= back.time] + [back])
    (inc,) = h.incidents()
    assert inc.started_at == at(30) and inc.ended_at == at(190)
    assert [c.action for c in inc.changes] == [ChangeAction.OPEN, ChangeAction.CLOSE]


def test_restart_closes_the_incident_a_previous_run_left_open():
    h = Harness(GoingDarkDetector(), [ZONE])
    before, back = tanker()
    h.replay([*before, *fishers(minutes=160)], until=at(160))
    (inc,) = h.incidents()
    assert inc.ended_at is None
    h.det = GoingDarkDetector()  # a new process: the store reloaded the open incident
    h.step([back])
    (inc,) = h.incidents()
    assert inc.ended_at == at(190)
    assert inc.details["gap_s"] == pytest.approx(160 * 60)


def test_a_vessel_forgotten_after_days_of_silence():
    det = GoingDarkDetector(GoingDarkConfig(forget_after_s=86400))
    h = Harness(det, [])
    h.replay(steady(DARK, (-62.0, 11.3), at(0), minutes=10))
    h.tick(at(0) + timedelta(days=2))
    assert det._vessels == {}
