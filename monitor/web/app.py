"""The ASGI app: the JSON/GeoJSON API, the map pages, and the vendored static files.

Read-only but for the zone writes of :mod:`monitor.web.api_zone_admin`, which depend on
:func:`monitor.web.security.require_admin` (a bearer token from ``web.admin_token``), as
any other write endpoint must.
CORS is closed unless ``web.cors_origins`` lists origins. The pages load nothing from the
internet (Leaflet and its plugins are served from ``/static``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from monitor.web import (
    api_coverage,
    api_history,
    api_incidents,
    api_live,
    api_status,
    api_status_board,
    api_stream,
    api_zone_admin,
    api_zones,
    feeds_atom,
)
from monitor.web.assets import STATIC_DIR, STATIC_URL
from monitor.web.basemap import LABELS_URL, labels_geojson
from monitor.web.context import WebContext, refresh_live
from monitor.web.errors import install_handlers
from monitor.web.pages import routes as pages
from monitor.web.security import SecurityHeaders, install_cors
from monitor.web.services import WebServices

log = logging.getLogger(__name__)

DESCRIPTION = """
Incidents, zones, live positions and feed health of the Caribbean airspace and maritime
monitor. Times are ISO-8601 UTC; positions WGS84 lon/lat; altitudes in feet, speeds in knots.

Bad input answers 4xx JSON `{"error", "param", "message"}` naming the parameter.
Writes (declaring, amending and lifting zones) need `Authorization: Bearer <web.admin_token>`;
without a configured token the API is read-only.
"""

TAGS = [
    {"name": "incidents", "description": "Recorded incidents, filters, exports."},
    {"name": "zones", "description": "Declared zones and their versions."},
    {"name": "live", "description": "Current positions (polled by the live map)."},
    {"name": "status", "description": "Feed health, statistics and probes."},
    {"name": "map", "description": "Map furniture."},
    {"name": "history", "description": "Rewind (the picture at a past time), tracks, the crisis record."},
]


def create_app(services: WebServices) -> FastAPI:
    """The web app over ``services`` (the store, the live view, feed health, zones)."""
    ctx = WebContext(services)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(refresh_live(ctx), name="web-live-index")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(
        lifespan=lifespan,
        title="Caribbean airspace & maritime monitor",
        version="1",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = ctx
    install_handlers(app)
    install_cors(app, list(services.config.cors_origins))
    app.add_middleware(SecurityHeaders)
    app.include_router(api_incidents.router)
    app.include_router(api_zones.router)
    app.include_router(api_zone_admin.router)
    app.include_router(api_live.router)
    app.include_router(api_stream.router)
    app.include_router(api_status.router)
    app.include_router(api_status_board.router)
    app.include_router(api_history.router)
    app.include_router(api_coverage.router)
    app.include_router(feeds_atom.router)
    app.include_router(pages.router)
    if services.metrics is not None:
        _add_metrics(app, services.metrics)
    _add_basemap_labels(app, ctx)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")
    return app


def _add_basemap_labels(app: FastAPI, ctx: WebContext) -> None:
    """The base map's place names, a built file of the geodata folder, under ``/static``
    (before the ``/static`` mount, which would answer 404); an empty collection without it."""

    @app.get(LABELS_URL, include_in_schema=False)
    def basemap_labels() -> Response:
        cached = ctx.page_cache.get("basemap_labels")
        if cached is None:
            doc = labels_geojson(ctx.geodata_dir())
            cached = ctx.page_cache["basemap_labels"] = orjson.dumps(doc).decode()
        return Response(cached, media_type="application/geo+json", headers={"Cache-Control": "max-age=3600"})


def _add_metrics(app: FastAPI, registry: Any) -> None:
    # ``Response`` is imported at module level: with postponed annotations FastAPI resolves
    # the return annotation in the module's globals, and a name imported here would not be
    # found there (``/openapi.json`` then fails with a 500).
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    @app.get(
        "/metrics",
        tags=["status"],
        summary="Prometheus metrics",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {}},
                         "description": "Prometheus text exposition format"}},
    )
    async def metrics() -> Response:
        body = await asyncio.to_thread(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)
