"""Zone transit: vessels entering, staying in, leaving and crossing watched zones."""

from __future__ import annotations

import pytest

from monitor.detectors.maritime.zone_transit import ZoneTransitConfig, ZoneTransitDetector
from monitor.domain import AppliesTo, ChangeAction, IncidentKind, Severity, ZoneKind, ZoneStatus
from monitor.geofence.types import Transition, TransitionKind
from tests.builders import aircraft, at, box_zone, vessel
from tests.detectors.helpers import apply, batch, make_state
from tests.detectors.maritime.helpers import land_zone, strike_zone

STRIKE = strike_zone("STRIKE-PARIA", (-63.0, 10.6, -61.2, 11.6), severity=Severity.HIGH)
TERRSEA = box_zone("TERRSEA-VEN", (-70, 10, -60, 11), kind=ZoneKind.TERRITORIAL_SEA,
                   status=ZoneStatus.INFORMATIONAL, applies_to=AppliesTo.BOTH,
                   severity=Severity.INFO)
WARNING = box_zone("NAVAREA-IV-1342-25", (-70.6, 13.8, -69.6, 14.3),
                   kind=ZoneKind.NAVIGATIONAL_WARNING, status=ZoneStatus.ACTIVE,
                   applies_to=AppliesTo.VESSELS, severity=Severity.MEDIUM)
MMSI = "636019812"


def tr(kind, obs, zone, i=0, **kw):
    return Transition(kind, obs.subject_kind.value, obs.subject_id, zone, obs.time, i, **kw)


def test_enter_stay_leave_is_one_incident_opened_updated_closed():
    det, state = ZoneTransitDetector(ZoneTransitConfig(update_every_s=600)), make_state()
    fixes = [vessel(MMSI, -61.0 - 0.05 * k, 11.0, at(5 * k), ground_speed_kt=12.0, name="MARLIN BAY")
             for k in range(6)]
    state.tracks.ingest(fixes)
    c0 = det.detect(batch([fixes[0]], [tr(TransitionKind.ENTER, fixes[0], STRIKE, entered_at=at(0))]),
                    state, at(0))
    assert [(c.action, c.kind) for c in c0] == [(ChangeAction.OPEN, IncidentKind.ZONE_ENTRY)]
    opened = c0[0]
    assert opened.severity is Severity.HIGH
    assert opened.zone_id == "STRIKE-PARIA" and opened.subject_id == MMSI
    assert opened.subject_kind == "vessel"
    assert "MARLIN BAY" in opened.summary and "STRIKE-PARIA" in opened.summary
    assert opened.evidence[0].subject_id == MMSI
    apply(state, c0)
    updates = []
    for k in range(1, 4):
        ch = det.detect(batch([fixes[k]], [tr(TransitionKind.INSIDE, fixes[k], STRIKE,
                                               entered_at=at(0), dwell_s=300 * k)]), state, at(5 * k))
        apply(state, ch)
        updates.extend(ch)
    # fixes at 5, 10, 15 min: one update (at 10 min), the others are within update_every_s
    assert [(c.action, c.dedupe_key, c.at) for c in updates] == [
        (ChangeAction.UPDATE, opened.dedupe_key, at(10))
    ]
    closed = det.detect(batch([fixes[4]], [tr(TransitionKind.EXIT, fixes[4], STRIKE)]), state, at(20))
    assert [(c.action, c.dedupe_key) for c in closed] == [(ChangeAction.CLOSE, opened.dedupe_key)]
    assert closed[0].details["exited_at"] == at(20).isoformat()
    assert closed[0].details["dwell_s"] == 1200.0


def test_enter_and_exit_in_one_batch():
    det, state = ZoneTransitDetector(), make_state()
    a = vessel(MMSI, -62.0, 11.0, at(0))
    b = vessel(MMSI, -61.9, 11.0, at(30))
    state.tracks.ingest([a, b])
    ch = det.detect(batch([a, b], [tr(TransitionKind.ENTER, a, STRIKE, 0),
                                   tr(TransitionKind.EXIT, b, STRIKE, 1)]), state, at(30))
    assert [c.action for c in ch] == [ChangeAction.OPEN, ChangeAction.CLOSE]
    assert ch[0].dedupe_key == ch[1].dedupe_key


@pytest.mark.parametrize(
    ("zone", "severity"),
    [(STRIKE, Severity.HIGH), (TERRSEA, Severity.INFO), (WARNING, Severity.MEDIUM)],
)
def test_severity_is_the_zones(zone, severity):
    det, state = ZoneTransitDetector(), make_state()
    a = vessel(MMSI, -62.0, 10.8, at(0))
    (c,) = det.detect(batch([a], [tr(TransitionKind.ENTER, a, zone)]), state, at(0))
    assert c.severity is severity and c.zone_id == zone.zone_id


def test_first_inside_after_a_restart_opens():
    det, state = ZoneTransitDetector(), make_state()
    a = vessel(MMSI, -62.0, 11.0, at(0))
    (c,) = det.detect(batch([a], [tr(TransitionKind.INSIDE, a, STRIKE, entered_at=at(-30),
                                      dwell_s=1800)]), state, at(0))
    assert c.action is ChangeAction.OPEN and c.at == at(-30)


@pytest.mark.parametrize(
    ("subject", "zone"),
    [
        (aircraft("0d0abc", -62.0, 11.0, at(0)), STRIKE),           # aircraft: not a vessel
        (vessel(MMSI, -62.0, 10.0, at(0)), land_zone()),            # land is not watched
        (vessel(MMSI, -62.0, 11.0, at(0)),
         box_zone("FIR-SVZM", (-73, 1, -59, 15), kind=ZoneKind.FIR,
                  status=ZoneStatus.INFORMATIONAL)),                 # airspace kinds neither
    ],
)
def test_ignores_aircraft_and_other_zone_kinds(subject, zone):
    det, state = ZoneTransitDetector(), make_state()
    assert det.detect(batch([subject], [tr(TransitionKind.ENTER, subject, zone)]), state, at(0)) == []


def test_configured_zone_kinds_only():
    det, state = ZoneTransitDetector(ZoneTransitConfig(zone_kinds=("strike_zone",))), make_state()
    a = vessel(MMSI, -62.0, 10.8, at(0))
    assert det.detect(batch([a], [tr(TransitionKind.ENTER, a, TERRSEA)]), state, at(0)) == []
    assert len(det.detect(batch([a], [tr(TransitionKind.ENTER, a, STRIKE)]), state, at(0))) == 1


def test_unknown_zone_kind_in_config_is_an_error():
    with pytest.raises(ValueError, match="unknown zone kind 'strike'"):
        ZoneTransitDetector(ZoneTransitConfig(zone_kinds=("strike",)))


def test_crossing_between_two_fixes_opens_and_closes_with_the_crossing_point():
    det, state = ZoneTransitDetector(), make_state()
    b = vessel(MMSI, -61.1, 11.0, at(20), ground_speed_kt=20.0)
    cross = tr(TransitionKind.CROSS, b, STRIKE, prev_lon=-61.25, prev_lat=11.0, prev_at=at(0),
               crossing_lon=-61.2, crossing_lat=11.0)
    ch = det.detect(batch([b], [cross]), state, at(20))
    assert [(c.action, c.kind) for c in ch] == [
        (ChangeAction.OPEN, IncidentKind.ZONE_CROSSING),
        (ChangeAction.CLOSE, IncidentKind.ZONE_CROSSING),
    ]
    assert ch[0].at == at(0) and ch[1].at == at(20)
    assert ch[0].track == ((-61.25, 11.0), (-61.2, 11.0), (-61.1, 11.0))
    assert (ch[0].lon, ch[0].lat) == (-61.2, 11.0)


def test_impossible_jump_across_a_zone_is_no_crossing():
    """Two transmitters sharing an MMSI 1,700 km apart: the segment between their reports
    crosses every zone between them, but no vessel sailed it (spoofing reports that)."""
    det, state = ZoneTransitDetector(), make_state()
    b = vessel(MMSI, -60.3, 10.75, at(1))
    cross = tr(TransitionKind.CROSS, b, STRIKE, prev_lon=-76.1, prev_lat=10.7, prev_at=at(0),
               crossing_lon=-62.0, crossing_lat=10.75)
    assert det.detect(batch([b], [cross]), state, at(1)) == []
    assert det.ignored_jumps == 1


def test_impossible_jump_into_a_zone_is_no_entry():
    det, state = ZoneTransitDetector(), make_state()
    a = vessel(MMSI, -76.1, 10.7, at(0))
    b = vessel(MMSI, -62.0, 11.0, at(1))
    state.tracks.ingest([a, b])
    assert det.detect(batch([b], [tr(TransitionKind.ENTER, b, STRIKE)]), state, at(1)) == []


def test_contact_lost_inside_closes_at_the_last_fix():
    det, state = ZoneTransitDetector(ZoneTransitConfig(lost_after_s=3600)), make_state()
    a = vessel(MMSI, -62.0, 11.0, at(0))
    state.tracks.ingest([a])
    apply(state, det.detect(batch([a], [tr(TransitionKind.ENTER, a, STRIKE)]), state, at(0)))
    assert det.detect(batch([]), state, at(59)) == []
    (c,) = det.detect(batch([]), state, at(61))
    assert c.action is ChangeAction.CLOSE and c.at == at(0)
    assert c.details["closed_because"] == "lost_contact"


def test_takes_over_an_incident_left_open_by_a_previous_run():
    state = make_state()
    first = ZoneTransitDetector()
    a = vessel(MMSI, -62.0, 11.0, at(0))
    opened = first.detect(batch([a], [tr(TransitionKind.ENTER, a, STRIKE)]), state, at(0))
    apply(state, opened)

    class Zones:
        def in_force(self, t):
            return [STRIKE]

        def distance_to_boundary_m(self, lon, lat, v):
            return 0.0

    state.zones = Zones()
    restarted = ZoneTransitDetector()
    b = vessel(MMSI, -61.0, 11.0, at(30))
    (c,) = restarted.detect(batch([b], [tr(TransitionKind.EXIT, b, STRIKE)]), state, at(30))
    assert c.action is ChangeAction.CLOSE and c.dedupe_key == opened[0].dedupe_key
