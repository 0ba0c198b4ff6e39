"""``/api/live``: aircraft and vessel positions (GeoJSON, bbox- and diff-limited), and the
recent tracks of subjects with open incidents."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Response

from monitor.store import IncidentQuery
from monitor.timeutil import iso_z
from monitor.tracks.split import split_transmitters
from monitor.web.context import WebContext, get_ctx
from monitor.web.live_index import LiveIndex
from monitor.web.params import BBOX_SCHEMA, parse_bbox_param
from monitor.web.schemas import GeoJSONResponse, LiveCollection, error_responses

router = APIRouter(tags=["live"])

#: ``app.state`` attribute naming the end of a played scenario (``monitor demo`` sets it):
#: once the data clock reaches it, ``/api/live/status`` says the scenario has ended

#: how far back a "recent track" goes (data time) and how many subjects get one
TRACK_WINDOW = timedelta(hours=2)
MAX_TRACKS = 200

BboxQ = Annotated[
    str | None,
    Query(description="min_lon,min_lat,max_lon,max_lat: only objects in view",
          json_schema_extra=BBOX_SCHEMA),
]
SinceVersion = Annotated[
    int | None,
    Query(
        ge=0,
        description="the `version` of your last answer: only what changed since (plus `removed`)",
    ),
]
LIVE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": LiveCollection},
    **error_responses(400),
    **error_responses(422, e422="`since_version` is not a non-negative integer"),
}


def _live(ctx: WebContext, index: LiveIndex, bbox: str | None, since_version: int | None) -> Response:
    box = parse_bbox_param(bbox)
    snap = ctx.services.live.snapshot
    objects = snap.aircraft if index.kind == "aircraft" else snap.vessels
    indexed = index.for_snapshot(snap.version, snap.at, objects)
    answer = index.query(indexed, bbox=box, since_version=since_version)
    return Response(
        answer.to_bytes(index.kind),
        media_type="application/geo+json",
        headers={"Cache-Control": "no-store"},
    )


@router.get(
    "/api/live/aircraft",
    summary="Live aircraft positions (GeoJSON); bbox- and diff-limited",
    response_model=None,
    response_class=GeoJSONResponse,
    responses=LIVE_RESPONSES,
)
def live_aircraft(
    ctx: Annotated[WebContext, Depends(get_ctx)],
    bbox: BboxQ = None,
    since_version: SinceVersion = None,
) -> Response:
    """The latest fix of every aircraft seen recently. With ``since_version``, only the
    aircraft whose fix changed since that snapshot, and the ids to remove."""
    return _live(ctx, ctx.aircraft, bbox, since_version)


@router.get(
    "/api/live/vessels",
    summary="Live vessel positions (GeoJSON); bbox- and diff-limited",
    response_model=None,
    response_class=GeoJSONResponse,
    responses=LIVE_RESPONSES,
)
def live_vessels(
    ctx: Annotated[WebContext, Depends(get_ctx)],
    bbox: BboxQ = None,
    since_version: SinceVersion = None,
) -> Response:
    """The latest fix of every vessel seen recently (see ``/api/live/aircraft``)."""
    return _live(ctx, ctx.vessels, bbox, since_version)


@router.get(
    "/api/live/tracks",
    summary="Recent tracks of the subjects of open incidents (GeoJSON LineStrings; a "
    "MultiLineString for an MMSI that two transmitters share)",
    response_model=None,
    response_class=GeoJSONResponse,
    responses={200: {"content": {"application/geo+json": {"schema": {"type": "object"}}}}},
)
def live_tracks(ctx: Annotated[WebContext, Depends(get_ctx)]) -> Response:
    """For each subject with an open incident (newest 200), its stored positions of the
    last two hours of data time; the incident's own track when none are stored."""
    store = ctx.services.store
    rows, _ = store.query_incidents(IncidentQuery(status="open", limit=1000))
    by_subject: dict[str, list[Any]] = {}
    for r in rows:
        if r.subject_id:
            by_subject.setdefault(r.subject_id, []).append(r)
    since = ctx.clock_or_now() - TRACK_WINDOW
    features = []
    for subject_id, incidents in list(by_subject.items())[:MAX_TRACKS]:
        worst = max(incidents, key=lambda r: r.severity_rank)
        stored = store.observations_for(subject_id, since=since)
        if worst.subject_kind == "vessel":
            # two transmitters sharing one MMSI are two lines, not one zig-zag between them
            parts = split_transmitters((o.observed_at.timestamp(), o.lon, o.lat) for o in stored)
            lines = [[[round(p[1], 5), round(p[2], 5)] for p in part] for part in parts]
        else:
            lines = [[[round(o.lon, 5), round(o.lat, 5)] for o in stored]]
        lines = [line for line in lines if len(line) >= 2]
        if not lines:
            geom = incidents[0].geom
            if geom is None or geom.geom_type != "LineString":
                continue
            lines = [[[round(x, 5), round(y, 5)] for x, y in geom.coords]]
        geometry = (
            {"type": "LineString", "coordinates": lines[0]}
            if len(lines) == 1
            else {"type": "MultiLineString", "coordinates": lines}
        )
        features.append(
            {
                "type": "Feature",
                "id": subject_id,
                "geometry": geometry,
                "properties": {
                    "id": subject_id,
                    "subject_kind": worst.subject_kind,
                    "label": worst.subject_label or subject_id,
                    "severity": worst.severity,
                    "incident_ids": [r.id for r in incidents],
                    "kinds": sorted({r.kind for r in incidents}),
                },
            }
        )
    doc = {"type": "FeatureCollection", "features": features}
    return Response(orjson.dumps(doc), media_type="application/geo+json")


@router.get(
    "/api/live/status",
    summary="The data clock, and whether a played scenario (monitor demo) has ended",
    response_model=None,
)
def live_status(ctx: Annotated[WebContext, Depends(get_ctx)]) -> Response:
    """``clock``: the data time the monitor is at (None before the first record);
    ``scenario_end``: the end of the scenario a demo plays (None for a live service);
    ``ended``: the clock has reached that end, so nothing on the map will move again;
    ``message``: what the page shows then."""
    clock = ctx.clock()
    end = ctx.services.scenario_end
    ended = bool(end is not None and clock is not None and clock >= end - timedelta(seconds=1))
    message = (
        f"The scenario ended at {end:%Y-%m-%d %H:%M:%S} UTC: the map shows its last picture "
        "and will not change. Restart the demo to play it again."
        if ended and end is not None
        else None
    )
    doc = {
        "clock": iso_z(clock) if clock is not None else None,
        "scenario_end": iso_z(end) if end is not None else None,
        "ended": ended,
        "message": message,
    }
    return Response(orjson.dumps(doc), media_type="application/json", headers={"Cache-Control": "no-store"})
