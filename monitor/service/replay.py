"""Replay a capture file through the pipeline, as fast as possible or at a speed factor.

A raw NMEA log (``.nmea``, ``.nm4``, ``.aivdm``, ``.ais``, ``.vdm``) replays too: its lines
become ``ais_nmea`` records (see ``monitor.capture.nmea_file``).

Records are grouped into batches of consecutive records (at most ``batch_records``, and
at most ``batch_span_s`` of data time; ``monitor.capture.batches``) so the geofence runs
vectorised while detectors still see time move in small steps. A large file is read and
parsed in a second process one batch ahead of the pipeline (``monitor.feeds.ahead``;
``parse_worker``), which takes a fifth of the work off the pipeline's core. Each batch's
position in the file is saved as a checkpoint in the same transaction as its incidents,
so ``--resume`` continues where a killed replay stopped.

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
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any

from monitor.capture import CaptureRecord
from monitor.capture.batches import BatchPlace, capture_batches, line_of
from monitor.capture.format import LineProblem
from monitor.capture.nmea_file import is_nmea_file
from monitor.domain import ChangeAction
from monitor.errors import CaptureError
from monitor.feeds.ahead import ParseAhead
from monitor.feeds.batch import ParsedRecords
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
    #: whether the file was read and parsed by a worker process, and its peak RSS
    parse_worker: bool = False
    parse_worker_peak_rss_bytes: int | None = None

    @property
    def observations_per_s(self) -> float:
        return self.stats.observations / self.wall_s if self.wall_s > 0 else 0.0


def checkpoint_name(path: Path) -> str:
    st = path.stat()
    digest = hashlib.sha1(f"{path.resolve()}:{st.st_size}".encode()).hexdigest()[:12]
    return f"replay:{path.name}:{digest}"


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
    pipeline: Pipeline,
    done: Iterable[tuple[list[CaptureRecord], ParsedRecords | None]],
) -> int:
    """Run the batches a killed replay already stored through ``pipeline`` without storing
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
        for batch, parsed in done:
            pipeline.process(batch, parsed=parsed)
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


#: files at least this large replay with a parse worker when ``parse_worker`` is None
#: (a smaller one finishes before a second process would have started)
PARSE_WORKER_MIN_BYTES = 8 * 1024 * 1024


def use_parse_worker(path: Path, parse_worker: bool | None) -> bool:
    """Whether a replay of ``path`` parses in a second process (see ``replay``)."""
    if parse_worker is not None:
        return parse_worker
    try:
        size = path.stat().st_size
    except OSError:
        return False
    return _usable_cores() >= 2 and size >= PARSE_WORKER_MIN_BYTES


def _usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the system tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


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
    parse_worker: bool | None = None,
) -> ReplayReport:
    """Run ``path`` through ``pipeline``; ``speed`` None means as fast as possible.

    ``progress(bytes_done, bytes_total)`` is called after each batch. ``finish_s`` lets
    data time run on that many seconds after the last record (closing what went quiet).
    ``parse_worker`` reads and parses the file in a second process, one batch ahead
    (``monitor.feeds.ahead``); None decides by the file's size and the machine's cores.
    """
    if not path.exists():
        raise CaptureError(
            f"{'NMEA' if is_nmea_file(path) else 'capture'} file {path} does not exist"
        )
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
    source = partial(
        capture_batches,
        path,
        start_line=start_line,
        batch_records=batch_records,
        batch_span_s=batch_span_s,
        raw_bodies=RAW_BODY_KINDS,
    )
    ahead = ParseAhead(source) if use_parse_worker(path, parse_worker) else None
    items: Iterator[tuple[list[CaptureRecord], BatchPlace, ParsedRecords | None]] = (
        iter(ahead) if ahead is not None
        else ((records, place, None) for records, place in source())
    )
    end = BatchPlace("end")
    try:
        if start_line > 0:
            rebuild_started = time.perf_counter()
            first_new: list[tuple[list[CaptureRecord], BatchPlace, ParsedRecords | None]] = []

            def done() -> Iterator[tuple[list[CaptureRecord], ParsedRecords | None]]:
                for records, place, parsed in items:
                    if place.phase != "done":
                        first_new.append((records, place, parsed))
                        return
                    yield records, parsed

            report.skipped_lines = _rebuild_state(pipeline, done())
            log.info(
                "resume: state rebuilt from the %d record(s) already stored in %.1f s",
                report.skipped_lines,
                time.perf_counter() - rebuild_started,
            )
            items = chain(first_new, items)
        for batch, place, parsed in items:
            if place.phase == "end":  # the reader's summary; a worker's own end follows
                end = place
                continue
            if speed:
                if first_data is None:
                    first_data = batch[0].received_at
                due = (batch[0].received_at - first_data).total_seconds() / speed
                delay = due - (time.monotonic() - wall0)
                if delay > 0:
                    time.sleep(delay)
            last_line = line_of(batch[-1])
            stats = pipeline.process(
                batch, checkpoint=(name, {"line": last_line, "path": str(path)}), parsed=parsed
            )
            report.stats.add(stats)
            if progress is not None and place.lines_read is not None:
                progress(min(total, int(total * last_line / max(place.lines_read, 1))), total)
    finally:
        if ahead is not None:
            ahead.close()
    if finish_s > 0 and pipeline.now is not None:
        from datetime import timedelta

        pipeline.run_until(pipeline.now + timedelta(seconds=finish_s))
    pipeline.flush()  # the last batch's commit, still running on the store's writer thread
    report.wall_s = time.perf_counter() - started
    report.skipped_lines += end.skipped
    report.lines = end.lines
    report.bad_lines = list(end.problems)
    report.bad_line_reasons = dict(end.reasons)
    report.parse_worker = ahead is not None
    report.parse_worker_peak_rss_bytes = ahead.worker_peak_rss_bytes if ahead else None
    if progress is not None:
        progress(total, total)
    return report


async def replay_async(pipeline: Pipeline, path: Path, **kw: object) -> ReplayReport:
    return await asyncio.to_thread(replay, pipeline, path, **kw)  # type: ignore[arg-type]
