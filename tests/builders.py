"""Tiny builders for domain values used across tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import shapely

from monitor.domain import (
    AppliesTo,
    ChangeAction,
    IncidentChange,
    IncidentKind,
    Observation,
    Severity,
    SubjectKind,
    ZoneKind,
    ZoneStatus,
    ZoneVersion,
)

T0 = datetime(2025, 12, 2, 10, 0, tzinfo=UTC)


def at(minutes: float = 0.0, seconds: float = 0.0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def aircraft(
    hex_id: str, lon: float, lat: float, t: datetime, **kw: Any
) -> Observation:
    kw.setdefault("altitude_ft", 35000.0)
    kw.setdefault("on_ground", False)
    kw.setdefault("position_source", "adsb")
    return Observation(
        source=kw.pop("source", "test"),
        feed_kind=kw.pop("feed_kind", "adsbx_v2"),
        subject_kind=SubjectKind.AIRCRAFT,
        subject_id=hex_id,
        time=t,
        lat=lat,
        lon=lon,
        **kw,
    )


def vessel(mmsi: str, lon: float, lat: float, t: datetime, **kw: Any) -> Observation:
    kw.setdefault("position_source", "ais")
    return Observation(
        source=kw.pop("source", "test"),
        feed_kind=kw.pop("feed_kind", "aisstream"),
        subject_kind=SubjectKind.VESSEL,
        subject_id=mmsi,
        time=t,
        lat=lat,
        lon=lon,
        **kw,
    )


def box_zone(
    zone_id: str,
    bounds: tuple[float, float, float, float],
    *,
    kind: ZoneKind = ZoneKind.CLOSED_AIRSPACE,
    status: ZoneStatus = ZoneStatus.CLOSED,
    version: int = 1,
    authority: str = "TEST",
    applies_to: AppliesTo = AppliesTo.AIRCRAFT,
    **kw: Any,
) -> ZoneVersion:
    return ZoneVersion(
        zone_id=zone_id,
        version=version,
        name=kw.pop("name", zone_id),
        kind=kind,
        status=status,
        severity=kw.pop("severity", Severity.HIGH),
        authority=authority,
        source_ref=kw.pop("source_ref", "TEST-1"),
        geometry=shapely.box(*bounds),
        applies_to=applies_to,
        **kw,
    )


def change(
    key: str,
    action: ChangeAction = ChangeAction.OPEN,
    *,
    kind: IncidentKind = IncidentKind.INCURSION,
    t: datetime = T0,
    lon: float = -66.9,
    lat: float = 10.6,
    **kw: Any,
) -> IncidentChange:
    return IncidentChange(
        action=action,
        dedupe_key=key,
        kind=kind,
        severity=kw.pop("severity", Severity.HIGH),
        at=t,
        summary=kw.pop("summary", f"{kind.value} {key}"),
        subject_kind=kw.pop("subject_kind", "aircraft"),
        subject_id=kw.pop("subject_id", "0d0abc"),
        zone_id=kw.pop("zone_id", "SVZM"),
        lat=lat,
        lon=lon,
        track=kw.pop("track", ((lon, lat),)),
        **kw,
    )
