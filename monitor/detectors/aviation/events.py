"""The incident changes of boundary avoidance, turnback and diversion (pure builders).

The reroute detector decides; these functions only shape what it decided into
:class:`~monitor.domain.IncidentChange` values with the details a reader needs. A turnback
and a diversion are events: each is opened and closed in the same batch.
"""

from __future__ import annotations

from typing import Any

from monitor.detectors.aviation.airports import Landing
from monitor.detectors.aviation.common import fmt_latlon
from monitor.detectors.aviation.flight import FlightState, Point, Threat
from monitor.detectors.aviation.manoeuvres import Reversal
from monitor.detectors.aviation.routes import RouteLike
from monitor.domain import (
    ChangeAction,
    Evidence,
    IncidentChange,
    IncidentKind,
    Observation,
    Severity,
    ZoneVersion,
)
from monitor.timeutil import utc_from_epoch_s


def avoidance_change(
    action: ChangeAction,
    key: str,
    f: FlightState,
    obs: Observation,
    threat: Threat,
    turned_deg: float,
    distance_km: float,
    at_s: float,
    *,
    confidence: float | None = None,
    basis: list[str] | None = None,
) -> IncidentChange:
    """A flight turned away from a zone its straight-ahead path was about to enter;
    ``confidence`` (0-1) and its ``basis`` say how sure that is."""
    zone = threat.zone
    details = {
        "callsign": obs.callsign,
        "zone_name": zone.name,
        "zone_status": zone.status.value,
        "source_ref": zone.source_ref,
        "heading_in_deg": round(threat.track_deg),
        "heading_now_deg": round(obs.track_deg or 0.0),
        "turned_deg": round(turned_deg),
        "time_to_entry_s": threat.time_to_entry_s,
        "projected_penetration_km": round(threat.penetration_km, 1),
        "threat_at": utc_from_epoch_s(threat.t_s).isoformat(),
        "threat_lat": round(threat.lat, 4),
        "threat_lon": round(threat.lon, 4),
        "distance_to_boundary_km": round(distance_km, 1),
        "avoidances": f.avoid_count,
        "straight_inbound_s": round(threat.straight_s),
        "altitude_ft": None if threat.altitude_ft != threat.altitude_ft else round(threat.altitude_ft),
        "confidence": confidence,
        "confidence_basis": basis or [],
        "route_rejected": f.route_rejected,
    }
    summary = (
        f"{obs.label} turned {turned_deg:.0f}° away {threat.time_to_entry_s / 60:.0f} min "
        f"before entering {zone.zone_id}; stays {distance_km:.0f} km outside"
    )
    return IncidentChange(
        action=action,
        dedupe_key=key,
        kind=IncidentKind.BOUNDARY_AVOIDANCE,
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
        evidence=(Evidence.of(obs, f"turned away from {zone.zone_id}"),),
        track=((threat.lon, threat.lat), (obs.lon, obs.lat)),
    )


def avoidance_close(key: str, f: FlightState) -> IncidentChange:
    """The end of an avoidance episode, at the time of its last avoidance."""
    zone = f.avoid_zone
    assert zone is not None
    obs = f.last
    return IncidentChange(
        action=ChangeAction.CLOSE,
        dedupe_key=key,
        kind=IncidentKind.BOUNDARY_AVOIDANCE,
        severity=Severity.LOW,
        at=utc_from_epoch_s(f.avoid_last_t),
        summary=f"{obs.label} kept out of {zone.zone_id} ({f.avoid_count} avoidance(s))",
        subject_kind="aircraft",
        subject_id=f.hex,
        subject_label=obs.callsign,
        zone_id=zone.zone_id,
        zone_version=zone.version,
        lat=obs.lat,
        lon=obs.lon,
        # what was found (heading, turn, confidence ...) stays on the closed incident
        details={**(f.avoid_details or {}), "callsign": obs.callsign, "avoidances": f.avoid_count},
    )


def turnback_changes(
    key: str,
    f: FlightState,
    obs: Observation,
    rev: Reversal,
    pivot: Point,
    zone: ZoneVersion,
    distance_km: float,
    window: list[Point],
    *,
    confidence: float | None = None,
    basis: list[str] | None = None,
) -> list[IncidentChange]:
    """A course reversal near a zone: opened at the pivot, closed at the fix that showed
    it; ``confidence`` (0-1) and its ``basis`` say how sure that is."""
    pt, plat, plon, palt, _ = pivot
    route = f.route
    details: dict[str, Any] = {
        "callsign": obs.callsign,
        "inbound_track_deg": round(rev.inbound_deg),
        "outbound_track_deg": round(rev.outbound_deg),
        "reversal_deg": round(rev.reversal_deg),
        "pivot_at": utc_from_epoch_s(pt).isoformat(),
        "pivot_lat": round(plat, 4),
        "pivot_lon": round(plon, 4),
        "pivot_altitude_ft": round(palt),
        "distance_to_zone_km": round(distance_km, 1),
        "zone_name": zone.name,
        "chord_reversal_deg": None if rev.chord_reversal_deg != rev.chord_reversal_deg else round(rev.chord_reversal_deg),
        "confidence": confidence,
        "confidence_basis": basis or [],
    }
    if route is not None:
        details["route"] = f"{route.origin.icao}-{route.destination.icao}"
        details["route_source"] = getattr(route, "source", None)
    where = "inside" if distance_km == 0 else f"{distance_km:.0f} km from"
    common: dict[str, Any] = dict(
        dedupe_key=key,
        kind=IncidentKind.TURNBACK,
        severity=Severity.MEDIUM,
        summary=f"{obs.label} reversed course ({rev.reversal_deg:.0f}°) {where} {zone.zone_id}",
        subject_kind="aircraft",
        subject_id=f.hex,
        subject_label=obs.callsign,
        zone_id=zone.zone_id,
        zone_version=zone.version,
        details=details,
    )
    return [
        IncidentChange(
            action=ChangeAction.OPEN, at=utc_from_epoch_s(pt), lat=plat, lon=plon,
            evidence=(Evidence.of(obs, f"course reversed {rev.reversal_deg:.0f}°"),),
            track=tuple((p[2], p[1]) for p in window), **common,
        ),
        IncidentChange(action=ChangeAction.CLOSE, at=obs.time, lat=obs.lat, lon=obs.lon, **common),
    ]


def diversion_changes(
    key: str,
    f: FlightState,
    obs: Observation,
    route: RouteLike,
    landing: Landing | None,
    where_latlon: tuple[float, float],
    off_km: float,
    zone: ZoneVersion,
    distance_km: float,
    inferred: bool,
) -> list[IncidentChange]:
    """A landing away from the destination near a zone, opened and closed at the landing."""
    lat, lon = where_latlon
    origin, dest = route.origin, route.destination
    where = landing.airport.icao if landing else fmt_latlon(lat, lon)
    back = landing is not None and landing.airport.icao == origin.icao
    details: dict[str, Any] = {
        "callsign": obs.callsign,
        "route": f"{origin.icao}-{dest.icao}",
        "destination_icao": dest.icao,
        "destination_name": dest.name,
        "landed_at_icao": landing.airport.icao if landing else None,
        "landed_at_name": landing.airport.name if landing else None,
        "landing_inferred": inferred,
        "returned_to_origin": back,
        "distance_from_destination_km": round(off_km, 1),
        "distance_to_zone_km": round(distance_km, 1),
        "zone_name": zone.name,
    }
    what = "returned to" if back else "diverted to"
    common: dict[str, Any] = dict(
        dedupe_key=key,
        kind=IncidentKind.DIVERSION,
        severity=Severity.MEDIUM,
        at=obs.time,
        summary=(
            f"{obs.label} ({origin.icao}-{dest.icao}) {what} {where}, "
            f"{off_km:.0f} km from {dest.icao}, {distance_km:.0f} km from {zone.zone_id}"
        ),
        subject_kind="aircraft",
        subject_id=f.hex,
        subject_label=obs.callsign,
        zone_id=zone.zone_id,
        zone_version=zone.version,
        lat=lat,
        lon=lon,
        details=details,
    )
    return [
        IncidentChange(
            action=ChangeAction.OPEN,
            evidence=(Evidence.of(obs, "landing" + (" (inferred)" if inferred else "")),),
            track=tuple((p[2], p[1]) for p in f.path) + ((obs.lon, obs.lat),),
            **common,
        ),
        IncidentChange(action=ChangeAction.CLOSE, **common),
    ]
