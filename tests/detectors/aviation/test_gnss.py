"""GNSS interference per H3 cell, and impossible position jumps."""

from __future__ import annotations

from datetime import timedelta

import h3
import pytest
import shapely

from monitor.detectors.aviation.gnss import GnssConfig, GnssInterferenceDetector
from monitor.detectors.aviation.position_jump import PositionJumpDetector
from monitor.domain import ChangeAction, IncidentKind
from tests.builders import aircraft, at
from tests.detectors.aviation.helpers import Run, heading, incidents, state_with

CENTRE = (11.2, -69.5)  # lat, lon: Falcón coast
CELL = h3.latlng_to_cell(*CENTRE, 4)


def in_cell(hex_id, t, *, bad=False, nic=None, nac_p=None, gps_ok=None, source="adsb", k=0):
    """One fix of an aircraft near the cell centre (inside the cell)."""
    lat, lon = CENTRE[0] + 0.01 * (k % 5), CENTRE[1] + 0.01 * (k // 5)
    if nic is None and nac_p is None:
        nic, nac_p = (5, 6) if bad else (8, 10)
    return aircraft(hex_id, lon, lat, t, nic=nic, nac_p=nac_p, gps_ok_before=gps_ok,
                    position_source=source)


def traffic(n_good, n_bad, *, minutes=(0, 10, 20), **kw):
    out = []
    for m in minutes:
        for k in range(n_good):
            out.append(in_cell(f"a{k:05d}", at(m, k), k=k, **kw))
        for k in range(n_bad):
            out.append(in_cell(f"b{k:05d}", at(m, 30 + k), bad=True, k=k + n_good, **kw))
    return out


@pytest.mark.parametrize(
    ("good", "bad", "fires"),
    [
        (18, 2, False),  # exactly 10 %: not "over 10 %"
        (17, 2, True),  # 10.5 %
        (10, 0, False),
        (8, 1, False),  # 11 % but one aircraft: a faulty transponder, not jamming
        (2, 2, False),  # 50 % but only 4 aircraft seen
        (3, 2, True),  # 5 aircraft, the configured minimum
    ],
)
def test_threshold_edges(good, bad, fires):
    run = Run(GnssInterferenceDetector(), state_with())
    run.run(traffic(good, bad))
    opened = run.of(IncidentKind.GNSS_INTERFERENCE, ChangeAction.OPEN)
    assert bool(opened) is fires
    if fires:
        (inc,) = opened
        assert inc.subject_id == CELL
        assert inc.details["h3_cell"] == CELL
        assert inc.details["aircraft"] == good + bad
        assert inc.details["bad_aircraft"] == bad
        assert inc.details["bad_share"] == round(bad / (good + bad), 3)


def test_track_is_the_closed_cell_boundary():
    run = Run(GnssInterferenceDetector(), state_with())
    run.run(traffic(10, 5))
    (inc,) = run.of(IncidentKind.GNSS_INTERFERENCE, ChangeAction.OPEN)
    ring = inc.track
    assert ring[0] == ring[-1] and len(ring) == 7  # a hexagon, closed
    poly = shapely.Polygon(ring)
    cell_poly = shapely.Polygon([(lon, lat) for lat, lon in h3.cell_to_boundary(CELL)])
    assert poly.equals_exact(cell_poly, 1e-9)
    assert poly.contains(shapely.Point(inc.lon, inc.lat))


@pytest.mark.parametrize("source", ["mlat", "tisb"])
def test_mlat_and_tisb_positions_do_not_count(source):
    run = Run(GnssInterferenceDetector(), state_with())
    run.run(traffic(5, 5, source=source))
    assert run.changes == []


def test_fixes_without_quality_fields_do_not_count_as_good():
    """OpenSky reports ADS-B positions without NIC: they must not dilute the share."""
    opensky = [
        aircraft(f"c{k:05d}", CENTRE[1], CENTRE[0], at(5, k), position_source="adsb")
        for k in range(40)
    ]
    run = Run(GnssInterferenceDetector(), state_with())
    run.run(traffic(4, 2) + opensky)
    (inc,) = run.of(IncidentKind.GNSS_INTERFERENCE, ChangeAction.OPEN)
    assert inc.details["aircraft"] == 6


def test_gps_ok_before_alone_marks_an_aircraft_bad():
    fx = traffic(6, 0)
    fx += [in_cell(f"g{k}", at(3, k), nic=8, nac_p=10, gps_ok=at(0), k=k) for k in range(2)]
    run = Run(GnssInterferenceDetector(), state_with())
    run.run(fx)
    (inc,) = run.of(IncidentKind.GNSS_INTERFERENCE, ChangeAction.OPEN)
    assert inc.details["bad_aircraft"] == 2


def test_closes_when_the_jamming_stops_and_the_window_rolls_on():
    cfg = GnssConfig(window_s=1800)
    run = Run(GnssInterferenceDetector(cfg), state_with())
    jammed = traffic(6, 3, minutes=(0, 10, 20))
    clean = traffic(9, 0, minutes=range(30, 120, 10))
    run.run(jammed + [o for o in clean if not o.subject_id.startswith("b")])
    (inc,) = incidents(run.changes, IncidentKind.GNSS_INTERFERENCE).values()
    assert inc[0].action is ChangeAction.OPEN
    assert inc[-1].action is ChangeAction.CLOSE
    assert at(20) <= inc[-1].at <= at(55)


# --- position jumps ------------------------------------------------------------------


def test_spoofed_jump_away_and_back_is_one_incident():
    fx = heading("0d0abc", (12.0, -66.0), 90.0, 30, at(0), speed_kt=450, every_s=15, callsign="SPF1")
    spoof_from, spoof_to = at(10), at(20)
    spoofed = [
        o if not spoof_from <= o.time < spoof_to else aircraft(
            o.subject_id, o.lon + 1.5, o.lat + 1.2, o.time, track_deg=o.track_deg,
            ground_speed_kt=o.ground_speed_kt, callsign="SPF1")
        for o in fx
    ]
    run = Run(PositionJumpDetector(), state_with())
    run.run(spoofed)
    (inc,) = incidents(run.changes, IncidentKind.POSITION_JUMP).values()
    assert [c.action for c in inc] == [ChangeAction.OPEN, ChangeAction.CLOSE]
    assert inc[0].at == spoof_from
    assert inc[0].details["last_jump"]["jump_km"] > 150
    assert inc[0].details["possible_spoofing"] is True
    assert "possible GNSS spoofing" in inc[0].summary
    assert inc[-1].details["closed_because"] == "returned"
    assert inc[-1].at == spoof_to


def test_fast_jet_and_a_long_gap_are_not_jumps():
    jet = heading("ae0001", (12.0, -66.0), 45.0, 10, at(0), speed_kt=1100, every_s=10)
    gap = heading("0d0001", (11.0, -67.0), 270.0, 60, at(0), speed_kt=480, every_s=15)
    gap = gap[:10] + gap[-10:]  # 55 minutes unseen, 440 km further on: plausible
    run = Run(PositionJumpDetector(), state_with())
    run.run(jet + gap)
    assert run.changes == []


def test_mlat_noise_is_not_a_jump():
    fx = heading("0d0abc", (12.0, -66.0), 90.0, 5, at(0), speed_kt=450, every_s=10,
                 position_source="mlat")
    noisy = [fx[0], *[
        aircraft(o.subject_id, o.lon + (0.3 if n % 2 else 0.0), o.lat, o.time + timedelta(seconds=0),
                 position_source="mlat") for n, o in enumerate(fx[1:])
    ]]
    run = Run(PositionJumpDetector(), state_with())
    run.run(noisy)
    assert run.changes == []
