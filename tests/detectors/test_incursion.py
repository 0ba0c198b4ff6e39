"""Incursion detector: fires for airborne aircraft that a rule in force binds, not otherwise."""

from __future__ import annotations

import pytest

from monitor.detectors.incursion import IncursionConfig, IncursionDetector
from monitor.domain import AppliesTo, ChangeAction, IncidentKind, Severity, ZoneKind, ZoneStatus
from monitor.domain.identity import AircraftIdentity
from monitor.domain.zone import BindingScope
from monitor.geofence.types import Transition, TransitionKind
from monitor.timeutil import iso_z
from tests.builders import aircraft, at, box_zone
from tests.detectors.helpers import apply, batch, make_state

BOX = (-73, 1, -59, 15)
SVZM_ADVISORY = box_zone("SVZM", BOX, kind=ZoneKind.ADVISORY_AIRSPACE,
                         status=ZoneStatus.ADVISORY, authority="FAA", source_ref="KICZ A0012/25",
                         scope=BindingScope.parse("nobody"))
#: the FAA's 3 January 2026 prohibition: US operators only, 06:00Z to 05:00Z next day
SVZM_BAN = box_zone("SVZM", BOX, kind=ZoneKind.CLOSED_AIRSPACE, status=ZoneStatus.PROHIBITED,
                    version=3, authority="FAA", source_ref="FAA prohibition 2026-01-03",
                    scope=BindingScope.parse("operators:US"),
                    valid_from=at(0), valid_to=at(3600))
#: a closure that binds every civil aircraft
SVZM_CLOSED = box_zone("SVZM", BOX, kind=ZoneKind.CLOSED_AIRSPACE, status=ZoneStatus.CLOSED,
                       version=4, authority="INAC", scope=BindingScope.parse("civil"))
FIR = box_zone("FIR-SVZM", BOX, kind=ZoneKind.FIR, status=ZoneStatus.INFORMATIONAL)
STRIKE = box_zone("STRIKE-X", (-65, 11, -63, 12), kind=ZoneKind.STRIKE_ZONE,
                  status=ZoneStatus.ACTIVE, applies_to=AppliesTo.VESSELS)

US_PRIVATE = AircraftIdentity("a6b5c4", registry_iso2="US", registration="N518JA",
                              callsign="N518JA")
US_CARRIER = AircraftIdentity("a0b1c2", registry_iso2="US", callsign="AAL1234",
                              operator_icao="AAL", operator_name="American Airlines",
                              operator_iso2="US")
COPA_US_REG = AircraftIdentity("a9f001", registry_iso2="US", callsign="CMP301",
                               operator_icao="CMP", operator_name="Copa Airlines",
                               operator_iso2="PA")
VE_DOMESTIC = AircraftIdentity("0d8123", registry_iso2="VE", callsign="VCV100",
                               operator_icao="VCV", operator_name="Conviasa", operator_iso2="VE")
US_MILITARY = AircraftIdentity("ae1234", registry_iso2="US", callsign="RCH851", military=True,
                               military_because="US military address range")
UNKNOWN = AircraftIdentity("~1a2b3c")
PEOPLE = {i.icao24: i for i in (US_PRIVATE, US_CARRIER, COPA_US_REG, VE_DOMESTIC, US_MILITARY, UNKNOWN)}


def identify(obs):
    return PEOPLE[obs.subject_id]


def detector(config=None):
    return IncursionDetector(config, identify=identify)


def tr(kind, obs, zone, i=0, **kw):
    return Transition(kind, obs.subject_kind.value, obs.subject_id, zone, obs.time, i, **kw)


def test_enter_inside_exit_is_one_incident_opened_updated_closed():
    det, state = detector(), make_state([SVZM_ADVISORY, SVZM_BAN])
    a0 = aircraft("a6b5c4", -67, 10, at(0), callsign="N518JA")
    a1 = aircraft("a6b5c4", -66, 10.5, at(5), callsign="N518JA")
    a2 = aircraft("a6b5c4", -58, 11, at(30), callsign="N518JA")
    c0 = det.detect(batch([a0], [tr(TransitionKind.ENTER, a0, SVZM_BAN, entered_at=at(0))]), state, at(0))
    assert [c.action for c in c0] == [ChangeAction.OPEN]
    (opened,) = c0
    assert opened.severity is Severity.CRITICAL and opened.zone_id == "SVZM"
    assert opened.zone_version == 3
    assert opened.summary.startswith("N518JA inside SVZM: bound by FAA prohibited (FAA prohibition 2026-01-03)")
    assert "US-registered" in opened.summary
    d = opened.details
    assert (d["rule"], d["binds"], d["bound"], d["registry"]) == ("SVZM@v3", "operators:US", "bound", "US")
    assert d["source_ref"] == "FAA prohibition 2026-01-03"
    assert opened.evidence[0].subject_id == "a6b5c4"
    apply(state, c0)
    c1 = det.detect(batch([a1], [tr(TransitionKind.INSIDE, a1, SVZM_BAN, dwell_s=300, entered_at=at(0))]), state, at(5))
    assert [(c.action, c.dedupe_key) for c in c1] == [(ChangeAction.UPDATE, opened.dedupe_key)]
    apply(state, c1)
    c2 = det.detect(batch([a2], [tr(TransitionKind.EXIT, a2, SVZM_BAN)]), state, at(30))
    assert [(c.action, c.dedupe_key) for c in c2] == [(ChangeAction.CLOSE, opened.dedupe_key)]


@pytest.mark.parametrize(
    ("hex_id", "callsign", "expected"),
    [
        ("a6b5c4", "N518JA", Severity.CRITICAL),  # US-registered, private: bound
        ("a0b1c2", "AAL1234", Severity.CRITICAL),  # US carrier: bound
        ("a9f001", "CMP301", None),  # a foreign carrier, even on a US-registered aircraft
        ("0d8123", "VCV100", None),  # Venezuelan domestic flight in its own FIR
        ("ae1234", "RCH851", None),  # state aircraft are exempt
        ("~1a2b3c", None, Severity.MEDIUM),  # nothing known: possibly bound, never critical
    ],
)
def test_the_ban_binds_us_operators_only(hex_id, callsign, expected):
    det, state = detector(), make_state([SVZM_ADVISORY, SVZM_BAN])
    a0 = aircraft(hex_id, -67, 10, at(60), callsign=callsign)
    changes = det.detect(batch([a0], [tr(TransitionKind.ENTER, a0, SVZM_BAN, entered_at=at(60))]), state, at(60))
    if expected is None:
        assert changes == []
    else:
        (c,) = changes
        assert c.severity is expected
        assert c.details["bound"] == ("bound" if expected is Severity.CRITICAL else "possibly")


def test_an_advisory_binds_nobody_unless_asked():
    a0 = aircraft("a6b5c4", -67, 10, at(-600), callsign="N518JA")
    enter = tr(TransitionKind.ENTER, a0, SVZM_ADVISORY, entered_at=at(-600))
    det, state = detector(), make_state([SVZM_ADVISORY, SVZM_BAN])
    assert det.detect(batch([a0], [enter]), state, a0.time) == []
    det = detector(IncursionConfig(include_unbound=True))
    (c,) = det.detect(batch([a0], [enter]), state, a0.time)
    assert c.severity is Severity.INFO and c.details["bound"] == "not_bound"
    assert "not bound by FAA advisory" in c.summary


def test_the_strictest_binding_rule_decides():
    # the ban (US operators) and a closure for all civil aircraft in force together
    det, state = detector(), make_state([SVZM_BAN, SVZM_CLOSED])
    ve = aircraft("0d8123", -67, 10, at(60), callsign="VCV100")
    us = aircraft("a6b5c4", -67, 10, at(60), callsign="N518JA")
    (c_ve,) = det.detect(batch([ve], [tr(TransitionKind.ENTER, ve, SVZM_BAN, entered_at=at(60))]), state, at(60))
    assert (c_ve.details["rule"], c_ve.severity) == ("SVZM@v4", Severity.HIGH)
    (c_us,) = det.detect(batch([us], [tr(TransitionKind.ENTER, us, SVZM_BAN, entered_at=at(60))]), state, at(60))
    assert (c_us.details["rule"], c_us.severity) == ("SVZM@v3", Severity.CRITICAL)


def test_the_incursion_closes_when_its_rule_ends_while_inside():
    det, state = detector(), make_state([SVZM_ADVISORY, SVZM_BAN])
    a0 = aircraft("a6b5c4", -67, 10, at(3000), callsign="N518JA")
    state.tracks.ingest([a0])
    opened = det.detect(batch([a0], [tr(TransitionKind.ENTER, a0, SVZM_BAN, entered_at=at(3000))]), state, a0.time)
    apply(state, opened)
    # still inside after the ban expired (at(3600)): the advisory governs, binding nobody
    a1 = aircraft("a6b5c4", -66.9, 10, at(3610), callsign="N518JA")
    state.tracks.ingest([a1])
    (closed,) = det.detect(batch([a1], [tr(TransitionKind.INSIDE, a1, SVZM_ADVISORY, entered_at=at(3000))]), state, a1.time)
    assert closed.action is ChangeAction.CLOSE and closed.dedupe_key == opened[0].dedupe_key
    assert closed.details["closed_because"] == "rule_ended"
    # without a fix: the sweep closes it, naming the rule that ended
    det, state = detector(), make_state([SVZM_ADVISORY, SVZM_BAN])
    a0 = aircraft("a6b5c4", -67, 10, at(3595), callsign="N518JA")
    state.tracks.ingest([a0])
    apply(state, det.detect(batch([a0], [tr(TransitionKind.ENTER, a0, SVZM_BAN, entered_at=at(3595))]), state, a0.time))
    assert det.detect(batch([]), state, at(3599)) == []
    (closed,) = det.detect(batch([]), state, at(3601))
    assert closed.details["closed_because"] == "rule_ended"
    assert "rule ended: SVZM@v3 (FAA) is no longer in force" in closed.summary
    assert closed.details["rule_end_stated"] == iso_z(SVZM_BAN.valid_to)


def test_enter_and_exit_in_one_batch_open_and_close_the_same_incident():
    det, state = detector(), make_state([SVZM_BAN])
    a0 = aircraft("a0b1c2", -67, 10, at(0))
    a1 = aircraft("a0b1c2", -58, 11, at(20))
    changes = det.detect(
        batch([a0, a1], [tr(TransitionKind.ENTER, a0, SVZM_BAN, 0, entered_at=at(0)),
                         tr(TransitionKind.EXIT, a1, SVZM_BAN, 1)]),
        state, at(20),
    )
    assert [c.action for c in changes] == [ChangeAction.OPEN, ChangeAction.CLOSE]
    assert changes[0].dedupe_key == changes[1].dedupe_key


@pytest.mark.parametrize(
    ("obs_kw", "zone"),
    [
        ({"on_ground": True, "altitude_ft": None}, SVZM_BAN),
        ({"on_ground": None, "altitude_ft": 0.0}, SVZM_BAN),
        ({}, FIR),
        ({}, STRIKE),
    ],
)
def test_does_not_fire_on_ground_or_for_other_zone_kinds(obs_kw, zone):
    det, state = detector(), make_state([SVZM_BAN, FIR, STRIKE])
    a0 = aircraft("a6b5c4", -64, 11.5, at(10), **obs_kw)
    assert det.detect(batch([a0], [tr(TransitionKind.ENTER, a0, zone)]), state, at(10)) == []


def test_crossing_between_sparse_fixes_opens_and_closes_with_the_crossing_point():
    det, state = detector(), make_state([SVZM_BAN])
    a1 = aircraft("a6b5c4", -58.5, 15.2, at(12))
    cross = tr(TransitionKind.CROSS, a1, SVZM_BAN, prev_lon=-59.5, prev_lat=15.4,
               prev_at=at(10), crossing_lon=-59.0, crossing_lat=14.9)
    changes = det.detect(batch([a1], [cross]), state, at(12))
    assert [c.action for c in changes] == [ChangeAction.OPEN, ChangeAction.CLOSE]
    assert changes[0].details["crossed_between_fixes"] is True
    assert changes[0].details["bound"] == "bound"
    assert "crossed SVZM between two fixes: bound by FAA" in changes[0].summary
    assert changes[0].track[1] == (-59.0, 14.9)
    assert changes[0].at == at(10) and changes[1].at == at(12)
    # a foreign carrier's crossing raises nothing
    copa = aircraft("a9f001", -58.5, 15.2, at(12), callsign="CMP301")
    assert det.detect(batch([copa], [tr(TransitionKind.CROSS, copa, SVZM_BAN, prev_at=at(10))]), state, at(12)) == []


def test_contact_lost_inside_closes_after_the_threshold():
    det, state = detector(IncursionConfig(lost_after_s=600)), make_state([SVZM_CLOSED])
    a0 = aircraft("0d8123", -67, 10, at(0))
    state.tracks.ingest([a0])
    c0 = det.detect(batch([a0], [tr(TransitionKind.ENTER, a0, SVZM_CLOSED)]), state, at(0))
    apply(state, c0)
    assert det.detect(batch([]), state, at(9)) == []
    (closed,) = det.detect(batch([]), state, at(11))
    assert closed.action is ChangeAction.CLOSE
    assert closed.details["closed_because"] == "lost_contact"
    assert closed.at == at(0)
    assert closed.kind is IncidentKind.INCURSION


def test_without_identity_tables_an_aircraft_is_only_possibly_bound():
    det, state = IncursionDetector(), make_state([SVZM_BAN])
    a0 = aircraft("a6b5c4", -67, 10, at(60), callsign="N518JA")
    (c,) = det.detect(batch([a0], [tr(TransitionKind.ENTER, a0, SVZM_BAN)]), state, at(60))
    assert c.details["bound"] == "possibly" and c.severity is Severity.MEDIUM


def _fly_inside(det, state, seconds):
    """Fixes inside the zone at ``seconds`` after an entry at 0; the changes of each."""
    out = []
    for s in seconds:
        a = aircraft("0d8123", -67 + s / 1000, 10, at(seconds=s), callsign="VCV100")
        out.append(det.detect(batch([a], [tr(TransitionKind.INSIDE, a, SVZM_CLOSED, entered_at=at(0))]), state, a.time))
        apply(state, out[-1])
    return out


@pytest.mark.parametrize("lost", [False, True])
def test_staying_inside_updates_every_interval_with_every_track_point(lost):
    det, state = detector(IncursionConfig(update_every_s=30, lost_after_s=600)), make_state([SVZM_CLOSED])
    a0 = aircraft("0d8123", -67, 10, at(0), callsign="VCV100")
    opened = det.detect(batch([a0], [tr(TransitionKind.ENTER, a0, SVZM_CLOSED, entered_at=at(0))]), state, at(0))
    assert [c.action for c in opened] == [ChangeAction.OPEN]
    apply(state, opened)
    fixes = list(range(5, 75, 5))  # every 5 s for 70 s
    per_fix = _fly_inside(det, state, fixes)
    sent = [(s, chs[0]) for s, chs in zip(fixes, per_fix, strict=True) if chs]
    assert [s for s, _ in sent] == [30, 60]  # one update per 30 s, not one per fix
    assert all(ch.action is ChangeAction.UPDATE for _, ch in sent)
    assert [p[0] for p in sent[0][1].track] == pytest.approx([-67 + s / 1000 for s in range(5, 35, 5)])
    assert [p[0] for p in sent[1][1].track] == pytest.approx([-67 + s / 1000 for s in range(35, 65, 5)])
    if lost:
        state.tracks.ingest([aircraft("0d8123", -66.93, 10, at(seconds=70))])
        (closed,) = det.detect(batch([]), state, at(seconds=70 + 601))
        assert closed.details["closed_because"] == "lost_contact"
    else:
        out = aircraft("0d8123", -58, 11, at(seconds=80))
        (closed,) = det.detect(batch([out], [tr(TransitionKind.EXIT, out, SVZM_CLOSED)]), state, out.time)
    assert closed.action is ChangeAction.CLOSE
    # the close brings the points gathered since the last update: none is lost
    held = [p[0] for p in closed.track]
    assert held[:2] == pytest.approx([-67 + 65 / 1000, -67 + 70 / 1000])
    assert det._held == {}
