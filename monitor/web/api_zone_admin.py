"""Zone writes: declare, amend and lift zone versions over HTTP, with the admin token.

* ``POST /api/zones``: declare. The body is a GeoJSON Feature whose properties are the
  zone fields of ``monitor/zones/README.md`` (``binds`` for whom the rule binds,
  ``source_url``, ``more_sources``, ``notes`` ...); a ``null`` geometry takes the area of
  the zone's latest version (a second authority declaring the same zone).
* ``POST /api/zones/{zone_id}/amend``: a Feature with only the fields that change (and
  a geometry when the area changes); ``valid_from`` is when the amendment applies,
  ``authority`` whose version it amends.
* ``POST /api/zones/{zone_id}/lift``: ``{authority, at, source_ref, reason, source_url,
  notes}``.

Every route depends on :func:`monitor.web.security.require_admin`. A version is built by
:class:`~monitor.zones.registry.ZoneRegistry` over the zones this process serves merged
with every stored version (read at the moment of the write, so numbers follow writes of
other processes), checked by :mod:`monitor.zones.fields` and the registry, then stored
through ``Store.add_versions(origin="api", exclusive=True)``. A refused request stores
nothing. The process then reloads its zones (``WebServices.zones_stored``); the others
follow through the zone signal (:mod:`monitor.store.zone_signal`).

Errors (``ErrorBody``): 400 naming the field (``binds``, ``valid_to``, ``source_url``,
``geometry`` ...), 401 / 403 (token), 404 an unknown zone, 409 a conflict with what is
stored (declared already by that authority, lifted, a number another writer took a
moment ago), 422 a body that is not of the documented shape.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

import orjson
import shapely
from fastapi import APIRouter, Body, Depends, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from monitor.domain import ZoneVersion
from monitor.errors import StoreError, ZoneError
from monitor.timeutil import iso_z
from monitor.web.context import WebContext, get_ctx
from monitor.web.errors import ApiError
from monitor.web.schemas import ErrorBody, ZoneFeature
from monitor.web.security import require_admin
from monitor.web.zone_view import zone_feature
from monitor.zones.fields import (
    check_version_fields,
    parse_time,
    properties_from_version,
    version_from_properties,
)
from monitor.zones.geometry import area_from_geojson
from monitor.zones.registry import ZoneRegistry

log = logging.getLogger(__name__)

router = APIRouter(tags=["zones"], dependencies=[Depends(require_admin)])

#: feature property -> ZoneVersion field, for the properties a request may give
PROPERTY_FIELDS: dict[str, str] = {
    "name": "name",
    "kind": "kind",
    "status": "status",
    "severity": "severity",
    "authority": "authority",
    "source_ref": "source_ref",
    "source_url": "source_url",
    "source_date": "source_date",
    "applies_to": "applies_to",
    "valid_from": "valid_from",
    "valid_to": "valid_to",
    "floor": "floor_ft",
    "floor_ft": "floor_ft",
    "ceiling": "ceiling_ft",
    "ceiling_ft": "ceiling_ft",
    "confidence": "confidence",
    "description": "description",
    "group": "group",
    "binds": "scope",
    "more_sources": "more_sources",
    "notes": "notes",
}
#: the property a ZoneVersion field is given by (how errors name it)
_PROPERTY_OF = {"floor_ft": "floor", "ceiling_ft": "ceiling", "scope": "binds"}
#: properties the monitor sets itself; ignored in a request (a feature exported by
#: ``/api/zones`` may be posted back as it is)
SET_BY_MONITOR = frozenset({"version", "change", "recorded_at", "key", "effective_from",
                            "effective_to", "in_force", "binds_text", "severity_rank"})
#: what ``version_from_properties`` and the registry name in their messages
_FIELD_RE = re.compile(
    r"(?<![\w-])("
    + "|".join(sorted({*PROPERTY_FIELDS, *PROPERTY_FIELDS.values(), "geometry", "zone_id"},
                      key=len, reverse=True))
    + r")(?!\w)"
)
_LABEL = "request"
_ZONE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
_PREFIX_RE = re.compile(r"^(?:request|zone \S+): ")
#: stands for the area while the properties alone are checked
_PLACEHOLDER_AREA = shapely.box(0.0, 0.0, 1.0, 1.0)


# --------------------------------------------------------------------------- request bodies
def _prop(description: str, json_type: str | list[str] = "string", **extra: Any) -> Any:
    """A property accepted as any JSON value (checked by the zone fields, whose errors
    name it) and documented with its type."""
    return Field(None, description=description, json_schema_extra={"type": json_type, **extra})


class ZoneFieldsIn(BaseModel):
    """The zone fields (``monitor/zones/README.md``); unknown properties are ignored."""

    model_config = ConfigDict(extra="allow")

    zone_id: Any = _prop("zone id, e.g. SVZM (default: the feature's id, else the name)")
    name: Any = _prop("zone name (default: the zone id, or the name of its latest version)")
    kind: Any = _prop(
        "closed_airspace, advisory_airspace, fir, strike_zone, territorial_sea, "
        "navigational_warning, watch_area, land (a new zone needs one)"
    )
    status: Any = _prop("prohibited, closed, advisory, statement, active, informational")
    severity: Any = _prop("info, low, medium, high, critical (default: by status)")
    authority: Any = _prop("who declares it: FAA, EASA, user ... (required to declare)")
    binds: Any = _prop(
        "whom the rule binds: all, civil, operators:US, carriers:IBE,AEA, nobody "
        "(default: all for prohibited / closed, else nobody)"
    )
    source_ref: Any = _prop("NOTAM number, statement ...")
    source_url: Any = _prop("http(s) address of the source", format="uri")
    source_date: Any = _prop("ISO-8601 time of the source", format="date-time")
    more_sources: Any = _prop(
        "further http(s) source addresses", ["array", "string"], items={"type": "string"}
    )
    notes: Any = _prop("what sources disagree on, the area's caveats")
    applies_to: Any = _prop("aircraft, vessels, both (default: by kind)")
    valid_from: Any = _prop(
        "ISO-8601 with Z or an offset; declare: start (default: the monitor's clock, else "
        "now); amend: when the amendment applies",
        format="date-time",
    )
    valid_to: Any = _prop("ISO-8601 end (open-ended when absent)", format="date-time")
    floor: Any = _prop("SFC, FL100, 5000, 5000 ft (feet)", ["string", "number"])
    ceiling: Any = _prop("UNL, FL450, feet", ["string", "number"])
    confidence: Any = _prop("(0, 1]; lower for areas reconstructed from reports", "number")
    description: Any = _prop("free text")
    group: Any = _prop("group of zones (free text)")


class ZoneFeatureIn(BaseModel):
    """A GeoJSON Feature: the zone's area and its fields."""

    type: Literal["Feature"] = "Feature"
    id: str | None = Field(None, description="zone id when properties.zone_id is absent")
    geometry: dict[str, Any] | None = Field(
        None,
        description="Polygon or MultiPolygon, WGS84 lon/lat; null: the area of the zone's "
        "latest version (declare over another authority's zone; amend without moving it)",
    )
    properties: ZoneFieldsIn = Field(default_factory=ZoneFieldsIn)


class ZoneLiftIn(BaseModel):
    """What lifts a zone: the authority's version in force ends at ``at``."""

    model_config = ConfigDict(extra="forbid")

    authority: str | None = Field(
        None, description="whose version is lifted (needed when several are in force)"
    )
    at: str | None = Field(
        None, description="ISO-8601 time of the lift (default: the monitor's clock, else now)"
    )
    source_ref: str | None = Field(None, description="NOTAM number, statement ...")
    reason: str | None = Field(None, description="why it was lifted (the version's description)")
    source_url: str | None = Field(None, description="http(s) address of the source")
    notes: str | None = Field(None, description="caveats, what sources disagree on")


_WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {"model": ZoneFeature, "description": "the version as stored"},
    400: {"model": ErrorBody, "description": "a field is invalid (named in `param`)"},
    401: {"model": ErrorBody, "description": "no bearer token"},
    403: {"model": ErrorBody, "description": "wrong token, or writes disabled (no token set)"},
    409: {"model": ErrorBody, "description": "conflicts with what is stored"},
    422: {"model": ErrorBody, "description": "the body is not of the documented shape"},
}
_ZONE_RESPONSES = {**_WRITE_RESPONSES, 404: {"model": ErrorBody, "description": "unknown zone"}}

_DECLARE_EXAMPLE = {
    "type": "Feature",
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[-67.5, 10.0], [-66.0, 10.0], [-66.0, 11.2], [-67.5, 11.2], [-67.5, 10.0]]],
    },
    "properties": {
        "zone_id": "WATCH-CCS",
        "name": "Caracas approach watch",
        "kind": "advisory_airspace",
        "authority": "FAA",
        "binds": "operators:US",
        "valid_from": "2026-01-03T12:00Z",
        "source_ref": "KICZ A0012/26",
        "source_url": "https://www.faa.gov/air_traffic/publications/us_restrictions/",
    },
}

CtxDep = Annotated[WebContext, Depends(get_ctx)]
ZonePath = Annotated[str, Path(description="zone id, e.g. SVZM", max_length=80)]


# ------------------------------------------------------------------------------- routes
@router.post(
    "/api/zones",
    status_code=201,
    summary="Declare a zone version (admin token)",
    response_model=None,
    responses=_WRITE_RESPONSES,
)
def declare_zone(
    request: Request,
    ctx: CtxDep,
    body: Annotated[
        ZoneFeatureIn,
        Body(openapi_examples={"advisory": {"summary": "an FAA advisory area", "value": _DECLARE_EXAMPLE}}),
    ],
) -> Response:
    """Declare a zone, or the same zone by another authority: adds its next version.

    Refused (409) when the authority's own latest version of the zone still restricts:
    amend it instead."""
    props = _given(body.properties)
    if not _text(props.get("authority")):
        raise ApiError(400, "authority: required (who declares the zone: FAA, EASA, user ...)",
                       param="authority")
    area = _area(body.geometry)
    v = _checked(lambda: version_from_properties(
        props, area if area is not None else _PLACEHOLDER_AREA, label=_LABEL, feature_id=body.id
    ))
    if not _ZONE_ID.match(v.zone_id):
        raise ApiError(400, f"zone_id: {v.zone_id!r} is not a zone id (letters, digits, "
                       "'.', '_' and '-', at most 80)", param="zone_id")
    with ctx.zone_write_lock:
        registry = _registry(ctx)
        mine = registry.latest(v.zone_id, v.authority)
        if mine is not None and mine.restricts:
            raise ApiError(
                409,
                f"zone_id: zone {v.zone_id} is already declared by {v.authority} ({mine.key}); "
                f"amend it (POST /api/zones/{v.zone_id}/amend) or lift it first",
                param="zone_id",
                code="conflict",
            )
        own = {"name", "kind", "status", "authority", "valid_from"}
        fields = {
            PROPERTY_FIELDS[p]: getattr(v, PROPERTY_FIELDS[p])
            for p in props
            if p in PROPERTY_FIELDS and p not in own
        }
        new = _checked(lambda: registry.declare(
            v.zone_id,
            authority=v.authority,
            valid_from=v.valid_from or ctx.clock_or_now(),
            geometry=area,
            name=v.name if _text(props.get("name")) else None,
            kind=v.kind if "kind" in props else None,
            status=v.status if "status" in props else None,
            **fields,
        ))
        return _store(request, ctx, registry, new)


@router.post(
    "/api/zones/{zone_id}/amend",
    status_code=201,
    summary="Amend a zone: a new version of an authority's version (admin token)",
    response_model=None,
    responses=_ZONE_RESPONSES,
)
def amend_zone(
    request: Request,
    ctx: CtxDep,
    zone_id: ZonePath,
    body: Annotated[
        ZoneFeatureIn,
        Body(openapi_examples={"closed": {"summary": "the advisory becomes a closure", "value": {
            "properties": {"status": "closed", "binds": "civil", "valid_from": "2026-01-05T00:00Z"}
        }}}),
    ],
) -> Response:
    """The authority's latest version with the fields given, in force from ``valid_from``
    (default: the monitor's clock, else now)."""
    props = _given(body.properties)
    given_id = _text(props.pop("zone_id", None))
    if given_id and given_id != zone_id:
        raise ApiError(400, f"zone_id: the body names {given_id!r}, the path {zone_id!r}",
                       param="zone_id")
    authority = _text(props.pop("authority", None)) or None
    when = _time(props.pop("valid_from", None), "valid_from") or ctx.clock_or_now()
    area = _area(body.geometry)
    changed = {p: props[p] for p in props if p in PROPERTY_FIELDS}
    if not changed and area is None:
        raise ApiError(400, "properties: nothing to amend: give the fields that change "
                       "(status, valid_to, binds ...) or a geometry", param="properties")
    with ctx.zone_write_lock:
        registry = _registry(ctx)
        base = _base(registry, zone_id, authority, "amend")
        merged = {**properties_from_version(base), **changed, "valid_from": iso_z(when)}
        candidate = _checked(lambda: version_from_properties(
            merged, area if area is not None else base.geometry, label=_LABEL
        ))
        changes: dict[str, Any] = {
            PROPERTY_FIELDS[p]: getattr(candidate, PROPERTY_FIELDS[p]) for p in changed
        }
        if area is not None:
            changes["geometry"] = area
        new = _checked(
            lambda: registry.amend(zone_id, valid_from=when, authority=base.authority, **changes),
            default="valid_from",
        )
        return _store(request, ctx, registry, new)


@router.post(
    "/api/zones/{zone_id}/lift",
    status_code=201,
    summary="Lift a zone: a 'lifted' version ends the authority's version (admin token)",
    response_model=None,
    responses=_ZONE_RESPONSES,
)
def lift_zone(
    request: Request,
    ctx: CtxDep,
    zone_id: ZonePath,
    body: Annotated[
        ZoneLiftIn | None,
        Body(openapi_examples={"lift": {"summary": "the FAA lifts its advisory", "value": {
            "authority": "FAA", "at": "2026-02-01T00:00Z", "source_ref": "KICZ A0044/26",
            "reason": "advisory cancelled",
        }}}),
    ] = None,
) -> Response:
    """A ``lifted`` version by the same authority, in force from ``at``."""
    body = body or ZoneLiftIn()
    at = _time(body.at, "at") or ctx.clock_or_now()
    with ctx.zone_write_lock:
        registry = _registry(ctx)
        base = _base(registry, zone_id, _text(body.authority) or None, "lift")
        v = _checked(
            lambda: registry.lift(
                zone_id,
                at=at,
                authority=base.authority,
                source_ref=_text(body.source_ref),
                description=_text(body.reason),
            ),
            default="at",
        )
        extra: dict[str, Any] = {}
        if body.source_url is not None:
            extra["source_url"] = _text(body.source_url) or None
        if body.notes is not None:
            extra["notes"] = _text(body.notes)
        if extra:
            v = dataclasses.replace(v, **extra)
            _checked(lambda: check_version_fields(v, _LABEL))
        return _store(request, ctx, registry, v)


# ------------------------------------------------------------------------------ helpers
def _registry(ctx: WebContext) -> ZoneRegistry:
    """The zones this process serves merged with every stored version, read now."""
    return ZoneRegistry.merged(ctx.services.zones(), ctx.services.store.list_versions())


def _base(registry: ZoneRegistry, zone_id: str, authority: str | None, verb: str) -> ZoneVersion:
    """The version an amendment or a lift starts from (the registry's own rule, with the
    API's answers: 404 unknown zone, 400 authority, 409 lifted)."""
    chain = registry.history(zone_id)
    if not chain:
        raise ApiError(404, f"zone_id: unknown zone {zone_id!r}", param="zone_id")
    if authority is None:
        live = sorted({
            v.authority for v in chain
            if (latest := registry.latest(zone_id, v.authority)) is not None and latest.restricts
        })
        if len(live) > 1:
            raise ApiError(
                400,
                f"authority: zone {zone_id} has versions in force from several authorities "
                f"({', '.join(live)}); say which one to {verb}",
                param="authority",
            )
        authority = live[0] if live else chain[-1].authority
    base = registry.latest(zone_id, authority)
    if base is None:
        known = ", ".join(sorted({v.authority for v in chain}))
        raise ApiError(400, f"authority: zone {zone_id} has no version by {authority!r} "
                       f"(its authorities: {known})", param="authority")
    if not base.restricts:
        raise ApiError(
            409,
            f"zone_id: zone {zone_id} was lifted by {authority} ({base.key}); "
            "declare it again instead (POST /api/zones)",
            param="zone_id",
            code="conflict",
        )
    return base


def _store(request: Request, ctx: WebContext, registry: ZoneRegistry, v: ZoneVersion) -> Response:
    try:
        stored = ctx.services.store.add_versions([v], origin="api", exclusive=True)[0]
    except StoreError as exc:
        raise ApiError(409, f"zone_id: {exc}", param="zone_id", code="conflict") from None
    try:  # this process's zones take the new version before the answer goes out
        ctx.services.zones_stored()
    except Exception as exc:  # noqa: BLE001 - stored all the same; the zone signal catches up
        log.warning("zones: %s stored, but reloading the zones failed (%s)", stored.key, exc)
    client = request.client
    log.info(
        "zones: %s %s (%s, %s) stored through the API from %s",
        stored.change.value,
        stored.key,
        stored.status.value,
        stored.authority,
        f"{client.host}:{client.port}" if client else "unknown client",
    )
    view = ZoneRegistry.merged(registry.versions(), [stored])
    row = next(r for r in view.intervals(stored.zone_id) if r[0].key == stored.key)
    doc = zone_feature(row, ctx.clock_or_now(), ctx.zone_geometry)
    return Response(
        orjson.dumps(doc),
        status_code=201,
        media_type="application/geo+json",
        headers={"Location": f"/api/zones/{quote(stored.zone_id, safe='')}/history"},
    )


def _given(props: ZoneFieldsIn) -> dict[str, Any]:
    """The properties a request gave (``null`` counts as absent), without those the
    monitor sets."""
    raw: Mapping[str, Any] = props.model_dump(exclude_unset=True)
    return {k: v for k, v in raw.items() if v is not None and k not in SET_BY_MONITOR}


def _area(geometry: dict[str, Any] | None) -> Any:
    if geometry is None:
        return None
    geom, warnings = _checked(lambda: area_from_geojson(geometry, "geometry"), default="geometry")
    for warning in warnings:
        log.warning("zones: %s", warning)
    return geom


def _time(value: Any, field: str) -> datetime | None:
    try:
        return parse_time(value)
    except ValueError as exc:
        raise ApiError(400, f"{field}: {exc}", param=field) from None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _checked(build: Callable[[], Any], *, default: str | None = None) -> Any:
    """``build()``, its ``ZoneError`` turned into a 400 naming the field at fault."""
    try:
        return build()
    except ZoneError as exc:
        raise _field_error(str(exc), default) from None


def _field_error(text: str, default: str | None) -> ApiError:
    message = _PREFIX_RE.sub("", text, count=1)
    found = _FIELD_RE.search(message)
    field = _PROPERTY_OF.get(found.group(1), found.group(1)) if found else default
    if field is not None and not message.startswith(field):
        message = f"{field}: {message}"
    return ApiError(400, message, param=field)
