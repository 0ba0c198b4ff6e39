"""Incursion detector: fires for airborne aircraft in restricted airspace, not otherwise."""

from __future__ import annotations

import pytest

from monitor.detectors.incursion import IncursionConfig, IncursionDetector
from monitor.domain import AppliesTo, ChangeAction, IncidentKind, Severity, ZoneKind, ZoneStatus
from monitor.geofence.types import Transition, TransitionKind
from tests.builders import aircraft, at, box_zone
from tests.detectors.helpers import apply, batch, make_state

SVZM_ADVISORY = box_zone("SVZM", (-73, 1, -59, 15), kind=ZoneKind.ADVISORY_AIRSPACE,
                         status=ZoneStatus.ADVISORY, authority="FAA", source_ref="KICZ A0012/25")
SVZM_PROHIBITED = box_zone("SVZM", (-73, 1, -59, 15), kind=ZoneKind.CLOSED_AIRSPACE,
                           status=ZoneStatus.PROHIBITED, version=3, authority="FAA")
FIR = box_zone("FIR-SVZM", (-73, 1, -59, 15), kind=ZoneKind.FIR, status=ZoneStatus.INFORMATIONAL)
STRIKE = box_zone("STRIKE-X", (-65, 11, -63, 12), kind=ZoneKind.STRIKE_ZONE,
                  status=ZoneStatus.ACTIVE, applies_to=AppliesTo.VESSELS)


def tr(kind, obs, zone, i=0, **kw):
    return Transition(kind, obs.subject_kind.value, obs.subject_id, zone, obs.time, i, **kw)


def test_enter_inside_exit_is_one_incident_opened_updated_closed():
    det, state = IncursionDetector(), make_state()
    a0 = aircraft("0d0abc", -67, 10, at(0), callsign="CVA123")
    a1 = aircraft("0d0abc", -66, 10.5, at(5), callsign="CVA123")
    a2 = aircraft("0d0abc", -58, 11, at(30), callsign="CVA123")
    c0 = det.detect(batch([a0], [tr(TransitionKind.ENTER, a0, SVZM_ADVISORY, entered_at=at(0))]), state, at(0))
    assert [c.action for c in c0] == [ChangeAction.OPEN]
    assert c0[0].severity is Severity.MEDIUM
    assert c0[0].zone_id == "SVZM"
    assert "advisory, FAA" in c0[0].summary
    assert c0[0].details["source_ref"] == "KICZ A0012/25"
    assert c0[0].evidence[0].subject_id == "0d0abc"
    apply(state, c0)
    c1 = det.detect(batch([a1], [tr(TransitionKind.INSIDE, a1, SVZM_ADVISORY, dwell_s=300, entered_at=at(0))]), state, at(5))
    assert [(c.action, c.dedupe_key) for c in c1] == [(ChangeAction.UPDATE, c0[0].dedupe_key)]
    apply(state, c1)
    c2 = det.detect(batch([a2], [tr(TransitionKind.EXIT, a2, SVZM_ADVISORY)]), state, at(30))
    assert [(c.action, c.dedupe_key) for c in c2] == [(ChangeAction.CLOSE, c0[0].dedupe_key)]


def test_enter_and_exit_in_one_batch_open_and_close_the_same_incident():
    det, state = IncursionDetector(), make_state()
    a0 = aircraft("0d0abc", -67, 10, at(0))
    a1 = aircraft("0d0abc", -58, 11, at(20))
    changes = det.detect(
        batch([a0, a1], [tr(TransitionKind.ENTER, a0, SVZM_ADVISORY, 0, entered_at=at(0)),
                         tr(TransitionKind.EXIT, a1, SVZM_ADVISORY, 1)]),
        state, at(20),
    )
    assert [c.action for c in changes] == [ChangeAction.OPEN, ChangeAction.CLOSE]
    assert changes[0].dedupe_key == changes[1].dedupe_key


def test_prohibition_is_critical():
    det, state = IncursionDetector(), make_state()
    a0 = aircraft("a1b2c3", -67, 10, at(0))
    (c,) = det.detect(batch([a0], [tr(TransitionKind.ENTER, a0, SVZM_PROHIBITED)]), state, at(0))
    assert c.severity is Severity.CRITICAL


@pytest.mark.parametrize(
    ("obs_kw", "zone"),
    [
        ({"on_ground": True, "altitude_ft": None}, SVZM_ADVISORY),
        ({"on_ground": None, "altitude_ft": 0.0}, SVZM_ADVISORY),
        ({}, FIR),
        ({}, STRIKE),
    ],
)
def test_does_not_fire_on_ground_or_for_other_zone_kinds(obs_kw, zone):
    det, state = IncursionDetector(), make_state()
    a0 = aircraft("0d0abc", -64, 11.5, at(0), **obs_kw)
    assert det.detect(batch([a0], [tr(TransitionKind.ENTER, a0, zone)]), state, at(0)) == []


def test_crossing_between_sparse_fixes_opens_and_closes_with_the_crossing_point():
    det, state = IncursionDetector(), make_state()
    a1 = aircraft("0d0abc", -58.5, 15.2, at(2))
    cross = tr(TransitionKind.CROSS, a1, SVZM_ADVISORY, prev_lon=-59.5, prev_lat=15.4,
               prev_at=at(0), crossing_lon=-59.0, crossing_lat=14.9)
    changes = det.detect(batch([a1], [cross]), state, at(2))
    assert [c.action for c in changes] == [ChangeAction.OPEN, ChangeAction.CLOSE]
    assert changes[0].details["crossed_between_fixes"] is True
    assert changes[0].track[1] == (-59.0, 14.9)
    assert changes[0].at == at(0) and changes[1].at == at(2)


def test_contact_lost_inside_closes_after_the_threshold():
    det, state = IncursionDetector(IncursionConfig(lost_after_s=600)), make_state()
    a0 = aircraft("0d0abc", -67, 10, at(0))
    state.tracks.ingest([a0])
    c0 = det.detect(batch([a0], [tr(TransitionKind.ENTER, a0, SVZM_ADVISORY)]), state, at(0))
    apply(state, c0)
    assert det.detect(batch([]), state, at(9)) == []
    (closed,) = det.detect(batch([]), state, at(11))
    assert closed.action is ChangeAction.CLOSE
    assert closed.details["closed_because"] == "lost_contact"
    assert closed.at == at(0)
    assert closed.kind is IncidentKind.INCURSION


def _fly_inside(det, state, seconds):
    """Fixes inside the zone at ``seconds`` after an entry at 0; the changes of each."""
    out = []
    for s in seconds:
        a = aircraft("0d0abc", -67 + s / 1000, 10, at(seconds=s), callsign="CVA123")
        out.append(det.detect(batch([a], [tr(TransitionKind.INSIDE, a, SVZM_ADVISORY, entered_at=at(0))]), state, a.time))
        apply(state, out[-1])
    return out


@pytest.mark.parametrize("lost", [False, True])
def test_staying_inside_updates_every_interval_with_every_track_point(lost):
    det, state = IncursionDetector(IncursionConfig(update_every_s=30, lost_after_s=600)), make_state()
    a0 = aircraft("0d0abc", -67, 10, at(0), callsign="CVA123")
    opened = det.detect(batch([a0], [tr(TransitionKind.ENTER, a0, SVZM_ADVISORY, entered_at=at(0))]), state, at(0))
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
        state.tracks.ingest([aircraft("0d0abc", -66.93, 10, at(seconds=70))])
        (closed,) = det.detect(batch([]), state, at(seconds=70 + 601))
        assert closed.details["closed_because"] == "lost_contact"
    else:
        out = aircraft("0d0abc", -58, 11, at(seconds=80))
        (closed,) = det.detect(batch([out], [tr(TransitionKind.EXIT, out, SVZM_ADVISORY)]), state, out.time)
    assert closed.action is ChangeAction.CLOSE
    # the close brings the points gathered since the last update: none is lost
    held = [p[0] for p in closed.track]
    assert held[:2] == pytest.approx([-67 + 65 / 1000, -67 + 70 / 1000])
    assert det._held == {}
