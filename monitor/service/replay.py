"""Replay a capture file through the pipeline, as fast as possible or at a speed factor.

A raw NMEA log (``.nmea``, ``.nm4``, ``.aivdm``, ``.ais``, ``.vdm``) replays too: its lines
become ``ais_nmea`` records (see ``monitor.capture.nmea_file``).

Records are grouped into batches of consecutive records (at most ``batch_records``, and
at most ``batch_span_s`` of data time) so the geofence runs vectorised while detectors
still see time move in small steps. Each batch's position in the file is saved as a
checkpoint in the same transaction as its incidents, so ``--resume`` continues where a
killed replay stopped.

Resuming
--------
A killed replay leaves the database at a batch boundary, but the in-memory state the
detectors built (tracks, geofence dwell, reroute histories, the hourly traffic series,
which incidents are open) died with the process. ``resume=True`` rebuilds it first: the
records up to the checkpoint go through the pipeline again, in the same batches, against
:class:`_DryStore`, which answers as the database did the first time and writes nothing
(no incident, evidence, outbox row or position is stored twice, and no alert is sent
again). Then the rest of the file is replayed for real. The incidents of a resumed replay
are therefore the incidents of an uninterrupted one (``tests/reliability`` kills replays
at random points to check it). Rebuilding costs the parsing and detection of the records
already replayed, not their database writes.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from monitor.capture import CaptureReader, CaptureRecord
from monitor.capture.format import LineProblem
from monitor.capture.nmea_file import is_nmea_file, nmea_file_records
from monitor.domain import ChangeAction
from monitor.errors import CaptureError
from monitor.feeds.registry import RAW_BODY_KINDS
from monitor.pipeline import Pipeline, PipelineStats
from monitor.store import AppliedChange, StoreBatch
from monitor.store.repository import applied_action

log = logging.getLogger(__name__)


@dataclass
class ReplayReport:
    path: Path
    stats: PipelineStats = field(default_factory=PipelineStats)
    bad_lines: list[LineProblem] = field(default_factory=list)
    bad_line_reasons: dict[str, int] = field(default_factory=dict)
    lines: int = 0
    skipped_lines: int = 0
    wall_s: float = 0.0

    @property
    def observations_per_s(self) -> float:
        return self.stats.observations / self.wall_s if self.wall_s > 0 else 0.0


def checkpoint_name(path: Path) -> str:
    st = path.stat()
    digest = hashlib.sha1(f"{path.resolve()}:{st.st_size}".encode()).hexdigest()[:12]
    return f"replay:{path.name}:{digest}"


def batches(
    records: Iterator[CaptureRecord], *, batch_records: int, batch_span_s: float
) -> Iterator[list[CaptureRecord]]:
    batch: list[CaptureRecord] = []
    first = None
    for rec in records:
        if batch and (
            len(batch) >= batch_records
            or (rec.received_at - first).total_seconds() > batch_span_s  # type: ignore[operator]
            or rec.received_at < batch[-1].received_at
        ):
            yield batch
            batch = []
        if not batch:
            first = rec.received_at
        batch.append(rec)
    if batch:
        yield batch


def _line_of(rec: CaptureRecord) -> int:
    return int((rec.ref or ":0").rsplit(":", 1)[1])


class _DryStore:
    """The store's stand-in while a resumed replay rebuilds its in-memory state.

    ``apply`` decides each incident change as :meth:`monitor.store.Store.apply` decided it
    the first time (open an unknown key, ignore a close of an unknown key and any change
    but a re-open of a closed one, turn an open of an open key into an update), starting
    from the empty database the replay first ran into, and writes nothing.
    """

    def __init__(self) -> None:
        #: dedupe key -> open / closed, as the first run left it so far
        self.status: dict[str, bool] = {}

    def apply(self, batch: StoreBatch, outbox: object = None) -> list[AppliedChange]:
        applied: list[AppliedChange] = []
        for ch in batch.changes:
            action = applied_action(self.status.get(ch.dedupe_key), ch.action)
            if action is None:
                continue
            self.status[ch.dedupe_key] = action is not ChangeAction.CLOSE
            created = action is ChangeAction.OPEN
            applied.append(AppliedChange(replace(ch, action=action), 0, 0, int(created), created))
        return applied

    def add_versions(self, versions: Sequence[Any], *, origin: str) -> None:
        """Zone versions from the feeds were stored the first time."""


def _restored_detectors(pipeline: Pipeline) -> list[Any]:
    """The pipeline's detectors, with those that loaded state from the store at start-up
    (``seed``: the hourly traffic series) built afresh, so rebuilding from the capture does
    not count the replayed hours twice."""
    out = []
    for det in pipeline.detectors:
        config = getattr(det, "config", None)
        if getattr(det, "seed", None) is None or config is None:
            out.append(det)
            continue
        try:
            out.append(type(det)(config))
        except TypeError as exc:
            log.warning(
                "resume: detector %s cannot be rebuilt from its config (%s); its history may "
                "count the replayed records twice", getattr(det, "name", det), exc
            )
            out.append(det)
    return out


def _rebuild_state(
    pipeline: Pipeline, done: Iterable[CaptureRecord], *, batch_records: int, batch_span_s: float
) -> int:
    """Run the records a killed replay already stored through ``pipeline`` without storing
    anything, so its detectors, tracks and open incidents are as the killed run left them.
    Returns how many records were re-read."""
    store = pipeline.store
    assert store is not None
    if pipeline.now is not None or pipeline.unsaved:
        raise RuntimeError("resume needs a pipeline that has not processed anything yet")
    stored_open = dict(pipeline.open.by_key)  # loaded from the database at start-up
    listeners = pipeline.listeners
    dry = _DryStore()
    pipeline.detectors = _restored_detectors(pipeline)
    pipeline.open.clear()
    pipeline.listeners = []
    pipeline.store = dry  # type: ignore[assignment]
    n = 0
    try:
        for batch in batches(iter(done), batch_records=batch_records, batch_span_s=batch_span_s):
            pipeline.process(batch)
            n += len(batch)
        pipeline.flush()  # settled with the stand-in, before the listeners come back
    finally:
        pipeline.store = store
        pipeline.listeners = listeners
    for det in pipeline.detectors:  # stored history from before this capture, as at start-up
        seed = getattr(det, "seed", None)
        zone_id = getattr(getattr(det, "config", None), "zone_id", None)
        if seed is None or zone_id is None:
            continue
        counts = getattr(det, "hourly_counts", None)
        counted = [c.hour_start for c in counts()] if counts is not None else []
        series = store.traffic_series(zone_id)
        if counted:
            series = [(hour, n) for hour, n in series if hour < min(counted)]
        seed(series)
    rebuilt = set(pipeline.open.by_key)
    for key, inc in stored_open.items():
        if key not in dry.status:  # opened by another run or feed: keep following it
            pipeline.open.put(inc)
    differ = {k for k in set(stored_open) | rebuilt if (k in stored_open) != (k in rebuilt)}
    differ &= set(dry.status)
    if differ:
        log.warning(
            "resume: %d incident(s) open in the database but not after re-reading the capture "
            "(or the reverse), e.g. %s", len(differ), sorted(differ)[:3]
        )
    return n


def replay(
    pipeline: Pipeline,
    path: Path,
    *,
    speed: float | None = None,
    batch_records: int = 64,
    batch_span_s: float = 30.0,
    resume: bool = False,
    progress: Callable[[int, int], None] | None = None,
    finish_s: float = 0.0,
) -> ReplayReport:
    """Run ``path`` through ``pipeline``; ``speed`` None means as fast as possible.

    ``progress(bytes_done, bytes_total)`` is called after each batch. ``finish_s`` lets
    data time run on that many seconds after the last record (closing what went quiet).
    """
    nmea = is_nmea_file(path)
    if nmea and not path.is_file():
        raise CaptureError(f"NMEA file {path} does not exist")
    reader = None if nmea else CaptureReader(path, raw_bodies=RAW_BODY_KINDS)
    report = ReplayReport(path=path)
    name = checkpoint_name(path)
    start_line = 0
    if resume and pipeline.store is not None:
        saved = pipeline.store.checkpoint(name)
        if saved:
            start_line = int(saved.get("line", 0))
            log.info("resuming %s after line %d", path, start_line)
    total = path.stat().st_size
    started = time.perf_counter()
    first_data = None
    wall0 = time.monotonic()

    source: Iterator[CaptureRecord] = iter(nmea_file_records(path) if reader is None else reader)
    #: the first record after the checkpoint, read while rebuilding
    after: list[CaptureRecord] = []

    def done() -> Iterator[CaptureRecord]:
        for rec in source:
            if _line_of(rec) > start_line:
                after.append(rec)
                return
            yield rec

    if start_line > 0:
        rebuild_started = time.perf_counter()
        report.skipped_lines = _rebuild_state(
            pipeline, done(), batch_records=batch_records, batch_span_s=batch_span_s
        )
        log.info(
            "resume: state rebuilt from the %d record(s) already stored in %.1f s",
            report.skipped_lines,
            time.perf_counter() - rebuild_started,
        )

    def records() -> Iterator[CaptureRecord]:
        yield from after
        for rec in source:
            if _line_of(rec) <= start_line:
                report.skipped_lines += 1
                continue
            yield rec

    for batch in batches(records(), batch_records=batch_records, batch_span_s=batch_span_s):
        if speed:
            if first_data is None:
                first_data = batch[0].received_at
            due = (batch[0].received_at - first_data).total_seconds() / speed
            delay = due - (time.monotonic() - wall0)
            if delay > 0:
                time.sleep(delay)
        last_line = _line_of(batch[-1])
        stats = pipeline.process(batch, checkpoint=(name, {"line": last_line, "path": str(path)}))
        report.stats.add(stats)
        if progress is not None and reader is not None:
            progress(min(total, int(total * last_line / max(reader.lines_read, 1))), total)
    if finish_s > 0 and pipeline.now is not None:
        from datetime import timedelta

        pipeline.run_until(pipeline.now + timedelta(seconds=finish_s))
    pipeline.flush()  # the last batch's commit, still running on the store's writer thread
    report.wall_s = time.perf_counter() - started
    if reader is not None:
        report.lines = reader.lines_read
        report.bad_lines = list(reader.problems)
        report.bad_line_reasons = dict(reader.reasons)
    if progress is not None:
        progress(total, total)
    return report


async def replay_async(pipeline: Pipeline, path: Path, **kw: object) -> ReplayReport:
    return await asyncio.to_thread(replay, pipeline, path, **kw)  # type: ignore[arg-type]
