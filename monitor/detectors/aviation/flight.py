"""Per-flight state of the reroute detector, kept compact: a few numbers per flight and
one track point per analysed fix over the turnback window."""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from monitor.detectors.aviation.common import GreatCircle
from monitor.detectors.aviation.routes import RouteLike
from monitor.domain import Observation, ZoneVersion

NAN = float("nan")


@dataclass(slots=True)
class Plan:
    """A route whose great circle crosses restricted zones."""

    route: RouteLike
    gc: GreatCircle
    zones: tuple[ZoneVersion, ...]
    inside_km: float
    entry_along_km: float
    exit_along_km: float

    @property
    def zone_ids(self) -> frozenset[str]:
        return frozenset(z.zone_id for z in self.zones)


@dataclass(slots=True)
class Threat:
    """The moment a flight's straight-ahead path first pointed into a zone."""

    t_s: float
    lat: float
    lon: float
    track_deg: float
    zone: ZoneVersion
    time_to_entry_s: float
    penetration_km: float
    #: altitude at the threat (nan: unknown); the avoidance must stay level with it
    altitude_ft: float = float("nan")
    #: the straight inbound leg: from when the flight held ``track_deg`` (within the
    #: straightness tolerance, read back in the path) to its last fix still on it
    straight_from_t: float = 0.0
    straight_to_t: float = 0.0
    #: the strongest turn away seen since (degrees from ``track_deg``)
    max_turn_deg: float = 0.0

    @property
    def straight_s(self) -> float:
        return max(0.0, self.straight_to_t - self.straight_from_t)


Point = tuple[float, float, float, float, float]  # t_s, lat, lon, altitude_ft, track_deg (nan: unknown)


class PathRing:
    """A flight's recent track points, oldest first, five doubles each in one
    ``array('d')``: 40 bytes a point, where a tuple of five floats costs about 200 (the
    tuple, and floats that would otherwise die with their observation). 25,000 aircraft
    keep 28 points each. At most ``maxlen`` points: appending past it drops the oldest."""

    __slots__ = ("_a", "maxlen")

    def __init__(self, maxlen: int | None = None) -> None:
        self._a = array("d")
        self.maxlen = maxlen

    def append(self, point: Point) -> None:
        a = self._a
        a.extend(point)
        if self.maxlen is not None and len(a) > 5 * self.maxlen:
            del a[:5]

    def popleft(self) -> Point:
        if not self._a:
            raise IndexError("pop from an empty path")
        point = self[0]
        del self._a[:5]
        return point

    def __len__(self) -> int:
        return len(self._a) // 5

    def __bool__(self) -> bool:
        return bool(self._a)

    def __getitem__(self, i: int) -> Point:
        n = len(self._a) // 5
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        a, k = self._a, 5 * i
        return (a[k], a[k + 1], a[k + 2], a[k + 3], a[k + 4])

    def __iter__(self) -> Iterator[Point]:
        a = self._a
        for k in range(0, len(a), 5):
            yield (a[k], a[k + 1], a[k + 2], a[k + 3], a[k + 4])


@dataclass(slots=True)
class FlightState:
    """What the reroute detector remembers of one flight (about 2 kB with its track)."""

    hex: str
    last: Observation
    last_t: float
    airborne: bool = False
    #: time of the latest fix seen (analysed or not)
    seen_t: float = float("-inf")
    checked_t: float = float("-inf")
    km_lat: float = 0.0
    km_lon: float = 0.0
    path: PathRing = field(default_factory=PathRing)
    first: tuple[float, float, float] | None = None
    flown_km: float = 0.0
    firs: dict[str, str] = field(default_factory=dict)
    entered: set[str] = field(default_factory=set)
    gs_sum: float = 0.0
    gs_n: int = 0
    route: RouteLike | None = None
    route_at: float | None = None
    plan: Plan | None = None
    plan_key: tuple[Any, ...] | None = None
    # reroute
    on_track: tuple[float, float, float] | None = None
    left_track: tuple[float, float, float] | None = None
    off_start: tuple[float, float, float] | None = None
    max_dev_km: float = 0.0
    dev_km: float = 0.0
    abeam_hits: int = 0
    reroute_key: str | None = None
    reroute_done: bool = False
    reroute_updated_t: float = 0.0
    track_sent_t: float = 0.0
    # boundary avoidance
    threat: Threat | None = None
    clear_since: float | None = None
    avoid_key: str | None = None
    avoid_zone: ZoneVersion | None = None
    avoid_last_t: float = 0.0
    avoid_count: int = 0
    #: the details of the latest avoidance change (kept on the closing change)
    avoid_details: dict[str, Any] | None = None
    #: why the route was not used (e.g. "implausible"), for the incidents' details
    route_rejected: str | None = None
    # turnback / landing
    turnback_until: float = 0.0
    landing_checked: bool = False
