"""``/api/incidents``: filtered, paginated incidents as GeoJSON, exports, and one incident.

The GeoJSON list (the map's and the history view's request) takes the fast path:
``monitor.store.queries.list_incidents`` reads the page through the spatio-temporal indexes
and hands over GeoJSON / JSON texts that ``geo.list_features_json`` embeds as they are.
Exports and ``geometry=cell`` read full rows (``Store.query_incidents``) and build shapely
geometries. No answer is validated by pydantic at run time; the models in ``schemas`` give
the OpenAPI schema and the tests validate real answers against them.
"""

from __future__ import annotations

import io
import threading
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request, Response

from monitor import export
from monitor.store import IncidentQuery, queries
from monitor.web.context import WebContext, get_ctx
from monitor.web.errors import ApiError, bad_param, not_found
from monitor.web.geo import LIST_MODES, ORJSON_OPTS, incident_feature, list_features_json
from monitor.web.incident_view import incident_detail
from monitor.web.params import GEOMETRY_MODES, IncidentFilters, incident_filters, parse_choice
from monitor.web.schemas import ErrorBody, IncidentCollection, IncidentDetail

router = APIRouter(tags=["incidents"])

EXPORTS = ("geojson", "json", "csv", "kml", "geoparquet")
MEDIA = {
    "geojson": "application/geo+json",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "kml": "application/vnd.google-earth.kml+xml",
    "geoparquet": "application/vnd.apache.parquet",
}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "a parameter is wrong; `param` names it"},
}

Limit = Annotated[int, Query(description="page size, 1..1000 (larger values are capped)")]
GeometryQ = Annotated[
    str, Query(description="track (stored track), position (last fix, a Point) or cell (an area)")
]
Filters = Annotated[IncidentFilters, Depends(incident_filters)]


async def _ctx(request: Request) -> WebContext:
    """``get_ctx`` without the thread-pool hop FastAPI gives a plain ``def`` dependency."""
    return get_ctx(request)


Ctx = Annotated[WebContext, Depends(_ctx)]


def _base_url(ctx: WebContext, request: Request) -> str:
    return ctx.services.config.public_url or str(request.base_url)


def _query(ctx: WebContext, filters: IncidentFilters, limit: int) -> IncidentQuery:
    return filters.query(limit=limit, known_zones=ctx.zone_ids, store=ctx.services.store)


#: list queries running at once in this process; more wait here, not in the pool: beyond
#: the engine's 5 pooled connections every extra one would open (and drop) a connection
#: with a cold page cache, and on 2 cores more threads only contend for the GIL
LIST_QUERY_SLOTS = 4
_list_slots = threading.BoundedSemaphore(LIST_QUERY_SLOTS)


def _list_answer(ctx: WebContext, request: Request, q: IncidentQuery, geometry: str) -> Response:
    """The GeoJSON page of ``GET /api/incidents`` (track or position geometry): read with
    ``list_incidents`` and written without building shapely or pydantic objects."""
    with _list_slots:
        items, next_cursor = queries.list_incidents(ctx.services.store.engine, q)
    body = list_features_json(
        items, mode=geometry, base_url=_base_url(ctx, request), next_cursor=next_cursor
    )
    headers = {"X-Next-Cursor": next_cursor} if next_cursor else None
    return Response(body, media_type=MEDIA["geojson"], headers=headers)


def _answer(
    ctx: WebContext,
    request: Request,
    q: IncidentQuery,
    fmt: str,
    geometry: str,
    *,
    attachment: bool,
) -> Response:
    rows, next_cursor = ctx.services.store.query_incidents(q)
    headers = {"X-Next-Cursor": next_cursor} if next_cursor else {}
    if attachment:
        headers["Content-Disposition"] = f'attachment; filename="incidents.{_ext(fmt)}"'
    if fmt == "geojson":
        base = _base_url(ctx, request)
        doc = {
            "type": "FeatureCollection",
            "features": [incident_feature(r, mode=geometry, base_url=base) for r in rows],
            "count": len(rows),
            "next_cursor": next_cursor,
        }
        return Response(orjson.dumps(doc, option=ORJSON_OPTS), media_type=MEDIA[fmt], headers=headers)
    if fmt == "json":
        body = {"incidents": export.incidents_json(rows), "next_cursor": next_cursor}
        return Response(orjson.dumps(body), media_type=MEDIA[fmt], headers=headers)
    if fmt == "csv":
        return Response(export.incidents_csv(rows), media_type=MEDIA[fmt], headers=headers)
    if fmt == "kml":
        return Response(export.incidents_kml(rows), media_type=MEDIA[fmt], headers=headers)
    buf = io.BytesIO()
    try:
        export.write_geoparquet(rows, buf)
    except ImportError as exc:
        raise ApiError(
            501,
            "format: geoparquet needs pyarrow, which is not installed on this server",
            param="format",
            code="unavailable",
        ) from exc
    return Response(buf.getvalue(), media_type=MEDIA[fmt], headers=headers)


def _ext(fmt: str) -> str:
    return "parquet" if fmt == "geoparquet" else fmt


@router.get(
    "/api/incidents",
    summary="Incidents matching filters (GeoJSON, newest first, cursor-paginated)",
    response_model=None,
    responses={
        200: {
            "model": IncidentCollection,
            "description": "GeoJSON FeatureCollection; other media types with `format`",
            "content": {m: {} for f, m in MEDIA.items() if f != "geojson"},
        },
        **ERRORS,
        501: {"model": ErrorBody, "description": "format not available on this server"},
    },
)
def list_incidents(
    request: Request,
    ctx: Ctx,
    filters: Filters,
    limit: Limit = 100,
    format: Annotated[
        str | None, Query(description="export instead: geojson, json, csv, kml, geoparquet")
    ] = None,
    geometry: GeometryQ = "track",
) -> Response:
    """Incidents *active* in ``[since, until]`` that match every filter given.

    The time range selects incidents whose activity overlaps it; ``bbox`` matches the
    incident's track; ``subject`` matches the ICAO hex / MMSI or the call sign / name
    (case-insensitive). Follow ``next_cursor`` (also in the ``X-Next-Cursor`` header) for
    the next page.
    """
    fmt = parse_choice(format, "format", EXPORTS) or "geojson"
    mode = parse_choice(geometry, "geometry", GEOMETRY_MODES) or "track"
    q = _query(ctx, filters, limit)
    if fmt == "geojson" and format is None and mode in LIST_MODES:
        return _list_answer(ctx, request, q, mode)
    return _answer(ctx, request, q, fmt, mode, attachment=format is not None)


@router.get(
    "/api/incidents.{fmt}",
    summary="Export the incidents matching filters (geojson, json, csv, kml, geoparquet)",
    response_model=None,
    responses={
        200: {"description": "the export", "content": {m: {} for m in MEDIA.values()}},
        **ERRORS,
        501: {"model": ErrorBody, "description": "format not available on this server"},
    },
)
def export_incidents(
    request: Request,
    ctx: Ctx,
    fmt: Annotated[str, Path(description="geojson, json, csv, kml or geoparquet")],
    filters: Filters,
    limit: Limit = 1000,
) -> Response:
    """The same filters as ``GET /api/incidents``; one page of up to 1,000 incidents, with
    the next page's cursor in ``X-Next-Cursor``."""
    if fmt not in EXPORTS:
        raise bad_param("fmt", f"unknown export format {fmt!r}; expected one of: {', '.join(EXPORTS)}")
    q = _query(ctx, filters, limit)
    return _answer(ctx, request, q, fmt, "track", attachment=True)


@router.get(
    "/api/incidents/{incident_id}",
    summary="One incident with its timeline, evidence and alerts",
    response_model=None,
    responses={
        200: {"model": IncidentDetail},
        404: {"model": ErrorBody, "description": "no incident with this id"},
    },
)
def get_incident(
    request: Request,
    ctx: Ctx,
    incident_id: Annotated[int, Path(description="incident id", ge=1, le=2**62)],
) -> Response:
    detail = ctx.services.store.incident(incident_id)
    if detail is None:
        raise not_found(f"incident_id: no incident {incident_id}", param="incident_id")
    body = incident_detail(detail, base_url=_base_url(ctx, request))
    return Response(orjson.dumps(body, option=ORJSON_OPTS), media_type="application/geo+json")
