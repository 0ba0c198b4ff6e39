"""Build detection batches and state by hand, without the geofence engine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from monitor.detectors.base import DetectionBatch, MonitorState, OpenIncidents
from monitor.domain import ChangeAction, IncidentChange, Observation, OpenIncident, ZoneVersion
from monitor.domain.zone import effective_intervals
from monitor.geofence.types import Transition
from monitor.pipeline.health import FeedHealthBook
from monitor.tracks import TrackStore


@dataclass
class FakeGeofence:
    transitions: list[Transition] = field(default_factory=list)
    zones: dict[int, tuple[ZoneVersion, ...]] = field(default_factory=dict)

    def zones_of(self, i: int) -> tuple[ZoneVersion, ...]:
        return self.zones.get(i, ())


class NoZones:
    def in_force(self, at: datetime) -> list[ZoneVersion]:
        return []

    def distance_to_boundary_m(self, lon: float, lat: float, version: ZoneVersion) -> float:
        return float("inf")


class ListZones(NoZones):
    """Versions in force by their effective intervals (supersession included)."""

    def __init__(self, versions: Sequence[ZoneVersion]) -> None:
        self.spans = effective_intervals(versions)

    def in_force(self, at: datetime) -> list[ZoneVersion]:
        return [
            v for v, start, end in self.spans
            if v.restricts and (start is None or start <= at) and (end is None or at < end)
        ]


def make_state(zones: Sequence[ZoneVersion] = ()) -> MonitorState:
    lookup = ListZones(zones) if zones else NoZones()
    return MonitorState(tracks=TrackStore(), zones=lookup, open=OpenIncidents(), feeds=FeedHealthBook())


def batch(obs: Sequence[Observation], transitions: Sequence[Transition] = ()) -> DetectionBatch:
    return DetectionBatch(list(obs), FakeGeofence(list(transitions)))


def apply(state: MonitorState, changes: Sequence[IncidentChange]) -> None:
    """What the pipeline does after the store accepted the changes."""
    for ch in changes:
        if ch.action is ChangeAction.CLOSE:
            state.open.remove(ch.dedupe_key)
        elif ch.dedupe_key not in state.open:
            state.open.put(OpenIncident(
                ch.dedupe_key, ch.kind, ch.severity, ch.at, ch.at, ch.subject_id, ch.zone_id,
                dict(ch.details),
            ))
