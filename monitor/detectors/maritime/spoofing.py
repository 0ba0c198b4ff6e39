"""Spoofing and bad identity: AIS positions or identities that cannot be true.

Reasons (``details["reason"]`` is the first one seen, ``details["reasons"]`` counts all):

``implied_speed``
    A fix too far from the vessel's previous one to have been reached at
    ``max_speed_kt`` (plus ``jump_tolerance_m`` for position noise and feed latency).
``position_jump``
    The vessel jumped back to an earlier track last heard more than ``simultaneous_s``
    before (the end of a displaced stretch).
``two_places``
    The same MMSI reported alternately from two places, each inconsistent with the other,
    both heard within ``simultaneous_s``: two transmitters share the MMSI, or one is forged.
``on_land``
    A position more than ``land_tolerance_m`` inside land (zones of kind ``land``; the
    tolerance covers the 1:50m coastline and harbours drawn inside it), not within
    ``port_radius_km`` of a port and not on a known inland waterway (``data/waterways.csv``:
    the Orinoco).
``invalid_mmsi``
    An MMSI that is not nine digits, has a form no vessel sends position reports with, or
    carries an unallocated MID (see :func:`~monitor.detectors.maritime.common.mmsi_problem`).

Positions are tracked as up to ``max_tracks`` hypotheses per MMSI: a fix joins the
hypothesis it could have come from (latest first), else starts a new one. Hypotheses
expire after ``track_ttl_s`` without fixes (``stray_ttl_s`` for one made of a single fix).
One incident per MMSI and episode: it opens at the first anomaly and closes, at the time
of the last anomaly, once ``quiet_s`` passed without one and at most one hypothesis is
left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from monitor.detectors.base import DetectionBatch, Detector, MonitorState, iso_key
from monitor.detectors.maritime.common import change, mmsi_problem, vessel_label
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
from monitor.geo import within_m
from monitor.timeutil import utc_from_epoch_s
from monitor.units import M_PER_NM

REASON_SEVERITY = {
    "two_places": Severity.HIGH,
    "implied_speed": Severity.MEDIUM,
    "position_jump": Severity.MEDIUM,
    "on_land": Severity.MEDIUM,
    "invalid_mmsi": Severity.LOW,
}


@dataclass(frozen=True)
class SpoofingConfig:
    """Thresholds of :class:`SpoofingDetector`."""

    #: the fastest a vessel can go (go-fast boats reach 50-60 kn)
    max_speed_kt: float = 60.0
    #: added to ``max_speed_kt`` x time between fixes: GPS noise, feed time stamps
    jump_tolerance_m: float = 2000.0
    #: two inconsistent positions within this interval: "in two places at once"
    simultaneous_s: float = 300.0
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


@dataclass(slots=True)
class _Hyp:
    t_s: float
    lat: float
    lon: float
    fixes: int = 1
    last: Observation | None = None


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
class _Mmsi:
    hyps: list[_Hyp] = field(default_factory=list)
    problem: str | None = None
    checked: bool = False
    episode: _Episode | None = None
    last_s: float = 0.0
    last: Observation | None = None


class SpoofingDetector(Detector):
    """``spoofing`` incidents (see the module docstring)."""

    name = "spoofing"
    kinds = (IncidentKind.SPOOFING,)

    def __init__(self, config: SpoofingConfig | None = None) -> None:
        self.config = config or SpoofingConfig()
        self._shore = ShorelineCache()
        self._ports = PortIndex(bundled_ports())
        self._waterways = WaterwayMask(bundled_waterways())
        self._mmsi: dict[str, _Mmsi] = {}
        self._max_mps = kt_to_mps(self.config.max_speed_kt)
        #: MMSIs with an episode open
        self._episodes: set[str] = set()
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

    def _fix(
        self, obs: Observation, t_s: float, on_land: bool, state: MonitorState
    ) -> list[IncidentChange]:
        cfg = self.config
        m = self._mmsi.get(obs.subject_id)
        if m is None:
            m = self._mmsi[obs.subject_id] = _Mmsi()
        elif (
            not on_land
            and (m.checked or not cfg.check_mmsi)
            and not m.problem
            and len(m.hyps) == 1
            and self._follows(m.hyps[0], obs, t_s)
        ):
            # the common case: a valid MMSI on its one track, within reach of its last fix
            m.last_s, m.last = t_s, obs
            return []
        anomalies: list[tuple[str, str]] = []
        if cfg.check_mmsi:
            if not m.checked:
                m.checked = True
                m.problem = mmsi_problem(obs.subject_id)
            if m.problem:
                anomalies.append(("invalid_mmsi", m.problem))
        if on_land:
            anomalies.append(("on_land", f"position {obs.lat:.4f}, {obs.lon:.4f} is inland"))
        jump = self._track(m, obs, t_s)
        if jump is not None:
            anomalies.append(jump)
        m.last_s, m.last = t_s, obs
        if not anomalies:
            return []
        return self._anomaly(m, obs, t_s, anomalies, state)

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

    def _track(self, m: _Mmsi, obs: Observation, t_s: float) -> tuple[str, str] | None:
        """Join ``obs`` (at epoch ``t_s``) to a position hypothesis; the anomaly it shows."""
        cfg = self.config
        max_mps = kt_to_mps(cfg.max_speed_kt)
        m.hyps = [
            h for h in m.hyps
            if t_s - h.t_s <= (cfg.stray_ttl_s if h.fixes == 1 else cfg.track_ttl_s)
        ]
        if not m.hyps:
            m.hyps.append(_Hyp(t_s, obs.lat, obs.lon, last=obs))
            return None
        latest = m.hyps[0] if len(m.hyps) == 1 else max(m.hyps, key=lambda h: h.t_s)

        def reach(h: _Hyp) -> float:
            """How far beyond reach ``obs`` is from ``h``, metres (<= 0: reachable)."""
            return distance_m(h.lat, h.lon, obs.lat, obs.lon) - (max_mps * max(0.0, t_s - h.t_s) + cfg.jump_tolerance_m)

        anomaly: tuple[str, str] | None = None
        if reach(latest) <= 0:
            hyp = latest
        else:
            others = sorted((h for h in m.hyps if h is not latest and reach(h) <= 0), key=lambda h: -h.t_s)
            d = distance_m(latest.lat, latest.lon, obs.lat, obs.lon)
            dt = t_s - latest.t_s
            implied = speed_kt(d, dt)
            if others:
                hyp = others[0]
                left_s = t_s - hyp.t_s
                if left_s <= cfg.simultaneous_s:
                    anomaly = (
                        "two_places",
                        f"reported {d / M_PER_NM:.1f} nm apart {dt:.0f} s apart "
                        f"({implied:.0f} kn), alternating between two tracks",
                    )
                else:
                    anomaly = (
                        "position_jump",
                        f"jumped {d / M_PER_NM:.1f} nm back to a track left "
                        f"{left_s / 60:.0f} min before",
                    )
            else:
                hyp = _Hyp(t_s, obs.lat, obs.lon, fixes=0)
                m.hyps.append(hyp)
                if len(m.hyps) > cfg.max_tracks:
                    m.hyps.remove(min(m.hyps, key=lambda h: h.t_s))
                anomaly = (
                    "implied_speed",
                    f"{d / M_PER_NM:.1f} nm in {dt:.0f} s: implied {implied:.0f} kn "
                    f"(> {cfg.max_speed_kt:g} kn)",
                )
        hyp.t_s, hyp.lat, hyp.lon = t_s, obs.lat, obs.lon
        hyp.fixes += 1
        hyp.last = obs
        return anomaly

    # --- episodes ---------------------------------------------------------------------------

    def _adopt(self, state: MonitorState) -> None:
        self._adopted = True
        for inc in state.open.of_kind(IncidentKind.SPOOFING):
            if inc.subject_id is None or inc.subject_id in self._mmsi:
                continue
            reasons = inc.details.get("reasons")
            m = self._mmsi[inc.subject_id] = _Mmsi()
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

    def _anomaly(
        self,
        m: _Mmsi,
        obs: Observation,
        t_s: float,
        anomalies: list[tuple[str, str]],
        state: MonitorState,
    ) -> list[IncidentChange]:
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
        ep.last_anomaly_s = t_s
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
            for mmsi in [k for k, m in self._mmsi.items()
                         if m.episode is None and now_s - m.last_s > cfg.track_ttl_s]:
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
