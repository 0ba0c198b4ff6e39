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
from monitor.feeds.mid import MID_TABLE, mid_of
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


#: MMSI forms that transmit AIS position reports legitimately (ITU-R M.585)
_MOBILE_FORMS = ("ship", "craft_of_parent_ship", "sar_aircraft", "handheld", "sart_mob_epirb")


def mmsi_form(mmsi: str) -> str | None:
    """The ITU-R M.585 form of a nine-digit MMSI, ``None`` when it is not nine digits."""
    if len(mmsi) != 9 or not mmsi.isascii() or not mmsi.isdigit():
        return None
    if mmsi[0] in "234567":
        return "ship"
    if mmsi.startswith("111"):
        return "sar_aircraft"
    if mmsi.startswith(("970", "972", "974")):
        return "sart_mob_epirb"
    if mmsi.startswith("98"):
        return "craft_of_parent_ship"
    if mmsi.startswith("99"):
        return "aid_to_navigation"
    if mmsi.startswith("00"):
        return "coast_station"
    if mmsi.startswith("0"):
        return "group_call"
    if mmsi.startswith("8"):
        return "handheld"
    return "unallocated_form"


def mmsi_problem(mmsi: str) -> str | None:
    """Why an MMSI cannot be a vessel's, or ``None`` when it can.

    Problems: not nine digits; all zeros; a form no vessel uses for position reports
    (coast station ``00MID…``, group call ``0MID…``, aid to navigation ``99MID…``, a
    leading 1 or 9 outside 111/97x/98/99); a Maritime Identification Digits value that the
    ITU has not allocated (``123456789``). The MID table is :mod:`monitor.feeds.mid` (pure
    data, imported as the one exception to "detectors import no feed module").
    """
    form = mmsi_form(mmsi)
    if form is None:
        return f"not nine digits: {mmsi!r}"
    if mmsi == "000000000":
        return "all zeros"
    if form not in _MOBILE_FORMS:
        return f"form {form} does not send vessel position reports"
    if form == "sart_mob_epirb":
        return None
    mid = mid_of(mmsi)
    if mid is None or mid not in MID_TABLE:
        return f"MID {mid if mid is not None else '?'} is not allocated"
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
