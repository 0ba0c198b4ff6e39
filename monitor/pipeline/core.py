"""The pipeline: capture records in, incidents out.

One :class:`Pipeline` per process. ``process(records)`` runs one batch through every
stage::

    parse (per feed kind and source) -> tracks (fusion, dedupe) -> geofence (vectorised)
      -> detectors (pure) -> store (one transaction: incidents, evidence, outbox, positions)

Live polling and replay call the same ``process``; ``tick(now)`` lets time move on without
data (closing what went quiet). Not thread-safe: one consumer drives it.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from monitor.capture import CaptureRecord
from monitor.detectors.base import (
    DetectionBatch,
    Detector,
    GeofenceView,
    MonitorState,
    OpenIncidents,
)
from monitor.domain import (
    ChangeAction,
    IncidentChange,
    Notice,
    Observation,
    OpenIncident,
    SubjectKind,
    VesselInfo,
    ZoneKind,
    ZoneVersion,
)
from monitor.errors import StoreError
from monitor.feeds.batch import ParsedRecords, complete, parse_records
from monitor.feeds.mid import flag_state
from monitor.feeds.registry import StreamParsers
from monitor.identity.vessel import merge_all
from monitor.pipeline.health import FeedHealthBook
from monitor.pipeline.live import LiveView
from monitor.store import AppliedChange, OutboxEntry, Store, StoreBatch
from monitor.store.writer import PendingWrite
from monitor.tracks import TrackStore

log = logging.getLogger(__name__)


class GeofenceEngine(Protocol):
    """What the pipeline needs of the geofence engine (``monitor.geofence.Geofence``)."""

    @property
    def index(self) -> Any: ...

    def evaluate(
        self, observations: Sequence[Observation], t_s: Sequence[float] | None = None
    ) -> GeofenceView: ...

    def replace_zones(self, versions: Sequence[ZoneVersion]) -> None: ...

    def prune(self, before: datetime) -> int: ...


OutboxFn = Callable[[AppliedChange], Sequence[OutboxEntry]]
ChangeListener = Callable[[Sequence[AppliedChange]], None]


@dataclass
class PipelineStats:
    records: int = 0
    observations: int = 0
    accepted: int = 0
    changes: int = 0
    opened: int = 0
    closed: int = 0
    parse_errors: Counter[str] = field(default_factory=Counter)
    unusable_bodies: Counter[str] = field(default_factory=Counter)
    zone_versions: int = 0
    notices: int = 0
    seconds: float = 0.0

    def add(self, other: PipelineStats) -> None:
        self.records += other.records
        self.observations += other.observations
        self.accepted += other.accepted
        self.changes += other.changes
        self.opened += other.opened
        self.closed += other.closed
        self.parse_errors.update(other.parse_errors)
        self.unusable_bodies.update(other.unusable_bodies)
        self.zone_versions += other.zone_versions
        self.notices += other.notices
        self.seconds += other.seconds


@dataclass(frozen=True)
class PipelineConfig:
    #: keep one stored position per subject per this many seconds (0: keep none)
    observation_sample_s: float = 60.0
    #: forget tracks idle for longer than this
    track_idle_expiry_s: float = 6 * 3600.0


class Pipeline:
    def __init__(
        self,
        *,
        geofence: GeofenceEngine,
        detectors: Sequence[Detector],
        store: Store | None,
        config: PipelineConfig | None = None,
        health: FeedHealthBook | None = None,
        outbox: OutboxFn | None = None,
        zone_origin_for: Callable[[str], str] | None = None,
    ) -> None:
        self.config = config or PipelineConfig()
        self.geofence = geofence
        self.detectors = list(detectors)
        self.store = store
        self.outbox = outbox
        self.health = health or FeedHealthBook()
        self.tracks = TrackStore(idle_expiry_s=self.config.track_idle_expiry_s)
        self.open = OpenIncidents()
        self.vessels: dict[str, VesselInfo] = {}
        #: broadcast notices that name no area, by reference (re-sent warnings replace)
        self.notices: dict[str, Notice] = {}
        self.live = LiveView()
        #: running totals of every batch (read by the metrics collector)
        self.totals = PipelineStats()
        self.listeners: list[ChangeListener] = []
        self._parser = StreamParsers(self._fir_boundaries)
        #: subject kind -> subject id -> epoch seconds of its last stored fix
        self._last_stored: dict[str, dict[str, float]] = {}
        self._series_stored: dict[tuple[datetime, str], int] = {}
        #: batches computed but not stored yet (the database refused), oldest first
        self._unsaved: list[_Unsaved] = []
        #: the batch the store is committing while the next one is computed
        self._inflight: tuple[PendingWrite, _Unsaved] | None = None
        self._zone_origin_for = zone_origin_for or (lambda feed: feed)
        #: positions accepted per (source, hour as epoch s), counted only when set (the
        #: coverage of ``monitor backfill``; ``monitor.store.repository.save_coverage``)
        self.coverage: Counter[tuple[str, int]] | None = None
        self.now: datetime | None = None
        self.state = MonitorState(
            tracks=self.tracks,
            zones=geofence.index,
            open=self.open,
            feeds=self.health,
            vessels=self.vessels,
        )
        if store is not None:
            for inc in store.open_incidents():
                self.open.put(inc)
            for det in self.detectors:  # series detectors keep their baseline across restarts
                seed = getattr(det, "seed", None)
                zone_id = getattr(getattr(det, "config", None), "zone_id", None)
                if seed is not None and zone_id is not None:
                    seed(store.traffic_series(zone_id))

    # --- parsing ----------------------------------------------------------------------------

    def _fir_boundaries(self) -> dict[str, Any]:
        """FIR code -> polygon from the zone set (``FIR-SVZM`` -> ``SVZM``), for NOTAMs that
        name a FIR and give no coordinates."""
        return {
            v.zone_id.removeprefix("FIR-"): v.geometry
            for v in self.geofence.index.versions
            if v.kind is ZoneKind.FIR
        }

    def parse(
        self,
        records: Sequence[CaptureRecord],
        stats: PipelineStats,
        parsed: ParsedRecords | None = None,
    ) -> tuple[list[Observation], list[VesselInfo], list[ZoneVersion]]:
        """Parse ``records`` (or take ``parsed``, what a parse worker made of them, parsing
        the records it left) and account for each record: feed health, counts, notices."""
        if parsed is None:
            parsed = parse_records(records, self._parser)
        else:
            parsed = complete(records, parsed, self._parser)
        if len(parsed.outcomes) != len(records):
            raise ValueError(
                f"{len(parsed.outcomes)} parse outcome(s) for a batch of {len(records)} record(s)"
            )
        health = self.health
        for rec, outcome in zip(records, parsed.outcomes, strict=True):
            stats.records += 1
            source = rec.source_name
            if outcome.failure is not None:
                if outcome.bug:  # a parser bug must not stop the monitor: log it loudly
                    log.error(
                        "parser for %s failed on record %s:\n%s", rec.feed, rec.ref, outcome.detail
                    )
                stats.unusable_bodies[f"{rec.feed}:{outcome.failure}"] += 1
                detail = outcome.detail.strip().rsplit("\n", 1)[-1] if outcome.bug else outcome.detail
                health.parse_failed(source, rec.feed, rec.received_at, outcome.failure, detail)
                continue
            if outcome.errors:
                for reason, n in outcome.errors.items():
                    stats.parse_errors[f"{rec.feed}:{reason}"] += n
            if outcome.error_samples:
                log.debug("feed %s skipped items: %s", source, "; ".join(outcome.error_samples))
            health.data(
                source, rec.feed, rec.received_at, items=outcome.items, errors=outcome.errors or {}
            )
        for notice in parsed.notices:
            self.notices[notice.ref] = notice
        stats.notices += len(parsed.notices)
        return parsed.observations, parsed.vessel_info, parsed.zone_versions

    # --- one batch ----------------------------------------------------------------------------

    def process(
        self,
        records: Sequence[CaptureRecord],
        *,
        checkpoint: tuple[str, dict[str, Any]] | None = None,
        parsed: ParsedRecords | None = None,
    ) -> PipelineStats:
        """Run one batch; ``parsed`` is what a parse worker (``monitor.feeds.ahead``) made
        of ``records`` already, whose bodies it may have dropped."""
        started = time.perf_counter()
        stats = PipelineStats()
        # a backlog left while the database was away is stored first (raises while it is
        # still away: nothing new is computed, the caller keeps its records). The commit
        # in flight is settled once this batch is computed and kept (``_commit``), so a
        # failure found then loses neither.
        if self._unsaved:
            self.flush(stats)
        observations, vessel_info, zones = self.parse(records, stats, parsed)
        if zones:
            self._add_zones(zones, records)
            stats.zone_versions += len(zones)
        # static data merged, not overwritten (AIS type 24 part A has the name, part B the
        # rest); the store keeps what each message changes (vessel_identity_history)
        vessel_info = merge_all(self.vessels, [_with_flag(info) for info in vessel_info])
        now = max((r.received_at for r in records), default=self.now)
        if now is None:
            stats.seconds = time.perf_counter() - started
            return stats
        if self.now is not None and now < self.now:
            now = self.now
        self.now = now
        stats.observations = len(observations)
        accepted, t_s = self.tracks.ingest_timed(observations)
        stats.accepted = len(accepted)
        if self.coverage is not None:
            count_coverage(self.coverage, accepted, t_s)
        geo = self.geofence.evaluate(accepted, t_s)
        batch = DetectionBatch(accepted, geo, t_s=t_s)
        changes = self._detect(batch, now)
        self._commit(changes, accepted, t_s, vessel_info, stats, checkpoint)
        self.live.publish(now, batch)
        stats.seconds = time.perf_counter() - started
        self.totals.add(stats)
        return stats

    def tick(self, now: datetime) -> PipelineStats:
        """Let data time reach ``now`` without new data (closes what went quiet)."""
        stats = PipelineStats()
        if self.now is not None and now < self.now:
            return stats
        self.flush(stats)
        self.now = now
        changes = self._detect(DetectionBatch.empty(), now)
        self._commit(changes, [], [], [], stats, None)
        self._forget(self.tracks.expire(now), now)
        return stats

    def _forget(self, gone: Sequence[tuple[str, str]], now: datetime) -> None:
        """Drop the per-subject state of subjects whose tracks expired, so a long live run
        holds only the subjects it has heard from lately."""
        for kind, sid in gone:
            self._last_stored.get(kind, {}).pop(sid, None)
        if gone:
            self.geofence.prune(now - timedelta(seconds=self.config.track_idle_expiry_s))

    def _detect(self, batch: DetectionBatch, now: datetime) -> list[IncidentChange]:
        changes: list[IncidentChange] = []
        for det in self.detectors:
            changes.extend(det.detect(batch, self.state, now))
        return changes

    def _sample(self, accepted: Sequence[Observation], t_s: Sequence[float]) -> list[Observation]:
        """The fixes to store: one per subject per ``observation_sample_s``."""
        every = self.config.observation_sample_s
        if every <= 0:
            return []
        keep = []
        append = keep.append
        by_kind = self._last_stored
        aircraft = by_kind.setdefault(SubjectKind.AIRCRAFT.value, {})
        vessels = by_kind.setdefault(SubjectKind.VESSEL.value, {})
        for obs, t in zip(accepted, t_s, strict=True):
            kind = obs.subject_kind
            last = (
                aircraft if kind is SubjectKind.AIRCRAFT
                else vessels if kind is SubjectKind.VESSEL
                else by_kind.setdefault(kind.value, {})
            )
            sid = obs.subject_id
            prev = last.get(sid)
            if prev is None or t - prev >= every:
                last[sid] = t
                append(obs)
        return keep

    def _commit(
        self,
        changes: list[IncidentChange],
        accepted: Sequence[Observation],
        t_s: Sequence[float],
        vessel_info: list[VesselInfo],
        stats: PipelineStats,
        checkpoint: tuple[str, dict[str, Any]] | None,
    ) -> None:
        health_states, outages = self.health.drain()
        if self.store is None:
            applied = [AppliedChange(c, 0, 0, 0, c.action is ChangeAction.OPEN) for c in changes]
            self._after_commit(applied, stats)
            return
        batch = StoreBatch(
            changes=changes,
            observations=self._sample(accepted, t_s),
            vessel_info=vessel_info,
            feed_health=health_states,
            outages=outages,
            traffic=self._series_changes(),
            checkpoint=checkpoint,
        )
        if batch:
            self._unsaved.append(_Unsaved(batch))
        self._store_backlog(stats, wait=False)

    @property
    def unsaved(self) -> int:
        """Batches computed but not yet stored (the database refused or was away, or the
        store is committing one)."""
        return len(self._unsaved) + (self._inflight is not None)

    def flush(self, stats: PipelineStats | None = None) -> None:
        """Store every batch computed so far and wait for the commits.

        A batch is computed once; when its transaction fails it is kept, whole, and retried
        here (``process`` and ``tick`` retry first and compute nothing new until the backlog
        is stored), so a database that goes away and comes back loses no incident and
        records none twice. Call it at the end of a run: ``process`` leaves the last batch
        committing on the store's writer thread.

        Raises
        ------
        monitor.errors.StoreError
            While the database still refuses; nothing is lost, call again later.
        """
        self._store_backlog(stats if stats is not None else PipelineStats(), wait=True)

    def _store_backlog(self, stats: PipelineStats, *, wait: bool) -> None:
        """Hand the kept batches to the store in order. Each batch's incident changes are
        taken into the in-memory state as soon as its transaction has decided them; the
        last batch's commit is left running unless ``wait``."""
        self._settle(stats)
        while self._unsaved:
            assert self.store is not None
            entry = self._unsaved[0]
            try:
                submit = getattr(self.store, "submit", None)
                if submit is not None:
                    pending = submit(entry.batch, self.outbox)
                else:  # a store without a writer thread
                    pending = PendingWrite.finished(
                        entry.batch, self.store.apply(entry.batch, self.outbox)
                    )
                applied = pending.applied()
            except Exception as exc:
                raise self._kept(exc) from exc
            self._unsaved.pop(0)
            if not entry.taken:
                self._take(applied, stats)
                entry.taken = True
            self._inflight = (pending, entry)
            if wait or self._unsaved:
                self._settle(stats)

    def _settle(self, stats: PipelineStats) -> None:
        """Wait for the commit in flight; on success tell the listeners, on failure put the
        batch back at the head of the backlog (its changes are already taken in memory, so
        its retry only stores them) and raise."""
        if self._inflight is None:
            return
        pending, entry = self._inflight
        self._inflight = None
        try:
            applied = pending.wait()
        except Exception as exc:
            self._unsaved.insert(0, entry)
            raise self._kept(exc) from exc
        self._notify(applied)

    def _kept(self, exc: Exception) -> StoreError:
        return StoreError(
            f"database unavailable, {len(self._unsaved)} batch(es) kept for retry: {exc}"
        )

    def _after_commit(self, applied: Sequence[AppliedChange], stats: PipelineStats) -> None:
        self._take(applied, stats)
        self._notify(applied)

    def _take(self, applied: Sequence[AppliedChange], stats: PipelineStats) -> None:
        """Incident changes as the store decided them: into the open incidents and counts."""
        self._update_open(applied)
        stats.changes += len(applied)
        stats.opened += sum(1 for a in applied if a.created)
        stats.closed += sum(1 for a in applied if a.change.action is ChangeAction.CLOSE)

    def _notify(self, applied: Sequence[AppliedChange]) -> None:
        """Committed incident changes to the listeners (console alerts, live pushes)."""
        if applied:
            for listener in self.listeners:
                try:
                    listener(applied)
                except Exception:  # a listener (console alert, SSE) must not stop the pipeline
                    log.exception("incident listener failed")

    def _series_changes(self) -> list[tuple[datetime, str, int]]:
        """Hourly counts (detectors with ``hourly_counts()``, e.g. traffic collapse) that
        changed since they were last stored: the series behind the traffic chart."""
        out = []
        for det in self.detectors:
            counts = getattr(det, "hourly_counts", None)
            if counts is None:
                continue
            for c in counts():
                key = (c.hour_start, c.zone_id)
                if self._series_stored.get(key) != c.aircraft:
                    self._series_stored[key] = c.aircraft
                    out.append((c.hour_start, c.zone_id, c.aircraft))
        return out

    def _update_open(self, applied: Sequence[AppliedChange]) -> None:
        for a in applied:
            ch = a.change
            if ch.action is ChangeAction.CLOSE:
                self.open.remove(ch.dedupe_key)
                continue
            cur = self.open.get(ch.dedupe_key)
            if cur is None:
                self.open.put(OpenIncident(
                    dedupe_key=ch.dedupe_key,
                    kind=ch.kind,
                    severity=ch.severity,
                    started_at=ch.at,
                    last_seen_at=ch.at,
                    subject_id=ch.subject_id,
                    zone_id=ch.zone_id,
                    details=dict(ch.details),
                ))
            else:
                cur.severity = ch.severity
                cur.last_seen_at = max(cur.last_seen_at, ch.at)
                cur.details = dict(ch.details)

    def _add_zones(self, zones: list[ZoneVersion], records: Sequence[CaptureRecord]) -> None:
        if self.store is not None:
            origin = self._zone_origin_for(records[0].feed if records else "feed")
            self.store.add_versions(zones, origin=origin)
        known = {v.key: v for v in self.geofence.index.versions}
        new = [z for z in zones if z.key not in known]
        if new:
            self.geofence.replace_zones([*known.values(), *new])
            self.state.zones = self.geofence.index
            log.info("zones: %d new version(s) from feeds", len(new))

    def replace_zones(self, versions: Sequence[ZoneVersion]) -> None:
        """Work with ``versions`` from the next batch on (zones declared, amended or lifted
        by another process); tracks, geofence state and open incidents are kept. Between
        batches only: like ``process``, not thread-safe."""
        self.geofence.replace_zones(versions)
        self.state.zones = self.geofence.index

    def run_until(self, now: datetime, step_s: float = 60.0) -> None:
        """Tick forward to ``now`` in steps (end of a replay)."""
        if self.now is None:
            return
        t = self.now
        while t < now:
            t = min(now, t + timedelta(seconds=step_s))
            self.tick(t)


@dataclass(slots=True)
class _Unsaved:
    """A batch computed and not stored yet; ``taken`` once its incident changes are in the
    in-memory state (a commit failed after its transaction had decided them)."""

    batch: StoreBatch
    taken: bool = False


def _with_flag(info: VesselInfo) -> VesselInfo:
    """Static data joined with the flag state its MMSI's MID says."""
    if info.flag is not None:
        return info
    flag = flag_state(info.mmsi)
    return info if flag is None else replace(info, flag=flag)


def count_coverage(
    counts: Counter[tuple[str, int]], accepted: Sequence[Observation], t_s: Sequence[float]
) -> None:
    """Add ``accepted`` to ``counts`` by (source, start of the hour in epoch seconds)."""
    for obs, t in zip(accepted, t_s, strict=True):
        counts[(obs.source, int(t // 3600) * 3600)] += 1
