"""Feed health, the traffic series, the base map, and the liveness / readiness probes."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from monitor.timeutil import utcnow
from monitor.web.basemap import basemap_geojson
from monitor.web.context import WebContext, get_ctx
from monitor.web.errors import bad_param
from monitor.web.params import TIME_SCHEMA, parse_time, string_schema
from monitor.web.schemas import ErrorBody, FeedsStatus, GeoJSONResponse, Health, TrafficSeries

log = logging.getLogger(__name__)

router = APIRouter()


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat().replace("+00:00", "Z")


def _age(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return round((later - earlier).total_seconds(), 1)


def feeds_status(ctx: WebContext) -> dict[str, Any]:
    now = utcnow()
    clock = ctx.clock()
    feeds: list[dict[str, Any]] = []
    book = ctx.services.health.feeds
    if book:
        for st in sorted(book.values(), key=lambda s: s.source):
            feeds.append(
                {
                    "source": st.source,
                    "kind": st.kind,
                    "status": st.status,
                    "polls": st.polls,
                    "failures": st.failures,
                    "records": st.records,
                    "errors": dict(st.errors),
                    "last_poll_at": _iso(st.last_poll_at),
                    "poll_age_s": _age(now, st.last_poll_at),
                    "last_ok_at": _iso(st.last_ok_at),
                    "last_data_at": _iso(st.last_data_at),
                    "data_age_s": _age(clock or now, st.last_data_at),
                    "last_error": st.last_error,
                    "latency_s": st.latency_s,
                }
            )
    else:  # not the process that polls (e.g. serving a database): what was last stored
        for r in ctx.services.store.feed_health():
            feeds.append(
                {
                    "source": r.source,
                    "kind": r.kind,
                    "status": r.status,
                    "polls": r.polls,
                    "failures": r.failures,
                    "records": r.records,
                    "errors": dict(r.errors or {}),
                    "last_poll_at": _iso(r.last_poll_at),
                    "poll_age_s": _age(now, r.last_poll_at),
                    "last_ok_at": _iso(r.last_ok_at),
                    "last_data_at": None,
                    "data_age_s": None,
                    "last_error": r.last_error,
                    "latency_s": r.latency_s,
                }
            )
    return {"now": _iso(now), "clock": _iso(clock), "banner": ctx.services.banner, "feeds": feeds}


@router.get(
    "/api/feeds",
    tags=["status"],
    summary="Health of every feed: last poll, data age, errors by reason",
    response_model=None,
    responses={200: {"model": FeedsStatus}},
)
def feeds(ctx: Annotated[WebContext, Depends(get_ctx)]) -> Response:
    return Response(orjson.dumps(feeds_status(ctx)), media_type="application/json",
                    headers={"Cache-Control": "no-store"})


@router.get(
    "/api/stats/traffic",
    tags=["status"],
    summary="Distinct aircraft per hour inside a zone (the traffic-collapse series)",
    response_model=None,
    # ``model`` here (a JSON route) also puts ErrorBody in the document's components,
    # which ``error_responses`` of the GeoJSON routes refer to
    responses={200: {"model": TrafficSeries}, 400: {"model": ErrorBody}},
)
def traffic(
    ctx: Annotated[WebContext, Depends(get_ctx)],
    zone: Annotated[
        str,
        Query(description="zone id; an unknown zone is a 400", json_schema_extra=string_schema(minLength=1)),
    ] = "SVZM",
    since: Annotated[
        str | None, Query(description="first hour (ISO-8601)", json_schema_extra=TIME_SCHEMA)
    ] = None,
    until: Annotated[
        str | None, Query(description="last hour (ISO-8601)", json_schema_extra=TIME_SCHEMA)
    ] = None,
) -> Response:
    since_t = parse_time(since, "since")
    until_t = parse_time(until, "until")
    if since_t and until_t and since_t > until_t:
        raise bad_param("since", f"{since} is after until {until}")
    series = ctx.services.store.traffic_series(zone)
    if not series and zone not in ctx.zone_ids():
        raise bad_param("zone", f"unknown zone {zone!r}")
    points = [
        {"hour": _iso(hour), "aircraft": n}
        for hour, n in series
        if (since_t is None or hour >= since_t) and (until_t is None or hour <= until_t)
    ]
    return Response(orjson.dumps({"zone": zone, "series": points}), media_type="application/json")


@router.get(
    "/api/basemap",
    tags=["map"],
    summary="Land polygons and a graticule for the offline base map",
    response_class=GeoJSONResponse,
    responses={200: {"content": {"application/geo+json": {"schema": {"type": "object"}}}}},
)
def basemap(ctx: Annotated[WebContext, Depends(get_ctx)]) -> Response:
    cached = ctx.page_cache.get("basemap")
    if cached is None:
        doc = basemap_geojson(ctx.geodata_dir(), ctx.services.zones())
        cached = ctx.page_cache["basemap"] = orjson.dumps(doc).decode()
    return Response(cached, media_type="application/geo+json",
                    headers={"Cache-Control": "max-age=3600"})


@router.get("/healthz", tags=["status"], summary="Liveness: the process answers",
            response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    tags=["status"],
    summary="Readiness: the database answers and the service says it is ready",
    response_model=Health,
    responses={503: {"model": Health}},
)
def readyz(ctx: Annotated[WebContext, Depends(get_ctx)], response: Response) -> Health:
    checks: dict[str, str] = {}
    try:
        with ctx.services.store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError as exc:
        log.warning("readiness: database unavailable: %s", exc)
        checks["database"] = f"unavailable: {type(exc).__name__}"
    checks["service"] = "ok" if ctx.services.ready() else "starting"
    ok = all(v == "ok" for v in checks.values())
    response.status_code = 200 if ok else 503
    return Health(status="ok" if ok else "unavailable", checks=checks)
