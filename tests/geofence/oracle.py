"""The plain per-point shapely loop the vectorised engine must agree with.

No grid, no prepared geometry, no arrays: one ``Point`` and one ``intersects`` per
position and version, the in-force rule straight from ``effective_intervals``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import shapely
from shapely.geometry import LineString, Point

from monitor.domain.zone import ZoneVersion, effective_intervals


def in_force_at(versions: Sequence[ZoneVersion], t_s: float) -> set[str]:
    """Keys of the restricting versions in force at epoch ``t_s`` (NaN: open-ended only)."""
    out = set()
    for v, start, end in effective_intervals(versions):
        if not v.restricts:
            continue
        if math.isnan(t_s):
            if start is None and end is None:
                out.add(v.key)
            continue
        if (start is None or start.timestamp() <= t_s) and (end is None or t_s < end.timestamp()):
            out.add(v.key)
    return out


def applies(v: ZoneVersion, alt_ft: float, is_aircraft: bool) -> bool:
    """The subject kind and altitude rules (unknown altitude is inside every band)."""
    if not v.applies_to.covers("aircraft" if is_aircraft else "vessel"):
        return False
    if math.isnan(alt_ft):
        return True
    floor = -math.inf if v.floor_ft <= 0 else v.floor_ft
    return floor <= alt_ft <= v.ceiling_ft


def contains_loop(
    versions: Sequence[ZoneVersion],
    lon: Sequence[float],
    lat: Sequence[float],
    alt_ft: Sequence[float],
    t_s: Sequence[float],
    is_aircraft: Sequence[bool],
) -> set[tuple[int, str]]:
    """(position index, version key) for every containing version in force."""
    cache: dict[float, set[str]] = {}
    out: set[tuple[int, str]] = set()
    for i in range(len(lon)):
        if not (math.isfinite(lon[i]) and math.isfinite(lat[i])):
            continue
        key_t = t_s[i]
        live = cache.get(key_t) if not math.isnan(key_t) else None
        if live is None:
            live = in_force_at(versions, key_t)
            if not math.isnan(key_t):
                cache[key_t] = live
        p = Point(lon[i], lat[i])
        for v in versions:
            if v.key in live and applies(v, alt_ft[i], is_aircraft[i]) and v.geometry.intersects(p):
                out.add((i, v.key))
    return out


def crossings_loop(
    versions: Sequence[ZoneVersion],
    segments: Sequence[tuple[float, float, float, float]],
    alt_ft: Sequence[float],
    t_s: Sequence[float],
    is_aircraft: Sequence[bool],
) -> set[tuple[int, str]]:
    """(segment index, version key) for segments crossing a version with both ends outside."""
    out: set[tuple[int, str]] = set()
    for i, (x0, y0, x1, y1) in enumerate(segments):
        live = in_force_at(versions, t_s[i])
        line = LineString([(x0, y0), (x1, y1)])
        for v in versions:
            if v.key not in live or not applies(v, alt_ft[i], is_aircraft[i]):
                continue
            g = v.geometry
            if g.intersects(Point(x0, y0)) or g.intersects(Point(x1, y1)):
                continue
            piece = line.intersection(g)
            if shapely.length(piece) > 0:
                out.add((i, v.key))
    return out
