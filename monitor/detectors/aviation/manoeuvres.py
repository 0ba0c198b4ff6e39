"""Pure geometry of two manoeuvres: heading into a zone, and reversing course.

* :func:`projected_entry`: where the straight-ahead path (current track and ground speed,
  along a great circle) would enter a restricted zone within a look-ahead time, and how
  deep it would go.
* :func:`find_reversal`: a course reversal in a short stretch of track. The stretch from
  its first point A to the current point C is split at the point K that makes the
  largest detour (maximises AK + KC - AC); the reversal is the angle between the bearings
  A->K and K->C. Both legs must be long enough, so holding patterns (legs of 1-1.5 min,
  under 20 km) and jitter do not count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from monitor.detectors.aviation.common import (
    EARTH_RADIUS_KM,
    Airspace,
    angle_diff_deg,
    bearing_deg,
    haversine_km,
)
from monitor.domain import ZoneVersion
from monitor.units import KM_PER_NM


@dataclass(frozen=True, slots=True)
class Entry:
    """A projected entry into a zone."""

    zone: ZoneVersion
    time_to_entry_s: float
    penetration_km: float
    lat: float
    lon: float


def projected_entries(
    airspace: Airspace,
    lats: np.ndarray[Any, Any],
    lons: np.ndarray[Any, Any],
    tracks_deg: np.ndarray[Any, Any],
    speeds_kt: np.ndarray[Any, Any],
    *,
    lookahead_s: float,
    step_s: float,
) -> list[Entry | None]:
    """For each aircraft, the first zone its straight-ahead path enters within
    ``lookahead_s``, or None (vectorised over aircraft and path samples).

    The path is sampled every ``step_s`` along the great circle of the current track;
    ``penetration_km`` is how far the sampled path runs inside that zone before the
    look-ahead ends or it leaves again.
    """
    n = len(lats)
    out: list[Entry | None] = [None] * n
    if n == 0 or airspace.empty:
        return out
    steps = max(1, int(lookahead_s // step_s))
    step_km = np.asarray(speeds_kt, dtype=float) * KM_PER_NM * step_s / 3600.0
    d = (step_km[:, None] * np.arange(1, steps + 1)[None, :]) / EARTH_RADIUS_KM
    p1 = np.radians(np.asarray(lats, dtype=float))[:, None]
    l1 = np.radians(np.asarray(lons, dtype=float))[:, None]
    b = np.radians(np.asarray(tracks_deg, dtype=float))[:, None]
    p2 = np.arcsin(np.sin(p1) * np.cos(d) + np.cos(p1) * np.sin(d) * np.cos(b))
    l2 = l1 + np.arctan2(np.sin(b) * np.sin(d) * np.cos(p1), np.cos(d) - np.sin(p1) * np.sin(p2))
    plat = np.degrees(p2)
    plon = (np.degrees(l2) + 540.0) % 360.0 - 180.0
    best_k = np.full(n, steps, dtype=int)
    for zone in airspace.zones:
        inside = np.asarray(
            shapely.contains_xy(zone.geometry, plon.ravel(), plat.ravel()), dtype=bool
        ).reshape(n, steps)
        rows = np.flatnonzero(inside.any(axis=1))
        for r in rows:
            k = int(np.argmax(inside[r]))
            if k >= best_k[r]:
                continue
            run = inside[r, k:]
            n_in = len(run) if run.all() else int(np.argmin(run))
            best_k[r] = k
            out[r] = Entry(
                zone=zone,
                time_to_entry_s=(k + 1) * step_s,
                penetration_km=n_in * float(step_km[r]),
                lat=float(plat[r, k]),
                lon=float(plon[r, k]),
            )
    return out


def projected_entry(
    airspace: Airspace,
    lat: float,
    lon: float,
    track_deg: float,
    ground_speed_kt: float,
    *,
    lookahead_s: float,
    step_s: float,
) -> Entry | None:
    """:func:`projected_entries` for one aircraft."""
    return projected_entries(
        airspace, np.array([lat]), np.array([lon]), np.array([track_deg]),
        np.array([ground_speed_kt]), lookahead_s=lookahead_s, step_s=step_s,
    )[0]


def could_reverse(tracks_deg: Sequence[float], min_reversal_deg: float) -> bool:
    """Cheap pre-check: whether any reported track in a stretch differs from the last one
    by ``min_reversal_deg`` (unknown tracks, nan, always allow the full check)."""
    last = tracks_deg[-1]
    if math.isnan(last):
        return True
    for tr in tracks_deg:
        if math.isnan(tr) or angle_diff_deg(tr, last) >= min_reversal_deg:
            return True
    return False


@dataclass(frozen=True, slots=True)
class Reversal:
    """A course reversal: inbound A->K, outbound K->C."""

    pivot_index: int
    inbound_deg: float
    outbound_deg: float
    reversal_deg: float
    inbound_km: float
    outbound_km: float
    #: the reversal seen in the positions alone (chord bearings A->K, K->C)
    chord_reversal_deg: float = float("nan")


def find_reversal(
    points: Sequence[tuple[float, float, float, float]],
    *,
    min_leg_km: float,
    min_reversal_deg: float,
) -> Reversal | None:
    """A reversal of at least ``min_reversal_deg`` in ``points`` ((t_s, lat, lon,
    track_deg or nan), time order, first point = A, last = C), both legs at least
    ``min_leg_km``; else None.

    The inbound course is the reported track of the last point at least ``min_leg_km``
    before the pivot K (on the straight leg, before the turn), the outbound course the
    track at C. Chords from the pivot would understate a reversal: an airliner turning
    at 25° of bank flies a circle of about 23 km diameter, which skews the bearing from K
    to a point 60 km down the outbound leg by about 20°. Without reported tracks the
    chord bearings are used.
    """
    if len(points) < 3:
        return None
    _, alat, alon, _ = points[0]
    _, clat, clon, ctrack = points[-1]
    ac = haversine_km(alat, alon, clat, clon)
    best_k, best_detour, best_ak, best_kc = -1, 0.0, 0.0, 0.0
    for k in range(1, len(points) - 1):
        _, klat, klon, _ = points[k]
        ak = haversine_km(alat, alon, klat, klon)
        kc = haversine_km(klat, klon, clat, clon)
        detour = ak + kc - ac
        if detour > best_detour:
            best_k, best_detour, best_ak, best_kc = k, detour, ak, kc
    if best_k < 0 or best_ak < min_leg_km or best_kc < min_leg_km:
        return None
    # the positions must show the reversal, not only the reported tracks: a straight
    # path (detour ~0) whose transponder reports a wild track is no reversal (seen in
    # real ADS-B: tracks of 158° and 187° in the middle of a northbound cruise)
    if best_detour < min_leg_km:
        return None
    _, klat, klon, _ = points[best_k]
    before = points[0]
    for j in range(best_k - 1, -1, -1):
        if haversine_km(points[j][1], points[j][2], klat, klon) >= min_leg_km:
            before = points[j]
            break
    _, blat, blon, btrack = before
    inbound = (bearing_deg(klat, klon, blat, blon) + 180.0) % 360.0  # arriving at K
    outbound = bearing_deg(klat, klon, clat, clon)
    chord = angle_diff_deg(inbound, outbound)
    if not (math.isnan(btrack) or math.isnan(ctrack)):
        inbound, outbound = btrack, ctrack
    rev = angle_diff_deg(inbound, outbound)
    if rev < min_reversal_deg:
        return None
    return Reversal(best_k, inbound, outbound, rev, best_ak, best_kc, chord)
