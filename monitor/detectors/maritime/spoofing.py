"""Spoofing, bad identities and identities shared: AIS positions or identities that cannot be true.

Two incident kinds, one per MMSI and episode.

``spoofing`` (``details["reason"]`` is the first reason seen, ``details["reasons"]`` counts all):

``implied_speed``
    A fix too far from the vessel's previous one to have been reached at
    ``max_speed_kt`` (plus ``jump_tolerance_m`` for position noise and feed latency), after
    which the old place is not heard again within ``simultaneous_s`` (the reported position
    was displaced), or the new place is heard no more (one displaced fix: a glitch).
``position_jump``
    The vessel jumped back to an earlier track last heard more than ``simultaneous_s``
    before (the end of a displaced stretch).
``two_places``
    Only for an MMSI that is no transmitter's own (``invalid_mmsi``): alternating between
    two places. For a valid MMSI that is an ``identity_conflict``.
``on_land``
    A position more than ``land_tolerance_m`` inside land (zones of kind ``land``; the
    tolerance covers the 1:50m coastline and harbours drawn inside it), not within
    ``port_radius_km`` of a port and not on a known inland waterway (``data/waterways.csv``:
    the Orinoco).
``invalid_mmsi``
    An MMSI that is not nine digits, has a form ITU-R M.585 does not allocate, is a group
    call or a shared default, or is a vessel form with an unallocated MID (see
    :func:`~monitor.detectors.maritime.common.mmsi_problem`).

``identity_conflict``
    One MMSI reported alternately from two places no vessel could join in the time between
    them: two transmitters share the identity (a copied MMSI, a transponder moved to another
    hull without reprogramming, a forged identity). The incident keeps both places ("two
    transmitters share MMSI X: A at ..., B at ..., 800 km apart within 60 s"); each
    transmitter's track is kept apart (``monitor.tracks`` splits them too).

How an impossible jump is told apart: it is held (``details`` say nothing yet) until what
follows decides, and the incident it becomes starts at the jump:

* the two places keep alternating, ``conflict_min_switches`` switches between the two
  tracks (A, B, A, B is three) while both live: ``identity_conflict``;
* the old place is not heard again within ``simultaneous_s``: ``spoofing``
  (``implied_speed``, the position was displaced);
* the old place goes on and the new one is not heard again within ``stray_ttl_s``:
  ``spoofing`` (``implied_speed``, a displaced fix or stretch).

Positions are tracked as up to ``max_tracks`` hypotheses per MMSI: a fix joins the
hypothesis it could have come from (latest first), else starts a new one. Hypotheses
expire after ``track_ttl_s`` without fixes (``stray_ttl_s`` for one made of a single fix).
A ``spoofing`` episode closes, at the time of its last anomaly, once ``quiet_s`` passed
without one and at most one hypothesis is left; an ``identity_conflict`` once ``quiet_s``
passed without a switch between the places.

By MMSI class (ITU-R M.585, :mod:`monitor.identity.vessel`): aids to navigation (drifting
net buoys transmit as ``99MID``), coast and base stations and distress beacons (AIS-SART,
MOB, EPIRB-AIS) raise nothing; SAR aircraft (``111MID``) fly, so no land, MID or vessel
speed rule applies: only identity conflicts, at ``sar_aircraft_max_speed_kt``. An MMSI with
an ``invalid_mmsi`` problem (many transmitters share ``123456789``) keeps every anomaly in
its ``spoofing`` episode and raises no identity conflict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from monitor.detectors.base import DetectionBatch, Detector, MonitorState, iso_key
from monitor.detectors.maritime.common import (
    SPOOFING_EXEMPT,
    change,
    mmsi_problem,
    vessel_label,
)
from monitor.detectors.maritime.geo import distance_m, kt_to_mps, speed_kt
from monitor.detectors.maritime.places import (
    PortIndex,
    WaterwayMask,
    bundled_ports,
    bundled_waterways,
)
from monitor.detectors.maritime.shore import ShorelineCache
from monitor.domain import (
    ChangeAction,
    Evidence,
    IncidentChange,
    IncidentKind,
    Observation,
    Severity,
)
from monitor.domain.identity import MmsiClass
from monitor.geo import within_m
from monitor.identity.vessel import looks_like_fishing_gear, mmsi_class
from monitor.timeutil import utc_from_epoch_s
from monitor.units import M_PER_NM

REASON_SEVERITY = {
    "two_places": Severity.HIGH,
    "implied_speed": Severity.MEDIUM,
    "position_jump": Severity.MEDIUM,
    "on_land": Severity.MEDIUM,
    "invalid_mmsi": Severity.LOW,
}

#: how an MMSI is checked (by class and validity, decided at its first fix)
_FULL = 0  # a vessel: every rule
_AIR = 1  # a SAR aircraft: identity conflicts only, at aircraft speed
_SUSPECT = 2  # no transmitter's own identity: every anomaly is spoofing, no conflicts
_SKIP = 3  # aids to navigation, coast stations, distress beacons: nothing


@dataclass(frozen=True)
class SpoofingConfig:
    """Thresholds of :class:`SpoofingDetector`."""

    #: the fastest a vessel can go (go-fast boats reach 50-60 kn)
    max_speed_kt: float = 60.0
    #: the fastest a search-and-rescue aircraft (111MID) flies (jets: about 450 kn)
    sar_aircraft_max_speed_kt: float = 600.0
    #: added to ``max_speed_kt`` x time between fixes: GPS noise, feed time stamps
    jump_tolerance_m: float = 2000.0
    #: two inconsistent positions within this interval: "in two places at once"; an old
    #: place unheard this long after a jump: the position was displaced
    simultaneous_s: float = 300.0
    #: switches between two places (A, B, A, B: three) that make them two transmitters
    conflict_min_switches: int = 3
    #: a position hypothesis unheard for this long is dropped
    track_ttl_s: float = 21600.0
    #: a hypothesis of a single fix is dropped after this long (a glitch)
    stray_ttl_s: float = 900.0
    #: hypotheses kept per MMSI
    max_tracks: int = 4
    #: positions deeper inland than this are "on land"
    land_tolerance_m: float = 3000.0
    #: positions within this of a port are never "on land"
    port_radius_km: float = 5.0
    #: report invalid MMSIs
    check_mmsi: bool = True
    #: an episode ends after this long without an anomaly (and one hypothesis left)
    quiet_s: float = 3600.0
    #: one update (with evidence) per this interval, or at once when a new reason appears
    update_every_s: float = 600.0
    #: the end-of-episode sweep runs at most once per this interval of data time
    sweep_every_s: float = 60.0

    def __post_init__(self) -> None:
        if self.conflict_min_switches < 2:
            raise ValueError(f"conflict_min_switches must be >= 2, got {self.conflict_min_switches}")


@dataclass(slots=True, eq=False)
class _Hyp:
    t_s: float
    lat: float
    lon: float
    fixes: int = 1
    last: Observation | None = None


@dataclass(slots=True)
class _Jump:
    """An impossible jump from ``old`` to ``new`` that nothing has explained yet."""

    t_s: float
    obs: Observation
    #: the last fix at the old place before the jump
    before: Observation | None
    old: _Hyp
    new: _Hyp
    distance_m: float
    interval_s: float
    switches: int = 1
    #: first fix back at the old place
    back_s: float | None = None


@dataclass(slots=True)
class _Episode:
    key: str
    start_s: float
    last_anomaly_s: float
    reasons: dict[str, int] = field(default_factory=dict)
    first_reason: str = ""
    last_update_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    lat: float | None = None
    lon: float | None = None


@dataclass(slots=True)
class _Conflict:
    """An identity conflict: two places (``a`` the one heard first) sharing the MMSI."""

    key: str
    start_s: float
    last_switch_s: float
    a: _Hyp | None
    b: _Hyp | None
    first_a: Observation | None
    first_b: Observation | None
    distance_m: float
    interval_s: float
    switches: int
    last_update_s: float
    lat: float | None = None
    lon: float | None = None


@dataclass(slots=True)
class _Mmsi:
    mode: int = _FULL
    cls: MmsiClass = MmsiClass.SHIP
    hyps: list[_Hyp] = field(default_factory=list)
    problem: str | None = None
    #: the hypothesis of the latest fix
    cur: _Hyp | None = None
    jump: _Jump | None = None
    episode: _Episode | None = None
    conflict: _Conflict | None = None
    last_s: float = 0.0
    last: Observation | None = None


@dataclass(slots=True)
class _Found:
    """What one fix showed: anomalies now, and spoofing decided for an earlier jump."""

    now: list[tuple[str, str]] = field(default_factory=list)
    #: (jump, reason, note, last anomaly time)
    late: list[tuple[_Jump, str, str, float]] = field(default_factory=list)
    conflict: bool = False


class SpoofingDetector(Detector):
    """``spoofing`` and ``identity_conflict`` incidents (see the module docstring)."""

    name = "spoofing"
    kinds = (IncidentKind.SPOOFING, IncidentKind.IDENTITY_CONFLICT)

    def __init__(self, config: SpoofingConfig | None = None) -> None:
        self.config = config or SpoofingConfig()
        self._shore = ShorelineCache()
        self._ports = PortIndex(bundled_ports())
        self._waterways = WaterwayMask(bundled_waterways())
        self._mmsi: dict[str, _Mmsi] = {}
        self._max_mps = kt_to_mps(self.config.max_speed_kt)
        self._air_mps = kt_to_mps(self.config.sar_aircraft_max_speed_kt)
        #: MMSIs with a spoofing episode open, an identity conflict open, a jump held
        self._episodes: set[str] = set()
        self._conflicts: set[str] = set()
        self._jumps: set[str] = set()
        self._forgot_at: datetime | None = None
        self._adopted = False
        self._swept_at: datetime | None = None

    def detect(
        self, batch: DetectionBatch, state: MonitorState, now: datetime
    ) -> list[IncidentChange]:
        if not self._adopted:
            self._adopt(state)
        observations = batch.observations
        index = batch.vessel_index
        vessels = [observations[i] for i in index]
        changes: list[IncidentChange] = []
        if vessels:
            t_list = batch.t_s
            land = self._on_land(vessels, state, now).tolist()
            fix = self._fix
            for k, obs in enumerate(vessels):
                found = fix(obs, t_list[index[k]], land[k], state)
                if found:
                    changes.extend(found)
        changes.extend(self._sweep(state, now))
        return changes

    # --- checks -----------------------------------------------------------------------------

    def _on_land(self, vessels: list[Observation], state: MonitorState, now: datetime) -> np.ndarray:
        shore = self._shore.get(state.zones, now)
        if shore.empty:
            return np.zeros(len(vessels), dtype=bool)
        lons = np.fromiter((o.lon for o in vessels), float, len(vessels))
        lats = np.fromiter((o.lat for o in vessels), float, len(vessels))
        land = shore.on_land(lons, lats)
        if land.any():
            land &= ~self._waterways.contains(lons, lats)
        cfg = self.config
        for j in np.flatnonzero(land):
            o = vessels[int(j)]
            deep = shore.depth_m(o.lon, o.lat, within_m=2 * cfg.land_tolerance_m) > cfg.land_tolerance_m
            if not deep or self._ports.within(o.lat, o.lon, cfg.port_radius_km * 1000.0) is not None:
                land[j] = False
        return land

    def _new(self, mmsi: str, name: str | None = None) -> _Mmsi:
        """The record of an MMSI heard for the first time: its class decides its checks
        (and its name, for fishing gear under a form no transmitter should use)."""
        m = _Mmsi(cls=mmsi_class(mmsi))
        if self.config.check_mmsi:
            m.problem = mmsi_problem(mmsi)
        if m.problem:
            m.mode = _SKIP if looks_like_fishing_gear(name) else _SUSPECT
        elif m.cls is MmsiClass.SAR_AIRCRAFT:
            m.mode = _AIR
        elif m.cls in SPOOFING_EXEMPT:
            m.mode = _SKIP
        return m

    def _fix(
        self, obs: Observation, t_s: float, on_land: bool, state: MonitorState
    ) -> list[IncidentChange]:
        m = self._mmsi.get(obs.subject_id)
        if m is None:
            m = self._mmsi[obs.subject_id] = self._new(obs.subject_id, _name(obs, state))
        elif (
            m.mode == _FULL
            and not on_land
            and len(m.hyps) == 1
            and m.jump is None
            and self._follows(m.hyps[0], obs, t_s)
        ):
            # the common case: a vessel on its one track, within reach of its last fix
            m.last_s, m.last = t_s, obs
            return []
        if m.mode == _SUSPECT and m.episode is None and looks_like_fishing_gear(_name(obs, state)):
            m.mode = _SKIP  # its name came with static data after its first position
        if m.mode == _SKIP:
            m.last_s = t_s
            return []
        found = _Found()
        if m.problem:
            found.now.append(("invalid_mmsi", m.problem))
        if on_land and m.mode != _AIR:
            found.now.append(("on_land", f"position {obs.lat:.4f}, {obs.lon:.4f} is inland"))
        self._track(m, obs, t_s, found)
        m.last_s, m.last = t_s, obs
        out: list[IncidentChange] = []
        for jump, reason, note, last_s in found.late:
            out.extend(self._anomaly(m, jump.obs, jump.t_s, [(reason, note)], state, last_s=last_s))
        if found.conflict and m.conflict is not None:
            out.extend(self._conflict_change(m, obs, t_s, state))
        if found.now:
            out.extend(self._anomaly(m, obs, t_s, found.now, state))
        return out

    def _follows(self, h: _Hyp, obs: Observation, t_s: float) -> bool:
        """Whether ``obs`` continues the live hypothesis ``h`` (and if so, moves it on):
        what :meth:`_track` decides for a lone hypothesis within reach, without its
        allocations."""
        cfg = self.config
        age_s = t_s - h.t_s
        if age_s > (cfg.stray_ttl_s if h.fixes == 1 else cfg.track_ttl_s):
            return False
        reach_m = self._max_mps * (age_s if age_s > 0.0 else 0.0) + cfg.jump_tolerance_m
        if not within_m(h.lat, h.lon, obs.lat, obs.lon, reach_m):
            return False
        h.t_s, h.lat, h.lon = t_s, obs.lat, obs.lon
        h.fixes += 1
        h.last = obs
        return True

    def _track(self, m: _Mmsi, obs: Observation, t_s: float, found: _Found) -> None:
        """Join ``obs`` (at epoch ``t_s``) to a position hypothesis; note in ``found`` what
        that shows (see the module docstring)."""
        cfg = self.config
        max_mps = self._air_mps if m.mode == _AIR else self._max_mps
        m.hyps = [
            h for h in m.hyps
            if t_s - h.t_s <= (cfg.stray_ttl_s if h.fixes == 1 else cfg.track_ttl_s)
        ]
        prev = m.cur if m.cur is not None and m.cur in m.hyps else None
        if not m.hyps:
            m.cur = _Hyp(t_s, obs.lat, obs.lon, last=obs)
            m.hyps.append(m.cur)
            self._decide(m, t_s, found)
            return
        latest = m.hyps[0] if len(m.hyps) == 1 else max(m.hyps, key=lambda h: h.t_s)

        def beyond(h: _Hyp) -> float:
            """How far beyond reach ``obs`` is from ``h``, metres (<= 0: reachable)."""
            return distance_m(h.lat, h.lon, obs.lat, obs.lon) - (
                max_mps * max(0.0, t_s - h.t_s) + cfg.jump_tolerance_m
            )

        if beyond(latest) <= 0:
            hyp = latest
            event = None
        else:
            d = distance_m(latest.lat, latest.lon, obs.lat, obs.lon)
            dt = t_s - latest.t_s
            others = sorted((h for h in m.hyps if h is not latest and beyond(h) <= 0), key=lambda h: -h.t_s)
            if others:
                hyp = others[0]
                event = "back"
            else:
                hyp = _Hyp(t_s, obs.lat, obs.lon, fixes=0)
                m.hyps.append(hyp)
                if len(m.hyps) > cfg.max_tracks:
                    m.hyps.remove(min(m.hyps, key=lambda h: h.t_s))
                event = "jump"
            left_s = t_s - hyp.t_s
            if m.mode == _SUSPECT:
                found.now.append(_immediate(event, d, dt, left_s, cfg))
            else:
                self._jumped(m, obs, t_s, latest, hyp, event, d, dt, left_s, found)
        hyp.t_s, hyp.lat, hyp.lon = t_s, obs.lat, obs.lon
        hyp.fixes += 1
        hyp.last = obs
        m.cur = hyp
        if m.conflict is not None and hyp is not prev and prev is not None:
            self._conflict_switch(m, hyp, prev, obs, t_s, found)
        self._decide(m, t_s, found)

    def _jumped(
        self,
        m: _Mmsi,
        obs: Observation,
        t_s: float,
        latest: _Hyp,
        hyp: _Hyp,
        event: str,
        d: float,
        dt: float,
        left_s: float,
        found: _Found,
    ) -> None:
        """An impossible move of a valid MMSI: a switch of a held jump, a new jump held, or
        (back to a place left long ago) the end of a displaced stretch."""
        cfg = self.config
        if m.conflict is not None:
            return  # counted by _conflict_switch
        if m.jump is not None:
            j = m.jump
            if hyp is j.old or hyp is j.new:
                self._switched(m, hyp, t_s)
                return
            # a third place: the earlier jump is not two transmitters alternating
            self._settle(m, found, reason_note="positions scattered over three places")
        if event == "back" and left_s > cfg.simultaneous_s:
            if m.mode == _FULL:
                found.now.append((
                    "position_jump",
                    f"jumped {d / M_PER_NM:.1f} nm back to a track left {left_s / 60:.0f} min before",
                ))
            return
        m.jump = _Jump(t_s, obs, latest.last, latest, hyp, d, dt)
        self._jumps.add(obs.subject_id)

    def _switched(self, m: _Mmsi, hyp: _Hyp, t_s: float) -> None:
        j = m.jump
        assert j is not None
        j.switches += 1
        if hyp is j.old and j.back_s is None:
            j.back_s = t_s

    def _settle(self, m: _Mmsi, found: _Found, *, reason_note: str = "") -> None:
        """End a held jump as spoofing (``implied_speed``) at the time of the jump."""
        j = m.jump
        if j is None:
            return
        m.jump = None
        self._jumps.discard(j.obs.subject_id)
        if m.mode != _FULL:
            return
        implied = speed_kt(j.distance_m, j.interval_s)
        note = (
            f"{j.distance_m / M_PER_NM:.1f} nm in {j.interval_s:.0f} s: implied {implied:.0f} kn "
            f"(> {self.config.max_speed_kt:g} kn)"
        )
        if reason_note:
            note = f"{note}; {reason_note}"
        last_s = j.back_s if j.back_s is not None else j.t_s
        found.late.append((j, "implied_speed", note, last_s))

    def _decide(self, m: _Mmsi, now_s: float, found: _Found) -> None:
        """What a held jump turned out to be, once the data says (module docstring)."""
        j = m.jump
        if j is None:
            return
        cfg = self.config
        if j.switches >= cfg.conflict_min_switches and j.old in m.hyps and j.new in m.hyps:
            # (hypotheses compare by identity)
            m.jump = None
            self._jumps.discard(j.obs.subject_id)
            self._open_conflict(m, j, now_s)
            found.conflict = True
        elif now_s - j.t_s > cfg.simultaneous_s and j.old.t_s < j.t_s:
            self._settle(m, found, reason_note="the old position was not heard again")
        elif j.back_s is not None and now_s - j.new.t_s > cfg.stray_ttl_s:
            self._settle(m, found, reason_note="back on the old track, the new position not heard again")

    # --- identity conflicts -----------------------------------------------------------------

    def _open_conflict(self, m: _Mmsi, j: _Jump, now_s: float) -> None:
        mmsi = j.obs.subject_id
        m.conflict = _Conflict(
            key=f"identity_conflict:{mmsi}:{iso_key(j.obs.time)}",
            start_s=j.t_s,
            last_switch_s=now_s,
            a=j.old,
            b=j.new,
            first_a=j.before,
            first_b=j.obs,
            distance_m=j.distance_m,
            interval_s=j.interval_s,
            switches=j.switches,
            last_update_s=-1e18,
        )
        self._conflicts.add(mmsi)

    def _conflict_switch(
        self, m: _Mmsi, hyp: _Hyp, prev: _Hyp, obs: Observation, t_s: float, found: _Found
    ) -> None:
        c = m.conflict
        assert c is not None
        c.switches += 1
        c.last_switch_s = t_s
        if c.a is None and c.b is None:  # adopted after a restart: the places as heard now
            c.a, c.b = prev, hyp
            c.first_a, c.first_b = prev.last, obs
        elif hyp is not c.a and hyp is not c.b:
            # a place seen anew: it replaces the one of the two heard longest ago
            if c.a is None or (c.b is not None and c.a.t_s < c.b.t_s):
                c.a = hyp
            else:
                c.b = hyp
        found.conflict = True

    def _conflict_change(
        self, m: _Mmsi, obs: Observation, t_s: float, state: MonitorState
    ) -> list[IncidentChange]:
        c = m.conflict
        assert c is not None
        c.lat, c.lon = obs.lat, obs.lon
        if c.last_update_s < -1e17:
            action = ChangeAction.OPEN
        elif t_s - c.last_update_s >= self.config.update_every_s:
            action = ChangeAction.UPDATE
        else:
            return []
        c.last_update_s = t_s
        return [self._conflict_incident(action, obs.subject_id, c, m, state, obs)]

    def _conflict_incident(
        self,
        action: ChangeAction,
        mmsi: str,
        c: _Conflict,
        m: _Mmsi,
        state: MonitorState,
        obs: Observation | None,
    ) -> IncidentChange:
        label = vessel_label(obs, state.vessels.get(mmsi), mmsi)
        a, b = c.first_a, c.first_b
        km = c.distance_m / 1000.0

        def where(o: Observation | None) -> str:
            return "?" if o is None else f"{o.lat:.3f}, {o.lon:.3f} ({o.time:%H:%M:%SZ})"

        places = []
        for name, first, hyp in (("A", a, c.a), ("B", b, c.b)):
            latest = hyp.last if hyp is not None else None
            places.append({
                "place": name,
                "first_lat": None if first is None else first.lat,
                "first_lon": None if first is None else first.lon,
                "first_at": None if first is None else first.time.isoformat(),
                "last_lat": None if latest is None else latest.lat,
                "last_lon": None if latest is None else latest.lon,
                "last_at": None if latest is None else latest.time.isoformat(),
                "fixes": 0 if hyp is None else hyp.fixes,
            })
        details: dict[str, object] = {
            "mmsi_class": m.cls.value,
            "transmitters": places,
            "distance_km": round(km, 1),
            "interval_s": round(c.interval_s, 1),
            "switches": c.switches,
            "first_conflict_at": utc_from_epoch_s(c.start_s).isoformat(),
            "last_conflict_at": utc_from_epoch_s(c.last_switch_s).isoformat(),
        }
        evidence: list[Evidence] = []
        for name, first, hyp in (("A", a, c.a), ("B", b, c.b)):
            shown = hyp.last if hyp is not None and hyp.last is not None else first
            if shown is not None:
                evidence.append(Evidence.of(shown, f"transmitter {name} of MMSI {mmsi}"))
        at = utc_from_epoch_s(c.start_s if action is ChangeAction.OPEN else c.last_switch_s)
        if action is ChangeAction.CLOSE:
            summary = f"{label}: identity conflict ended (two transmitters shared MMSI {mmsi})"
        else:
            summary = (
                f"{label}: two transmitters share MMSI {mmsi}: A at {where(a)}, B at {where(b)}, "
                f"{km:,.0f} km apart within {c.interval_s:.0f} s"
            )
        severity = Severity.HIGH if m.cls.is_vessel else Severity.MEDIUM
        return change(
            action,
            c.key,
            IncidentKind.IDENTITY_CONFLICT,
            severity,
            at,
            summary,
            subject_id=mmsi,
            label=label,
            lat=obs.lat if obs is not None else c.lat,
            lon=obs.lon if obs is not None else c.lon,
            details=details,
            evidence=evidence,
            # one point, never a line: a line through both places is a zig-zag across the map
            track=((obs.lon, obs.lat),) if obs is not None else (),
        )

    # --- episodes ---------------------------------------------------------------------------

    def _adopt(self, state: MonitorState) -> None:
        self._adopted = True
        for inc in state.open.of_kind(IncidentKind.SPOOFING):
            if inc.subject_id is None or inc.subject_id in self._mmsi:
                continue
            reasons = inc.details.get("reasons")
            m = self._mmsi[inc.subject_id] = self._new(inc.subject_id)
            m.last_s = inc.last_seen_at.timestamp()
            self._episodes.add(inc.subject_id)
            m.episode = _Episode(
                inc.dedupe_key,
                inc.started_at.timestamp(),
                inc.last_seen_at.timestamp(),
                dict(reasons) if isinstance(reasons, dict) else {},
                str(inc.details.get("reason", "")),
                inc.last_seen_at.timestamp(),
            )
        for inc in state.open.of_kind(IncidentKind.IDENTITY_CONFLICT):
            if inc.subject_id is None:
                continue
            m = self._mmsi.get(inc.subject_id) or self._new(inc.subject_id)
            self._mmsi[inc.subject_id] = m
            last = inc.last_seen_at.timestamp()
            m.last_s = max(m.last_s, last)
            distance_km = inc.details.get("distance_km")
            interval_s = inc.details.get("interval_s")
            m.conflict = _Conflict(
                key=inc.dedupe_key,
                start_s=inc.started_at.timestamp(),
                last_switch_s=last,
                a=None,
                b=None,
                first_a=None,
                first_b=None,
                distance_m=float(distance_km) * 1000.0 if isinstance(distance_km, int | float) else 0.0,
                interval_s=float(interval_s) if isinstance(interval_s, int | float) else 0.0,
                switches=int(inc.details.get("switches", 0) or 0),
                last_update_s=last,
            )
            self._conflicts.add(inc.subject_id)

    def _anomaly(
        self,
        m: _Mmsi,
        obs: Observation,
        t_s: float,
        anomalies: list[tuple[str, str]],
        state: MonitorState,
        *,
        last_s: float | None = None,
    ) -> list[IncidentChange]:
        """Anomalies of the fix ``obs`` at ``t_s`` (an earlier fix for a held jump decided
        now, whose stretch lasted until ``last_s``) into the MMSI's spoofing episode."""
        ep = m.episode
        action = ChangeAction.UPDATE
        if ep is None:
            ep = m.episode = _Episode(
                key=f"spoofing:{obs.subject_id}:{iso_key(obs.time)}",
                start_s=t_s,
                last_anomaly_s=t_s,
                first_reason=anomalies[0][0],
                last_update_s=t_s,
            )
            action = ChangeAction.OPEN
            self._episodes.add(obs.subject_id)
        new_reason = any(r not in ep.reasons for r, _ in anomalies)
        for reason, _ in anomalies:
            ep.reasons[reason] = ep.reasons.get(reason, 0) + 1
        ep.last_anomaly_s = max(ep.last_anomaly_s, t_s if last_s is None else last_s)
        ep.lat, ep.lon = obs.lat, obs.lon
        if (
            action is ChangeAction.UPDATE
            and not new_reason
            and t_s - ep.last_update_s < self.config.update_every_s
        ):
            return []
        ep.last_update_s = t_s
        for reason, note in anomalies:
            if len(ep.notes) < 10:
                ep.notes.append(f"{reason}: {note}")
        previous = [h.last for h in m.hyps if h.last is not None and h.last is not obs]
        return [self._change(action, obs.subject_id, ep, state, obs, previous)]

    def _sweep(self, state: MonitorState, now: datetime) -> list[IncidentChange]:
        cfg = self.config
        if self._swept_at is not None and (now - self._swept_at).total_seconds() < cfg.sweep_every_s:
            return []
        self._swept_at = now
        now_s = now.timestamp()
        out: list[IncidentChange] = []
        for mmsi in sorted(self._jumps):
            m = self._mmsi.get(mmsi)
            if m is None or m.jump is None:
                self._jumps.discard(mmsi)
                continue
            found = _Found()
            self._decide(m, now_s, found)
            for jump, reason, note, last_s in found.late:
                out.extend(self._anomaly(m, jump.obs, jump.t_s, [(reason, note)], state, last_s=last_s))
            if found.conflict and m.conflict is not None and m.last is not None:
                out.extend(self._conflict_change(m, m.last, now_s, state))
        for mmsi in sorted(self._conflicts):
            m = self._mmsi[mmsi]
            c = m.conflict
            if c is None:
                self._conflicts.discard(mmsi)
                continue
            if now_s - c.last_switch_s >= cfg.quiet_s:
                m.conflict = None
                self._conflicts.discard(mmsi)
                if c.last_update_s > -1e17:  # opened
                    out.append(self._conflict_incident(ChangeAction.CLOSE, mmsi, c, m, state, None))
        for mmsi in sorted(self._episodes):
            m = self._mmsi[mmsi]
            ep = m.episode
            if ep is None or now_s - ep.last_anomaly_s < cfg.quiet_s:
                continue
            alive = [
                h for h in m.hyps
                if now_s - h.t_s <= (cfg.stray_ttl_s if h.fixes <= 1 else cfg.track_ttl_s)
            ]
            if len(alive) <= 1 or now_s - m.last_s >= cfg.quiet_s:
                m.episode = None
                self._episodes.discard(mmsi)
                out.append(self._change(ChangeAction.CLOSE, mmsi, ep, state, None, []))
        if self._forgot_at is None or (now - self._forgot_at).total_seconds() >= cfg.track_ttl_s / 4:
            self._forgot_at = now
            for mmsi in [
                k for k, m in self._mmsi.items()
                if m.episode is None and m.conflict is None and m.jump is None
                and now_s - m.last_s > cfg.track_ttl_s
            ]:
                del self._mmsi[mmsi]
        return out

    def _change(
        self,
        action: ChangeAction,
        mmsi: str,
        ep: _Episode,
        state: MonitorState,
        obs: Observation | None,
        previous: list[Observation],
    ) -> IncidentChange:
        severity = max((REASON_SEVERITY[r] for r in ep.reasons), key=lambda s: s.rank, default=Severity.MEDIUM)
        label = vessel_label(obs, state.vessels.get(mmsi), mmsi)
        at = {
            ChangeAction.OPEN: utc_from_epoch_s(ep.start_s),
            ChangeAction.UPDATE: utc_from_epoch_s(ep.last_anomaly_s),
            ChangeAction.CLOSE: utc_from_epoch_s(ep.last_anomaly_s),
        }[action]
        details: dict[str, object] = {
            "reason": ep.first_reason,
            "reasons": dict(ep.reasons),
            "notes": list(ep.notes),
            "first_anomaly_at": utc_from_epoch_s(ep.start_s).isoformat(),
            "last_anomaly_at": utc_from_epoch_s(ep.last_anomaly_s).isoformat(),
        }
        evidence: list[Evidence] = []
        track: tuple[tuple[float, float], ...] = ()
        if obs is not None:
            evidence.append(Evidence.of(obs, ep.notes[-1] if ep.notes else ep.first_reason))
            for p in previous[:2]:
                evidence.append(Evidence.of(p, "earlier position of the same MMSI"))
            track = ((obs.lon, obs.lat),)
        reasons = ", ".join(r.replace("_", " ") for r in ep.reasons)
        verb = "spoofing suspected" if action is not ChangeAction.CLOSE else "spoofing episode ended"
        return change(
            action,
            ep.key,
            IncidentKind.SPOOFING,
            severity,
            at,
            f"{label}: {verb} ({reasons})",
            subject_id=mmsi,
            label=label,
            lat=obs.lat if obs is not None else ep.lat,
            lon=obs.lon if obs is not None else ep.lon,
            details=details,
            evidence=evidence,
            track=track,
        )


def _name(obs: Observation, state: MonitorState) -> str | None:
    """The transmitter's name: in the position report (AIS type 19), else its static data."""
    if obs.name:
        return obs.name
    info = state.vessels.get(obs.subject_id)
    return info.name if info is not None else None


def _immediate(
    event: str, d: float, dt: float, left_s: float, cfg: SpoofingConfig
) -> tuple[str, str]:
    """The anomaly of an impossible move of an MMSI that is no transmitter's own, at once."""
    implied = speed_kt(d, dt)
    if event == "jump":
        return (
            "implied_speed",
            f"{d / M_PER_NM:.1f} nm in {dt:.0f} s: implied {implied:.0f} kn (> {cfg.max_speed_kt:g} kn)",
        )
    if left_s <= cfg.simultaneous_s:
        return (
            "two_places",
            f"reported {d / M_PER_NM:.1f} nm apart {dt:.0f} s apart ({implied:.0f} kn), "
            "alternating between two tracks",
        )
    return ("position_jump", f"jumped {d / M_PER_NM:.1f} nm back to a track left {left_s / 60:.0f} min before")
