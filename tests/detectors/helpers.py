"""Build detection batches and state by hand, without the geofence engine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from monitor.detectors.base import DetectionBatch, MonitorState, OpenIncidents
from monitor.domain import ChangeAction, IncidentChange, Observation, OpenIncident, ZoneVersion
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


def make_state() -> MonitorState:
    return MonitorState(tracks=TrackStore(), zones=NoZones(), open=OpenIncidents(), feeds=FeedHealthBook())


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
