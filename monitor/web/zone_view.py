"""Zones for the API: which versions are in force at a time, a zone's history, as GeoJSON.

Uses :class:`monitor.zones.registry.ZoneRegistry` (supersession by authority, lifts) when
the versions form a consistent registry, else :func:`monitor.domain.zone.effective_intervals`
directly (same rules). Pure apart from a geometry cache keyed by version.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from monitor.domain import ZoneVersion
from monitor.domain.zone import UNLIMITED_FT, effective_intervals
from monitor.errors import ZoneError
from monitor.web.geo import to_geojson

log = logging.getLogger(__name__)

Interval = tuple[ZoneVersion, datetime | None, datetime | None]


def intervals(versions: Sequence[ZoneVersion], zone_id: str | None = None) -> list[Interval]:
    """Every version with its effective ``[start, end)``."""
    try:
        from monitor.zones.registry import ZoneRegistry

        rows = ZoneRegistry(versions).intervals(zone_id)
    except (ImportError, ZoneError) as exc:
        log.debug("zone registry unavailable (%s); using effective_intervals", exc)
        rows = [r for r in effective_intervals(versions) if zone_id is None or r[0].zone_id == zone_id]
    return sorted(rows, key=lambda r: (r[0].zone_id, r[0].version))


def active(start: datetime | None, end: datetime | None, at: datetime) -> bool:
    return (start is None or start <= at) and (end is None or at < end)


def in_force(versions: Sequence[ZoneVersion], at: datetime) -> list[Interval]:
    """The restricting (not lifted) versions in force at ``at``."""
    return [r for r in intervals(versions) if r[0].restricts and active(r[1], r[2], at)]


def zone_ids(versions: Sequence[ZoneVersion]) -> set[str]:
    return {v.zone_id for v in versions}


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat().replace("+00:00", "Z")


class ZoneGeometryCache:
    """GeoJSON geometry per version key (zones rarely change; polygons are big)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int, int], dict[str, Any] | None] = {}

    def get(self, v: ZoneVersion) -> dict[str, Any] | None:
        key = (v.zone_id, v.version, id(v.geometry))
        if key not in self._cache:
            if len(self._cache) > 5000:
                self._cache.clear()
            self._cache[key] = to_geojson(v.geometry)
        return self._cache[key]


def zone_feature(
    row: Interval, at: datetime | None, geometry: ZoneGeometryCache
) -> dict[str, Any]:
    v, start, end = row
    props = {
        "zone_id": v.zone_id,
        "version": v.version,
        "key": v.key,
        "name": v.name,
        "kind": v.kind.value,
        "status": v.status.value,
        "severity": v.severity.value,
        "authority": v.authority,
        "source_ref": v.source_ref,
        "source_url": v.source_url,
        "source_date": _iso(v.source_date),
        "valid_from": _iso(v.valid_from),
        "valid_to": _iso(v.valid_to),
        "effective_from": _iso(start),
        "effective_to": _iso(end),
        "floor_ft": v.floor_ft,
        "ceiling_ft": None if v.ceiling_ft == UNLIMITED_FT else v.ceiling_ft,
        "applies_to": v.applies_to.value,
        "confidence": v.confidence,
        "change": v.change.value,
        "description": v.description,
        "group": v.group,
        "binds": str(v.binding_scope),
        "binds_text": v.binding_scope.describe(),
        "more_sources": list(v.more_sources),
        "notes": v.notes,
        "recorded_at": _iso(v.recorded_at),
        "in_force": bool(at is not None and v.restricts and active(start, end, at)),
    }
    return {"type": "Feature", "id": v.key, "geometry": geometry.get(v), "properties": props}
