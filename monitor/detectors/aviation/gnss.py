"""GNSS interference: per H3 cell, the share of ADS-B aircraft reporting degraded navigation.

As gpsjam.org does: aircraft positions are binned into H3 cells (resolution 4, cells of
about 1,770 km²); an aircraft counts as *bad* in a cell when one of its ADS-B fixes
there, within the rolling window, had NIC < ``max_bad_nic`` + 1 (i.e. < 7), NACp < 8, or a
``gpsOkBefore`` time (readsb shows it for a while after GPS was lost). Only fixes whose
position source is ADS-B and which carry NIC or NACp count: MLAT and TIS-B positions are
not computed from the aircraft's GNSS, and feeds without NIC (OpenSky) say nothing.

A cell opens an incident when, over the last ``window_s``, more than ``min_bad_share`` of
at least ``min_aircraft`` distinct aircraft were bad, with at least ``min_bad_aircraft``
bad ones (one faulty transponder among nine aircraft is not jamming). It stays open while
the share stays above ``close_below_share`` and closes when it drops below (or the cell
has no aircraft left in the window). The incident's track is the cell's boundary, a
closed ring of (lon, lat), so the stored geometry is the cell polygon (a map layer); its
position is the cell centre.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import h3

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

#: an aircraft's fixes are counted at most this often while its state does not change:
#: feeds report every few seconds, and a cell is about 45 km across, three minutes of
#: flight at cruise speed
SAMPLE_EVERY_S = 60.0


@dataclass(frozen=True)
class GnssConfig:
    """Thresholds of :class:`GnssInterferenceDetector`.

    ``h3_resolution`` (4, as gpsjam.org). ``window_s`` (3600): rolling window per cell
    (gpsjam aggregates a day; an hour keeps the incident timely while still pooling
    enough aircraft). ``min_bad_share`` (0.10, gpsjam's "red" threshold: more than 10 %
    bad). ``min_aircraft`` (5): distinct ADS-B aircraft with NIC/NACp needed in the
    window (gpsjam greys out cells with few aircraft). ``min_bad_aircraft`` (2).
    ``close_below_share`` (0.05): hysteresis for closing. ``max_bad_nic`` (6: NIC < 7,
    containment radius worse than 0.2 nm), ``max_bad_nac_p`` (7: NACp < 8, EPU worse than
    0.05 nm). ``evaluate_every_s`` (60): a cell is re-evaluated at most this often.
    ``position_sources`` (adsb): position sources that count.
    """

    h3_resolution: int = 4
    window_s: float = 3600.0
    min_bad_share: float = 0.10
    min_aircraft: int = 5
    min_bad_aircraft: int = 2
    close_below_share: float = 0.05
    max_bad_nic: int = 6
    max_bad_nac_p: int = 7
    evaluate_every_s: float = 60.0
    position_sources: tuple[str, ...] = ("adsb",)


@dataclass(slots=True)
class _Cell:
    #: hex -> last seen s (a float, not a tuple: at 25,000 aircraft the cells hold about a
    #: million visits, and each tuple would cost 100 bytes more)
    seen: dict[str, float] = field(default_factory=dict)
    #: hex -> last bad s, for the aircraft of ``seen`` that reported degraded GNSS here
    bad: dict[str, float] = field(default_factory=dict)
    evaluated_s: float = float("-inf")
    key: str | None = None
    last_bad: Observation | None = None
    peak_share: float = 0.0
    reported: tuple[int, int] = (0, 0)
    last_bad_s: float = float("-inf")


class GnssInterferenceDetector(Detector):
    name = "gnss_interference"
    kinds = (IncidentKind.GNSS_INTERFERENCE,)

    def __init__(self, config: GnssConfig | None = None) -> None:
        self.config = config or GnssConfig()
        self._cells: dict[str, _Cell] = {}
        #: hex -> (time, bad) of the aircraft's last counted fix
        self._recent: dict[str, tuple[float, bool]] = {}
        self._swept_s = float("-inf")
        self._adopted = False

    def is_bad(self, obs: Observation) -> bool | None:
        """Whether a fix reports degraded GNSS; None when it carries no quality data."""
        cfg = self.config
        if obs.nic is None and obs.nac_p is None and obs.gps_ok_before is None:
            return None
        return (
            (obs.nic is not None and obs.nic <= cfg.max_bad_nic)
            or (obs.nac_p is not None and obs.nac_p <= cfg.max_bad_nac_p)
            or obs.gps_ok_before is not None
        )

    def detect(
        self, batch: DetectionBatch, state: MonitorState, now: datetime
    ) -> list[IncidentChange]:
        cfg = self.config
        if not self._adopted:
            self._adopt(state)
        sources = cfg.position_sources
        res = cfg.h3_resolution
        cells = self._cells
        recent = self._recent
        for obs in batch.observations:
            if obs.subject_kind is not SubjectKind.AIRCRAFT or obs.position_source not in sources:
                continue
            bad = self.is_bad(obs)
            if bad is None:
                continue
            t = obs.t_s
            hex_id = obs.subject_id
            last = recent.get(hex_id)
            if last is not None and t - last[0] < SAMPLE_EVERY_S and last[1] == bad:
                continue  # same aircraft, same state, a few seconds on: nothing new
            recent[hex_id] = (t, bad)
            cell_id = h3.latlng_to_cell(obs.lat, obs.lon, res)
            cell = cells.get(cell_id)
            if cell is None:
                cell = cells[cell_id] = _Cell()
            seen = cell.seen
            prev_s = seen.get(hex_id)
            if bad:
                cell.bad[hex_id] = t
                cell.last_bad = obs
                if t > cell.last_bad_s:
                    cell.last_bad_s = t
            seen[hex_id] = t if prev_s is None or t > prev_s else prev_s
        changes: list[IncidentChange] = []
        now_s = now.timestamp()
        horizon = now_s - cfg.window_s
        # visits older than the window never count again (``_evaluate`` prunes before it
        # counts); dropping them every quarter window bounds what is held to 1.25 windows
        full_sweep = now_s - self._swept_s >= cfg.window_s / 4
        if full_sweep:
            self._swept_s = now_s
            for hex_id in [h for h, (t, _) in recent.items() if t < horizon]:
                del recent[hex_id]
        for cell_id, cell in list(cells.items()):
            # only cells with an incident or a degraded aircraft in the window can change
            # anything; the others are pruned once per window
            if cell.key is None and cell.last_bad_s < horizon:
                if full_sweep:
                    self._prune(cell, horizon)
                    if not cell.seen:
                        del cells[cell_id]
                continue
            if now_s - cell.evaluated_s < cfg.evaluate_every_s:
                continue
            cell.evaluated_s = now_s
            change = self._evaluate(cell_id, cell, now_s)
            if change is not None:
                changes.append(change)
        return changes

    @staticmethod
    def _prune(cell: _Cell, horizon: float) -> None:
        seen, bad = cell.seen, cell.bad
        for hex_id in [h for h, seen_s in seen.items() if seen_s < horizon]:
            del seen[hex_id]
            bad.pop(hex_id, None)

    def _evaluate(self, cell_id: str, cell: _Cell, now_s: float) -> IncidentChange | None:
        cfg = self.config
        horizon = now_s - cfg.window_s
        self._prune(cell, horizon)
        total = len(cell.seen)
        bad_ids = sorted(h for h, b in cell.bad.items() if b >= horizon)
        share = len(bad_ids) / total if total else 0.0
        if cell.key is None:
            if (
                total >= cfg.min_aircraft
                and len(bad_ids) >= cfg.min_bad_aircraft
                and share > cfg.min_bad_share
            ):
                start_s = min(b for b in cell.bad.values() if b >= horizon)
                cell.key = f"gnss_interference:{cell_id}:{iso_key(utc_from_epoch_s(start_s))}"
                cell.peak_share = share
                return self._change(ChangeAction.OPEN, cell_id, cell, total, bad_ids, share, start_s)
            return None
        cell.peak_share = max(cell.peak_share, share)
        if total == 0 or share < cfg.close_below_share or not bad_ids:
            last_bad_s = max(cell.bad.values(), default=float("-inf") if cell.seen else now_s)
            at_s = last_bad_s if last_bad_s > float("-inf") else now_s
            ch = self._change(ChangeAction.CLOSE, cell_id, cell, total, bad_ids, share, min(at_s, now_s))
            cell.key = None
            cell.peak_share = 0.0
            return ch
        if (total, len(bad_ids)) == cell.reported:
            return None
        return self._change(ChangeAction.UPDATE, cell_id, cell, total, bad_ids, share, now_s)

    def _adopt(self, state: MonitorState) -> None:
        self._adopted = True
        for inc in state.open.of_kind(IncidentKind.GNSS_INTERFERENCE):
            cell_id = str(inc.details.get("h3_cell") or inc.subject_id or "")
            if cell_id:
                cell = self._cells.setdefault(cell_id, _Cell())
                cell.key = inc.dedupe_key

    def _change(
        self,
        action: ChangeAction,
        cell_id: str,
        cell: _Cell,
        total: int,
        bad_ids: list[str],
        share: float,
        at_s: float,
    ) -> IncidentChange:
        assert cell.key is not None
        cfg = self.config
        cell.reported = (total, len(bad_ids))
        lat, lon = h3.cell_to_latlng(cell_id)
        ring = tuple((blon, blat) for blat, blon in h3.cell_to_boundary(cell_id))
        details: dict[str, Any] = {
            "h3_cell": cell_id,
            "h3_resolution": cfg.h3_resolution,
            "window_s": cfg.window_s,
            "aircraft": total,
            "bad_aircraft": len(bad_ids),
            "bad_share": round(share, 3),
            "peak_bad_share": round(cell.peak_share, 3),
            "bad_examples": bad_ids[:10],
        }
        if action is ChangeAction.CLOSE:
            details["closed_because"] = "share_below_threshold" if total else "no_aircraft"
        severity = Severity.HIGH if cell.peak_share >= 0.5 else Severity.MEDIUM
        evidence: tuple[Evidence, ...] = ()
        if action is not ChangeAction.CLOSE and cell.last_bad is not None:
            o = cell.last_bad
            evidence = (Evidence.of(o, f"NIC {o.nic} NACp {o.nac_p} gpsOkBefore {o.gps_ok_before}"),)
        return IncidentChange(
            action=action,
            dedupe_key=cell.key,
            kind=IncidentKind.GNSS_INTERFERENCE,
            severity=severity,
            at=utc_from_epoch_s(at_s),
            summary=(
                f"GNSS interference over in H3 cell {cell_id} "
                f"(peak {cell.peak_share:.0%} of aircraft degraded)"
                if action is ChangeAction.CLOSE
                else f"GNSS interference: {len(bad_ids)} of {total} aircraft "
                f"({share:.0%}) with degraded navigation in H3 cell {cell_id}"
            ),
            subject_kind="h3_cell",
            subject_id=cell_id,
            lat=lat,
            lon=lon,
            details=details,
            evidence=evidence,
            track=(*ring, ring[0]) if action is ChangeAction.OPEN else (),
        )
