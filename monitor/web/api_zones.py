"""``/api/zones``: the zone versions in force at a time, and one zone's history."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Path, Query, Response

from monitor.web.context import WebContext, get_ctx
from monitor.web.errors import not_found
from monitor.web.params import TIME_SCHEMA, parse_time
from monitor.web.schemas import GeoJSONResponse, ZoneCollection, error_responses
from monitor.web.zone_view import in_force, intervals, zone_feature

router = APIRouter(tags=["zones"])


def _iso(t: object) -> object:
    return None if t is None else t.isoformat().replace("+00:00", "Z")  # type: ignore[attr-defined]


@router.get(
    "/api/zones",
    summary="Zone versions in force at a time (GeoJSON)",
    response_model=None,
    response_class=GeoJSONResponse,
    responses={200: {"model": ZoneCollection}, **error_responses(400)},
)
def list_zones(
    ctx: Annotated[WebContext, Depends(get_ctx)],
    at: Annotated[
        str | None,
        Query(description="ISO-8601 time; default: the monitor's clock (data time), else now",
              json_schema_extra=TIME_SCHEMA),
    ] = None,
) -> Response:
    """The restricting versions in force at ``at``: versions of one zone by one authority
    supersede each other, different authorities coexist, lifted versions are left out."""
    when = parse_time(at, "at") or ctx.clock_or_now()
    rows = in_force(ctx.services.zones(), when)
    doc = {
        "type": "FeatureCollection",
        "at": _iso(when),
        "features": [zone_feature(r, when, ctx.zone_geometry) for r in rows],
    }
    return Response(orjson.dumps(doc), media_type="application/geo+json")


@router.get(
    "/api/zones/{zone_id}/history",
    summary="Every version of one zone, with the interval each was in force",
    response_model=None,
    response_class=GeoJSONResponse,
    responses={200: {"model": ZoneCollection}, **error_responses(404, e404="no zone with this id")},
)
def zone_history(
    ctx: Annotated[WebContext, Depends(get_ctx)],
    zone_id: Annotated[str, Path(description="zone id, e.g. SVZM")],
) -> Response:
    rows = intervals(ctx.services.zones(), zone_id)
    if not rows:
        raise not_found(f"zone_id: unknown zone {zone_id!r}", param="zone_id")
    now = ctx.clock_or_now()
    doc = {
        "type": "FeatureCollection",
        "zone_id": zone_id,
        "at": _iso(now),
        "features": [zone_feature(r, now, ctx.zone_geometry) for r in rows],
    }
    return Response(orjson.dumps(doc), media_type="application/geo+json")
