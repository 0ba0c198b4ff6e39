"""HTML routes: ``/`` (live map), ``/history``, ``/status``, ``/incidents/{id}``, and ``/docs`` (Swagger
UI from the vendored copy)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from monitor.store import IncidentQuery
from monitor.web.assets import SWAGGER_CSS, SWAGGER_JS
from monitor.web.context import WebContext, get_ctx
from monitor.web.pages.common import esc
from monitor.web.pages.history import history_page
from monitor.web.pages.incident import incident_page
from monitor.web.pages.live import live_page
from monitor.web.pages.status import status_page
from monitor.web.params import parse_time
from monitor.web.security import page_csp

router = APIRouter(include_in_schema=False)

OBSERVED_MARGIN = timedelta(minutes=10)


def _html(ctx: WebContext, text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        text, status_code=status, headers={"Content-Security-Policy": page_csp(ctx.services.tile_url)}
    )


@router.get("/", response_class=HTMLResponse)
def live(ctx: Annotated[WebContext, Depends(get_ctx)]) -> HTMLResponse:
    page = ctx.page_cache.get("live")
    if page is None:
        s = ctx.services
        page = ctx.page_cache["live"] = live_page(
            banner=s.banner, tile_url=s.tile_url, tile_attribution=s.tile_attribution
        )
    return _html(ctx, page)


@router.get("/history", response_class=HTMLResponse)
def history(ctx: Annotated[WebContext, Depends(get_ctx)]) -> HTMLResponse:
    s = ctx.services
    until = s.clock()
    if until is None:
        newest, _ = s.store.query_incidents(IncidentQuery(limit=1))
        until = newest[0].last_seen_at if newest else ctx.clock_or_now()
    zones: dict[str, str] = {}
    for v in sorted(s.zones(), key=lambda v: (v.zone_id, v.version)):
        zones[v.zone_id] = v.name
    page = history_page(
        zones=sorted(zones.items()),
        until=until.replace(second=0, microsecond=0) + timedelta(minutes=1),
        banner=s.banner,
        tile_url=s.tile_url,
        tile_attribution=s.tile_attribution,
    )
    return _html(ctx, page)


@router.get("/status", response_class=HTMLResponse)
def status(
    ctx: Annotated[WebContext, Depends(get_ctx)],
    at: Annotated[str | None, Query(description="time of the board (ISO-8601)")] = None,
    zone: Annotated[str, Query(description="FIR of the traffic chart")] = "SVZM",
) -> HTMLResponse:
    from monitor.web.api_status_board import board_for, fir_code

    board = board_for(ctx, parse_time(at, "at"))
    firs = [f["fir"] for f in board["firs"]]
    code = fir_code(zone.strip().upper())
    page = status_page(board, banner=ctx.services.banner, firs=firs, zone=code if code in firs else "SVZM")
    return _html(ctx, page)


@router.get("/incidents/{incident_id}", response_class=HTMLResponse)
def incident(
    ctx: Annotated[WebContext, Depends(get_ctx)],
    incident_id: Annotated[int, Path(ge=1, le=2**62)],
) -> HTMLResponse:
    s = ctx.services
    detail = s.store.incident(incident_id)
    if detail is None:
        body = (
            '<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">'
            f"<title>No incident {incident_id}</title></head><body><p>No incident #{esc(str(incident_id))}."
            ' <a href="/">Back to the live map</a></p></body></html>'
        )
        return _html(ctx, body, 404)
    row = detail["incident"]
    observed = []
    if row.subject_id:
        observed = s.store.observations_for(
            row.subject_id,
            since=row.started_at - OBSERVED_MARGIN,
            until=(row.ended_at or row.last_seen_at) + OBSERVED_MARGIN,
        )[:5000]
    page = incident_page(
        detail, s.zones(), observed, banner=s.banner, tile_url=s.tile_url,
        tile_attribution=s.tile_attribution,
    )
    return _html(ctx, page)


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Caribbean monitor API",
        swagger_js_url=SWAGGER_JS,
        swagger_css_url=SWAGGER_CSS,
        swagger_favicon_url="data:,",
        swagger_ui_parameters={"validatorUrl": None},
    )
