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


def test_two_transmitters_sharing_an_mmsi_are_one_identity_conflict_not_spoofing():
    """Off Cartagena and east of Trinidad, 1,700 km apart, alternately for three hours."""
    h = Harness(SpoofingDetector(), [LAND])
    west = steady(TWIN, (-76.10, 10.70), at(0), minutes=180, every_s=120.0, speed_kt=11.0,
                  bearing_deg=190.0)
    east = steady(TWIN, (-60.30, 10.75), at(1), minutes=180, every_s=120.0, speed_kt=11.0,
                  bearing_deg=60.0)
    h.replay([*west, *east], until=at(300))
    (inc,) = h.incidents()
    assert inc.kind == IncidentKind.IDENTITY_CONFLICT.value and inc.subject_id == TWIN
    assert inc.started_at == at(1)  # the first report from the second place
    assert inc.ended_at == at(181)  # the last switch between the two
    assert inc.details["switches"] > 150
    assert inc.changes[0].severity is Severity.HIGH
    a, b = inc.details["transmitters"]
    assert (round(a["first_lon"], 2), round(b["first_lon"], 2)) == (-76.10, -60.30)
    assert 1700 < inc.details["distance_km"] < 1750 and inc.details["interval_s"] == 60.0
    assert len(inc.changes[0].evidence) == 2  # one fix of each transmitter
    assert len(inc.changes[0].track) == 1  # a point, not a line across the Caribbean


def test_800_km_apart_within_a_minute_is_two_transmitters_with_both_places_said():
    h = Harness(SpoofingDetector(), [LAND])
    west = steady(TWIN, (-75.50, 12.00), at(0), minutes=30, every_s=60.0, speed_kt=10.0)
    east = steady(TWIN, (-68.145, 12.00), at(0, 30), minutes=30, every_s=60.0, speed_kt=10.0)
    changes = h.replay([*west, *east], until=at(200))
    (inc,) = h.incidents()
    assert inc.kind == "identity_conflict"
    opened = changes[0]
    assert opened.summary == (
        "MMSI 538009777: two transmitters share MMSI 538009777: "
        "A at 12.000, -75.500 (10:00:00Z), B at 12.000, -68.145 (10:00:30Z), 800 km apart within 30 s"
    )
    assert {e.subject_id for e in opened.evidence} == {TWIN}
    assert sorted(round(e.lon, 1) for e in opened.evidence) == [-75.5, -68.1]


def test_a_second_transmitter_heard_every_ten_minutes_is_still_a_conflict():
    h = Harness(SpoofingDetector(), [LAND])
    west = steady(TWIN, (-75.50, 12.00), at(0), minutes=90, every_s=60.0, speed_kt=10.0)
    east = steady(TWIN, (-68.15, 12.00), at(5, 30), minutes=80, every_s=600.0, speed_kt=10.0)
    h.replay([*west, *east], until=at(300))
    assert [i.kind for i in h.incidents()] == ["identity_conflict"]


def test_a_short_displaced_stretch_is_spoofing_not_two_transmitters():
    """Three minutes reported 150 km off, then back: two switches, not an alternation."""
    h = Harness(SpoofingDetector(), [LAND])
    true = steady(MARLIN, (-73.6, 12.6), at(0), minutes=120, speed_kt=12.0)
    fixes = [replace(o, lat=o.lat + 1.0, lon=o.lon - 0.9) if at(40) <= o.time < at(43) else o
             for o in true]
    h.replay(fixes, until=at(300))
    (inc,) = h.incidents()
    assert inc.kind == "spoofing" and inc.details["reason"] == "implied_speed"
    assert inc.started_at == at(40) and inc.ended_at == at(43)


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
    accepted except three that really are wrong: two ships with MIDs the ITU never
    allocated (360, 365) and a group-call address. The US base station 003669882 is a
    coast station: no vessel, no spoofing."""
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
    assert sorted(flagged) == ["036926403", "360000000", "365973420"]
    assert "MID 360 is not allocated" in flagged["360000000"]
    assert "group call" in flagged["036926403"]


# --- by MMSI class (ITU-R M.585) ---------------------------------------------------------


@pytest.mark.parametrize(
    "mmsi",
    [
        "994008087",  # BUOY-007, a net buoy: aid to navigation, MID 400 unallocated
        "992766606",  # NETFIH9927-06
        "970123456",  # AIS-SART
        "972158237",  # MOB
        "974291422",  # EPIRB-AIS
        "002240123",  # coast station
    ],
)
def test_aids_to_navigation_coast_stations_and_beacons_raise_nothing(mmsi):
    """Inland, jumping 150 km and back, alternating between two places: nothing."""
    h = Harness(SpoofingDetector(), [LAND])
    inland = steady(mmsi, (-66.0, 9.0), at(0), minutes=20, speed_kt=0.5)
    here = steady(mmsi, (-73.6, 12.6), at(30), minutes=60, speed_kt=1.0)
    there = steady(mmsi, (-72.6, 12.6), at(30, 30), minutes=60, speed_kt=1.0)
    h.replay([*inland, *here, *there], until=at(300))
    assert h.incidents() == []


def test_a_sar_aircraft_flies_but_two_of_them_with_one_mmsi_conflict():
    sar = "111775123"
    h = Harness(SpoofingDetector(), [LAND])
    flight = steady(sar, (-66.5, 10.0), at(0), minutes=60, every_s=30.0, speed_kt=250.0,
                    bearing_deg=0.0)  # 250 kn over land and sea
    h.replay(flight, until=at(200))
    assert h.incidents() == []
    h = Harness(SpoofingDetector(), [LAND])
    one = steady(sar, (-75.5, 12.0), at(0), minutes=30, every_s=30.0, speed_kt=200.0)
    two = steady(sar, (-64.0, 12.0), at(0, 15), minutes=30, every_s=30.0, speed_kt=200.0,
                 bearing_deg=270.0)
    h.replay([*one, *two], until=at(200))
    (inc,) = h.incidents()
    assert inc.kind == "identity_conflict" and inc.details["mmsi_class"] == "sar_aircraft"
    assert inc.changes[0].severity is Severity.MEDIUM


def test_placeholders_stay_invalid_whatever_their_form():
    h = Harness(SpoofingDetector(), [LAND])
    h.replay(steady("999999999", (-74.5, 11.35), at(0), minutes=30), until=at(100))
    (inc,) = h.incidents()
    assert inc.details["reason"] == "invalid_mmsi" and "placeholder" in inc.details["notes"][0]


def test_an_invalid_mmsi_shared_by_two_transmitters_stays_one_spoofing_episode():
    """123456789 is everybody's default: two places at once are no news of their own."""
    h = Harness(SpoofingDetector(), [LAND])
    a = steady("123456789", (-75.5, 12.0), at(0), minutes=30, every_s=60.0)
    b = steady("123456789", (-68.15, 12.0), at(0, 30), minutes=30, every_s=60.0)
    h.replay([*a, *b], until=at(200))
    (inc,) = h.incidents()
    assert inc.kind == "spoofing"
    assert set(inc.details["reasons"]) >= {"invalid_mmsi", "two_places"}


def test_fishing_gear_named_with_its_battery_under_a_group_form_raises_nothing():
    h = Harness(SpoofingDetector(), [LAND])
    h.replay(steady("059700014", (-74.5, 11.35), at(0), minutes=30, speed_kt=1.4,
                    name="00014 82%"), until=at(100))
    assert h.incidents() == []


def _nmea_sample_observations(samples_dir):
    from datetime import UTC, datetime

    from monitor.feeds.nmea import make_parser

    paths = [p for p in sorted(samples_dir.glob("ais_nmea_*")) if p.suffix != ".chk"]
    if not paths:
        pytest.skip("no NMEA samples")
    received = datetime(2023, 4, 7, 12, 0, tzinfo=UTC)
    out = []
    for path in paths:
        out.append(make_parser()(path.read_text(errors="replace"), received_at=received,
                                 source=path.stem).observations)
    return sorted((b for b in out if b), key=lambda b: min(o.time for o in b))


def test_real_nmea_samples_net_buoys_and_base_stations_raise_nothing(samples_dir):
    """Every position report of the real NMEA samples (pyais, gpsd, AISdb): the net buoys
    BUOY-007 (994008087) and NETFIH9927-06 (992766606), the aid to navigation 994030369, the
    coast-station forms 000133310, 000786434 and 001245196 and the buoy "00014 82%"
    (059700014) raise nothing; what is left really is wrong."""
    h = Harness(SpoofingDetector(), [])
    for batch in _nmea_sample_observations(samples_dir):  # one batch per file: years apart
        h.step(batch)
    flagged = {i.subject_id: i.details["notes"][0] for i in h.incidents()}
    assert {i.kind for i in h.incidents()} == {"spoofing"}
    assert sorted(flagged) == ["062585404", "123456007", "123456789", "704687870", "876131000"]
    assert "group call" in flagged["062585404"]
    assert "MID 704 is not allocated" in flagged["704687870"]
    assert "MID 761 is not allocated" in flagged["876131000"]


def test_an_identity_conflict_left_open_is_adopted_after_a_restart():
    h = Harness(SpoofingDetector(), [LAND])
    west = steady(TWIN, (-75.50, 12.00), at(0), minutes=120, every_s=60.0)
    east = steady(TWIN, (-68.145, 12.00), at(0, 30), minutes=120, every_s=60.0)
    fixes = sorted([*west, *east], key=lambda o: o.time)
    h.replay([o for o in fixes if o.time < at(30)])
    h.det = SpoofingDetector()  # a restart: the store hands the open incident back
    h.replay([o for o in fixes if o.time >= at(30)], until=at(300))
    (inc,) = h.incidents()
    assert inc.kind == "identity_conflict" and inc.ended_at == at(120, 30)
    after = [c for c in inc.changes if c.at >= at(30) and c.action.value == "update"]
    assert after and "?" not in after[0].summary and len(after[0].evidence) == 2


def test_a_conflict_needs_at_least_two_switches():
    from monitor.detectors.registry import build_detectors
    from monitor.errors import ConfigError

    with pytest.raises(ConfigError, match="conflict_min_switches must be >= 2"):
        build_detectors({"spoofing": {"conflict_min_switches": 1}})
