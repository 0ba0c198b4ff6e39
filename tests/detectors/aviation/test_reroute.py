"""Rerouting around SVZM: reroute (known route), boundary avoidance, turnback, diversion."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import msgspec
import pytest

from monitor.detectors.aviation.airports import AirportIndex, AirportPoint
from monitor.detectors.aviation.common import haversine_km
from monitor.detectors.aviation.detour import path_length_km
from monitor.detectors.aviation.reroute import RerouteConfig, RerouteDetector
from monitor.domain import ChangeAction, IncidentKind, Severity, ZoneKind, ZoneStatus
from monitor.feeds.routes import AirportIndex as RouteAirports
from monitor.feeds.routes import RouteBook
from tests.builders import aircraft, at, box_zone
from tests.detectors.aviation.helpers import Run, fly, heading, incidents, state_with

SVZM = box_zone("SVZM", (-70, 4, -62, 11), kind=ZoneKind.CLOSED_AIRSPACE, status=ZoneStatus.CLOSED,
                source_ref="statement 2025-11-29")
TTZP = box_zone("FIR-TTZP", (-62, 2, -55, 12), kind=ZoneKind.FIR, status=ZoneStatus.INFORMATIONAL,
                name="Piarco FIR")
TNCF = box_zone("FIR-TNCF", (-73, 11, -62, 16), kind=ZoneKind.FIR, status=ZoneStatus.INFORMATIONAL,
                name="Curacao FIR")
FIR_SVZM = box_zone("FIR-SVZM", (-70, 4, -62, 11), kind=ZoneKind.FIR, status=ZoneStatus.INFORMATIONAL)
ZONES = [SVZM, TTZP, TNCF, FIR_SVZM]

AIRPORTS = {
    "SXAA": ("Alpha Intl", 2.0, -58.0),  # south-east of the zone
    "SXBB": ("Bravo Intl", 14.0, -73.0),  # north-west: the great circle crosses the zone
    "SXCC": ("Charlie", 13.0, -58.0),  # north-east: Alpha-Charlie passes east of the zone
    "SVMI": ("Maiquetia", 10.60, -66.99),  # inside the zone
    "SXDD": ("Delta", 5.2, -60.8),  # 135 km east of the zone: a diversion airport
}
ROUTES = """callsign,origin_icao,destination_icao
ABC123,SXAA,SXBB
NOC456,SXAA,SXCC
CCS789,SXAA,SVMI
"""


def route_book() -> RouteBook:
    table = {k: {"name": n, "lat": lat, "lon": lon} for k, (n, lat, lon) in AIRPORTS.items()}
    book = RouteBook(RouteAirports(table))
    assert book.load_csv_text(ROUTES) == 3
    return book


def airport_index() -> AirportIndex:
    return AirportIndex(AirportPoint(k, n, lat, lon) for k, (n, lat, lon) in AIRPORTS.items())


def run_with(routes=True, **cfg) -> Run:
    det = RerouteDetector(RerouteConfig(**cfg), airports=airport_index())
    extra = {"routes": route_book()} if routes else {}
    return Run(det, state_with(ZONES, **extra), feed_every_s=None)


# --- reroute -----------------------------------------------------------------------------

AROUND = [(11.6, -61.4), (11.8, -70.6), (14.0, -73.0)]  # east and north of the zone


def test_flight_whose_great_circle_crosses_the_zone_but_flies_around_it_is_a_reroute():
    run = run_with()
    fx = fly("0d0a01", (2.5, -58.5), AROUND, at(0), callsign="ABC123")
    run.run(fx, until=fx[-1].time + timedelta(minutes=30))
    (inc,) = incidents(run.changes, IncidentKind.REROUTE).values()
    opened, closed = inc[0], inc[-1]
    assert opened.action is ChangeAction.OPEN and closed.action is ChangeAction.CLOSE
    assert all(c.action is ChangeAction.UPDATE for c in inc[1:-1])
    assert opened.severity is Severity.LOW and opened.zone_id == "SVZM"
    d = closed.details
    assert d["route"] == "SXAA-SXBB" and d["callsign"] == "ABC123"
    assert d["avoided_zones"] == ["SVZM"]
    assert d["firs_used"] == ["FIR-TTZP", "FIR-TNCF"]
    assert d["closed_because"] == "past_zone"
    # where it left the great circle: the first minutes, near the start of the track
    assert d["left_track_at"] is not None and d["left_track_at"] < at(10).isoformat()
    assert haversine_km(d["left_track_lat"], d["left_track_lon"], 2.5, -58.5) < 80
    # extra distance against the great circle: the detour actually flown (from the origin)
    gc = haversine_km(2.0, -58.0, 14.0, -73.0)
    flown = path_length_km([(2.0, -58.0), (2.5, -58.5), *AROUND])
    assert d["great_circle_km"] == pytest.approx(gc, rel=0.001)
    assert d["extra_distance_km"] == pytest.approx(flown - gc, rel=0.06)
    assert d["extra_time_min"] == pytest.approx(d["extra_distance_km"] / (450 * 1.852) * 60, rel=0.02)
    note = d["dispatcher_note"]
    for part in ("ABC123", "SXAA", "SXBB", "Piarco FIR", "Curacao FIR", "Left its great-circle track"):
        assert part in note
    assert "+3" in closed.summary and "via TTZP, TNCF" in closed.summary
    # the incident track is the flight's path, sent once (no point repeated across changes)
    points = [p for c in inc for p in c.track]
    assert len(points) == len(set(points)) > 100


def test_the_estimate_on_opening_already_counts_the_way_around_still_ahead():
    run = run_with()
    fx = fly("0d0a01", (2.5, -58.5), AROUND, at(0), callsign="ABC123")
    run.run(fx)
    opened = run.of(IncidentKind.REROUTE, ChangeAction.OPEN)[0]
    # still south-east of the zone when raised, yet the projected path goes around it
    assert opened.details["flown_km"] < 1000
    assert opened.details["extra_distance_km"] > 150


def test_flight_that_never_planned_to_cross_is_not_a_reroute():
    run = run_with()
    fx = fly("0d0a02", (2.5, -58.3), [(13.0, -58.0)], at(0), callsign="NOC456")
    run.run(fx)
    assert run.of(IncidentKind.REROUTE) == []


def test_flight_on_its_great_circle_through_the_zone_is_an_incursion_not_a_reroute():
    run = run_with()
    fx = fly("0d0a03", (2.3, -58.3), [(14.0, -73.0)], at(0), callsign="ABC123")
    run.run(fx)
    assert run.of(IncidentKind.REROUTE) == []


def test_flight_that_cut_through_a_corner_of_the_zone_did_not_keep_out_of_it():
    run = run_with()
    fx = fly("0d0a05", (2.5, -58.5), [(5.0, -63.0), *AROUND], at(0), callsign="ABC123")
    run.run(fx)
    assert run.of(IncidentKind.REROUTE) == []


def test_flight_to_an_airport_inside_the_zone_is_not_rerouted_around_it():
    run = run_with()
    fx = fly("0d0a04", (2.5, -58.5), [(11.6, -61.4), (10.6, -66.9)], at(0), callsign="CCS789")
    run.run(fx)
    assert run.of(IncidentKind.REROUTE) == []


def test_without_a_route_source_nothing_is_a_reroute():
    run = run_with(routes=False)
    run.run(fly("0d0a01", (2.5, -58.5), AROUND, at(0), callsign="ABC123"))
    assert run.of(IncidentKind.REROUTE) == []


def test_routes_can_be_given_to_the_constructor_as_a_callable():
    book = route_book()
    det = RerouteDetector(routes=lambda cs, t: book.route_for(cs, t), airports=airport_index())
    run = Run(det, state_with(ZONES), feed_every_s=None)
    run.run(fly("0d0a01", (2.5, -58.5), AROUND, at(0), callsign="ABC123"))
    assert len(run.of(IncidentKind.REROUTE, ChangeAction.OPEN)) == 1


# --- boundary avoidance ----------------------------------------------------------------------


def test_heading_for_the_zone_then_turning_along_its_boundary_is_boundary_avoidance():
    # southbound from 13.5N towards the zone (top at 11N), turning west at 12.2N
    fx = fly("0d0b01", (13.5, -66.0), [(12.2, -66.0), (12.1, -66.4), (12.0, -72.0)], at(0),
             callsign="XYZ1")
    run = run_with(routes=False)
    run.run(fx, until=fx[-1].time + timedelta(minutes=40))
    (inc,) = incidents(run.changes, IncidentKind.BOUNDARY_AVOIDANCE).values()
    opened = inc[0]
    assert opened.action is ChangeAction.OPEN and inc[-1].action is ChangeAction.CLOSE
    assert opened.zone_id == "SVZM"
    assert opened.at < at(12)  # when the straight-ahead path first pointed into the zone
    assert opened.details["time_to_entry_s"] <= 900
    assert opened.details["heading_in_deg"] == 180
    assert 60 <= opened.details["turned_deg"] <= 110
    assert 100 < opened.details["distance_to_boundary_km"] < 140
    assert run.of(IncidentKind.TURNBACK) == []
    # how sure: a long straight leg aimed at the zone, a large turn, kept out and level
    d = opened.details
    assert d["straight_inbound_s"] >= 480
    assert 0.6 <= d["confidence"] <= 0.9  # no route at all: at most 0.9
    assert any("no known route" in b for b in d["confidence_basis"])
    assert inc[-1].details["confidence"] == d["confidence"]  # kept when it closes


def test_a_short_leg_aimed_at_the_zone_then_the_next_airway_is_not_avoidance():
    # first heard 2-3 min before turning north-west onto the next airway: no straight leg
    # aimed at the zone to turn away from (with the thresholds before real traffic was
    # measured, min_straight_s 0, this was an avoidance)
    fx = fly("0d0b05", (12.6, -66.0), [(12.3, -66.0), (12.9, -67.0), (13.6, -69.5)], at(0),
             callsign="AWY1")
    run = run_with(routes=False)
    run.run(fx, until=fx[-1].time + timedelta(minutes=40))
    assert run.of(IncidentKind.BOUNDARY_AVOIDANCE) == []


def test_a_turn_while_descending_is_not_avoidance():
    fx = fly("0d0b06", (13.5, -66.0), [(12.2, -66.0), (12.1, -66.4), (12.0, -72.0)], at(0),
             callsign="DSC1")
    fx = [msgspec.structs.replace(o, altitude_ft=max(21000.0, 37000.0 - 150.0 * i))
          for i, o in enumerate(fx)]
    run = run_with(routes=False)
    run.run(fx, until=fx[-1].time + timedelta(minutes=40))
    assert run.of(IncidentKind.BOUNDARY_AVOIDANCE) == []


def test_an_implausible_route_never_claims_a_detour():
    book = route_book()
    honest = book.route_for("ABC123")
    assert honest is not None
    book.add(replace(honest, callsign="ONL123", source="routeset", plausible=False))
    run = Run(RerouteDetector(airports=airport_index()), state_with(ZONES, routes=book),
              feed_every_s=None)
    run.run(fly("0d0a07", (2.5, -58.5), AROUND, at(0), callsign="ONL123"))
    assert run.of(IncidentKind.REROUTE) == []


def test_a_plausible_online_route_raises_the_reroute_with_its_source():
    book = route_book()
    honest = book.route_for("ABC123")
    assert honest is not None
    book.add(replace(honest, callsign="ONL124", source="routeset", plausible=True))
    run = Run(RerouteDetector(airports=airport_index()), state_with(ZONES, routes=book),
              feed_every_s=None)
    run.run(fly("0d0a08", (2.5, -58.5), AROUND, at(0), callsign="ONL124"))
    (opened,) = run.of(IncidentKind.REROUTE, ChangeAction.OPEN)
    assert opened.details["route_source"] == "routeset"
    assert opened.details["route_plausible"] is True


def test_a_route_that_arrives_later_is_used_within_minutes():
    book = route_book()
    honest = book.route_for("ABC123")
    assert honest is not None
    late = replace(honest, callsign="LATE1", source="routeset", plausible=True)
    asked: list[object] = []

    def lookup(cs, t):  # the live lookup answers after the flight was first seen
        asked.append(t)
        return late if len(asked) > 2 else None

    run = Run(RerouteDetector(routes=lookup, airports=airport_index()), state_with(ZONES),
              feed_every_s=None)
    run.run(fly("0d0a09", (2.5, -58.5), AROUND, at(0), callsign="LATE1"))
    assert len(run.of(IncidentKind.REROUTE, ChangeAction.OPEN)) == 1
    assert asked[2] - asked[0] <= timedelta(minutes=5)


def test_flying_along_the_boundary_all_along_is_not_avoidance():
    run = run_with(routes=False)
    run.run(heading("0d0b02", (12.0, -61.0), 270.0, 80, at(0)))
    assert run.changes == []


def test_flying_into_the_zone_is_not_avoidance():
    run = run_with(routes=False)
    run.run(heading("0d0b03", (13.5, -66.0), 180.0, 40, at(0)), until=at(80))
    assert run.of(IncidentKind.BOUNDARY_AVOIDANCE) == []


def test_avoidance_is_only_for_flights_without_a_known_route():
    fx = fly("0d0b01", (13.5, -66.0), [(12.2, -66.0), (12.1, -66.4), (12.0, -72.0)], at(0),
             callsign="NOC456")
    run = run_with()
    run.run(fx)
    assert run.of(IncidentKind.BOUNDARY_AVOIDANCE) == []


def test_low_terminal_traffic_is_not_avoidance():
    fx = fly("0d0b01", (13.5, -66.0), [(12.2, -66.0), (12.1, -66.4), (12.0, -72.0)], at(0),
             altitude_ft=6000.0)
    run = run_with(routes=False)
    run.run(fx)
    assert run.changes == []


# --- turnback --------------------------------------------------------------------------------


def test_course_reversal_near_the_zone_is_a_turnback_not_an_avoidance():
    fx = fly("0d0c01", (13.5, -66.0), [(11.8, -66.0), (11.75, -65.85), (13.5, -65.85)], at(0),
             callsign="TBK1")
    run = run_with(routes=False)
    run.run(fx, until=fx[-1].time + timedelta(minutes=30))
    (inc,) = incidents(run.changes, IncidentKind.TURNBACK).values()
    assert [c.action for c in inc] == [ChangeAction.OPEN, ChangeAction.CLOSE]
    d = inc[0].details
    assert d["reversal_deg"] >= 170
    assert abs(d["pivot_lat"] - 11.8) < 0.15
    assert 70 < d["distance_to_zone_km"] < 110
    assert inc[0].zone_id == "SVZM" and inc[0].severity is Severity.MEDIUM
    assert run.of(IncidentKind.BOUNDARY_AVOIDANCE) == []
    assert d["chord_reversal_deg"] >= 150 and 0.5 <= d["confidence"] <= 1.0


def racetrack(hex_id, leg_min, laps, **kw):
    """A racetrack at 12N: east-west legs of ``leg_min`` minutes."""
    fx = []
    t = at(0)
    lat, lon = 12.0, -66.0
    for _ in range(laps):
        east = heading(hex_id, (lat, lon), 90.0, leg_min, t, speed_kt=220, **kw)
        back = heading(hex_id, (lat + 0.05, east[-1].lon), 270.0, leg_min, east[-1].time + timedelta(seconds=30),
                       speed_kt=220, **kw)
        fx += east + back
        t = back[-1].time + timedelta(seconds=30)
    return fx


def test_holding_pattern_and_military_orbit_are_not_turnbacks():
    holding = racetrack("0d0c02", 1.5, 6, altitude_ft=15000.0)
    orbit = racetrack("ae0c03", 12, 3, military=True, altitude_ft=28000.0)
    run = run_with(routes=False)
    run.run(holding + orbit)
    assert run.of(IncidentKind.TURNBACK) == []
    civil_orbit = racetrack("0d0c04", 12, 2, altitude_ft=28000.0)
    run = run_with(routes=False)
    run.run(civil_orbit)
    assert len(run.of(IncidentKind.TURNBACK, ChangeAction.OPEN)) == 1  # once per cooldown


def test_ninety_degree_turn_is_not_a_turnback():
    fx = fly("0d0c05", (13.5, -66.0), [(12.0, -66.0), (12.0, -70.0)], at(0), altitude_ft=30000.0)
    run = run_with(routes=False, min_turn_deg=200)  # no avoidance either: isolate turnbacks
    run.run(fx)
    assert run.of(IncidentKind.TURNBACK) == []


# --- diversion -------------------------------------------------------------------------------


def landing(hex_id, start, airport, t0, callsign):
    """Cruise to an airport, descend, then stand on its apron."""
    name, lat, lon = AIRPORTS[airport]
    fx = fly(hex_id, start, [(lat, lon)], t0, callsign=callsign, every_s=30)
    out = []
    for o in fx:
        dist_nm = haversine_km(o.lat, o.lon, lat, lon) / 1.852
        alt = min(35000.0, 300.0 + 320.0 * dist_nm)  # a 3 degree descent
        out.append(aircraft(hex_id, o.lon, o.lat, o.time, altitude_ft=alt, track_deg=o.track_deg,
                            ground_speed_kt=o.ground_speed_kt, callsign=callsign))
    t = fx[-1].time
    out += [aircraft(hex_id, lon, lat, t + timedelta(minutes=m), on_ground=True, altitude_ft=None,
                     callsign=callsign) for m in (1, 2, 3)]
    return out


def test_landing_away_from_the_destination_near_the_zone_is_a_diversion():
    run = run_with()
    run.run(landing("0d0d01", (2.5, -58.5), "SXDD", at(0), "ABC123"))
    (inc,) = incidents(run.changes, IncidentKind.DIVERSION).values()
    assert [c.action for c in inc] == [ChangeAction.OPEN, ChangeAction.CLOSE]
    d = inc[0].details
    assert d["landed_at_icao"] == "SXDD" and d["destination_icao"] == "SXBB"
    assert d["distance_from_destination_km"] > 1500
    assert d["landing_inferred"] is False
    assert 100 < d["distance_to_zone_km"] < 160


def test_landing_at_the_destination_is_not_a_diversion():
    run = run_with()
    run.run(landing("0d0d02", (11.5, -61.0), "SXCC", at(0), "NOC456"))
    assert run.of(IncidentKind.DIVERSION) == []


def test_a_landing_inferred_from_an_approach_and_silence_counts_too():
    fx = [o for o in landing("0d0d03", (2.5, -58.5), "SXDD", at(0), "ABC123") if not o.on_ground]
    fx = [o for o in fx if o.altitude_ft > 3000]  # reception ends about 9 nm out
    run = run_with()
    run.run(fx, until=fx[-1].time + timedelta(minutes=10))
    (opened,) = run.of(IncidentKind.DIVERSION, ChangeAction.OPEN)
    assert opened.details["landing_inferred"] is True
    assert opened.details["landed_at_icao"] == "SXDD"


def test_path_ring_keeps_the_latest_points_in_order():
    import math

    from monitor.detectors.aviation.flight import PathRing

    path = PathRing(3)
    assert not path and len(path) == 0
    for k in range(5):
        path.append((float(k), 10.0 + k, -66.0 - k, math.nan if k == 4 else 1000.0 * k, 90.0))
    assert len(path) == 3
    assert [p[0] for p in path] == [2.0, 3.0, 4.0]  # the oldest dropped, order kept
    assert path[0] == (2.0, 12.0, -68.0, 2000.0, 90.0)
    assert math.isnan(path[-1][3])  # unknown altitude survives as nan
    assert path.popleft()[0] == 2.0
    assert [p[0] for p in path] == [3.0, 4.0]
    path.popleft()
    path.popleft()
    with pytest.raises(IndexError):
        path.popleft()
