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
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar, Protocol

from monitor.domain import (
    IncidentChange,
    IncidentKind,
    Observation,
    OpenIncident,
    SubjectKind,
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


class DetectionBatch:
    """Accepted fixes of one batch, in time order, with their geofence results.

    Besides the fixes it offers per-batch columns computed once and shared by every
    detector (a detector looking at 60,000 fixes a second cannot afford to re-derive them
    per fix): :attr:`t_s` (epoch seconds of each fix), :attr:`vessel_index` and
    :attr:`aircraft_index` (positions of the vessels' / aircraft's fixes, so a maritime
    detector never walks the aircraft) and :attr:`zones` (the governing zone versions
    containing each fix, the shared empty tuple for most); :meth:`zones_where` (those
    zones filtered by a detector's rule, each distinct combination filtered once).
    """

    __slots__ = (
        "observations", "geofence", "_t_s", "_vessels", "_aircraft", "_zones", "_filtered"
    )

    def __init__(
        self,
        observations: Sequence[Observation],
        geofence: GeofenceView,
        *,
        t_s: Sequence[float] | None = None,
    ) -> None:
        self.observations = observations
        self.geofence = geofence
        self._t_s = t_s
        self._vessels: list[int] | None = None
        self._aircraft: list[int] | None = None
        self._zones: Sequence[tuple[ZoneVersion, ...]] | None = None
        self._filtered: dict[Hashable, Callable[[int], tuple[ZoneVersion, ...]]] = {}

    @classmethod
    def empty(cls) -> DetectionBatch:
        return cls((), _NoGeofence(), t_s=())

    @property
    def t_s(self) -> Sequence[float]:
        """Epoch seconds of each fix."""
        if self._t_s is None:
            self._t_s = [o.time.timestamp() for o in self.observations]
        return self._t_s

    def _split(self) -> None:
        vessels: list[int] = []
        aircraft: list[int] = []
        for i, o in enumerate(self.observations):
            (vessels if o.subject_kind is SubjectKind.VESSEL else aircraft).append(i)
        self._vessels, self._aircraft = vessels, aircraft

    @property
    def vessel_index(self) -> list[int]:
        """Positions (in :attr:`observations`) of the vessels' fixes, in time order."""
        if self._vessels is None:
            self._split()
        assert self._vessels is not None
        return self._vessels

    @property
    def aircraft_index(self) -> list[int]:
        """Positions (in :attr:`observations`) of the aircraft's fixes, in time order."""
        if self._aircraft is None:
            self._split()
        assert self._aircraft is not None
        return self._aircraft

    @property
    def zones(self) -> Sequence[tuple[ZoneVersion, ...]]:
        """Per fix, the governing versions of the zones containing it."""
        if self._zones is None:
            per_fix = getattr(self.geofence, "zones", None)
            if isinstance(per_fix, list) and len(per_fix) == len(self.observations):
                self._zones = per_fix
            else:
                zones_of = self.geofence.zones_of
                self._zones = [zones_of(i) for i in range(len(self.observations))]
        return self._zones


    def zones_where(
        self, key: Hashable, keep: Callable[[ZoneVersion], bool]
    ) -> Callable[[int], tuple[ZoneVersion, ...]]:
        """``i -> the zones of fix i that keep accepts``; ``key`` names the rule (detectors
        sharing a rule share the work). The geofence shares one tuple per zone combination,
        so each combination is filtered once per batch, not once per fix."""
        found = self._filtered.get(key)
        if found is not None:
            return found
        zones = self.zones
        memo: dict[int, tuple[ZoneVersion, ...]] = {}

        def of(i: int) -> tuple[ZoneVersion, ...]:
            combo = zones[i]
            if not combo:
                return ()
            held = memo.get(id(combo))  # the tuples live as long as the batch
            if held is None:
                held = memo[id(combo)] = tuple(z for z in combo if keep(z))
            return held

        self._filtered[key] = of
        return of


class _NoGeofence:
    transitions: list[Transition] = []

    def zones_of(self, i: int) -> tuple[ZoneVersion, ...]:
        return ()


class OpenIncidents:
    """Open incidents by dedupe key, kept in step by the pipeline after each batch.

    Also indexed by kind and by (kind, subject), so a detector asking for its own open
    incidents, or for one subject's, costs what it gets back, not a walk over every open
    incident (thousands at world scale, asked after every batch or every fix). Change it
    through :meth:`put` / :meth:`remove` / :meth:`clear` only; ``by_key`` is a read-only view.
    """

    __slots__ = ("_by_key", "_by_kind", "_by_subject", "by_key")

    def __init__(self, incidents: Iterable[OpenIncident] = ()) -> None:
        self._by_key: dict[str, OpenIncident] = {}
        self._by_kind: dict[IncidentKind, dict[str, OpenIncident]] = {}
        self._by_subject: dict[tuple[IncidentKind, str | None], dict[str, OpenIncident]] = {}
        #: read-only view of the open incidents by dedupe key
        self.by_key: Mapping[str, OpenIncident] = MappingProxyType(self._by_key)
        for inc in incidents:
            self.put(inc)

    def put(self, inc: OpenIncident) -> None:
        """Add ``inc``, replacing the incident of the same dedupe key if there is one."""
        key = inc.dedupe_key
        if key in self._by_key:
            self.remove(key)
        self._by_key[key] = inc
        self._by_kind.setdefault(inc.kind, {})[key] = inc
        self._by_subject.setdefault((inc.kind, inc.subject_id), {})[key] = inc

    def remove(self, key: str) -> OpenIncident | None:
        """Forget the incident ``key`` (closed); returns it, or None if it was not open."""
        inc = self._by_key.pop(key, None)
        if inc is None:
            return None
        _drop(self._by_kind, inc.kind, key)
        _drop(self._by_subject, (inc.kind, inc.subject_id), key)
        return inc

    def clear(self) -> None:
        self._by_key.clear()
        self._by_kind.clear()
        self._by_subject.clear()

    def get(self, key: str) -> OpenIncident | None:
        return self._by_key.get(key)

    def of_kind(self, kind: IncidentKind) -> Iterator[OpenIncident]:
        """The open incidents of ``kind`` (a copy: safe while the set changes)."""
        return iter(tuple(self._by_kind.get(kind, {}).values()))

    def find(
        self, kind: IncidentKind, subject_id: str | None, zone_id: str | None = None
    ) -> OpenIncident | None:
        """An open incident of ``kind`` about ``subject_id`` (in ``zone_id`` if given)."""
        for o in self._by_subject.get((kind, subject_id), {}).values():
            if zone_id is None or o.zone_id == zone_id:
                return o
        return None

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __len__(self) -> int:
        return len(self._by_key)


def _drop(index: dict[Any, dict[str, OpenIncident]], at: Any, key: str) -> None:
    held = index.get(at)
    if held is not None:
        held.pop(key, None)
        if not held:
            del index[at]


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

    def reads_transitions(self, zone: ZoneVersion) -> bool:
        """Whether this detector reads the geofence's transitions for ``zone``.

        The geofence keeps per-subject zone state and emits transitions only for zones some
        detector reads (containment, ``DetectionBatch.zones``, covers every zone): most
        fixes lie in a FIR that no detector follows as a transition.
        """
        return False


def transitions_reader(detectors: Sequence[Detector]) -> Callable[[ZoneVersion], bool]:
    """The geofence's ``transitions_for``: a zone gets transitions if a detector reads them."""
    return lambda zone: any(d.reads_transitions(zone) for d in detectors)


def iso_key(t: datetime) -> str:
    """A compact, stable timestamp for dedupe keys."""
    return t.strftime("%Y%m%dT%H%M%SZ")


def flatten(changes: Iterable[Iterable[IncidentChange]]) -> list[IncidentChange]:
    return [c for group in changes for c in group]
