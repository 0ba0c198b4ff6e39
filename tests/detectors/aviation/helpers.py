"""Drive aviation detectors over synthetic flights without the geofence engine.

* :class:`Zones`: a ``ZoneLookup`` over given versions (validity honoured, geodesic-ish
  distance to the boundary from shapely's nearest point and a haversine).
* :class:`ContainmentView`: a ``GeofenceView`` that answers ``zones_of(i)`` by plain
  point-in-polygon tests (no transitions).
* :func:`fly`: fixes of an aircraft flying legs at a speed, with track and speed filled.
* :class:`Run`: feeds fixes to a detector in time-ordered batches the way the pipeline
  does (tracks ingest, feed-health bookkeeping, changes applied to ``state.open``), with
  ticks in between, and collects every change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import shapely
from shapely.ops import nearest_points

from monitor.detectors.aviation.common import bearing_deg, destination, haversine_km
from monitor.detectors.base import DetectionBatch, Detector, MonitorState, OpenIncidents
from monitor.domain import ChangeAction, IncidentChange, IncidentKind, Observation, ZoneVersion
from monitor.pipeline.health import FeedHealthBook
from monitor.tracks import TrackStore
from tests.builders import aircraft
from tests.detectors.helpers import apply

KM_PER_NM = 1.852


class Zones:
    def __init__(self, versions: Iterable[ZoneVersion]) -> None:
        self.versions = list(versions)

    def in_force(self, at: datetime) -> list[ZoneVersion]:
        return [v for v in self.versions if v.valid_at(at) and v.restricts]

    def distance_to_boundary_m(self, lon: float, lat: float, version: ZoneVersion) -> float:
        p = shapely.Point(lon, lat)
        q = nearest_points(version.geometry.boundary, p)[0]
        return haversine_km(lat, lon, q.y, q.x) * 1000.0


@dataclass
class ContainmentView:
    observations: Sequence[Observation]
    zones: Zones
    transitions: list[Any] = field(default_factory=list)

    def zones_of(self, i: int) -> tuple[ZoneVersion, ...]:
        o = self.observations[i]
        return tuple(
            z for z in self.zones.in_force(o.time)
            if shapely.contains_xy(z.geometry, o.lon, o.lat)
        )


def state_with(zones: Iterable[ZoneVersion] = (), **extra: Any) -> MonitorState:
    return MonitorState(
        tracks=TrackStore(), zones=Zones(zones), open=OpenIncidents(), feeds=FeedHealthBook(),
        extra=dict(extra),
    )


def fly(
    hex_id: str,
    start: tuple[float, float],
    legs: Sequence[tuple[float, float]],
    t0: datetime,
    *,
    speed_kt: float = 450.0,
    every_s: float = 15.0,
    **kw: Any,
) -> list[Observation]:
    """Fixes every ``every_s`` along great-circle legs from ``start`` (lat, lon) through
    the (lat, lon) points of ``legs``."""
    out: list[Observation] = []
    lat, lon = start
    t = t0
    step_km = speed_kt * KM_PER_NM * every_s / 3600.0
    for tlat, tlon in legs:
        while True:
            dist = haversine_km(lat, lon, tlat, tlon)
            if dist < 1e-6:
                break
            brg = bearing_deg(lat, lon, tlat, tlon)
            out.append(aircraft(hex_id, lon, lat, t, track_deg=brg, ground_speed_kt=speed_kt, **kw))
            if dist <= step_km:
                lat, lon = tlat, tlon
            else:
                lat, lon = destination(lat, lon, brg, step_km)
            t += timedelta(seconds=every_s)
    out.append(aircraft(hex_id, lon, lat, t, track_deg=out[-1].track_deg if out else 0.0,
                        ground_speed_kt=speed_kt, **kw))
    return out


def heading(
    hex_id: str,
    start: tuple[float, float],
    track_deg: float,
    minutes: float,
    t0: datetime,
    *,
    speed_kt: float = 450.0,
    every_s: float = 15.0,
    **kw: Any,
) -> list[Observation]:
    """Fixes of a straight great-circle flight on ``track_deg`` for ``minutes``."""
    dist = speed_kt * KM_PER_NM * minutes / 60.0
    end = destination(start[0], start[1], track_deg, dist)
    return fly(hex_id, start, [end], t0, speed_kt=speed_kt, every_s=every_s, **kw)


@dataclass
class Run:
    """Feed a detector like the pipeline does; collect its changes."""

    detector: Detector
    state: MonitorState
    batch_s: float = 30.0
    changes: list[IncidentChange] = field(default_factory=list)
    feed_every_s: float | None = 10.0
    feeds: Sequence[str] = ("test",)

    def run(self, fixes: Iterable[Observation], *, until: datetime | None = None,
            feed_gaps: Sequence[tuple[str, datetime, datetime]] = ()) -> list[IncidentChange]:
        """Process ``fixes`` in batches of ``batch_s`` of data time, ticking every
        ``batch_s`` through quiet stretches up to ``until``. The feeds in ``feeds`` deliver
        a record every ``feed_every_s`` except inside ``feed_gaps`` (source, start, end)."""
        fixes = sorted(fixes, key=lambda o: o.time)
        if not fixes and until is None:
            return []
        t = fixes[0].time if fixes else until
        assert t is not None
        end = max(until or t, fixes[-1].time if fixes else t)
        i = 0
        out: list[IncidentChange] = []
        last_feed: dict[str, datetime] = {}
        book = self.state.feeds
        while t <= end:
            t_next = t + timedelta(seconds=self.batch_s)
            batch = []
            while i < len(fixes) and fixes[i].time < t_next:
                batch.append(fixes[i])
                i += 1
            now = t_next
            if isinstance(book, FeedHealthBook) and self.feed_every_s:
                for src in self.feeds:
                    ft = last_feed.get(src, t)
                    while ft <= now:
                        if not any(s == src and a <= ft < b for s, a, b in feed_gaps):
                            book.data(src, "adsbx_v2", ft, items=1, errors=Counter())
                        ft += timedelta(seconds=self.feed_every_s)
                    last_feed[src] = ft
            accepted = self.state.tracks.ingest(batch)
            view = ContainmentView(accepted, self.state.zones)  # type: ignore[arg-type]
            ch = self.detector.detect(DetectionBatch(accepted, view), self.state, now)
            apply(self.state, ch)
            out.extend(ch)
            t = t_next
        self.changes.extend(out)
        return out

    def of(self, kind: IncidentKind, action: ChangeAction | None = None) -> list[IncidentChange]:
        return [c for c in self.changes if c.kind is kind and (action is None or c.action is action)]


def incidents(changes: Sequence[IncidentChange], kind: IncidentKind) -> dict[str, list[IncidentChange]]:
    """Changes of one kind grouped by dedupe key (one entry per incident)."""
    out: dict[str, list[IncidentChange]] = {}
    for c in changes:
        if c.kind is kind:
            out.setdefault(c.dedupe_key, []).append(c)
    return out
