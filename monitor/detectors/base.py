"""The one interface every detector implements.

A detector is pure: ``detect(batch, state, now)`` looks at the fixes a batch brought (with
their geofence results) and at read-only state (tracks, open incidents, feed coverage),
and returns :class:`~monitor.domain.IncidentChange` values. No I/O, no database session,
no wall clock: ``now`` is data time. The pipeline also calls ``detect`` with an empty batch
when time moves on without data, so detectors can close what went quiet.

Thresholds are typed constructor arguments (a frozen dataclass per detector, validated from
the config file) with units in their names.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from monitor.domain import (
    IncidentChange,
    IncidentKind,
    Observation,
    OpenIncident,
    VesselInfo,
    ZoneVersion,
)
from monitor.geofence.types import Transition
from monitor.tracks import TrackStore


class GeofenceView(Protocol):
    """What detectors read of a geofence evaluation."""

    transitions: list[Transition]

    def zones_of(self, i: int) -> tuple[ZoneVersion, ...]: ...


class ZoneLookup(Protocol):
    """What detectors read of the zone index."""

    def in_force(self, at: datetime) -> list[ZoneVersion]: ...

    def distance_to_boundary_m(self, lon: float, lat: float, version: ZoneVersion) -> float: ...


class FeedCoverage(Protocol):
    """Whether feeds were delivering data: outages are not dark vessels or dropouts."""

    def was_up(self, source: str, start: datetime, end: datetime) -> bool: ...

    def last_data_at(self, source: str) -> datetime | None: ...

    def silent_feeds(self, now: datetime) -> list[tuple[str, datetime, float]]: ...


@dataclass(frozen=True, slots=True)
class DetectionBatch:
    """Accepted fixes of one batch, in time order, with their geofence results."""

    observations: Sequence[Observation]
    geofence: GeofenceView

    @classmethod
    def empty(cls) -> DetectionBatch:
        return cls((), _NoGeofence())


class _NoGeofence:
    transitions: list[Transition] = []

    def zones_of(self, i: int) -> tuple[ZoneVersion, ...]:
        return ()


@dataclass
class OpenIncidents:
    """Open incidents by dedupe key, kept in step by the pipeline after each batch."""

    by_key: dict[str, OpenIncident] = field(default_factory=dict)

    def get(self, key: str) -> OpenIncident | None:
        return self.by_key.get(key)

    def of_kind(self, kind: IncidentKind) -> Iterator[OpenIncident]:
        return (o for o in self.by_key.values() if o.kind is kind)

    def find(
        self, kind: IncidentKind, subject_id: str | None, zone_id: str | None = None
    ) -> OpenIncident | None:
        for o in self.by_key.values():
            if o.kind is kind and o.subject_id == subject_id and (
                zone_id is None or o.zone_id == zone_id
            ):
                return o
        return None

    def __len__(self) -> int:
        return len(self.by_key)


@dataclass
class MonitorState:
    """Read-only state handed to detectors."""

    tracks: TrackStore
    zones: ZoneLookup
    open: OpenIncidents
    feeds: FeedCoverage
    vessels: Mapping[str, VesselInfo] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


class Detector(ABC):
    """Base of every detector: ``detect(batch, state, now) -> changes``."""

    #: short name used in config (``detectors.<name>``) and logs
    name: ClassVar[str]
    #: incident kinds this detector raises
    kinds: ClassVar[tuple[IncidentKind, ...]]

    @abstractmethod
    def detect(
        self, batch: DetectionBatch, state: MonitorState, now: datetime
    ) -> list[IncidentChange]:
        """Changes to incidents caused by ``batch`` (possibly empty) at data time ``now``."""


def iso_key(t: datetime) -> str:
    """A compact, stable timestamp for dedupe keys."""
    return t.strftime("%Y%m%dT%H%M%SZ")


def flatten(changes: Iterable[Iterable[IncidentChange]]) -> list[IncidentChange]:
    return [c for group in changes for c in group]
