"""Drive a maritime detector over hand-made vessel tracks, without the geofence engine.

:class:`Harness` plays the pipeline's part: fixes go through a real ``TrackStore`` and a
real ``FeedHealthBook`` (so ``was_up`` sees the gaps of a feed), ``zones_of`` is answered
by containment in the given zones, changes are applied to ``state.open`` as the pipeline
does, and every change is kept so a test can look at the incidents they make.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import shapely
from msgspec.structs import replace

from monitor.detectors.base import DetectionBatch, Detector, MonitorState, OpenIncidents
from monitor.detectors.maritime.geo import destination, local_xy_m
from monitor.domain import (
    AppliesTo,
    ChangeAction,
    IncidentChange,
    Observation,
    Severity,
    VesselInfo,
    ZoneKind,
    ZoneStatus,
    ZoneVersion,
)
from monitor.geofence.types import Transition
from monitor.pipeline.health import FeedHealthBook
from monitor.tracks import TrackStore
from monitor.units import KT_PER_MPS
from tests.builders import box_zone, vessel
from tests.detectors.helpers import apply

# --- zones ------------------------------------------------------------------------------


def strike_zone(zone_id: str = "STRIKE-TEST", bounds=(-64.0, 11.0, -62.0, 12.0), **kw: Any) -> ZoneVersion:
    return box_zone(zone_id, bounds, kind=ZoneKind.STRIKE_ZONE, status=ZoneStatus.ACTIVE,
                    applies_to=AppliesTo.VESSELS, **kw)


def land_zone(zone_id: str = "LAND-TEST", bounds=(-70.0, 8.0, -60.0, 10.5), **kw: Any) -> ZoneVersion:
    return box_zone(zone_id, bounds, kind=ZoneKind.LAND, status=ZoneStatus.INFORMATIONAL,
                    applies_to=AppliesTo.BOTH, severity=Severity.INFO, **kw)


class FakeZones:
    """``ZoneLookup`` over a list of versions (distance: local projection, good enough)."""

    def __init__(self, versions: Iterable[ZoneVersion] = ()) -> None:
        self.versions = list(versions)

    def in_force(self, at: datetime) -> list[ZoneVersion]:
        return [v for v in self.versions if v.valid_at(at) and v.restricts]

    def distance_to_boundary_m(self, lon: float, lat: float, version: ZoneVersion) -> float:
        def to_m(xy: np.ndarray) -> np.ndarray:
            out = np.empty_like(xy)
            for i, (x, y) in enumerate(xy):
                out[i] = local_xy_m(x, y, lon, lat)
            return out

        local = shapely.transform(version.geometry.boundary, to_m)
        return float(local.distance(shapely.Point(0, 0)))


@dataclass
class ContainmentGeofence:
    """``GeofenceView`` answering ``zones_of`` by containment in the zones in force."""

    observations: Sequence[Observation]
    zones: FakeZones
    transitions: list[Transition] = field(default_factory=list)

    def zones_of(self, i: int) -> tuple[ZoneVersion, ...]:
        o = self.observations[i]
        p = shapely.Point(o.lon, o.lat)
        return tuple(v for v in self.zones.in_force(o.time) if v.geometry.covers(p))


# --- tracks -----------------------------------------------------------------------------


def steady(
    mmsi: str,
    start: tuple[float, float],
    t0: datetime,
    *,
    minutes: float,
    every_s: float = 60.0,
    bearing_deg: float = 90.0,
    speed_kt: float = 10.0,
    report_speed: bool = True,
    **kw: Any,
) -> list[Observation]:
    """Fixes of a vessel going straight from ``start`` (lon, lat) from ``t0``."""
    lon, lat = start
    out = []
    n = int(minutes * 60 // every_s) + 1
    for k in range(n):
        dt = k * every_s
        la, lo = destination(lat, lon, bearing_deg, speed_kt / KT_PER_MPS * dt)
        extra = dict(kw)
        if report_speed:
            extra.setdefault("ground_speed_kt", speed_kt)
        out.append(vessel(mmsi, lo, la, t0 + timedelta(seconds=dt), **extra))
    return out


def end_of(track: Sequence[Observation]) -> tuple[float, float]:
    return track[-1].lon, track[-1].lat


def drifting(
    mmsi: str,
    centre: tuple[float, float],
    t0: datetime,
    *,
    minutes: float,
    every_s: float = 60.0,
    speed_kt: float = 0.5,
    **kw: Any,
) -> list[Observation]:
    """A slow drift eastwards with a little GPS jitter (deterministic)."""
    obs = steady(mmsi, centre, t0, minutes=minutes, every_s=every_s, speed_kt=speed_kt, **kw)
    out = []
    for k, o in enumerate(obs):
        j = 8e-5 * math.sin(k * 1.7)  # ~9 m
        out.append(_moved(o, o.lon + j, o.lat - j))
    return out


def _moved(o: Observation, lon: float, lat: float) -> Observation:
    return replace(o, lon=lon, lat=lat)


# --- the harness ------------------------------------------------------------------------


@dataclass
class Incident:
    key: str
    kind: str
    subject_id: str | None
    zone_id: str | None
    started_at: datetime
    ended_at: datetime | None
    details: dict[str, Any]
    changes: list[IncidentChange]


class Harness:
    """One detector, its state, and every change it made."""

    def __init__(
        self,
        detector: Detector,
        zones: Iterable[ZoneVersion] = (),
        *,
        vessels: dict[str, VesselInfo] | None = None,
    ) -> None:
        self.det = detector
        self.zones = FakeZones(zones)
        self.state = MonitorState(
            tracks=TrackStore(max_fixes=8),
            zones=self.zones,
            open=OpenIncidents(),
            feeds=FeedHealthBook(),
            vessels=dict(vessels or {}),
        )
        self.changes: list[IncidentChange] = []
        #: (data time of the detect call, change), in order
        self.emitted: list[tuple[datetime, IncidentChange]] = []

    def feed(self, source: str, at: datetime, items: int = 1) -> None:
        """A record of ``source`` arrived at ``at`` (what the pipeline tells the book)."""
        self.state.feeds.data(source, "ais", at, items=items, errors=Counter())

    def step(
        self,
        observations: Sequence[Observation],
        now: datetime | None = None,
        transitions: Sequence[Transition] = (),
    ) -> list[IncidentChange]:
        """One batch: fixes (any order) are fed, tracked, geofenced and detected."""
        for o in sorted(observations, key=lambda o: o.time):
            self.feed(o.source, o.time)
        accepted = self.state.tracks.ingest(observations)
        if now is None:
            now = max((o.time for o in observations), default=None)
        assert now is not None
        geo = ContainmentGeofence(accepted, self.zones, list(transitions))
        out = self.det.detect(DetectionBatch(accepted, geo), self.state, now)
        self._keep(now, out)
        return out

    def _keep(self, now: datetime, out: list[IncidentChange]) -> None:
        apply(self.state, out)
        self.changes.extend(out)
        self.emitted.extend((now, c) for c in out)

    def replay(
        self,
        observations: Iterable[Observation],
        *,
        batch_s: float = 60.0,
        until: datetime | None = None,
        tick_s: float = 60.0,
    ) -> list[IncidentChange]:
        """Fixes in batches of ``batch_s`` of data time, then ticks up to ``until``.

        Empty stretches between batches are ticked through, as the live pipeline does.
        """
        obs = sorted(observations, key=lambda o: o.time)
        out: list[IncidentChange] = []
        i = 0
        last_now: datetime | None = None
        while i < len(obs):
            start = obs[i].time
            if last_now is not None:
                t = last_now + timedelta(seconds=tick_s)
                while t < start:
                    out.extend(self.tick(t))
                    t += timedelta(seconds=tick_s)
            j = i
            while j < len(obs) and (obs[j].time - start).total_seconds() < batch_s:
                j += 1
            out.extend(self.step(obs[i:j]))
            last_now = obs[j - 1].time
            i = j
        if until is not None and last_now is not None:
            t = last_now + timedelta(seconds=tick_s)
            while t <= until:
                out.extend(self.tick(t))
                t += timedelta(seconds=tick_s)
        return out

    def tick(self, now: datetime) -> list[IncidentChange]:
        out = self.det.detect(DetectionBatch.empty(), self.state, now)
        self._keep(now, out)
        return out

    def incidents(self) -> list[Incident]:
        """Incidents as the store would hold them, in order of opening."""
        found: dict[str, Incident] = {}
        for ch in self.changes:
            inc = found.get(ch.dedupe_key)
            if inc is None:
                assert ch.action is ChangeAction.OPEN, f"{ch.action} before open: {ch.dedupe_key}"
                inc = found[ch.dedupe_key] = Incident(
                    ch.dedupe_key, ch.kind.value, ch.subject_id, ch.zone_id, ch.at, None,
                    dict(ch.details), [],
                )
            inc.changes.append(ch)
            inc.details = dict(ch.details)
            if ch.action is ChangeAction.CLOSE:
                inc.ended_at = ch.at
        return list(found.values())
