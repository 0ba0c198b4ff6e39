"""``GET /api/coverage``: which hours each source's positions cover (imported archives and
live feeds), for the history page's coverage strip."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query, Response

from monitor.store.repository import coverage
from monitor.web.context import WebContext, get_ctx
from monitor.web.errors import bad_param
from monitor.web.params import parse_time

router = APIRouter()


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


@router.get(
    "/api/coverage",
    tags=["status"],
    summary="Positions per source and hour: which periods each source covers",
    response_model=None,
)
def coverage_hours(
    ctx: Annotated[WebContext, Depends(get_ctx)],
    since: Annotated[str | None, Query(description="first hour (ISO-8601, UTC)")] = None,
    until: Annotated[str | None, Query(description="last hour (ISO-8601, UTC)")] = None,
) -> Response:
    """``{"sources": [{"source", "hours": [{"hour", "positions"}, ...]}, ...]}``, sources
    by name and hours in order; an hour a source has no positions for is absent."""
    since_t = parse_time(since, "since")
    until_t = parse_time(until, "until")
    if since_t and until_t and since_t > until_t:
        raise bad_param("since", f"{since} is after until {until}")
    by_source: dict[str, list[dict[str, object]]] = {}
    for source, hour, positions in coverage(ctx.services.store, since_t, until_t):
        by_source.setdefault(source, []).append({"hour": _iso(hour), "positions": positions})
    doc = {"sources": [{"source": s, "hours": h} for s, h in sorted(by_source.items())]}
    return Response(orjson.dumps(doc), media_type="application/json")
