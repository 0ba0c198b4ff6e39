"""Fast craft: small or unidentified vessels at go-fast speeds inside strike zones.

The go-fast profile of the boats struck since September 2025: a small open boat (under
about 15 m) at 30-50 kn, often without static data or AIS at all. A ``fast_craft``
incident opens when a vessel

* is inside a zone of a kind in ``zone_kinds`` (strike zones),
* goes faster than ``min_speed_kt`` (speed over ground, else the speed implied by its
  previous fix) but not faster than ``max_plausible_speed_kt`` (a bad value is the
  spoofing detector's business), for ``min_fast_fixes`` consecutive fixes,
* and is *small* (static data with a length under ``max_length_m``, or a ship type in
  ``small_craft_types``) or *unidentified* (no static data ``static_grace_s`` after it was
  first heard: class A ships send it every 6 min);

ship types in ``excluded_types`` (military, search and rescue, law enforcement) never
count. The incident starts at the first fast fix inside, is updated every
``update_every_s`` and closes at the last fast fix once the vessel has been slow or
outside for ``calm_after_s``, or unheard for ``lost_after_s``.

Default ship types (ITU-R M.1371 table 53): 30 fishing, 36 sailing, 37 pleasure craft.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.detectors.base import DetectionBatch, Detector, MonitorState, iso_key
from monitor.detectors.maritime.common import (
    VESSEL,
    change,
    most_severe,
    vessel_details,
    vessel_label,
    watched_zones,
    zone_kinds,
)
from monitor.detectors.maritime.geo import distance_m, speed_kt
from monitor.domain import (
    ChangeAction,
    Evidence,
    IncidentChange,
    IncidentKind,
    Observation,
    Severity,
    SubjectKind,
    VesselInfo,
    ZoneKind,
    ZoneVersion,
)
from monitor.tracks import Fix


@dataclass(frozen=True)
class FastCraftConfig:
    """Thresholds of :class:`FastCraftDetector`."""

    #: faster than this is the go-fast profile
    min_speed_kt: float = 30.0
    #: faster than this is a bad value, not a boat
    max_plausible_speed_kt: float = 80.0
    #: consecutive fast fixes inside before an incident opens
    min_fast_fixes: int = 2
    #: static data with a length under this is a small craft (the SOLAS / IMO 24 m line)
    max_length_m: float = 24.0
    #: AIS ship types that are small craft (30 fishing, 36 sailing, 37 pleasure craft)
    small_craft_types: tuple[int, ...] = (30, 36, 37)
    #: AIS ship types never reported (35 military, 51 search and rescue, 55 law enforcement)
    excluded_types: tuple[int, ...] = (35, 51, 55)
    #: no static data this long after the first fix: unidentified
    static_grace_s: float = 360.0
    #: zone kinds in which fast craft are reported
    zone_kinds: tuple[str, ...] = (ZoneKind.STRIKE_ZONE.value,)
    #: slow or outside for this long: the incident closes at the last fast fix
    calm_after_s: float = 900.0
    #: unheard for this long: the incident closes at the last fast fix
    lost_after_s: float = 1800.0
    #: implied speeds over shorter intervals than this are noise, not speed
    min_implied_interval_s: float = 30.0
    #: one update (with evidence) per this interval while it goes on
    update_every_s: float = 300.0
    #: the lost-contact sweep runs at most once per this interval of data time
    sweep_every_s: float = 60.0


@dataclass(slots=True)
class _Craft:
    first_seen_s: float
    last: Observation
    fast_run: int = 0
    fast_since: Observation | None = None
    last_fast: Observation | None = None
    zone: ZoneVersion | None = None
    open_key: str | None = None
    last_update_s: float = 0.0
    max_speed_kt: float = 0.0


class FastCraftDetector(Detector):
    """``fast_craft`` incidents (see the module docstring)."""

    name = "fast_craft"
    kinds = (IncidentKind.FAST_CRAFT,)

    def __init__(self, config: FastCraftConfig | None = None) -> None:
        self.config = config or FastCraftConfig()
        self._kinds = zone_kinds(self.config.zone_kinds)
        self._crafts: dict[str, _Craft] = {}
        self._adopted = False
        self._swept_at: datetime | None = None
        self._forgot_at: datetime | None = None
        #: vessels with a fast-craft incident open
        self._open_mmsi: set[str] = set()

    def detect(
        self, batch: DetectionBatch, state: MonitorState, now: datetime
    ) -> list[IncidentChange]:
        if not self._adopted:
            self._adopt(state)
        cfg = self.config
        changes: list[IncidentChange] = []
        observations = batch.observations
        zones_of = batch.zones
        watched_of = watched_zones(batch, self._kinds)
        crafts = self._crafts
        for i in batch.vessel_index:
            obs = observations[i]
            c = crafts.get(obs.subject_id)
            in_zones = zones_of[i]
            if c is None:
                if not in_zones:
                    # no craft is followed outside the watched zones: nothing to judge
                    continue
                c = crafts[obs.subject_id] = _Craft(self._first_seen_s(obs, state), obs)
                prev = self._previous(obs, state)
            else:
                if obs.time <= c.last.time:
                    continue
                prev = c.last
                c.last = obs
            zones = watched_of(i)
            speed = self._speed(obs, prev) if zones else None
            fast = (
                speed is not None
                and cfg.min_speed_kt < speed <= cfg.max_plausible_speed_kt
                and bool(zones)
            )
            if fast and speed is not None:
                c.fast_run += 1
                if c.open_key is None and c.fast_run == 1:
                    # a new run: it starts here, in the most severe zone holding it
                    c.fast_since, c.max_speed_kt, c.zone = obs, speed, most_severe(zones)
                c.last_fast = obs
                c.max_speed_kt = max(c.max_speed_kt, speed)
            else:
                c.fast_run = 0
            changes.extend(self._judge(c, obs, state, fast))
        changes.extend(self._sweep(state, now))
        return changes

    @staticmethod
    def _first_seen_s(obs: Observation, state: MonitorState) -> float:
        """When the vessel was first heard (its track's first fix)."""
        track = state.tracks.get((VESSEL, obs.subject_id))
        return track.first_seen.timestamp() if track is not None else obs.t_s

    @staticmethod
    def _previous(obs: Observation, state: MonitorState) -> Fix | None:
        """The vessel's fix before ``obs``, from its track (crafts are followed only in
        the watched zones, the track holds the fix before one that enters)."""
        return state.tracks.previous(obs)

    def _speed(self, obs: Observation, prev: Observation | Fix | None) -> float | None:
        if obs.ground_speed_kt is not None:
            return obs.ground_speed_kt
        if prev is None:
            return None
        dt = obs.t_s - prev.t_s
        if dt < self.config.min_implied_interval_s:
            return None
        return speed_kt(distance_m(prev.lat, prev.lon, obs.lat, obs.lon), dt)

    def profile(self, mmsi: str, c: _Craft, info: VesselInfo | None, obs: Observation) -> str | None:
        """Why the vessel fits the small / unidentified profile, ``None`` when it does not."""
        cfg = self.config
        ship_type = info.ship_type if info is not None and info.ship_type else obs.vessel_type
        if ship_type is not None and ship_type in cfg.excluded_types:
            return None
        if info is not None and info.length_m is not None and info.length_m > 0:
            if info.length_m < cfg.max_length_m:
                return f"small craft ({info.length_m:g} m)"
            return None
        if ship_type is not None and ship_type in cfg.small_craft_types:
            return f"small craft (ship type {ship_type})"
        if info is None:
            if obs.t_s - c.first_seen_s >= cfg.static_grace_s:
                return "unidentified (no static data)"
            return None
        if not (info.name or "").strip() and not ship_type:
            return "unidentified (empty static data)"
        return None

    def _judge(self, c: _Craft, obs: Observation, state: MonitorState, fast: bool) -> list[IncidentChange]:
        cfg = self.config
        if c.open_key is None:
            if not fast or c.fast_run < cfg.min_fast_fixes or c.fast_since is None:
                return []
            why = self.profile(obs.subject_id, c, state.vessels.get(obs.subject_id), obs)
            if why is None:
                return []
            c.open_key = f"fast_craft:{obs.subject_id}:{iso_key(c.fast_since.time)}"
            self._open_mmsi.add(obs.subject_id)
            c.last_update_s = obs.t_s
            return [self._change(ChangeAction.OPEN, obs.subject_id, c, state, obs, why)]
        last_fast = c.last_fast
        if not fast and last_fast is not None and obs.t_s - last_fast.t_s >= cfg.calm_after_s:
            return self._close(obs.subject_id, c, state, "slowed down or left the zone")
        if fast and obs.t_s - c.last_update_s >= cfg.update_every_s:
            c.last_update_s = obs.t_s
            return [self._change(ChangeAction.UPDATE, obs.subject_id, c, state, obs, "")]
        return []

    def _close(self, mmsi: str, c: _Craft, state: MonitorState, why: str) -> list[IncidentChange]:
        ch = self._change(ChangeAction.CLOSE, mmsi, c, state, None, why)
        self._open_mmsi.discard(mmsi)
        c.open_key = None
        c.fast_since = None
        c.zone = None
        c.fast_run = 0
        return [ch]

    def _adopt(self, state: MonitorState) -> None:
        self._adopted = True
        for inc in state.open.of_kind(IncidentKind.FAST_CRAFT):
            if inc.subject_id is None or inc.subject_id in self._crafts:
                continue
            lat, lon = inc.details.get("lat"), inc.details.get("lon")
            if not isinstance(lat, int | float) or not isinstance(lon, int | float):
                continue
            ghost = Observation(
                source="restored", feed_kind="restored", subject_kind=SubjectKind.VESSEL,
                subject_id=inc.subject_id, time=inc.last_seen_at, lat=float(lat), lon=float(lon),
            )
            c = self._crafts[inc.subject_id] = _Craft(inc.started_at.timestamp(), ghost)
            c.open_key, c.fast_since, c.last_fast = inc.dedupe_key, ghost, ghost
            self._open_mmsi.add(inc.subject_id)
            c.last_update_s = ghost.t_s

    def _sweep(self, state: MonitorState, now: datetime) -> list[IncidentChange]:
        """Close what went quiet (open incidents only); forget idle crafts now and then."""
        cfg = self.config
        if self._swept_at is not None and (now - self._swept_at).total_seconds() < cfg.sweep_every_s:
            return []
        self._swept_at = now
        now_s = now.timestamp()
        out: list[IncidentChange] = []
        for mmsi in sorted(self._open_mmsi):
            c = self._crafts.get(mmsi)
            if c is None or c.open_key is None:
                self._open_mmsi.discard(mmsi)
            elif now_s - c.last.t_s >= cfg.lost_after_s:
                out.extend(self._close(mmsi, c, state, "contact lost"))
        idle_s = max(cfg.lost_after_s, cfg.static_grace_s) * 4
        if self._forgot_at is None or (now - self._forgot_at).total_seconds() >= idle_s / 4:
            self._forgot_at = now
            for mmsi in [k for k, c in self._crafts.items()
                         if c.open_key is None and now_s - c.last.t_s > idle_s]:
                del self._crafts[mmsi]
        return out

    def _change(
        self,
        action: ChangeAction,
        mmsi: str,
        c: _Craft,
        state: MonitorState,
        obs: Observation | None,
        why: str,
    ) -> IncidentChange:
        info = state.vessels.get(mmsi)
        ref = obs or c.last_fast or c.last
        label = vessel_label(ref, info, mmsi)
        zone = c.zone
        start = c.fast_since.time if c.fast_since is not None else ref.time
        end = c.last_fast.time if c.last_fast is not None else ref.time
        at = {ChangeAction.OPEN: start, ChangeAction.UPDATE: ref.time, ChangeAction.CLOSE: end}[action]
        details: dict[str, object] = {
            "speed_kt": ref.ground_speed_kt,
            "max_speed_kt": round(c.max_speed_kt, 1),
            "min_speed_kt": self.config.min_speed_kt,
            "fast_since": start.isoformat(),
            "last_fast_at": end.isoformat(),
            "lat": ref.lat,
            "lon": ref.lon,
            **vessel_details(info),
        }
        if zone is not None:
            details["zone_name"] = zone.name
        if action is ChangeAction.OPEN:
            details["profile"] = why
        elif action is ChangeAction.CLOSE:
            details["ended_because"] = why
        verb = {ChangeAction.OPEN: "fast craft", ChangeAction.UPDATE: "still fast",
                ChangeAction.CLOSE: "fast run ended"}[action]
        where = f" in {zone.name}" if zone is not None else ""
        summary = f"{label}: {verb}{where}, up to {c.max_speed_kt:.0f} kn"
        if why:
            summary += f" ({why})"
        return change(
            action,
            c.open_key or "",
            IncidentKind.FAST_CRAFT,
            zone.severity if zone is not None and zone.severity.rank >= Severity.HIGH.rank else Severity.HIGH,
            at,
            summary,
            subject_id=mmsi,
            label=label,
            zone=zone,
            lat=ref.lat,
            lon=ref.lon,
            details=details,
            evidence=(Evidence.of(obs, verb),) if obs is not None else (),
            track=((ref.lon, ref.lat),),
        )

