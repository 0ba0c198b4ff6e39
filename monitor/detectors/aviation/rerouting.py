"""Reroutes: the great-circle plan of a route through restricted airspace, and the
incident a dispatcher reads when a flight keeps out of it.

* :func:`make_plan`: which zones the route's great circle (origin to destination) crosses,
  by how much, and where along the route it enters and leaves them.
* :func:`reroute_change`: the incident change with the numbers. Extra distance =
  (shortest way around the zones from the origin to the first fix seen) + (distance
  flown since, fix to fix) + (shortest way around from the last fix to the destination)
  - great circle; extra time = extra distance at the flight's observed cruise speed.
* :func:`dispatcher_note`: the same as one paragraph (issue 7: rerouting alerts read
  like a dispatcher's note).
"""

from __future__ import annotations

from typing import Any

import shapely

from monitor.detectors.aviation.common import KM_PER_DEG, Airspace, GreatCircle, fmt_latlon
from monitor.detectors.aviation.detour import Obstacle, route_crossings
from monitor.detectors.aviation.flight import FlightState, Plan
from monitor.detectors.aviation.routes import RouteLike
from monitor.domain import ChangeAction, Evidence, IncidentChange, IncidentKind, Severity
from monitor.timeutil import utc_from_epoch_s
from monitor.units import KM_PER_NM


def make_plan(
    route: RouteLike,
    airspace: Airspace,
    *,
    step_km: float,
    min_crossing_km: float,
    endpoint_clearance_km: float,
) -> Plan | None:
    """The zones a route's great circle crosses (by more than ``min_crossing_km``) and
    where, or None when it crosses none, or only zones one of its ends lies in or within
    ``endpoint_clearance_km`` of (the flight goes *to* that zone)."""
    o, d = route.origin, route.destination
    crossings = route_crossings(
        o.lat, o.lon, d.lat, d.lon, airspace.zones,
        step_km=step_km, min_inside_km=min_crossing_km,
    )
    clear_deg = endpoint_clearance_km / KM_PER_DEG
    kept = [
        c
        for c in crossings
        if shapely.distance(c.zone.geometry, shapely.Point(o.lon, o.lat)) > clear_deg
        and shapely.distance(c.zone.geometry, shapely.Point(d.lon, d.lat)) > clear_deg
    ]
    if not kept:
        return None
    return Plan(
        route=route,
        gc=GreatCircle.between(o.lat, o.lon, d.lat, d.lon),
        zones=tuple(c.zone for c in kept),
        inside_km=sum(c.inside_km for c in kept),
        entry_along_km=min(c.entry_along_km for c in kept),
        exit_along_km=max(c.exit_along_km for c in kept),
    )


def reroute_change(
    action: ChangeAction,
    f: FlightState,
    plan: Plan,
    dev: float,
    at_s: float,
    *,
    obstacle: Obstacle,
    default_cruise_kt: float,
    because: str | None = None,
) -> IncidentChange:
    """The reroute incident of ``f`` as it stands: extra distance and time against the
    great circle, where it left it, the FIRs flown instead (module docstring)."""
    route = plan.route
    o, d = route.origin, route.destination
    obs = f.last
    ob = obstacle
    first = f.first or (f.last_t, obs.lat, obs.lon)
    before_km = ob.shortest_km(o.lat, o.lon, first[1], first[2])
    after_km = ob.shortest_km(obs.lat, obs.lon, d.lat, d.lon)
    projected_km = before_km + f.flown_km + after_km
    gc_km = plan.gc.length_km
    extra_km = max(0.0, projected_km - gc_km)
    cruise_kt = f.gs_sum / f.gs_n if f.gs_n else default_cruise_kt
    extra_min = extra_km / (cruise_kt * KM_PER_NM) * 60.0
    avoided = [z.zone_id for z in plan.zones]
    firs = {k: v for k, v in f.firs.items() if k.removeprefix("FIR-") not in avoided}
    callsign = (obs.callsign or "").strip() or f.hex
    left = f.left_track
    off = f.off_start
    details: dict[str, Any] = {
        "callsign": callsign,
        "route": f"{o.icao}-{d.icao}",
        "origin_icao": o.icao,
        "origin_name": o.name,
        "destination_icao": d.icao,
        "destination_name": d.name,
        "route_source": getattr(route, "source", None),
        # the source's own judgement of the route against the flight's position (None: not
        # given, e.g. a CSV route); an implausible route never reaches this incident
        "route_plausible": getattr(route, "plausible", None),
        "avoided_zones": avoided,
        "great_circle_km": round(gc_km, 1),
        "great_circle_inside_zone_km": round(plan.inside_km, 1),
        "flown_km": round(f.flown_km, 1),
        "projected_path_km": round(projected_km, 1),
        "extra_distance_km": round(extra_km, 1),
        "extra_time_min": round(extra_min, 1),
        "cruise_speed_kt": round(cruise_kt),
        "deviation_km": round(dev, 1),
        "max_deviation_km": round(f.max_dev_km, 1),
        "left_track_at": utc_from_epoch_s(left[0]).isoformat() if left else None,
        "left_track_lat": round(left[1], 4) if left else None,
        "left_track_lon": round(left[2], 4) if left else None,
        "first_off_track_at": utc_from_epoch_s(off[0]).isoformat() if off else None,
        "firs_used": list(firs),
        "firs_used_names": list(firs.values()),
    }
    if because:
        details["closed_because"] = because
    details["dispatcher_note"] = dispatcher_note(details, plan, left, off)
    via = ", ".join(k.removeprefix("FIR-") for k in firs) or "outside it"
    summary = (
        f"{callsign} {o.icao}-{d.icao} rerouted around {', '.join(avoided)} via {via}: "
        f"+{extra_km:.0f} km, about +{extra_min:.0f} min against the great circle"
    )
    track = tuple((p[2], p[1]) for p in f.path if p[0] > f.track_sent_t)
    f.track_sent_t = f.last_t
    zone = plan.zones[0]
    assert f.reroute_key is not None
    return IncidentChange(
        action=action,
        dedupe_key=f.reroute_key,
        kind=IncidentKind.REROUTE,
        severity=Severity.LOW,
        at=utc_from_epoch_s(at_s),
        summary=summary,
        subject_kind="aircraft",
        subject_id=f.hex,
        subject_label=obs.callsign,
        zone_id=zone.zone_id,
        zone_version=zone.version,
        lat=obs.lat,
        lon=obs.lon,
        details=details,
        evidence=(Evidence.of(obs, f"{dev:.0f} km off the great circle, outside {zone.zone_id}"),),
        track=track,
    )


def dispatcher_note(
    details: dict[str, Any],
    plan: Plan,
    left: tuple[float, float, float] | None,
    off: tuple[float, float, float] | None,
) -> str:
    """One paragraph a dispatcher reads: route, where it left the great circle, FIRs, cost."""
    zones = " and ".join(f"{z.zone_id} ({z.status.value})" for z in plan.zones)
    parts = [
        f"{details['callsign']} {details['origin_icao']} {details['origin_name']} -> "
        f"{details['destination_icao']} {details['destination_name']}: the great circle "
        f"crosses {zones} for {details['great_circle_inside_zone_km']:.0f} km."
    ]
    if left is not None:
        parts.append(
            f"Left its great-circle track at {utc_from_epoch_s(left[0]):%H:%MZ} near "
            f"{fmt_latlon(left[1], left[2])}"
        )
    elif off is not None:
        parts.append(
            f"Already off its great-circle track when first seen at "
            f"{utc_from_epoch_s(off[0]):%H:%MZ} near {fmt_latlon(off[1], off[2])}"
        )
    else:
        parts.append("Off its great-circle track")
    names = details["firs_used_names"]
    parts[-1] += (
        f" and flew through {', '.join(names)} instead." if names else " and kept out of it."
    )
    parts.append(
        f"Extra distance {details['extra_distance_km']:.0f} km, about "
        f"{details['extra_time_min']:.0f} min at {details['cruise_speed_kt']} kt, against the "
        f"great circle ({details['great_circle_km']:.0f} km); up to "
        f"{details['max_deviation_km']:.0f} km off it."
    )
    return " ".join(parts)
