"""Going dark: a vessel in or near a watched zone stops sending AIS while it could be heard.

A ``going_dark`` incident opens when a vessel has been silent for ``gap_s`` and all of
these hold:

* its last fix lay inside a watched zone (strike zone, territorial sea, navigational
  warning, watch area) or within ``near_zone_nm`` of one;
* it was an established track (``min_fixes`` fixes), not in a port (``port_radius_km``
  of the bundled port list) and not reporting "moored";
* every feed that heard it, or heard other vessels within ``coverage_radius_km`` of its
  last position, in the ``source_window_s`` before its last fix was up for the whole
  silence (``FeedCoverage.was_up``: a recorded outage or data gap of the feed overlapping
  the silence vetoes the incident), and has delivered data since the threshold was
  reached. The book records a gap when a feed's data resumes, so waiting for data after
  the threshold means an outage that began before it is known before anything opens;
* coverage evidence: at least ``min_reporting_neighbours`` other vessels were heard within
  ``coverage_radius_km`` of its last position after its last fix, the latest of them no
  more than ``neighbour_recent_s`` ago (:class:`~monitor.detectors.maritime.geo.CoverageMap`,
  resolution half the radius). An area nobody is heard from is an area without
  reception, not a dark vessel, and a feed outage silences every vessel at once. The
  default radius, 40 km (about 22 nm), is the order of the VHF range between two ships'
  antennas or a ship and a shore station: a receiver hearing ships there would have heard
  this one.

The incident starts at the last fix (the start of the silence) and closes when the vessel
is heard again, holding the last and the re-appearance positions, the gap, the distance
and the implied speed. A re-appearance after a gap longer than ``gap_s`` that no sweep saw
(a coarse batch) opens and closes the incident at once, after the same checks.

Default thresholds, for **terrestrial** AIS (the feeds this monitor reads: aisstream.io's
shore-station network, local receivers): Global Fishing Watch counts gaps of 12 h or more
starting at least 50 nm from shore, and Skylight flags 6 h, because satellite AIS revisits
a vessel only every few hours. A terrestrial feed hears a class A vessel every 2-10 s
under way and every 3 min at anchor while it is in range, so a silence of ``gap_s`` =
2 h (40 anchored reporting intervals) is long for a vessel that stays in reception, and
the coverage and feed checks (not a longer threshold) keep a vessel that sails out of
range or a feed outage from counting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from monitor.detectors.base import DetectionBatch, Detector, MonitorState, iso_key
from monitor.detectors.maritime.common import (
    WATCHED_ZONE_KINDS,
    change,
    most_severe,
    vessel_details,
    vessel_label,
    watched,
    watched_zones,
    zone_kinds,
)
from monitor.detectors.maritime.geo import CoverageMap, deg_box, distance_m, nm_to_m, speed_kt
from monitor.detectors.maritime.places import PortIndex, bundled_ports
from monitor.domain import (
    ChangeAction,
    Evidence,
    IncidentChange,
    IncidentKind,
    Observation,
    Severity,
    SubjectKind,
    ZoneVersion,
)
from monitor.timeutil import utc_from_epoch_s
from monitor.units import M_PER_NM


@dataclass(frozen=True)
class GoingDarkConfig:
    """Thresholds of :class:`GoingDarkDetector` (see the module docstring for the defaults)."""

    #: silence that counts as going dark (terrestrial AIS; GFW uses 12 h, Skylight 6 h)
    gap_s: float = 7200.0
    #: zone kinds in or near which going dark is reported
    zone_kinds: tuple[str, ...] = WATCHED_ZONE_KINDS
    #: "near" a watched zone: within this distance of it
    near_zone_nm: float = 12.0
    #: coverage evidence: other vessels within this radius of the last position ...
    coverage_radius_km: float = 40.0
    #: ... at least this many of them reported after the last fix ...
    min_reporting_neighbours: int = 1
    #: ... the latest of them no longer ago than this
    neighbour_recent_s: float = 900.0
    #: feeds that heard the vessel within this before its last fix must all have been up
    source_window_s: float = 1800.0
    #: fixes the vessel must have sent before (a one-off long-range reception is not a track)
    min_fixes: int = 3
    #: a vessel whose last fix is within this of a port is in port, not dark
    port_radius_km: float = 5.0
    #: AIS navigational statuses that excuse silence (5 = moored)
    excused_nav_statuses: tuple[int, ...] = (5,)
    #: a silence that could not be confirmed (feed, coverage) within this after ``gap_s``
    #: is no longer re-checked by the sweep (the re-appearance check still looks at it)
    retry_for_s: float = 7200.0
    #: vessels silent for longer than this are forgotten (bounded memory)
    forget_after_s: float = 3 * 86400.0
    #: the sweep over silent vessels runs at most once per this interval of data time
    sweep_every_s: float = 60.0


@dataclass(slots=True)
class _Vessel:
    last: Observation
    #: epoch seconds of ``last``
    last_t_s: float
    fixes: int = 1
    #: feed -> epoch seconds of the latest fix it brought
    sources: dict[str, float] = field(default_factory=dict)
    zones: tuple[ZoneVersion, ...] = ()
    #: static verdict about the last fix (None: not judged yet; "" eligible; else why not)
    verdict: str | None = None
    near_zone: ZoneVersion | None = None
    near_m: float = 0.0
    open_key: str | None = None
    open_details: dict[str, object] | None = None


class GoingDarkDetector(Detector):
    """``going_dark`` incidents (see the module docstring)."""

    name = "going_dark"
    kinds = (IncidentKind.GOING_DARK,)

    def __init__(self, config: GoingDarkConfig | None = None) -> None:
        self.config = config or GoingDarkConfig()
        self._kinds = zone_kinds(self.config.zone_kinds)
        self._ports = PortIndex(bundled_ports())
        self._vessels: dict[str, _Vessel] = {}
        self._coverage = CoverageMap(cell_m=self.config.coverage_radius_km * 500.0)
        self._adopted = False
        self._swept_at: datetime | None = None
        self._zone_cache: tuple[datetime, list[ZoneVersion]] | None = None
        #: vessels not yet silent for ``gap_s``, in order of their last fix (epoch s)
        self._waiting: dict[str, float] = {}
        #: silent vessels whose silence could not be confirmed yet
        self._retry: set[str] = set()
        self._forgot_at: datetime | None = None

    # --- the detector -----------------------------------------------------------------------

    def detect(
        self, batch: DetectionBatch, state: MonitorState, now: datetime
    ) -> list[IncidentChange]:
        if not self._adopted:
            self._adopt(state)
        changes: list[IncidentChange] = []
        gap_s = self.config.gap_s
        observations = batch.observations
        t_list = batch.t_s
        vessels = self._vessels
        get = vessels.get
        waiting = self._waiting
        pop_waiting = waiting.pop
        retry = self._retry
        watched_of = watched_zones(batch, self._kinds)
        remembered: list[int] = []
        for i in batch.vessel_index:
            obs = observations[i]
            t_s = t_list[i]
            mmsi = obs.subject_id
            v = get(mmsi)
            if v is None:
                v = vessels[mmsi] = _Vessel(obs, t_s)
            elif t_s <= v.last_t_s:
                continue
            else:
                if v.open_key is not None:
                    changes.append(self._reappeared(v, obs, state))
                elif t_s - v.last_t_s >= gap_s:
                    # the coverage must hold every fix before this one, as if recorded
                    # one by one
                    self._record(observations, t_list, remembered)
                    remembered = []
                    why = self._why_not(v, state, obs.time, reappeared=True)
                    if not why:
                        changes.append(self._open(v, state, obs.time))
                        changes.append(self._reappeared(v, obs, state))
                v.last = obs
                v.last_t_s = t_s
                v.fixes += 1
                v.verdict = None
                v.near_zone = None
                v.open_key = None
                v.open_details = None
            v.sources[obs.source] = t_s
            v.zones = watched_of(i)
            # kept in order of last fix, so the sweep only looks at the silent end
            pop_waiting(mmsi, None)
            waiting[mmsi] = t_s
            if retry:
                retry.discard(mmsi)
            remembered.append(i)
        self._record(observations, t_list, remembered)
        changes.extend(self._sweep(state, now))
        return changes

    def _record(
        self, observations: Sequence[Observation], t_list: Sequence[float], idx: list[int]
    ) -> None:
        """Record the fixes ``idx`` in the coverage map, in order."""
        if not idx:
            return
        fixes = [observations[i] for i in idx]
        self._coverage.record_many(
            [o.subject_id for o in fixes],
            [o.source for o in fixes],
            [o.lon for o in fixes],
            [o.lat for o in fixes],
            [t_list[i] for i in idx],
        )

    def _adopt(self, state: MonitorState) -> None:
        """Take over incidents left open by a previous run: close them on re-appearance."""
        self._adopted = True
        for inc in state.open.of_kind(IncidentKind.GOING_DARK):
            if inc.subject_id is None or inc.subject_id in self._vessels:
                continue
            d = inc.details
            try:
                lat, lon = float(d["last_lat"]), float(d["last_lon"])
            except (KeyError, TypeError, ValueError):
                continue
            ghost = Observation(
                source=str(d.get("last_source") or "restored"),
                feed_kind="restored",
                subject_kind=SubjectKind.VESSEL,
                subject_id=inc.subject_id,
                time=inc.started_at,
                lat=lat,
                lon=lon,
            )
            v = self._vessels[inc.subject_id] = _Vessel(
                ghost, inc.started_at.timestamp(), fixes=self.config.min_fixes
            )
            v.open_key = inc.dedupe_key
            v.open_details = dict(d)

    # --- sweep: who has been silent long enough ---------------------------------------------

    def _sweep(self, state: MonitorState, now: datetime) -> list[IncidentChange]:
        """Judge the vessels whose silence has reached ``gap_s``.

        Vessels wait in order of their last fix; those silent for ``gap_s`` move to the
        retry set, judged at every sweep until one of: an incident opens, the last fix
        alone rules it out, a new fix arrives, or ``retry_for_s`` more has passed (what
        could not be confirmed by then is left to the re-appearance check).
        """
        cfg = self.config
        if self._swept_at is not None and (now - self._swept_at).total_seconds() < cfg.sweep_every_s:
            return []
        self._swept_at = now
        now_s = now.timestamp()
        waiting = self._waiting
        while waiting:
            mmsi, t_s = next(iter(waiting.items()))
            if now_s - t_s < cfg.gap_s:
                break
            del waiting[mmsi]
            self._retry.add(mmsi)
        out: list[IncidentChange] = []
        for mmsi in sorted(self._retry):
            v = self._vessels.get(mmsi)
            if v is None or v.open_key is not None or v.verdict:
                self._retry.discard(mmsi)
                continue
            if now_s - v.last_t_s > cfg.gap_s + cfg.retry_for_s:
                self._retry.discard(mmsi)
                continue
            if not self._why_not(v, state, now, reappeared=False):
                out.append(self._open(v, state, now))
                self._retry.discard(mmsi)
        if self._forgot_at is None or (now - self._forgot_at).total_seconds() >= cfg.forget_after_s / 8:
            self._forgot_at = now
            for mmsi in [k for k, v in self._vessels.items()
                         if v.open_key is None and now_s - v.last_t_s > cfg.forget_after_s]:
                del self._vessels[mmsi]
                waiting.pop(mmsi, None)
                self._retry.discard(mmsi)
        return out

    def _why_not(self, v: _Vessel, state: MonitorState, end: datetime, *, reappeared: bool) -> str:
        """Why the silence of ``v`` up to ``end`` is not going dark ('' when it is)."""
        if v.verdict is None:
            v.verdict = self._static_verdict(v, state)
        if v.verdict:
            return v.verdict
        cfg = self.config
        start = v.last.time
        for source in sorted(self._feeds(v)):
            if not state.feeds.was_up(source, start, end):
                return f"feed {source} was down"
            last_data = state.feeds.last_data_at(source)
            if last_data is None or (last_data - start).total_seconds() < cfg.gap_s:
                return f"feed {source} has brought nothing since the threshold"
        n, latest = self._neighbours(v)
        if n < cfg.min_reporting_neighbours:
            return "no coverage evidence"
        if not reappeared and (latest is None or (end - latest).total_seconds() > cfg.neighbour_recent_s):
            return "neighbours silent too"
        return ""

    def _static_verdict(self, v: _Vessel, state: MonitorState) -> str:
        """What the last fix alone decides ('' when it allows going dark)."""
        cfg = self.config
        last = v.last
        if v.fixes < cfg.min_fixes:
            return "too few fixes"
        if last.nav_status is not None and last.nav_status in cfg.excused_nav_statuses:
            return f"nav status {last.nav_status}"
        if self._ports.within(last.lat, last.lon, cfg.port_radius_km * 1000.0) is not None:
            return "in port"
        if v.zones:
            v.near_zone, v.near_m = most_severe(v.zones), 0.0
            return ""
        zone, d = self._nearest_zone(last, state)
        if zone is None:
            return "not near a watched zone"
        v.near_zone, v.near_m = zone, d
        return ""

    def _zones_in_force(self, state: MonitorState, at: datetime) -> list[ZoneVersion]:
        cached = self._zone_cache
        if cached is not None and abs((cached[0] - at).total_seconds()) < 300.0:
            return cached[1]
        zones = [z for z in state.zones.in_force(at) if watched(z, self._kinds)]
        self._zone_cache = (at, zones)
        return zones

    def _nearest_zone(self, obs: Observation, state: MonitorState) -> tuple[ZoneVersion | None, float]:
        near_m = nm_to_m(self.config.near_zone_nm)
        min_lon, min_lat, max_lon, max_lat = deg_box(obs.lon, obs.lat, near_m)
        best: ZoneVersion | None = None
        best_d = near_m
        for z in self._zones_in_force(state, obs.time):
            zx0, zy0, zx1, zy1 = z.geometry.bounds
            if zx0 > max_lon or zx1 < min_lon or zy0 > max_lat or zy1 < min_lat:
                continue
            d = state.zones.distance_to_boundary_m(obs.lon, obs.lat, z)
            if d <= best_d and (best is None or d < best_d or z.severity.rank > best.severity.rank):
                best, best_d = z, d
        return best, best_d

    def _neighbours(self, v: _Vessel) -> tuple[int, datetime | None]:
        """Other vessels heard near ``v``'s last position after its last fix: how many, and
        the latest time one was heard."""
        last = v.last
        heard = self._coverage.subjects_after(
            last.lon, last.lat, self.config.coverage_radius_km * 1000.0, v.last_t_s,
            exclude=last.subject_id,
        )
        if not heard:
            return 0, None
        return len(heard), utc_from_epoch_s(max(heard.values()))

    def _feeds(self, v: _Vessel) -> set[str]:
        """Feeds that heard ``v``, or other vessels near its last position, in the
        ``source_window_s`` before its last fix: each must have been up for the silence."""
        last = v.last
        since_s = v.last_t_s - self.config.source_window_s
        own = {s for s, t in v.sources.items() if t >= since_s}
        area = self._coverage.sources_since(
            last.lon, last.lat, self.config.coverage_radius_km * 1000.0, since_s
        )
        return own | area

    # --- changes --------------------------------------------------------------------------

    def _severity(self, v: _Vessel) -> Severity:
        zone = v.near_zone
        if zone is not None and zone.severity.rank > Severity.MEDIUM.rank and v.near_m == 0.0:
            return zone.severity
        return Severity.MEDIUM

    def _open(self, v: _Vessel, state: MonitorState, now: datetime) -> IncidentChange:
        last = v.last
        info = state.vessels.get(last.subject_id)
        label = vessel_label(last, info, last.subject_id)
        zone = v.near_zone
        n, latest = self._neighbours(v)
        key = f"going_dark:{last.subject_id}:{iso_key(last.time)}"
        where = (
            f"in {zone.name}" if zone is not None and v.near_m == 0.0
            else f"{v.near_m / M_PER_NM:.1f} nm from {zone.name}" if zone is not None
            else "at sea"
        )
        details: dict[str, object] = {
            "last_fix_at": last.time.isoformat(),
            "last_lat": last.lat,
            "last_lon": last.lon,
            "last_speed_kt": last.ground_speed_kt,
            "last_course_deg": last.track_deg,
            "last_source": last.source,
            "feeds_checked": sorted(self._feeds(v)),
            "gap_threshold_s": self.config.gap_s,
            "silent_s_at_open": round((now - last.time).total_seconds(), 1),
            "coverage_neighbours": n,
            "coverage_radius_km": self.config.coverage_radius_km,
            "coverage_latest_at": latest.isoformat() if latest is not None else None,
            "zone_distance_nm": round(v.near_m / M_PER_NM, 2),
            **vessel_details(info),
        }
        if zone is not None:
            details["zone_name"] = zone.name
            details["zone_kind"] = zone.kind.value
        v.open_key = key
        v.open_details = details
        return change(
            ChangeAction.OPEN,
            key,
            IncidentKind.GOING_DARK,
            self._severity(v),
            last.time,
            f"{label} went dark {where}: no AIS since {last.time:%Y-%m-%d %H:%M}Z while "
            f"{n} vessel(s) within {self.config.coverage_radius_km:g} km kept reporting",
            subject_id=last.subject_id,
            label=label,
            zone=zone,
            lat=last.lat,
            lon=last.lon,
            details=details,
            evidence=(Evidence.of(last, "last AIS fix before the silence"),),
            track=((last.lon, last.lat),),
        )

    def _reappeared(self, v: _Vessel, obs: Observation, state: MonitorState) -> IncidentChange:
        key = v.open_key or ""
        base = dict(v.open_details or {})
        last_lat = float(base.get("last_lat", v.last.lat))  # type: ignore[arg-type]
        last_lon = float(base.get("last_lon", v.last.lon))  # type: ignore[arg-type]
        gap_s = (obs.time - v.last.time).total_seconds()
        dist = distance_m(last_lat, last_lon, obs.lat, obs.lon)
        base.update(
            reappeared_at=obs.time.isoformat(),
            reappeared_lat=obs.lat,
            reappeared_lon=obs.lon,
            reappeared_source=obs.source,
            gap_s=round(gap_s, 1),
            distance_nm=round(dist / M_PER_NM, 2),
            implied_speed_kt=round(speed_kt(dist, gap_s), 2),
        )
        info = state.vessels.get(obs.subject_id)
        label = vessel_label(obs, info, obs.subject_id)
        zone = v.near_zone
        v.open_key = None
        return change(
            ChangeAction.CLOSE,
            key,
            IncidentKind.GOING_DARK,
            self._severity(v),
            obs.time,
            f"{label} reappeared after {gap_s / 3600:.1f} h, {dist / M_PER_NM:.1f} nm away "
            f"(implied {speed_kt(dist, gap_s):.1f} kn)",
            subject_id=obs.subject_id,
            label=label,
            zone=zone,
            lat=obs.lat,
            lon=obs.lon,
            details=base,
            evidence=(Evidence.of(obs, "first AIS fix after the silence"),),
            track=((last_lon, last_lat), (obs.lon, obs.lat)),
        )
