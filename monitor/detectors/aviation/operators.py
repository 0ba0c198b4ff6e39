"""Traffic by operator: distinct flights per UTC day inside each FIR, per operator and per
State of registry, and the return of an operator after a gap.

A *flight* is one aircraft (``subject_id``, its ICAO address) under one call sign on one UTC
day inside one FIR: an aircraft that flies CCS-MAD and back under two call signs is two
flights, one that leaves and re-enters under the same call sign is one. The operator is the
ICAO designator of the call sign and the State of registry comes from the ICAO address
(:class:`~monitor.identity.aircraft.AircraftIdentifier`); unknown stays ``""`` (counted, under
"unknown").

:class:`OperatorDayCounter` is the pure aggregator: it is fed fixes with the FIR codes that
contain them (by the pipeline's geofence here, by a point-in-polygon test over stored
positions in :mod:`monitor.web.api_status_board`), and returns :class:`OperatorDay` rows for
the ``operator_traffic`` table. FIR codes drop the ``FIR-`` prefix of the zone id
(``FIR-SVZM`` counts as ``SVZM``).

:func:`operator_returns` finds the first flight of an operator in a FIR after at least
``gap_days`` days without one ("Air Europa back through SVZM"): the day ``d`` with flights
whose previous day with flights ``p`` has ``d - p - 1 >= gap_days``. An operator never seen
before is not a return (the monitor cannot tell a new route from a gap before its records).

:class:`OperatorTrafficDetector` runs the counter live and raises one ``operator_return``
incident (severity info) per return, opened at the first fix of the returning flight and
closed when its UTC day ends. It remembers the days it has itself seen; a restarted
monitor therefore raises returns only for gaps it watched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from monitor.detectors.aviation.common import airborne
from monitor.detectors.base import DetectionBatch, Detector, MonitorState
from monitor.domain import (
    ChangeAction,
    IncidentChange,
    IncidentKind,
    Observation,
    Severity,
    ZoneKind,
)
from monitor.domain.identity import AircraftIdentity

#: the watched FIRs (codes, ``FIR-`` dropped): Maiquetía and the FIRs of the January 2026
#: FAA prohibition, and the neighbours flights use instead
WATCHED_FIRS: tuple[str, ...] = ("SVZM", "TJZS", "TNCF", "TTZP", "TTZO", "SKEC", "SYGC")


def fir_code(zone_id: str) -> str:
    """``FIR-SVZM`` -> ``SVZM`` (anything else unchanged)."""
    return zone_id.removeprefix("FIR-")


@dataclass(frozen=True, slots=True)
class OperatorDay:
    """Distinct flights of one operator and State of registry in one FIR on one UTC day.

    ``operator_icao`` and ``registry_iso2`` are ``""`` when unknown."""

    day: date
    zone_id: str
    operator_icao: str
    registry_iso2: str
    flights: int


@dataclass(frozen=True, slots=True)
class OperatorReturn:
    """An operator's first flight in a FIR after ``gap_days`` days or more without one."""

    zone_id: str
    operator_icao: str
    day: date
    last_seen_day: date
    gap_days: int
    flights: int

    def describe(self, operator_name: str | None = None) -> str:
        who = f"{operator_name} ({self.operator_icao})" if operator_name else self.operator_icao
        return (
            f"{who} back through {self.zone_id} on {self.day:%Y-%m-%d}: {self.flights} flight(s) "
            f"after {self.gap_days} days without any (last seen {self.last_seen_day:%Y-%m-%d})"
        )


class OperatorDayCounter:
    """Distinct flights (aircraft + call sign) per UTC day and FIR, with their operator and
    State of registry. Pure; feed it with :meth:`add`, read it with :meth:`rows`."""

    def __init__(self) -> None:
        #: (day, fir) -> flight key (subject, callsign) -> (operator, registry)
        self._days: dict[tuple[date, str], dict[tuple[str, str], tuple[str, str]]] = {}

    def add(
        self,
        t: datetime,
        subject_id: str,
        callsign: str | None,
        firs: Iterable[str],
        identity: AircraftIdentity | None,
    ) -> list[tuple[date, str, str, str]]:
        """Count one fix inside ``firs`` (codes); returns the (day, fir, operator, registry)
        of each flight this fix made new."""
        day = t.date()
        key = (subject_id, (callsign or "").strip().upper())
        op = (identity.operator_icao or "") if identity is not None else ""
        reg = (identity.registry_iso2 or "") if identity is not None else ""
        new: list[tuple[date, str, str, str]] = []
        for fir in firs:
            flights = self._days.setdefault((day, fir), {})
            if key not in flights:
                flights[key] = (op, reg)
                new.append((day, fir, op, reg))
            elif not flights[key][0] and op:  # the call sign arrived after the first fix
                flights[key] = (op, reg or flights[key][1])
        return new

    def rows(self, days: Iterable[date] | None = None) -> list[OperatorDay]:
        """Rows for the store: one per (day, FIR, operator, State of registry)."""
        wanted = None if days is None else set(days)
        out: dict[tuple[date, str, str, str], int] = {}
        for (day, fir), flights in self._days.items():
            if wanted is not None and day not in wanted:
                continue
            for op, reg in flights.values():
                k = (day, fir, op, reg)
                out[k] = out.get(k, 0) + 1
        return [OperatorDay(d, z, o, r, n) for (d, z, o, r), n in sorted(out.items())]

    def days(self) -> list[date]:
        return sorted({d for d, _ in self._days})

    def forget_before(self, day: date) -> None:
        for k in [k for k in self._days if k[0] < day]:
            del self._days[k]


def operator_returns(
    rows: Iterable[OperatorDay], *, gap_days: int = 7, since: date | None = None
) -> list[OperatorReturn]:
    """Returns after a gap of at least ``gap_days`` empty days, per FIR and operator, from
    daily rows (any order); only returns on or after ``since`` when given. Rows without an
    operator are ignored."""
    per: dict[tuple[str, str], dict[date, int]] = {}
    for r in rows:
        if not r.operator_icao or r.flights <= 0:
            continue
        days = per.setdefault((r.zone_id, r.operator_icao), {})
        days[r.day] = days.get(r.day, 0) + r.flights
    out: list[OperatorReturn] = []
    for (zone, op), days in per.items():
        ordered = sorted(days)
        for prev, day in zip(ordered, ordered[1:], strict=False):
            gap = (day - prev).days - 1
            if gap >= gap_days and (since is None or day >= since):
                out.append(OperatorReturn(zone, op, day, prev, gap, days[day]))
    out.sort(key=lambda r: (r.day, r.zone_id, r.operator_icao))
    return out


@dataclass(frozen=True)
class OperatorTrafficConfig:
    """Thresholds of :class:`OperatorTrafficDetector`.

    ``gap_days`` (7): days without a flight of an operator in a FIR before its next flight
    is a return. ``firs`` (the watched FIRs, :data:`WATCHED_FIRS`): FIR codes whose returns
    are raised (every FIR is counted). ``history_days`` (60): days of presence kept in memory.
    ``min_altitude_ft`` (300): fixes of aircraft on the ground do not count.
    """

    gap_days: int = 7
    firs: tuple[str, ...] = WATCHED_FIRS
    history_days: int = 60
    min_altitude_ft: float = 300.0

    def __post_init__(self) -> None:
        if self.gap_days < 1:
            raise ValueError(f"gap_days must be at least 1 (got {self.gap_days})")
        if self.history_days <= self.gap_days:
            raise ValueError(
                f"history_days ({self.history_days}) must exceed gap_days ({self.gap_days})"
            )


def _is_fir(z: Any) -> bool:
    return z.kind is ZoneKind.FIR


class OperatorTrafficDetector(Detector):
    """Counts flights per operator and FIR per day (:meth:`daily_counts`) and raises an
    ``operator_return`` incident when an operator flies through a watched FIR again after
    ``gap_days`` days without."""

    name = "operator_traffic"
    kinds = (IncidentKind.OPERATOR_RETURN,)

    def __init__(self, config: OperatorTrafficConfig | None = None) -> None:
        self.config = config or OperatorTrafficConfig()
        self.counter = OperatorDayCounter()
        self._identify: Callable[[Observation], AircraftIdentity] | None = None
        #: (fir, operator) -> the UTC days it was seen on (newest last)
        self._seen: dict[tuple[str, str], list[date]] = {}
        self._watched = frozenset(self.config.firs)
        #: open return incidents: dedupe key -> (day, change that opened it)
        self._open: dict[str, tuple[date, IncidentChange]] = {}

    def use_identity(self, identify: Callable[[Observation], AircraftIdentity]) -> None:
        self._identify = identify

    def daily_counts(self) -> list[OperatorDay]:
        """The rows counted so far (for the ``operator_traffic`` table)."""
        return self.counter.rows()

    def seed_seen(self, rows: Iterable[OperatorDay]) -> None:
        """Days each operator was seen, from stored rows, so a restart keeps its memory."""
        for r in rows:
            if r.operator_icao:
                days = self._seen.setdefault((r.zone_id, r.operator_icao), [])
                if r.day not in days:
                    days.append(r.day)
                    days.sort()

    def detect(
        self, batch: DetectionBatch, state: MonitorState, now: datetime
    ) -> list[IncidentChange]:
        changes = self._close_finished(now)
        idx = batch.aircraft_index
        if not idx:
            return changes
        firs_of = batch.zones_where("operator_traffic:fir", _is_fir)
        obs = batch.observations
        for i in idx:
            zones = firs_of(i)
            if not zones:
                continue
            o = obs[i]
            if not airborne(o, self.config.min_altitude_ft):
                continue
            who = self._identify(o) if self._identify is not None else None
            new = self.counter.add(
                o.time, o.subject_id, o.callsign, [fir_code(z.zone_id) for z in zones], who
            )
            for day, fir, op, _reg in new:
                if not op:
                    continue
                ch = self._seen_on(day, fir, op, o, who)
                if ch is not None:
                    changes.append(ch)
        self.counter.forget_before(now.date() - timedelta(days=2))
        return changes

    def _seen_on(
        self, day: date, fir: str, op: str, o: Observation, who: AircraftIdentity | None
    ) -> IncidentChange | None:
        days = self._seen.setdefault((fir, op), [])
        if days and days[-1] == day:
            return None
        prev = days[-1] if days else None
        if prev is not None and prev > day:  # a late fix of an earlier day
            if day not in days:
                days.append(day)
                days.sort()
            return None
        days.append(day)
        cut = day - timedelta(days=self.config.history_days)
        while days and days[0] < cut:
            days.pop(0)
        if prev is None or fir not in self._watched:
            return None
        gap = (day - prev).days - 1
        if gap < self.config.gap_days:
            return None
        ret = OperatorReturn(fir, op, day, prev, gap, 1)
        name = who.operator_name if who is not None else None
        key = f"operator_return:{fir}:{op}:{day:%Y%m%d}"
        ch = IncidentChange(
            action=ChangeAction.OPEN,
            dedupe_key=key,
            kind=IncidentKind.OPERATOR_RETURN,
            severity=Severity.INFO,
            at=o.time,
            summary=ret.describe(name).replace(": 1 flight(s)", ": first flight"),
            subject_kind="aircraft",
            subject_id=o.subject_id,
            subject_label=o.callsign,
            zone_id=fir if fir == "SVZM" else f"FIR-{fir}",
            lat=o.lat,
            lon=o.lon,
            details={
                "operator_icao": op,
                "operator_name": name,
                "fir": fir,
                "day": day.isoformat(),
                "last_seen_day": prev.isoformat(),
                "gap_days": gap,
                "callsign": o.callsign,
                "registry_iso2": who.registry_iso2 if who is not None else None,
            },
        )
        self._open[key] = (day, ch)
        return ch

    def _close_finished(self, now: datetime) -> list[IncidentChange]:
        today = now.date()
        out: list[IncidentChange] = []
        for key, (day, ch) in list(self._open.items()):
            if day < today:
                del self._open[key]
                end = day_start(day + timedelta(days=1))
                out.append(
                    IncidentChange(
                        action=ChangeAction.CLOSE,
                        dedupe_key=key,
                        kind=ch.kind,
                        severity=ch.severity,
                        at=max(end, ch.at),
                        summary=ch.summary,
                        subject_kind=ch.subject_kind,
                        subject_id=ch.subject_id,
                        subject_label=ch.subject_label,
                        zone_id=ch.zone_id,
                        details={**ch.details, "closed_because": "day_over"},
                    )
                )
        return out


def count_positions(
    positions: Sequence[tuple[datetime, str, str | None, float, float, float | None]],
    firs: Mapping[str, Any],
    identify: Callable[[str, str | None], AircraftIdentity | None],
    *,
    min_altitude_ft: float = 300.0,
) -> OperatorDayCounter:
    """Count stored positions ``(time, icao24, callsign, lon, lat, altitude_ft)`` against
    FIR outlines (``code -> shapely geometry``); ``identify(icao24, callsign)`` names the
    aircraft. Positions below ``min_altitude_ft`` are taken as on the ground and skipped."""
    import numpy as np
    import shapely

    counter = OperatorDayCounter()
    if not positions:
        return counter
    lons = np.fromiter((p[3] for p in positions), float, len(positions))
    lats = np.fromiter((p[4] for p in positions), float, len(positions))
    pts = shapely.points(lons, lats)
    inside: list[list[str]] = [[] for _ in positions]
    for code, geom in firs.items():
        shapely.prepare(geom)
        for n in np.flatnonzero(shapely.contains(geom, pts)):
            inside[int(n)].append(code)
    cache: dict[tuple[str, str | None], AircraftIdentity | None] = {}
    for p, codes in zip(positions, inside, strict=True):
        if not codes:
            continue
        alt = p[5]
        if alt is not None and alt < min_altitude_ft:
            continue
        k = (p[1], p[2])
        if k not in cache:
            cache[k] = identify(p[1], p[2])
        counter.add(p[0], p[1], p[2], codes, cache[k])
    return counter


def day_start(day: date) -> datetime:
    """Midnight UTC of ``day``."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
