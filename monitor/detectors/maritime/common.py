"""Helpers shared by the maritime detectors: vessels, zones, identities, changes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from monitor.detectors.maritime.geo import distance_m, speed_kt
from monitor.domain import (
    ChangeAction,
    Evidence,
    IncidentChange,
    IncidentKind,
    Observation,
    Severity,
    SubjectKind,
    VesselInfo,
    ZoneKind,
    ZoneVersion,
)
from monitor.domain.identity import MmsiClass
from monitor.identity.vessel import flag_of, is_placeholder, mid_of, mmsi_class, nine_digits
from monitor.tracks import Fix
from monitor.units import KT_PER_MPS

if TYPE_CHECKING:
    from monitor.detectors.base import DetectionBatch

VESSEL = SubjectKind.VESSEL.value

#: zone kinds whose entries, exits and crossings are reported, and near which going dark counts
WATCHED_ZONE_KINDS: tuple[str, ...] = (
    ZoneKind.STRIKE_ZONE.value,
    ZoneKind.TERRITORIAL_SEA.value,
    ZoneKind.NAVIGATIONAL_WARNING.value,
    ZoneKind.WATCH_AREA.value,
)


def zone_kinds(names: Iterable[str]) -> frozenset[ZoneKind]:
    """Config strings to zone kinds.

    Raises
    ------
    ValueError
        Naming the unknown kind and the known ones.
    """
    out = set()
    for name in names:
        try:
            out.add(ZoneKind(name))
        except ValueError:
            known = ", ".join(k.value for k in ZoneKind)
            raise ValueError(f"unknown zone kind {name!r}; known: {known}") from None
    return frozenset(out)


def is_vessel(obs: Observation) -> bool:
    return obs.subject_kind is SubjectKind.VESSEL


def watched(zone: ZoneVersion, kinds: frozenset[ZoneKind]) -> bool:
    """A zone in force, of a watched kind, that applies to vessels."""
    return zone.kind in kinds and zone.restricts and zone.applies_to.covers(VESSEL)


def watched_zones(
    batch: DetectionBatch, kinds: frozenset[ZoneKind]
) -> Callable[[int], tuple[ZoneVersion, ...]]:
    """``i -> the watched zones (see :func:`watched`) containing fix i`` of ``batch``."""
    return batch.zones_where(("maritime-watched", kinds), lambda z: watched(z, kinds))


def most_severe(zones: Sequence[ZoneVersion]) -> ZoneVersion | None:
    """The zone of highest severity; among equals the smallest (the most specific: the
    Paria strike area rather than the whole southern Caribbean), then the lowest id."""
    best: ZoneVersion | None = None
    best_key: tuple[int, float, str] | None = None
    for z in zones:
        key = (-z.severity.rank, float(getattr(z.geometry, "area", 0.0)), z.zone_id)
        if best_key is None or key < best_key:
            best, best_key = z, key
    return best


def plausible_move(
    a_lat: float, a_lon: float, a_t_s: float, b_lat: float, b_lon: float, b_t_s: float,
    *, max_speed_kt: float, tolerance_m: float,
) -> bool:
    """Whether a vessel can have moved from a to b: within ``max_speed_kt`` x time, plus
    ``tolerance_m`` for position noise and feed time stamps."""
    reach_m = max_speed_kt / KT_PER_MPS * abs(b_t_s - a_t_s) + tolerance_m
    return distance_m(a_lat, a_lon, b_lat, b_lon) <= reach_m


def implied_speed_kt(a: Observation, b: Observation) -> float:
    """Speed in knots implied by two fixes."""
    return speed_kt(distance_m(a.lat, a.lon, b.lat, b.lon), abs((b.time - a.time).total_seconds()))


def vessel_speed_kt(obs: Observation, prev: Observation | None) -> float | None:
    """Speed over ground as reported, else as implied by the previous fix (``None``)."""
    if obs.ground_speed_kt is not None:
        return obs.ground_speed_kt
    if prev is None or obs.time <= prev.time:
        return None
    return implied_speed_kt(prev, obs)


def speed_between(prev: Fix | None, obs: Observation) -> float | None:
    """Speed in knots implied by a kept track fix and a later observation (``None`` when
    there is no earlier fix)."""
    if prev is None:
        return None
    dt = obs.t_s - prev.t_s
    if dt <= 0:
        return None
    return speed_kt(distance_m(prev.lat, prev.lon, obs.lat, obs.lon), dt)


def vessel_label(obs: Observation | None, info: VesselInfo | None, mmsi: str) -> str:
    """Name (static data first), else the MMSI."""
    name = (info.name if info is not None else None) or (obs.name if obs is not None else None)
    name = (name or "").strip()
    return f"{name} ({mmsi})" if name else f"MMSI {mmsi}"


def vessel_details(info: VesselInfo | None) -> dict[str, Any]:
    if info is None:
        return {"static_data": False}
    return {
        "static_data": True,
        "vessel_name": info.name,
        "imo": info.imo,
        "vessel_callsign": info.callsign,
        "ship_type": info.ship_type,
        "length_m": info.length_m,
    }


#: classes whose position reports are no vessel's movement: no speed, land or MID rule
#: applies to them (aids to navigation, drifting net buoys under 99MID, coast and base
#: stations, AIS-SART / MOB / EPIRB beacons) or a vessel's speed rule does not (SAR aircraft)
SPOOFING_EXEMPT: frozenset[MmsiClass] = frozenset({
    MmsiClass.AID_TO_NAVIGATION,
    MmsiClass.COAST_STATION,
    MmsiClass.SART,
    MmsiClass.MOB,
    MmsiClass.EPIRB,
    MmsiClass.SAR_AIRCRAFT,
})


def mmsi_problem(mmsi: str) -> str | None:
    """Why an MMSI is no transmitter's own identity, or ``None`` when it can be.

    Problems: not nine digits; all zeros; a form ITU-R M.585 does not allocate (a leading 1
    other than ``111``, a leading 9 other than ``970``/``972``/``974``/``98``/``99``); a
    group-call address (``0MID…``: it calls ships, it is no transmitter's identity); a
    default many transmitters share (``999999999``, ``123456789``); a ship, parent-ship
    craft or handheld (the vessel forms) whose MID the ITU has not allocated
    (``200123456``). Aids to navigation, coast stations, SAR aircraft and distress beacons
    with an unallocated MID are accepted, flag unknown: net buoys carry such identities
    (``994008087``, "BUOY-007", MID 400). Classes: :mod:`monitor.identity.vessel`.
    """
    if nine_digits(mmsi) != mmsi:
        return f"not nine digits: {mmsi!r}"
    if mmsi == "000000000":
        return "all zeros"
    cls = mmsi_class(mmsi)
    if cls is MmsiClass.INVALID:
        return f"form {mmsi[:3]}xxxxxx is not allocated by ITU-R M.585"
    if is_placeholder(mmsi):
        return f"placeholder {mmsi}: a default identity many transmitters share"
    if cls is MmsiClass.GROUP:
        return "form group (0MID) is a group call address, not a transmitter's identity"
    if cls.is_vessel and flag_of(mmsi) is None:
        return f"MID {mid_of(mmsi)} is not allocated"
    return None


def change(
    action: ChangeAction,
    key: str,
    kind: IncidentKind,
    severity: Severity,
    at: Any,
    summary: str,
    *,
    subject_id: str,
    label: str | None = None,
    zone: ZoneVersion | None = None,
    zone_id: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    details: Mapping[str, Any] | None = None,
    evidence: Sequence[Evidence] = (),
    track: Sequence[tuple[float, float]] = (),
) -> IncidentChange:
    """An :class:`IncidentChange` about one vessel."""
    return IncidentChange(
        action=action,
        dedupe_key=key,
        kind=kind,
        severity=severity,
        at=at,
        summary=summary,
        subject_kind=VESSEL,
        subject_id=subject_id,
        subject_label=label,
        zone_id=zone.zone_id if zone is not None else zone_id,
        zone_version=zone.version if zone is not None else None,
        lat=lat,
        lon=lon,
        details=dict(details or {}),
        evidence=tuple(evidence),
        track=tuple(track),
    )
