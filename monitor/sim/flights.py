"""Flight plans to :class:`~monitor.sim.model.Flight` values: taxi, climb-out, waypoints,
approach and landing at realistic speeds.

A plan either departs from an airport at ``takeoff_s`` or is already airborne at its first
waypoint at ``entry_s``; it either lands at an airport or flies on past its last waypoint
(which should lie outside the covered region, so the aircraft leaves coverage there).
:func:`build_flight` returns the flight and the time it passes each waypoint, which the
scenario uses for its label intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from monitor.sim import geo
from monitor.sim.model import (
    SOURCE_ADSB,
    Airframe,
    Flight,
    Interval,
    PathBuilder,
    Spoof,
    SquawkEvent,
)
from monitor.sim.places import Place

TAXI_S = 180.0
TAXI_M = 1300.0
CLIMB_OUT_M = 30_000.0
CLIMB_OUT_KT = 250.0
APPROACH_M = 45_000.0
APPROACH_KT = 210.0
ROLLOUT_S = 150.0
ROLLOUT_M = 1800.0


@dataclass
class FlightPlan:
    airframe: Airframe
    callsign: str
    squawk: str
    role: str
    waypoints: Sequence[tuple[float, float]]
    cruise_ft: float
    cruise_kt: float
    origin: Place | None = None
    destination: Place | None = None
    #: route (origin, destination) ICAO codes as a route database knows them
    route: tuple[str, str] | None = None
    route_known: bool = True
    takeoff_s: float | None = None
    entry_s: float | None = None
    position_source: str = "adsb_icao"
    feeds: frozenset[str] = field(default_factory=lambda: frozenset({SOURCE_ADSB}))
    silent: tuple[Interval, ...] = ()
    squawks: tuple[SquawkEvent, ...] = ()
    spoof: Spoof | None = None
    climb_fpm: float = 2200.0
    descent_fpm: float = 1800.0


def build_flight(plan: FlightPlan) -> tuple[Flight, list[float]]:
    """The flight and the times (epoch s) it passes each of ``plan.waypoints``."""
    marks: list[float] = []
    if plan.origin is not None:
        if plan.takeoff_s is None:
            raise ValueError(f"{plan.callsign}: a departing plan needs takeoff_s")
        o = plan.origin
        first = plan.waypoints[0] if plan.waypoints else plan.destination.pos  # type: ignore[union-attr]
        brg = geo.bearing_deg(o.lat, o.lon, *first)
        runway_start = geo.destination(o.lat, o.lon, brg + 180.0, TAXI_M / 2)
        b = PathBuilder(plan.takeoff_s - TAXI_S, *runway_start)
        b.at(plan.takeoff_s, *geo.destination(*runway_start, brg, TAXI_M))
        b.heading(brg, CLIMB_OUT_M, speed_kt=CLIMB_OUT_KT)
    else:
        if plan.entry_s is None or not plan.waypoints:
            raise ValueError(f"{plan.callsign}: an airborne plan needs entry_s and waypoints")
        b = PathBuilder(plan.entry_s, *plan.waypoints[0])
    start = 0 if plan.origin is not None else 1
    if plan.origin is None:
        marks.append(plan.entry_s)  # type: ignore[arg-type]
    for lat, lon in plan.waypoints[start:]:
        b.to(lat, lon, speed_kt=plan.cruise_kt)
        marks.append(b.t_s)
    landing_s: float | None = None
    if plan.destination is not None:
        d = plan.destination
        brg = geo.bearing_deg(*b.here, d.lat, d.lon)
        remaining = geo.distance_m(*b.here, d.lat, d.lon)
        if remaining > APPROACH_M:
            b.to(*geo.destination(d.lat, d.lon, brg + 180.0, APPROACH_M), speed_kt=plan.cruise_kt)
        b.to(d.lat, d.lon, speed_kt=APPROACH_KT)
        landing_s = b.t_s
        b.at(landing_s + ROLLOUT_S, *geo.destination(d.lat, d.lon, brg, ROLLOUT_M))
    flight = Flight(
        airframe=plan.airframe,
        callsign=plan.callsign,
        path=b.build(),
        cruise_ft=plan.cruise_ft,
        squawk=plan.squawk,
        role=plan.role,
        takeoff_s=plan.takeoff_s if plan.origin is not None else None,
        landing_s=landing_s,
        origin=plan.route[0] if plan.route else None,
        destination=plan.route[1] if plan.route else None,
        route_known=plan.route_known and plan.route is not None,
        origin_elev_ft=plan.origin.elevation_ft if plan.origin else 0.0,
        dest_elev_ft=plan.destination.elevation_ft if plan.destination else 0.0,
        climb_fpm=plan.climb_fpm,
        descent_fpm=plan.descent_fpm,
        position_source=plan.position_source,
        feeds=plan.feeds,
        silent=plan.silent,
        squawks=plan.squawks,
        spoof=plan.spoof,
    )
    return flight, marks
