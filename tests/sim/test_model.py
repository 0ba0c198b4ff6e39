"""The scenario model's building blocks: geodesy, paths, schedules, the simulated clock."""

from __future__ import annotations

import math

import pytest

from monitor.sim import geo
from monitor.sim.clock import SimClock
from monitor.sim.model import Interval, PathBuilder, noise, report_schedule


def test_distance_and_bearing_known_values() -> None:
    # one degree of latitude is about 111.2 km on the mean sphere
    assert geo.distance_m(10.0, -66.0, 11.0, -66.0) == pytest.approx(111_195, rel=1e-4)
    assert geo.bearing_deg(10.0, -66.0, 11.0, -66.0) == pytest.approx(0.0, abs=1e-9)
    assert geo.bearing_deg(10.0, -66.0, 10.0, -65.0) == pytest.approx(90.0, abs=0.1)
    lat, lon = geo.destination(10.0, -66.0, 90.0, 50_000)
    assert geo.distance_m(10.0, -66.0, lat, lon) == pytest.approx(50_000, rel=1e-9)


def test_interpolation_stays_on_the_great_circle() -> None:
    a, b = (10.0, -70.0), (12.0, -60.0)
    mid = geo.interpolate(*a, *b, 0.5)
    total = geo.distance_m(*a, *b)
    assert geo.distance_m(*a, *mid) == pytest.approx(total / 2, rel=1e-9)


def test_path_speed_and_track_match_the_plan() -> None:
    p = PathBuilder(0.0, 10.0, -66.0).to(10.0, -65.0, speed_kt=450).until(5000.0).build()
    gs, trk = p.velocity(100.0)
    assert gs == pytest.approx(450.0, rel=1e-6)
    assert trk == pytest.approx(90.0, abs=0.2)
    # after arrival it stands still, keeping its last track
    assert p.velocity(4000.0) == (0.0, pytest.approx(90.0, abs=0.2))
    assert p.position(-10.0) == (10.0, -66.0)


def test_turn_reverses_course() -> None:
    b = PathBuilder(0.0, 14.0, -63.0).heading(235.0, 20_000, speed_kt=480)
    b.turn(55.0, radius_m=14_000, speed_kt=450, right=True)
    p = b.build()
    _, before = p.velocity(1.0)
    _, after = p.velocity(p.end_s - 1.0)
    reversal = abs((after - before + 180.0) % 360.0 - 180.0)
    assert reversal > 150.0


def test_report_schedule_is_deterministic_and_respects_gaps_and_silence() -> None:
    silent = (Interval(1000.0, 3000.0),)
    a = report_schedule(0.0, 6000.0, seed=1, key="x", min_gap_s=60, max_gap_s=180, silent=silent)
    b = report_schedule(0.0, 6000.0, seed=1, key="x", min_gap_s=60, max_gap_s=180, silent=silent)
    assert a == b
    assert all(t == math.floor(t) for t in a)
    assert not any(1000.0 <= t < 3000.0 for t in a)
    gaps = [y - x for x, y in zip(a, a[1:], strict=False) if not (x < 1000 and y >= 3000)]
    assert min(gaps) >= 59 and max(gaps) <= 180
    assert report_schedule(0.0, 6000.0, seed=2, key="x", min_gap_s=60, max_gap_s=180) != a


def test_noise_is_stateless() -> None:
    assert noise(1, "a", 10.0) == noise(1, "a", 10.0)
    assert noise(1, "a", 10.0) != noise(1, "a", 11.0)
    assert 0.0 <= noise(7, "k") < 1.0


def test_sim_clock_runs_at_speed_and_stops_at_the_end() -> None:
    wall = [100.0]
    clock = SimClock(1000.0, 2000.0, speed=10.0, wall=lambda: wall[0])
    assert clock.now_s() == 1000.0
    wall[0] += 30.0
    assert clock.now_s() == 1300.0
    assert clock.progress == pytest.approx(0.3)
    wall[0] += 1000.0
    assert clock.now_s() == 2000.0 and clock.finished
    clock.restart()
    assert clock.now_s() == 1000.0


def test_sim_clock_default_plays_in_five_minutes() -> None:
    clock = SimClock(0.0, 3 * 3600.0)
    assert clock.wall_seconds(3 * 3600.0) == pytest.approx(300.0)
