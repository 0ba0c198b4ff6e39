"""Feature properties <-> :class:`~monitor.domain.zone.ZoneVersion` fields.

One table, used by the GeoJSON and KML readers and by the writer of the shipped files
(the property names are documented in ``monitor/zones/README.md``). Unknown properties
are ignored, so a user's own file can carry anything else it likes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from monitor.domain.incident import Severity
from monitor.domain.zone import (
    AppliesTo,
    BindingScope,
    ZoneChange,
    ZoneKind,
    ZoneStatus,
    ZoneVersion,
)
from monitor.errors import ZoneError
from monitor.timeutil import iso_z
from monitor.zones.altitude import parse_altitude_ft

#: status a zone gets when its file names none, by kind
DEFAULT_STATUS: dict[ZoneKind, ZoneStatus] = {
    ZoneKind.CLOSED_AIRSPACE: ZoneStatus.CLOSED,
    ZoneKind.ADVISORY_AIRSPACE: ZoneStatus.ADVISORY,
    ZoneKind.FIR: ZoneStatus.INFORMATIONAL,
    ZoneKind.STRIKE_ZONE: ZoneStatus.ACTIVE,
    ZoneKind.TERRITORIAL_SEA: ZoneStatus.INFORMATIONAL,
    ZoneKind.NAVIGATIONAL_WARNING: ZoneStatus.ACTIVE,
    ZoneKind.WATCH_AREA: ZoneStatus.ACTIVE,
    ZoneKind.LAND: ZoneStatus.INFORMATIONAL,
}

#: what a zone applies to when its file does not say: airspace is for aircraft only
DEFAULT_APPLIES_TO: dict[ZoneKind, AppliesTo] = {
    ZoneKind.CLOSED_AIRSPACE: AppliesTo.AIRCRAFT,
    ZoneKind.ADVISORY_AIRSPACE: AppliesTo.AIRCRAFT,
    ZoneKind.FIR: AppliesTo.AIRCRAFT,
    ZoneKind.STRIKE_ZONE: AppliesTo.VESSELS,
    ZoneKind.TERRITORIAL_SEA: AppliesTo.BOTH,
    ZoneKind.NAVIGATIONAL_WARNING: AppliesTo.VESSELS,
    ZoneKind.WATCH_AREA: AppliesTo.BOTH,
    ZoneKind.LAND: AppliesTo.BOTH,
}

DEFAULT_SEVERITY: dict[ZoneStatus, Severity] = {
    ZoneStatus.PROHIBITED: Severity.CRITICAL,
    ZoneStatus.CLOSED: Severity.HIGH,
    ZoneStatus.ADVISORY: Severity.MEDIUM,
    ZoneStatus.STATEMENT: Severity.LOW,
    ZoneStatus.ACTIVE: Severity.MEDIUM,
    ZoneStatus.INFORMATIONAL: Severity.INFO,
    ZoneStatus.LIFTED: Severity.INFO,
}

#: ``version`` of a version read from a file that did not number it; the registry numbers it
UNNUMBERED = 0

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class ImportDefaults:
    """Values used where a feature's properties say nothing (the CLI's ``--kind`` etc.)."""

    kind: ZoneKind = ZoneKind.WATCH_AREA
    authority: str = "user"
    status: ZoneStatus | None = None
    applies_to: AppliesTo | None = None
    source_ref: str = ""


def feature_label(index: int, zone_id: object = None, name: object = None) -> str:
    """``feature 3 (id 'SVZM', name 'Maiquetía')``: how errors name a feature."""
    bits = []
    if zone_id not in (None, ""):
        bits.append(f"id {str(zone_id)!r}")
    if name not in (None, ""):
        bits.append(f"name {str(name)!r}")
    return f"feature {index}" + (f" ({', '.join(bits)})" if bits else "")


def version_from_properties(
    props: Mapping[str, Any],
    geometry: Any,
    *,
    label: str,
    feature_id: object = None,
    defaults: ImportDefaults | None = None,
) -> ZoneVersion:
    """Map a feature's properties (and checked geometry) to a :class:`ZoneVersion`.

    Raises
    ------
    ZoneError
        Naming the feature (``label``) and the property at fault, with its value.
    """
    defaults = defaults or ImportDefaults()
    zone_id = _text(props.get("zone_id")) or _text(feature_id) or _slug(props.get("name"))
    if not zone_id:
        raise ZoneError(f"{label}: no zone_id, id or name to identify the zone")
    name = _text(props.get("name")) or zone_id
    kind = _enum(ZoneKind, props.get("kind"), defaults.kind, label, "kind")
    status = _enum(
        ZoneStatus, props.get("status"), defaults.status or DEFAULT_STATUS[kind], label, "status"
    )
    severity = _enum(Severity, props.get("severity"), DEFAULT_SEVERITY[status], label, "severity")
    applies_to = _enum(
        AppliesTo,
        props.get("applies_to"),
        defaults.applies_to or DEFAULT_APPLIES_TO[kind],
        label,
        "applies_to",
    )
    change = _enum(ZoneChange, props.get("change"), ZoneChange.DECLARE, label, "change")
    floor_ft = _altitude(_first(props, "floor", "floor_ft"), 0.0, label, "floor")
    ceiling_ft = _altitude(_first(props, "ceiling", "ceiling_ft"), math.inf, label, "ceiling")
    valid_from = _time(props.get("valid_from"), label, "valid_from")
    valid_to = _time(props.get("valid_to"), label, "valid_to")
    version = _int(props.get("version"), UNNUMBERED, label, "version")
    confidence = _float(props.get("confidence"), 1.0, label, "confidence")
    authority = _text(props.get("authority")) or defaults.authority
    v = ZoneVersion(
        zone_id=zone_id,
        version=version,
        name=name,
        kind=kind,
        status=status,
        severity=severity,
        authority=authority,
        source_ref=_text(props.get("source_ref")) or defaults.source_ref,
        geometry=geometry,
        applies_to=applies_to,
        valid_from=valid_from,
        valid_to=valid_to,
        floor_ft=floor_ft,
        ceiling_ft=ceiling_ft,
        confidence=confidence,
        source_url=_text(props.get("source_url")) or None,
        source_date=_time(props.get("source_date"), label, "source_date"),
        change=change,
        recorded_at=_time(props.get("recorded_at"), label, "recorded_at"),
        description=_text(props.get("description")),
        group=_text(props.get("group")) or None,
        scope=_scope(props.get("binds"), label),
        more_sources=_sources(props.get("more_sources"), label),
        notes=_text(props.get("notes")),
    )
    check_version_fields(v, label)
    return v


def check_version_fields(v: ZoneVersion, label: str) -> None:
    """Checks that need several fields: altitude band, validity, confidence, version."""
    if v.floor_ft > v.ceiling_ft:
        raise ZoneError(f"{label}: floor {v.floor_ft:g} ft is above ceiling {v.ceiling_ft:g} ft")
    if v.valid_from is not None and v.valid_to is not None and v.valid_to <= v.valid_from:
        raise ZoneError(
            f"{label}: valid_to {iso_z(v.valid_to)} is not after valid_from {iso_z(v.valid_from)}"
        )
    if not 0.0 < v.confidence <= 1.0:
        raise ZoneError(f"{label}: confidence {v.confidence} is not in (0, 1]")
    if v.version < 0:
        raise ZoneError(f"{label}: version {v.version} is negative")
    if v.source_url is not None and not v.source_url.startswith(("http://", "https://")):
        raise ZoneError(f"{label}: source_url {v.source_url!r} is not an http(s) address")


def properties_from_version(v: ZoneVersion) -> dict[str, Any]:
    """The feature properties that :func:`version_from_properties` reads back to ``v``."""
    props: dict[str, Any] = {
        "zone_id": v.zone_id,
        "version": v.version,
        "name": v.name,
        "kind": v.kind.value,
        "status": v.status.value,
        "severity": v.severity.value,
        "authority": v.authority,
        "source_ref": v.source_ref,
        "applies_to": v.applies_to.value,
        "valid_from": iso_z(v.valid_from) if v.valid_from else None,
        "valid_to": iso_z(v.valid_to) if v.valid_to else None,
        "floor": _alt_out(v.floor_ft),
        "ceiling": _alt_out(v.ceiling_ft),
        "confidence": v.confidence,
        "change": v.change.value,
    }
    if v.source_url:
        props["source_url"] = v.source_url
    if v.source_date:
        props["source_date"] = iso_z(v.source_date)
    if v.recorded_at:
        props["recorded_at"] = iso_z(v.recorded_at)
    if v.description:
        props["description"] = v.description
    if v.group:
        props["group"] = v.group
    if v.scope is not None:
        props["binds"] = str(v.scope)
    if v.more_sources:
        props["more_sources"] = list(v.more_sources)
    if v.notes:
        props["notes"] = v.notes
    return props


def parse_time(value: Any) -> datetime | None:
    """A validity time from a file: ISO-8601 with an offset or ``Z``; a bare date is 00:00Z.

    Raises
    ------
    ValueError
        When the text is not ISO-8601 or a date-time carries no UTC offset.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"time {value.isoformat()!r} has no UTC offset (add Z)")
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str):
        raise ValueError(f"time {value!r} is not an ISO-8601 string")
    text = value.strip()
    if _DATE_ONLY.match(text):
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"time {value!r} is not ISO-8601") from None
    if parsed.tzinfo is None:
        raise ValueError(f"time {value!r} has no UTC offset (add Z)")
    return parsed.astimezone(UTC)


def _alt_out(value_ft: float) -> str | float:
    if value_ft <= 0:
        return "SFC"
    if math.isinf(value_ft):
        return "UNL"
    return value_ft


def _first(props: Mapping[str, Any], *names: str) -> Any:
    for n in names:
        if props.get(n) not in (None, ""):
            return props[n]
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _slug(value: Any) -> str:
    text = _text(value)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").upper()
    return slug


def _enum(cls: Any, value: Any, default: Any, label: str, field: str) -> Any:
    if value is None or value == "":
        return default
    try:
        return cls(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise ZoneError(f"{label}: unknown {field} {value!r} (one of: {allowed})") from None


def _scope(value: Any, label: str) -> BindingScope | None:
    if value is None or value == "":
        return None
    try:
        return BindingScope.parse(str(value))
    except ValueError as exc:
        raise ZoneError(f"{label}: binds: {exc}") from None


def _sources(value: Any, label: str) -> tuple[str, ...]:
    """Further source addresses: a list, or one text with addresses separated by spaces."""
    if value is None or value == "":
        return ()
    items = value if isinstance(value, list | tuple) else str(value).split()
    out = []
    for item in items:
        text = _text(item)
        if not text.startswith(("http://", "https://")):
            raise ZoneError(f"{label}: more_sources: {text!r} is not an http(s) address")
        out.append(text)
    return tuple(out)


def _altitude(value: Any, default: float, label: str, field: str) -> float:
    if value is None:
        return default
    try:
        return parse_altitude_ft(value)
    except ValueError as exc:
        raise ZoneError(f"{label}: {field}: {exc}") from None


def _time(value: Any, label: str, field: str) -> datetime | None:
    try:
        return parse_time(value)
    except ValueError as exc:
        raise ZoneError(f"{label}: {field}: {exc}") from None


def _int(value: Any, default: int, label: str, field: str) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ZoneError(f"{label}: {field} {value!r} is not a whole number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ZoneError(f"{label}: {field} {value!r} is not a whole number") from None
    if not number.is_integer():
        raise ZoneError(f"{label}: {field} {value!r} is not a whole number")
    return int(number)


def _float(value: Any, default: float, label: str, field: str) -> float:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ZoneError(f"{label}: {field} {value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ZoneError(f"{label}: {field} {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ZoneError(f"{label}: {field} {value!r} is not a finite number")
    return number


@dataclass(slots=True)
class ReadResult:
    """What a zone file gave: the versions and the warnings about repairs made."""

    versions: list[ZoneVersion]
    warnings: list[str]
