"""The ASGI app: the JSON/GeoJSON API, the map pages, and the vendored static files.

Read-only: there is no write endpoint yet; any future one must depend on
:func:`monitor.web.security.require_admin` (a bearer token from ``web.admin_token``).
CORS is closed unless ``web.cors_origins`` lists origins. The pages load nothing from the
internet (Leaflet and its plugins are served from ``/static``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from monitor.web import api_incidents, api_live, api_status, api_zones
from monitor.web.assets import STATIC_DIR, STATIC_URL
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
The API is read-only.
"""

TAGS = [
    {"name": "incidents", "description": "Recorded incidents, filters, exports."},
    {"name": "zones", "description": "Declared zones and their versions."},
    {"name": "live", "description": "Current positions (polled by the live map)."},
    {"name": "status", "description": "Feed health, statistics and probes."},
    {"name": "map", "description": "Map furniture."},
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
    app.include_router(api_live.router)
    app.include_router(api_status.router)
    app.include_router(pages.router)
    if services.metrics is not None:
        _add_metrics(app, services.metrics)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")
    return app


def _add_metrics(app: FastAPI, registry: Any) -> None:
    from fastapi.responses import Response
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    @app.get("/metrics", tags=["status"], summary="Prometheus metrics", include_in_schema=True)
    async def metrics() -> Response:
        body = await asyncio.to_thread(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)
