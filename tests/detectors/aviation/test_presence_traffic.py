"""Military presence around SVZM, and the collapse of traffic through it."""

from __future__ import annotations

from datetime import timedelta

from monitor.detectors.aviation.military import MilitaryConfig, MilitaryPresenceDetector
from monitor.detectors.aviation.traffic import TrafficCollapseConfig, TrafficCollapseDetector
from monitor.domain import ChangeAction, IncidentKind, Severity, ZoneKind, ZoneStatus
from tests.builders import at, box_zone
from tests.detectors.aviation.helpers import Run, heading, incidents, state_with

SVZM = box_zone("SVZM", (-70, 4, -62, 11), kind=ZoneKind.CLOSED_AIRSPACE, status=ZoneStatus.CLOSED)
FIR = box_zone("FIR-SVZM", (-70, 4, -62, 11), kind=ZoneKind.FIR, status=ZoneStatus.INFORMATIONAL)

# 1 degree of latitude is 60 nm: 12.5N is 90 nm north of SVZM, 14N is 180 nm
NEAR, FAR = 12.5, 14.0


def patrol(hex_id, lat, t0, minutes=40, **kw):
    return heading(hex_id, (lat, -66.0), 90.0, minutes, t0, speed_kt=300, every_s=60,
                   military=True, **kw)


def test_military_aircraft_near_svzm_are_one_info_incident_listing_them():
    run = Run(MilitaryPresenceDetector(), state_with([SVZM]), feed_every_s=None)
    fx = patrol("ae1001", NEAR, at(0), callsign="RCH101") + patrol("ae1002", 9.0, at(10))
    fx += patrol("ae1003", NEAR, at(20)) + patrol("ae1004", NEAR - 0.5, at(30))
    fx += heading("0d0001", (NEAR, -66.0), 90.0, 40, at(0), speed_kt=450, every_s=60)  # airliner
    fx += patrol("ae1005", FAR, at(0))  # too far out
    run.run(fx, until=at(200))
    (inc,) = incidents(run.changes, IncidentKind.MILITARY_PRESENCE).values()
    assert inc[0].action is ChangeAction.OPEN and inc[-1].action is ChangeAction.CLOSE
    assert all(c.severity is Severity.INFO for c in inc)
    peak = max(inc, key=lambda c: c.details["count"])
    assert peak.summary == "4 military aircraft within 150 nm of SVZM in the last hour"
    assert sorted(peak.details["aircraft_ids"]) == ["ae1001", "ae1002", "ae1003", "ae1004"]
    inside = {a["hex"]: a["inside"] for a in peak.details["aircraft"]}
    assert inside["ae1002"] is True and inside["ae1001"] is False
    assert inc[0].at == at(0)
    # closed an hour after the last sighting, at the time of that sighting
    last_seen = max(o.time for o in fx if o.military and o.lat < FAR)
    assert inc[-1].at == last_seen


def test_no_military_no_incident_and_far_ones_do_not_count():
    run = Run(MilitaryPresenceDetector(), state_with([SVZM]), feed_every_s=None)
    run.run(patrol("ae1005", FAR, at(0)) + heading("0d0001", (NEAR, -66.0), 90.0, 40, at(0)))
    assert run.changes == []


def test_the_fir_stands_in_before_the_restriction_exists():
    later = box_zone("SVZM", (-70, 4, -62, 11), valid_from=at(24 * 60))
    run = Run(MilitaryPresenceDetector(MilitaryConfig(radius_nm=50)), state_with([later, FIR]),
              feed_every_s=None)
    run.run(patrol("ae1001", 11.5, at(0)))
    (opened,) = run.of(IncidentKind.MILITARY_PRESENCE, ChangeAction.OPEN)
    assert opened.zone_id == "FIR-SVZM"
    assert "within 50 nm of FIR-SVZM" in opened.summary


# --- traffic collapse ----------------------------------------------------------------


def hourly_traffic(per_hour, hours, *, start_h=0):
    """``per_hour[h]`` distinct aircraft crossing SVZM during hour ``h``."""
    out = []
    for h in range(hours):
        for k in range(per_hour[h]):
            t0 = at((start_h + h) * 60 + (k * 53) % 50)
            out += heading(f"{h:02d}{k:04d}", (7.0, -69.5), 90.0, 8, t0, every_s=60)
    return out


def test_traffic_collapse_opens_below_30_percent_and_closes_on_recovery():
    counts = [20, 22, 18, 21, 4, 0, 0, 15, 20]
    det = TrafficCollapseDetector()
    run = Run(det, state_with([SVZM, FIR]), batch_s=60)
    run.run(hourly_traffic(counts, len(counts)), until=at(len(counts) * 60 + 5))
    (inc,) = incidents(run.changes, IncidentKind.TRAFFIC_COLLAPSE).values()
    assert [c.action for c in inc] == [ChangeAction.OPEN, ChangeAction.UPDATE, ChangeAction.UPDATE,
                                       ChangeAction.CLOSE]
    assert inc[0].at == at(4 * 60)
    assert inc[0].details["aircraft_this_hour"] == 4
    assert inc[0].details["baseline_aircraft_per_hour"] == 20.5
    assert inc[-1].at == at(7 * 60)
    series = det.hourly_counts()
    assert [h.aircraft for h in series if h.complete] == counts
    assert series[0].hour_start == at(0) and series[0].zone_id == "SVZM"


def test_a_dip_above_the_share_and_a_short_history_do_not_fire():
    run = Run(TrafficCollapseDetector(), state_with([SVZM, FIR]), batch_s=60)
    run.run(hourly_traffic([20, 22, 18, 21, 7, 20], 6), until=at(6 * 60 + 5))
    assert run.changes == []
    strict = TrafficCollapseConfig(min_baseline_buckets=3)
    early = Run(TrafficCollapseDetector(strict), state_with([SVZM, FIR]), batch_s=60)
    early.run(hourly_traffic([20, 22, 0], 3), until=at(3 * 60 + 5))
    assert early.changes == []  # two hours are not the three asked for
    quiet = Run(TrafficCollapseDetector(), state_with([SVZM, FIR]), batch_s=60)
    quiet.run(hourly_traffic([4, 0, 0], 3), until=at(3 * 60 + 5))
    assert quiet.changes == []  # four aircraft an hour is no traffic to collapse


def test_one_full_hour_is_enough_baseline_by_default():
    run = Run(TrafficCollapseDetector(), state_with([SVZM, FIR]), batch_s=60)
    run.run(hourly_traffic([12, 3, 1], 3), until=at(3 * 60 + 5))
    (inc,) = incidents(run.changes, IncidentKind.TRAFFIC_COLLAPSE).values()
    assert [c.action for c in inc] == [ChangeAction.OPEN, ChangeAction.UPDATE]
    assert inc[0].details["baseline_aircraft_per_hour"] == 12
    assert inc[1].details["aircraft_this_hour"] == 1


def test_an_hour_with_a_feed_outage_is_not_judged():
    counts = [20, 22, 18, 21, 3, 20]
    run = Run(TrafficCollapseDetector(TrafficCollapseConfig()), state_with([SVZM, FIR]), batch_s=60)
    fx = hourly_traffic(counts, len(counts))
    outage = ("test", at(4 * 60), at(4 * 60 + 40))
    fx = [o for o in fx if not outage[1] <= o.time < outage[2]]
    run.run(fx, until=at(6 * 60 + 5), feed_gaps=[outage])
    assert run.changes == []


def test_the_partial_first_hour_is_not_judged_or_used_as_baseline():
    run = Run(TrafficCollapseDetector(), state_with([SVZM, FIR]), batch_s=60)
    fx = hourly_traffic([20, 22, 18, 21, 19], 5)
    fx = [o for o in fx if o.time >= at(50)]  # data starts 10 minutes before the 2nd hour
    run.run(fx, until=at(5 * 60 + 5))
    assert run.changes == []
    det = run.detector
    assert isinstance(det, TrafficCollapseDetector)
    first = det.hourly_counts()[0]
    assert first.hour_start == at(0) and not first.complete
    assert at(0) + timedelta(hours=1) == det.hourly_counts()[1].hour_start


def test_a_restarted_monitor_takes_its_baseline_from_the_stored_series():
    det = TrafficCollapseDetector()
    assert det.seed([(at(-240), 20), (at(-180), 22), (at(-120), 18), (at(-60), 3)]) == 4
    run = Run(det, state_with([SVZM, FIR]), batch_s=60)
    run.run(hourly_traffic([2], 1), until=at(60 + 5))
    (opened,) = run.of(IncidentKind.TRAFFIC_COLLAPSE, ChangeAction.OPEN)
    # the newest stored hour (3: the stop may have cut it short) is not in the baseline
    assert opened.details["baseline_aircraft_per_hour"] == 20
    assert [h.aircraft for h in det.hourly_counts()] == [20, 22, 18, 3, 2]
