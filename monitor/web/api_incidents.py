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
from monitor.web.params import (
    GEOMETRY_MODES,
    IncidentFilters,
    enum_schema,
    incident_filters,
    parse_choice,
)
from monitor.web.schemas import (
    FeatureCollectionBody,
    GeoJSONResponse,
    IncidentCollection,
    IncidentDetail,
    error_responses,
)

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
    **error_responses(400, e400="a parameter is wrong; `param` names it"),
    **error_responses(422, e422="a parameter is not of its type (e.g. a non-integer `limit`)"),
}
EXPORT_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    **error_responses(501, e501="format not available on this server (geoparquet without pyarrow)"),
}

Limit = Annotated[
    int,
    Query(description="page size, 1..1000 (larger values are capped)",
          json_schema_extra={"minimum": 1}),
]
GeometryQ = Annotated[
    str,
    Query(description="track (stored track), position (last fix, a Point) or cell (an area)",
          json_schema_extra=enum_schema(GEOMETRY_MODES)),
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


#: the formats of one incident on its own (``/api/incidents/{id}?format=``)
ONE_INCIDENT_EXPORTS = ("geojson", "kml")


def _export_content(*, exclude: str) -> dict[str, Any]:
    """The non-GeoJSON media types of the exports, for the OpenAPI document."""
    text = {"type": "string"}
    binary = {"type": "string", "format": "binary"}
    return {
        MEDIA[f]: {"schema": binary if f == "geoparquet" else text}
        for f in EXPORTS
        if f not in (exclude, "json")
    } | {MEDIA["json"]: {"schema": {"type": "object"}}}


def _ext(fmt: str) -> str:
    return "parquet" if fmt == "geoparquet" else fmt


@router.get(
    "/api/incidents",
    summary="Incidents matching filters (GeoJSON, newest first, cursor-paginated)",
    response_model=None,
    response_class=GeoJSONResponse,
    responses={
        200: {
            "model": IncidentCollection,
            "description": "GeoJSON FeatureCollection; other media types with `format`",
            "content": _export_content(exclude="geojson"),
        },
        **EXPORT_ERRORS,
    },
)
def list_incidents(
    request: Request,
    ctx: Ctx,
    filters: Filters,
    limit: Limit = 100,
    format: Annotated[
        str | None,
        Query(description="export instead: geojson, json, csv, kml, geoparquet",
              json_schema_extra=enum_schema(EXPORTS)),
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
    response_class=GeoJSONResponse,
    responses={
        200: {"model": IncidentCollection, "description": "the export (GeoJSON with `geojson`)",
              "content": _export_content(exclude="geojson")},
        **EXPORT_ERRORS,
    },
)
def export_incidents(
    request: Request,
    ctx: Ctx,
    fmt: Annotated[
        str,
        Path(description="geojson, json, csv, kml or geoparquet",
             json_schema_extra=enum_schema(EXPORTS, optional=False)),
    ],
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
    response_class=GeoJSONResponse,
    responses={
        200: {"model": IncidentDetail | FeatureCollectionBody,
              "description": "the detail document; with `format=geojson` a FeatureCollection "
              "of this one incident, with `format=kml` KML",
              "content": {MEDIA["kml"]: {"schema": {"type": "string"}}}},
        **error_responses(400, e400="`format` is not geojson or kml"),
        **error_responses(404, e404="no incident with this id"),
        **error_responses(422, e422="the id is not an integer in 1..2^62"),
    },
)
def get_incident(
    request: Request,
    ctx: Ctx,
    incident_id: Annotated[int, Path(description="incident id", ge=1, le=2**62)],
    format: Annotated[
        str | None,
        Query(
            description="`geojson`: the incident alone as a GeoJSON FeatureCollection of one "
            "feature (its track), for GIS tools; `kml`: the same as KML; both as downloads. "
            "Without it: the detail document (timeline, evidence, alerts).",
            json_schema_extra=enum_schema(ONE_INCIDENT_EXPORTS),
        ),
    ] = None,
) -> Response:
    detail = ctx.services.store.incident(incident_id)
    if detail is None:
        raise not_found(f"incident_id: no incident {incident_id}", param="incident_id")
    fmt = parse_choice(format, "format", ONE_INCIDENT_EXPORTS)
    if fmt is not None:
        row = detail["incident"]
        headers = {"Content-Disposition": f'attachment; filename="incident-{incident_id}.{fmt}"'}
        if fmt == "kml":
            kml = export.incidents_kml([row], name=f"Incident {incident_id}")
            return Response(kml, media_type=MEDIA["kml"], headers=headers)
        doc = export.incidents_geojson([row], base_url=_base_url(ctx, request))
        return Response(orjson.dumps(doc, option=ORJSON_OPTS), media_type=MEDIA["geojson"], headers=headers)
    body = incident_detail(detail, base_url=_base_url(ctx, request))
    return Response(orjson.dumps(body, option=ORJSON_OPTS), media_type="application/geo+json")
