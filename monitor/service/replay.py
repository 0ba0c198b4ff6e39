"""Replay a capture file through the pipeline, as fast as possible or at a speed factor.

A raw NMEA log (``.nmea``, ``.nm4``, ``.aivdm``, ``.ais``, ``.vdm``) replays too: its lines
become ``ais_nmea`` records (see ``monitor.capture.nmea_file``).

Records are grouped into batches of consecutive records (at most ``batch_records``, and
at most ``batch_span_s`` of data time) so the geofence runs vectorised while detectors
still see time move in small steps. Each batch's position in the file is saved as a
checkpoint in the same transaction as its incidents, so ``--resume`` continues where a
killed replay stopped.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from monitor.capture import CaptureReader, CaptureRecord
from monitor.capture.nmea_file import is_nmea_file, nmea_file_records
from monitor.errors import CaptureError
from monitor.capture.format import LineProblem
from monitor.pipeline import Pipeline, PipelineStats

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
    reader = None if nmea else CaptureReader(path)
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

    def records() -> Iterator[CaptureRecord]:
        source = nmea_file_records(path) if reader is None else reader
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
