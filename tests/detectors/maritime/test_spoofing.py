"""Spoofing and bad identity: impossible moves, two places at once, land, invalid MMSIs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from msgspec.structs import replace

from monitor.detectors.maritime.common import mmsi_problem
from monitor.detectors.maritime.spoofing import SpoofingConfig, SpoofingDetector
from monitor.domain import IncidentKind, Severity
from tests.builders import at
from tests.detectors.maritime.helpers import Harness, end_of, land_zone, steady

LAND = land_zone("LAND-VEN", (-70.0, 8.0, -60.0, 10.5))
MARLIN = "636019812"
TWIN = "538009777"

CASES = Path(__file__).with_name("mmsi_cases.json")


@pytest.mark.parametrize("case", json.loads(CASES.read_text())["cases"], ids=lambda c: c["mmsi"])
def test_mmsi_validity(case):
    problem = mmsi_problem(case["mmsi"])
    if case["valid"]:
        assert problem is None
    else:
        assert problem is not None and case["why"] in problem


def test_ordinary_voyage_and_a_go_fast_raise_nothing():
    h = Harness(SpoofingDetector(), [LAND])
    cargo = steady(MARLIN, (-73.6, 12.6), at(0), minutes=180, speed_kt=12.0, bearing_deg=250.0)
    gofast = steady("775123456", (-61.0, 11.35), at(0), minutes=60, every_s=30.0, speed_kt=45.0,
                    bearing_deg=270.0)
    h.replay([*cargo, *gofast], until=at(300))
    assert h.incidents() == []


def test_position_jump_is_implied_speed_spoofing_one_incident_for_the_displaced_stretch():
    """From 11:35 the reported position is 145 km off the true one, until 12:35."""
    h = Harness(SpoofingDetector(), [LAND])
    true = steady(MARLIN, (-73.6, 12.6), at(0), minutes=180, speed_kt=12.0, bearing_deg=250.0)
    fixes = [replace(o, lat=o.lat + 1.0, lon=o.lon - 0.9) if at(95) <= o.time < at(155) else o
             for o in true]
    h.replay(fixes, until=at(400))
    (inc,) = h.incidents()
    assert inc.kind == IncidentKind.SPOOFING.value and inc.subject_id == MARLIN
    assert inc.started_at == at(95)
    assert inc.details["reason"] == "implied_speed"
    assert set(inc.details["reasons"]) == {"implied_speed", "position_jump"}
    assert inc.ended_at == at(155)  # the jump back ends the episode
    assert inc.changes[0].severity is Severity.MEDIUM
    assert "kn" in inc.details["notes"][0]


def test_two_transmitters_sharing_an_mmsi_are_one_incident_in_two_places():
    h = Harness(SpoofingDetector(), [LAND])
    west = steady(TWIN, (-76.10, 10.70), at(0), minutes=180, every_s=120.0, speed_kt=11.0,
                  bearing_deg=190.0)
    east = steady(TWIN, (-60.30, 10.75), at(1), minutes=180, every_s=120.0, speed_kt=11.0,
                  bearing_deg=140.0)
    h.replay([*west, *east], until=at(300))
    (inc,) = h.incidents()
    assert inc.subject_id == TWIN
    assert inc.details["reasons"]["two_places"] > 50
    assert inc.changes[-1].severity is Severity.HIGH
    assert inc.started_at <= at(2) and inc.ended_at >= at(178)


@pytest.mark.parametrize(
    ("where", "coast_lat", "fires"),
    [
        ((-66.0, 9.0), 10.5, True),       # 165 km inland
        ((-66.0, 10.49), 10.5, False),    # 1 km inside the coastline: harbours, coarse coast
        ((-66.935, 10.62), 10.7, False),  # 9 km inland, but in La Guaira's port
        ((-62.65, 8.36), 10.5, False),    # on the Orinoco at Ciudad Guayana
    ],
)
def test_positions_on_land(where, coast_lat, fires):
    h = Harness(SpoofingDetector(), [land_zone("LAND-VEN", (-70.0, 8.0, -60.0, coast_lat))])
    fixes = steady("775002310", where, at(0), minutes=20, speed_kt=0.0)
    h.replay(fixes, until=at(200))
    incidents = h.incidents()
    assert (len(incidents) == 1) is fires
    if fires:
        assert incidents[0].details["reason"] == "on_land"


def test_invalid_mmsi_is_one_incident_while_it_transmits():
    h = Harness(SpoofingDetector(SpoofingConfig(quiet_s=1800)), [LAND])
    fixes = steady("123456789", (-74.5, 11.35), at(0), minutes=180, speed_kt=6.0)
    h.replay(fixes, until=at(300))
    (inc,) = h.incidents()
    assert inc.details["reason"] == "invalid_mmsi"
    assert inc.started_at == at(0) and inc.ended_at == at(180)
    assert inc.changes[0].severity is Severity.LOW
    assert len(inc.changes) <= 180 / 10 + 2  # updates throttled to one per 10 min


def test_invalid_mmsi_check_can_be_turned_off():
    h = Harness(SpoofingDetector(SpoofingConfig(check_mmsi=False)), [LAND])
    h.replay(steady("123456789", (-74.5, 11.35), at(0), minutes=30), until=at(100))
    assert h.incidents() == []


def test_a_single_glitch_is_one_short_incident():
    h = Harness(SpoofingDetector(), [LAND])
    fixes = steady(MARLIN, (-73.6, 12.6), at(0), minutes=120, speed_kt=12.0)
    fixes[30] = replace(fixes[30], lat=fixes[30].lat + 0.5)
    h.replay(fixes, until=at(300))
    (inc,) = h.incidents()
    assert inc.started_at == at(30) and inc.ended_at <= at(32)


def test_gps_noise_is_not_a_jump():
    """A fix 1.5 km off track a minute after the last one stays within the tolerance."""
    h = Harness(SpoofingDetector(), [LAND])
    fixes = steady(MARLIN, (-73.6, 12.6), at(0), minutes=30, speed_kt=12.0)
    fixes[10] = replace(fixes[10], lat=fixes[10].lat + 0.0135)
    h.replay(fixes, until=at(100))
    assert h.incidents() == []


def test_stop_and_go_after_a_long_silence_is_no_jump():
    """Silent 3 h, reappearing 30 nm away (10 kn implied): not an impossible move."""
    h = Harness(SpoofingDetector(), [LAND])
    a = steady(MARLIN, (-73.6, 12.6), at(0), minutes=10, speed_kt=10.0)
    b = steady(MARLIN, end_of(a), at(190), minutes=10, speed_kt=10.0)
    b = [replace(o, lon=o.lon - 0.5) for o in b]
    h.replay([*a, *b], until=at(300))
    assert h.incidents() == []


def test_real_noaa_mmsis_only_the_misconfigured_ones_are_invalid(samples_dir):
    """1,499 position rows of real US AIS (NOAA MarineCadastre, two files): every MMSI is
    accepted except four that really are wrong: two with MIDs the ITU never allocated
    (360, 365) and two in forms no ship uses for position reports."""
    flagged = {}
    for name in ("ais_marinecadastre_AIS_2024_01_01_first500.csv",
                 "ais_marinecadastre_aisdb_noaa_20230111_1000rows.csv"):
        path = samples_dir / name
        if not path.is_file():
            pytest.skip(f"{path} missing")
        with path.open(newline="") as fh:
            for row in csv.DictReader(fh):
                mmsi = row["MMSI"].strip().zfill(9)
                problem = mmsi_problem(mmsi)
                if problem:
                    flagged[mmsi] = problem
    assert sorted(flagged) == ["003669882", "036926403", "360000000", "365973420"]
    assert "MID 360 is not allocated" in flagged["360000000"]
    assert "coast_station" in flagged["003669882"]
