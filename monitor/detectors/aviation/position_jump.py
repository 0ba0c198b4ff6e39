"""Position jumps: an aircraft's position moves faster than any aircraft can fly.

Two consecutive ADS-B fixes of one aircraft farther apart than ``min_jump_km`` with an
implied speed above ``max_speed_kt`` are physically impossible: the reported position
(GNSS-derived) is wrong, which is what GNSS spoofing produces (positions displaced, often
consistently, then snapping back). Jumps of one aircraft within ``merge_within_s`` of the
first one belong to the same incident (the jump away and the jump back). The incident
closes when a jump brings the aircraft back to where its last good fix, dead-reckoned
(track and ground speed), says it should be (within ``return_tolerance_km`` plus 10 % of
the distance flown since); else when the aircraft has not been heard for
``lost_after_s``, or ``max_open_s`` after its last jump. An incident left open by a
previous run is closed at start-up (the last good fix it would be judged against is gone).

Only fixes whose position source is in ``position_sources`` are compared: MLAT positions
are computed by the network, not the aircraft, and are noisy at the edge of coverage;
TIS-B relays radar tracks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.detectors.aviation.common import destination, haversine_km
from monitor.detectors.base import DetectionBatch, Detector, MonitorState, iso_key
from monitor.domain import (
    ChangeAction,
    Evidence,
    IncidentChange,
    IncidentKind,
    Observation,
    Severity,
    SubjectKind,
)
from monitor.timeutil import utc_from_epoch_s
from monitor.units import KM_PER_NM


@dataclass(frozen=True)
class PositionJumpConfig:
    """Thresholds of :class:`PositionJumpDetector`.

    ``max_speed_kt`` (1200): above Mach 2 at altitude (about 1,150 kt), faster than any
    aircraft in the region flies. ``min_jump_km`` (20): shorter jumps are left alone, so
    timestamp jitter between feeds (a few seconds at 500 kt is about 1 km) never counts.
    ``merge_within_s`` (3600): later jumps within this of the previous one belong to the
    same incident. ``return_tolerance_km`` (30): a jump landing this close to the
    dead-reckoned true position is the jump back. ``lost_after_s`` (900) and
    ``max_open_s`` (7200): other ways an incident closes.
    ``forget_after_s`` (3600): per-aircraft memory is dropped after this silence.
    ``position_sources`` (adsb): position sources compared.
    """

    max_speed_kt: float = 1200.0
    min_jump_km: float = 20.0
    merge_within_s: float = 3600.0
    return_tolerance_km: float = 30.0
    lost_after_s: float = 900.0
    max_open_s: float = 7200.0
    forget_after_s: float = 3600.0
    position_sources: tuple[str, ...] = ("adsb",)


@dataclass(slots=True)
class _Episode:
    key: str
    first: Observation
    last_jump_s: float
    jumps: int
    max_jump_km: float
    max_speed_kt: float
    last: Observation
    closed_because: str | None = None


class PositionJumpDetector(Detector):
    name = "position_jump"
    kinds = (IncidentKind.POSITION_JUMP,)

    def __init__(self, config: PositionJumpConfig | None = None) -> None:
        self.config = config or PositionJumpConfig()
        #: hex -> (time in epoch s, fix) of the last compared fix
        self._last: dict[str, tuple[float, Observation]] = {}
        self._open: dict[str, _Episode] = {}
        self._last_prune_s = float("-inf")
        self._adopted = False

    def detect(
        self, batch: DetectionBatch, state: MonitorState, now: datetime
    ) -> list[IncidentChange]:
        cfg = self.config
        changes: list[IncidentChange] = []
        if not self._adopted:
            self._adopted = True
            changes.extend(self._orphans(state, now))
        min_deg = cfg.min_jump_km / 111.32
        sources = cfg.position_sources
        last_by = self._last
        for obs in batch.observations:
            if obs.subject_kind is not SubjectKind.AIRCRAFT or obs.position_source not in sources:
                continue
            t = obs.t_s
            prev_entry = last_by.get(obs.subject_id)
            if prev_entry is None:
                last_by[obs.subject_id] = (t, obs)
                continue
            prev_t, prev = prev_entry
            dt = t - prev_t
            if dt <= 0:
                continue
            last_by[obs.subject_id] = (t, obs)
            # cheap bound first: the distance is below 111.32 km * (|dlat| + |dlon|)
            if abs(obs.lat - prev.lat) + abs(obs.lon - prev.lon) < min_deg:
                continue
            dist_km = haversine_km(prev.lat, prev.lon, obs.lat, obs.lon)
            speed_kt = dist_km / KM_PER_NM / (dt / 3600.0)
            if dist_km < cfg.min_jump_km or speed_kt <= cfg.max_speed_kt:
                continue
            changes.append(self._jump(prev, obs, dist_km, speed_kt, dt))
        now_s = now.timestamp()
        for hex_id, ep in list(self._open.items()):
            entry = last_by.get(hex_id)
            last = entry[1] if entry is not None else ep.last
            if now_s - last.t_s >= cfg.lost_after_s:
                ep.closed_because = "lost_contact"
            elif now_s - ep.last_jump_s >= cfg.max_open_s:
                ep.closed_because = "no_further_jumps"
            else:
                continue
            del self._open[hex_id]
            changes.append(self._change(ChangeAction.CLOSE, ep, last, None, last.t_s))
        if now_s - self._last_prune_s >= 600.0:
            self._last_prune_s = now_s
            horizon = now_s - cfg.forget_after_s
            for hex_id in [h for h, (t, _) in last_by.items() if t < horizon]:
                del last_by[hex_id]
        return changes

    def _orphans(self, state: MonitorState, now: datetime) -> list[IncidentChange]:
        """Close incidents a previous run left open: their first fix is not known here."""
        out = []
        for inc in list(state.open.of_kind(IncidentKind.POSITION_JUMP)):
            last = state.tracks.last(("aircraft", inc.subject_id or ""))
            at = last.time if last is not None else inc.last_seen_at
            out.append(
                IncidentChange(
                    action=ChangeAction.CLOSE,
                    dedupe_key=inc.dedupe_key,
                    kind=IncidentKind.POSITION_JUMP,
                    severity=inc.severity,
                    at=min(at, now),
                    summary=f"{inc.subject_id}: position jump incident closed after a restart",
                    subject_kind="aircraft",
                    subject_id=inc.subject_id,
                    details={**inc.details, "closed_because": "restart"},
                )
            )
        return out

    def _jump(
        self, prev: Observation, obs: Observation, dist_km: float, speed_kt: float, dt: float
    ) -> IncidentChange:
        t = obs.t_s
        ep = self._open.get(obs.subject_id)
        jump = {
            "from_lat": prev.lat,
            "from_lon": prev.lon,
            "from_at": prev.time.isoformat(),
            "to_lat": obs.lat,
            "to_lon": obs.lon,
            "to_at": obs.time.isoformat(),
            "jump_km": round(dist_km, 1),
            "interval_s": round(dt, 1),
            "implied_speed_kt": round(speed_kt),
            "from_source": prev.source,
            "to_source": obs.source,
        }
        if ep is None or t - ep.last_jump_s > self.config.merge_within_s:
            key = f"position_jump:{obs.subject_id}:{iso_key(obs.time)}"
            ep = _Episode(key, prev, t, 1, dist_km, speed_kt, obs)
            self._open[obs.subject_id] = ep
            return self._change(ChangeAction.OPEN, ep, obs, jump, t, prev=prev)
        ep.jumps += 1
        ep.last_jump_s = t
        ep.last = obs
        ep.max_jump_km = max(ep.max_jump_km, dist_km)
        ep.max_speed_kt = max(ep.max_speed_kt, speed_kt)
        if self._returned(ep.first, obs):
            ep.closed_because = "returned"
            del self._open[obs.subject_id]
            return self._change(ChangeAction.CLOSE, ep, obs, jump, t, prev=prev)
        return self._change(ChangeAction.UPDATE, ep, obs, jump, t, prev=prev)

    def _returned(self, good: Observation, obs: Observation) -> bool:
        """Whether ``obs`` is where the last good fix, dead-reckoned, would be."""
        lat, lon = good.lat, good.lon
        flown_km = 0.0
        if good.track_deg is not None and good.ground_speed_kt:
            flown_km = good.ground_speed_kt * KM_PER_NM * (obs.t_s - good.t_s) / 3600.0
            lat, lon = destination(good.lat, good.lon, good.track_deg, flown_km)
        off_km = haversine_km(lat, lon, obs.lat, obs.lon)
        return off_km <= self.config.return_tolerance_km + 0.1 * flown_km

    def _change(
        self,
        action: ChangeAction,
        ep: _Episode,
        obs: Observation,
        jump: dict[str, Any] | None,
        at_s: float,
        *,
        prev: Observation | None = None,
    ) -> IncidentChange:
        details: dict[str, Any] = {
            "callsign": obs.callsign,
            "jumps": ep.jumps,
            "max_jump_km": round(ep.max_jump_km, 1),
            "max_implied_speed_kt": round(ep.max_speed_kt),
            "possible_spoofing": True,
        }
        if jump is not None:
            details["last_jump"] = jump
        if action is ChangeAction.CLOSE:
            details["closed_because"] = ep.closed_because
        label = obs.label
        if action is ChangeAction.CLOSE and ep.closed_because == "returned":
            summary = (
                f"{label} position back on its dead-reckoned track after {ep.jumps} jumps "
                f"of up to {ep.max_jump_km:.0f} km"
            )
        elif jump is not None:
            summary = (
                f"{label} position jumped {jump['jump_km']:.0f} km in {jump['interval_s']:.0f} s "
                f"(implied {jump['implied_speed_kt']:,} kt): possible GNSS spoofing"
            )
        else:
            summary = f"{label}: {ep.jumps} impossible position jump(s), none since"
        track: tuple[tuple[float, float], ...] = ()
        evidence: tuple[Evidence, ...] = ()
        if prev is not None:
            track = ((prev.lon, prev.lat), (obs.lon, obs.lat))
            evidence = (
                Evidence.of(prev, "fix before the jump"),
                Evidence.of(obs, "fix after the jump"),
            )
        return IncidentChange(
            action=action,
            dedupe_key=ep.key,
            kind=IncidentKind.POSITION_JUMP,
            severity=Severity.MEDIUM,
            at=utc_from_epoch_s(at_s),
            summary=summary,
            subject_kind="aircraft",
            subject_id=obs.subject_id,
            subject_label=obs.callsign,
            lat=obs.lat,
            lon=obs.lon,
            details=details,
            evidence=evidence,
            track=track,
        )
