"""Rendezvous: two vessels within 500 m, both under 2 kn, for 2 h, away from ports."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.detectors.maritime.geo import destination, distance_m
from monitor.detectors.maritime.rendezvous import RendezvousConfig, RendezvousDetector
from monitor.domain import ChangeAction, IncidentKind
from tests.builders import at, vessel
from tests.detectors.maritime.helpers import Harness, drifting, end_of, steady

A, B = "667001983", "511100431"  # B has the lower MMSI: it is the incident's subject
MEET = (-67.45, 10.66)  # 13 km off the central coast, 45+ km from the nearest port
LA_GUAIRA = (-66.935, 10.607)


def meeting(place=MEET, *, apart_m=180.0, together_min=135.0, b_speed_kt=0.3):
    """B drifts from 10:00; A arrives at 8 kn, lies ``apart_m`` north of B from 10:25 for
    ``together_min`` minutes, then leaves north-east at 10 kn."""
    b = drifting(B, place, at(0), minutes=200, every_s=120.0, speed_kt=b_speed_kt)
    b_at_25 = min(b, key=lambda o: abs((o.time - at(25)).total_seconds()))
    lat, lon = destination(b_at_25.lat, b_at_25.lon, 0.0, apart_m)
    start_lat, start_lon = destination(lat, lon, 300.0, 8.0 / 1.9438 * 25 * 60)
    arrive = steady(A, (start_lon, start_lat), at(0), minutes=24, every_s=120.0,
                    speed_kt=8.0, bearing_deg=120.0)
    alongside = drifting(A, (lon, lat), at(25), minutes=together_min, every_s=90.0, speed_kt=b_speed_kt)
    leave = steady(A, end_of(alongside), at(26 + together_min), minutes=40, every_s=120.0,
                   speed_kt=10.0, bearing_deg=30.0)
    return [*b, *arrive, *alongside, *leave]


def test_fires_after_two_hours_alongside_and_closes_when_they_part():
    h = Harness(RendezvousDetector(), [])
    h.replay(meeting(), until=at(260))
    (inc,) = h.incidents()
    assert inc.kind == IncidentKind.RENDEZVOUS.value
    assert inc.subject_id == B and inc.details["other_subject_id"] == A
    assert at(24) <= inc.started_at <= at(27)
    (when, first), = [(n, c) for n, c in h.emitted if c.action is ChangeAction.OPEN]
    assert when - inc.started_at >= timedelta(hours=2)
    assert when - inc.started_at <= timedelta(hours=2, minutes=4)
    assert first.details["distance_m"] == pytest.approx(180.0, abs=60.0)
    assert first.details["nearest_port_km"] > 10.0
    assert {e.subject_id for e in first.evidence} == {A, B}
    assert at(158) <= inc.ended_at <= at(162)


def test_in_port_no_incident():
    h = Harness(RendezvousDetector(), [])
    h.replay(meeting(place=LA_GUAIRA), until=at(260))
    assert h.incidents() == []


def test_too_short_no_incident():
    h = Harness(RendezvousDetector(), [])
    h.replay(meeting(together_min=90.0), until=at(260))
    assert h.incidents() == []


def test_too_far_apart_no_incident():
    h = Harness(RendezvousDetector(), [])
    h.replay(meeting(apart_m=900.0), until=at(260))
    assert h.incidents() == []


def test_not_slow_no_incident():
    """Two ships steaming in company at 3 kn are not meeting."""
    h = Harness(RendezvousDetector(), [])
    h.replay(meeting(b_speed_kt=3.0), until=at(260))
    assert h.incidents() == []


def test_skylight_thresholds_are_a_config_away():
    """Skylight: 250 m for 30 min. A 50-minute meeting 180 m apart fires only with them."""
    gfw = Harness(RendezvousDetector(), [])
    gfw.replay(meeting(together_min=50.0), until=at(200))
    assert gfw.incidents() == []
    sky = Harness(RendezvousDetector(RendezvousConfig(max_distance_m=250.0, min_duration_s=1800.0)), [])
    sky.replay(meeting(together_min=50.0), until=at(200))
    assert len(sky.incidents()) == 1


def test_moored_vessels_are_not_meeting():
    h = Harness(RendezvousDetector(), [])
    fixes = [o.__class__(**{**{f: getattr(o, f) for f in o.__slots__}, "nav_status": 5})
             for o in meeting()]
    h.replay(fixes, until=at(260))
    assert h.incidents() == []


@pytest.mark.slow
def test_finds_the_one_pair_among_twenty_thousand_vessels():
    """20,000 slow vessels on a 2 km lattice; only two of them are 200 m apart. Each fix
    looks only at the grid cells around it, so this stays a matter of seconds."""
    det = RendezvousDetector()
    h = Harness(det, [])
    lon0, lat0 = -75.0, 11.5
    base = []
    for k in range(20_000):
        i, j = divmod(k, 200)
        lat, lon = destination(lat0, lon0, 0.0, 2000.0 * i)
        lat, lon = destination(lat, lon, 90.0, 2000.0 * j)
        base.append((f"2{k:08d}", lon, lat))
    pair_lat, pair_lon = destination(base[0][2], base[0][1], 45.0, 200.0)
    assert distance_m(base[0][2], base[0][1], pair_lat, pair_lon) == pytest.approx(200.0, abs=1)
    base.append(("299999999", pair_lon, pair_lat))
    for step in range(6):  # every 25 minutes for 2 h 5 min
        t = at(25 * step)
        h.step([vessel(m, lon, lat, t, ground_speed_kt=0.2) for m, lon, lat in base], now=t)
    (inc,) = h.incidents()
    assert {inc.subject_id, inc.details["other_subject_id"]} == {"200000000", "299999999"}
