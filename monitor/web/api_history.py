"""Rewind and the crisis record: the picture at a past time, one subject's stored track,
the data's time extent, and the cited crisis events.

``GET /api/snapshot?at=T`` rebuilds the map at ``T`` from what is stored:

* aircraft and vessels: the latest stored position of each subject in a lookback window
  before ``T`` (10 minutes for aircraft, 30 for vessels by default; the store keeps one
  position per subject per ``storage.observation_sample_s``, 60 s by default, so a subject
  reporting at ``T`` has a stored position within the last minute or so, and one silent for
  longer than the window is not shown);
* the zone versions in force at ``T`` (as ``/api/zones?at=T``);
* the incidents open at ``T``: active at ``T`` (as ``/api/incidents?since=T&until=T``), or
  still open and started before ``T`` (quiet at that moment), each at its last position.

``GET /api/positions?subject=S&since=&until=`` is one subject's stored track as a GeoJSON
LineString with the time of each vertex. ``GET /api/events`` serves the cited airspace
actions and boat strikes built into ``geodata/events/`` by :mod:`monitor.web.events_build`.
``GET /api/history/extent`` gives the first and last times of the stored incidents and
positions (the history page opens on that range).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response

from monitor.store import IncidentQuery, queries
from monitor.timeutil import iso_z
from monitor.web.context import WebContext, get_ctx
from monitor.web.errors import bad_param
from monitor.web.geo import ORJSON_OPTS, list_features_json
from monitor.web.params import parse_bbox_param, parse_choice, parse_time
from monitor.web.schemas import (
    CrisisEventCollection,
    DataExtentBody,
    ErrorBody,
    PositionsFeature,
    SnapshotBody,
)
from monitor.web.styles import aircraft_style, vessel_category
from monitor.web.zone_view import in_force, zone_feature

router = APIRouter(tags=["history"])

#: default lookback of a snapshot: how long a subject stays on the rewound map after its
#: last stored position (aircraft move fast and report often; AIS is sparser)
AIRCRAFT_LOOKBACK_S = 600
VESSEL_LOOKBACK_S = 1800
MAX_LOOKBACK_S = 86_400
#: incidents in one snapshot answer (newest first)
SNAPSHOT_INCIDENTS = 1000
#: the built crisis record, relative to the geodata folder
EVENTS_FILE = Path("events") / "crisis_events.geojson"
EVENT_KINDS = ("airspace", "strike")

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "a parameter is wrong; `param` names it"},
}

_events_lock = threading.Lock()
#: threads of the snapshot's position reads (two per request; requests beyond wait here)
_READERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="snapshot-read")


async def _ctx(request: Request) -> WebContext:
    return get_ctx(request)


Ctx = Annotated[WebContext, Depends(_ctx)]


def _position_feature(item: queries.SnapshotItem) -> dict[str, Any]:
    label = (item.callsign or "").strip() or None
    props: dict[str, Any] = {
        "id": item.subject_id,
        "source": item.source,
        "time": item.observed_at,
        "altitude_ft": None if item.altitude_ft is None else round(item.altitude_ft),
        "ground_speed_kt": None if item.ground_speed_kt is None else round(item.ground_speed_kt, 1),
        "track_deg": None if item.track_deg is None else round(item.track_deg, 1),
    }
    if item.subject_kind == "vessel":
        props["name"] = label
        props["category"] = vessel_category(None)
    else:
        props["callsign"] = label
        props["style"] = aircraft_style(military=False, emergency=None, squawk=None, on_ground=False)
    return {
        "type": "Feature",
        "id": item.subject_id,
        "geometry": {"type": "Point", "coordinates": [round(item.lon, 5), round(item.lat, 5)]},
        "properties": {k: v for k, v in props.items() if v is not None},
    }


def _collection(features: list[Any], **extra: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", **extra, "count": len(features), "features": features}


def _lookback(value: int | None, default: int, param: str) -> int:
    if value is None:
        return default
    if not 1 <= value <= MAX_LOOKBACK_S:
        raise bad_param(param, f"must be between 1 and {MAX_LOOKBACK_S} seconds, got {value}")
    return value


def incidents_at(
    engine: Any, when: datetime, box: tuple[float, float, float, float] | None
) -> list[queries.IncidentListItem]:
    """The incidents open at ``when``: those whose activity spans it (started at or before,
    last seen at or after, not ended before), and those still open that started before it
    but were quiet at that moment; newest first, at most :data:`SNAPSHOT_INCIDENTS`."""
    active, _ = queries.list_incidents(
        engine, IncidentQuery(since=when, until=when, bbox=box, limit=SNAPSHOT_INCIDENTS)
    )
    still_open, _ = queries.list_incidents(
        engine, IncidentQuery(until=when, bbox=box, status="open", limit=SNAPSHOT_INCIDENTS)
    )
    by_id = {i.id: i for i in active}
    for i in still_open:
        by_id.setdefault(i.id, i)
    items = sorted(by_id.values(), key=lambda i: (i.started_at, i.id), reverse=True)
    return items[:SNAPSHOT_INCIDENTS]


@router.get(
    "/api/snapshot",
    summary="The whole picture at a past time: positions, zones in force, active incidents",
    response_model=None,
    responses={200: {"model": SnapshotBody}, **ERRORS},
)
def snapshot(
    request: Request,
    ctx: Ctx,
    at: Annotated[str | None, Query(description="ISO-8601 time (no offset = UTC); required")] = None,
    bbox: Annotated[
        str | None, Query(description="min_lon,min_lat,max_lon,max_lat: only what is inside")
    ] = None,
    aircraft_lookback_s: Annotated[
        int | None, Query(description="aircraft last stored within this many seconds before `at` (default 600)")
    ] = None,
    vessel_lookback_s: Annotated[
        int | None, Query(description="vessels last stored within this many seconds before `at` (default 1800)")
    ] = None,
) -> Response:
    """Aircraft and vessels at ``at`` (each subject's latest stored position within the
    lookback window before ``at``), the zone versions in force at ``at`` and the incidents
    active at ``at``. Stored positions are sampled (one per subject per
    ``storage.observation_sample_s``, 60 s by default), so a position may be up to that
    much older than ``at``; its ``time`` says when it was observed."""
    when = parse_time(at, "at")
    if when is None:
        raise bad_param("at", "required: the time to rewind to (ISO-8601, e.g. 2026-01-03T06:00Z)")
    box = parse_bbox_param(bbox)
    air_s = _lookback(aircraft_lookback_s, AIRCRAFT_LOOKBACK_S, "aircraft_lookback_s")
    sea_s = _lookback(vessel_lookback_s, VESSEL_LOOKBACK_S, "vessel_lookback_s")
    engine = ctx.services.store.engine
    # the three reads run at once: the database works (without the GIL) on both cores
    air_f = _READERS.submit(
        queries.snapshot_positions, engine, at=when, lookback_s=air_s, subject_kind="aircraft", bbox=box
    )
    sea_f = _READERS.submit(
        queries.snapshot_positions, engine, at=when, lookback_s=sea_s, subject_kind="vessel", bbox=box
    )
    items = incidents_at(engine, when, box)
    aircraft, vessels = air_f.result(), sea_f.result()
    base = ctx.services.config.public_url or str(request.base_url)
    incidents = list_features_json(items, mode="position", base_url=base)
    zones = [zone_feature(r, when, ctx.zone_geometry) for r in in_force(ctx.services.zones(), when)]
    doc = {
        "at": iso_z(when),
        "bbox": list(box) if box is not None else None,
        "lookback_s": {"aircraft": air_s, "vessels": sea_s},
        "aircraft": _collection([_position_feature(i) for i in aircraft], kind="aircraft"),
        "vessels": _collection([_position_feature(i) for i in vessels], kind="vessels"),
        "zones": _collection(zones),
        "incidents": orjson.Fragment(incidents),
    }
    return Response(
        orjson.dumps(doc, option=ORJSON_OPTS),
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


@router.get(
    "/api/positions",
    summary="One subject's stored track (GeoJSON LineString with the time of each vertex)",
    response_model=None,
    responses={200: {"model": PositionsFeature}, **ERRORS},
)
def positions(
    ctx: Ctx,
    subject: Annotated[str | None, Query(description="ICAO hex or MMSI; required")] = None,
    since: Annotated[str | None, Query(description="from (ISO-8601; no offset = UTC)")] = None,
    until: Annotated[str | None, Query(description="to (ISO-8601)")] = None,
) -> Response:
    """The stored positions of ``subject`` in ``[since, until]``, oldest first: a LineString
    (a Point for one position, null for none) and, in ``properties.times``, the time of
    each vertex. At most 20,000 positions (``truncated`` says when there were more)."""
    if subject is None or not subject.strip():
        raise bad_param("subject", "required: an ICAO hex address or an MMSI")
    subject_id = subject.strip()
    since_t = parse_time(since, "since")
    until_t = parse_time(until, "until")
    if since_t and until_t and since_t > until_t:
        raise bad_param("since", f"{since} is after until {until}")
    points, truncated = queries.subject_track(
        ctx.services.store.engine, subject_id, since=since_t, until=until_t
    )
    if not points and subject_id.lower() != subject_id:
        points, truncated = queries.subject_track(
            ctx.services.store.engine, subject_id.lower(), since=since_t, until=until_t
        )
    coords = [[round(p.lon, 5), round(p.lat, 5)] for p in points]
    geometry: dict[str, Any] | None
    if len(coords) >= 2:
        geometry = {"type": "LineString", "coordinates": coords}
    elif coords:
        geometry = {"type": "Point", "coordinates": coords[0]}
    else:
        geometry = None
    doc = {
        "type": "Feature",
        "id": subject_id,
        "geometry": geometry,
        "properties": {
            "subject_id": subject_id,
            "subject_kind": None,
            "count": len(points),
            "truncated": truncated,
            "since": iso_z(since_t) if since_t else None,
            "until": iso_z(until_t) if until_t else None,
            "times": [p.observed_at for p in points],
            "altitude_ft": [p.altitude_ft for p in points],
            "ground_speed_kt": [p.ground_speed_kt for p in points],
            "callsign": next((p.callsign for p in reversed(points) if p.callsign), None),
            "sources": sorted({p.source for p in points}),
        },
    }
    return Response(orjson.dumps(doc), media_type="application/geo+json")


@router.get(
    "/api/history/extent",
    summary="First and last times of the stored incidents and positions",
    response_model=None,
    responses={200: {"model": DataExtentBody}},
)
def extent(ctx: Ctx) -> Response:
    """Where the stored data begins and ends (the history page's default range is the
    incidents' first start to their last activity)."""
    e = queries.data_extent(ctx.services.store.engine)

    def z(t: datetime | None) -> str | None:
        return None if t is None else iso_z(t)

    doc = {
        "incidents": {"first": z(e.incidents_first), "last": z(e.incidents_last)},
        "positions": {"first": z(e.positions_first), "last": z(e.positions_last)},
        "clock": z(ctx.clock()),
    }
    return Response(orjson.dumps(doc), media_type="application/json")


# --- the crisis record ------------------------------------------------------------------------


def load_events(ctx: WebContext) -> list[dict[str, Any]]:
    """The built crisis events (``geodata/events/crisis_events.geojson``), cached per app;
    an empty list when the geodata folder has none."""
    cached = getattr(ctx, "_crisis_events", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    with _events_lock:
        folder = ctx.geodata_dir()
        path = folder / EVENTS_FILE if folder is not None else None
        features: list[dict[str, Any]] = []
        if path is not None and path.is_file():
            features = list(orjson.loads(path.read_bytes()).get("features", []))
        ctx._crisis_events = features  # type: ignore[attr-defined]
    return features


@router.get(
    "/api/events",
    summary="The cited crisis record: airspace actions and boat strikes, with their sources",
    response_model=None,
    responses={200: {"model": CrisisEventCollection}, **ERRORS},
)
def events(
    ctx: Ctx,
    since: Annotated[str | None, Query(description="at or after (ISO-8601)")] = None,
    until: Annotated[str | None, Query(description="at or before (ISO-8601)")] = None,
    kind: Annotated[str | None, Query(description="airspace or strike")] = None,
) -> Response:
    """Dated events of the 2025-26 crisis, each with the address of the public page its
    facts come from (compiled from the public news pages cited per row). Strikes carry no
    coordinates (none were released): ``zone_id`` names the approximate strike area where
    the reported location clearly matches one, else it is null. An event dated by day only
    (``time_precision: day``) is placed at 00:00 UTC of that day."""
    since_t = parse_time(since, "since")
    until_t = parse_time(until, "until")
    if since_t and until_t and since_t > until_t:
        raise bad_param("since", f"{since} is after until {until}")
    want = parse_choice(kind, "kind", EVENT_KINDS)
    out = []
    for f in load_events(ctx):
        p = f["properties"]
        if want and p["kind"] != want:
            continue
        t = datetime.fromisoformat(p["time"].replace("Z", "+00:00"))
        # a day-precision event counts for the whole of its day
        end = t + timedelta(days=1) if p.get("time_precision") == "day" else t
        if since_t is not None and end < since_t:
            continue
        if until_t is not None and t > until_t:
            continue
        out.append(f)
    doc = _collection(out, attribution="compiled from the public news pages cited per row")
    return Response(orjson.dumps(doc), media_type="application/geo+json")
