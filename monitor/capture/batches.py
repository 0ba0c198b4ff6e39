"""A capture file as the batches a replay runs, with where each batch ends in the file.

Records are grouped into batches of consecutive records (at most ``batch_records``, at
most ``batch_span_s`` of data time, and never across a step back in time) so the
geofence runs vectorised while detectors still see time move in small steps.

:func:`capture_batches` is the whole reading of a replay: the records a killed replay
already stored (up to its checkpoint's line, phase ``"done"``), then the rest (``"new"``),
then one closing item with no records that carries the reader's summary (lines read,
unreadable lines by reason). It runs in the replay's process or in its parse worker
(``monitor.feeds.ahead``), which is why it takes only picklable arguments and reports
through what it yields.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from monitor.capture.format import CaptureReader, CaptureRecord, LineProblem
from monitor.capture.nmea_file import is_nmea_file, nmea_file_records
from monitor.errors import CaptureError


@dataclass(frozen=True, slots=True)
class BatchPlace:
    """Where a batch stands in its file.

    ``phase`` is ``"done"`` (already stored by a killed run), ``"new"`` or, on the closing
    item, ``"end"``. ``lines_read`` is how far the reader had read when the batch was
    formed (for progress; ``None`` for a raw NMEA file). The closing item carries the
    reader's summary and ``skipped``, the records after the checkpoint's first new
    record that were at or before the checkpoint's line (not replayed).
    """

    phase: str
    lines_read: int | None = None
    lines: int = 0
    problems: list[LineProblem] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)
    skipped: int = 0


def line_of(rec: CaptureRecord) -> int:
    """The line number of a record read from a file (its ``ref`` is ``name:line``)."""
    return int((rec.ref or ":0").rsplit(":", 1)[1])


def batches(
    records: Iterable[CaptureRecord], *, batch_records: int, batch_span_s: float
) -> Iterator[list[CaptureRecord]]:
    """Consecutive records in batches (see the module docstring)."""
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


def capture_batches(
    path: Path,
    *,
    start_line: int = 0,
    batch_records: int = 64,
    batch_span_s: float = 30.0,
    raw_bodies: frozenset[str] = frozenset(),
) -> Iterator[tuple[list[CaptureRecord], BatchPlace]]:
    """The batches of the capture (or raw NMEA) file ``path``; see the module docstring.

    Raises
    ------
    monitor.errors.CaptureError
        When the file does not exist or cannot be opened.
    """
    nmea = is_nmea_file(path)
    if nmea and not path.is_file():
        raise CaptureError(f"NMEA file {path} does not exist")
    reader = None if nmea else CaptureReader(path, raw_bodies=raw_bodies)
    source: Iterator[CaptureRecord] = iter(nmea_file_records(path) if reader is None else reader)
    after: list[CaptureRecord] = []  # the first record after the checkpoint

    def lines_read() -> int | None:
        return None if reader is None else reader.lines_read

    def done() -> Iterator[CaptureRecord]:
        for rec in source:
            if line_of(rec) > start_line:
                after.append(rec)
                return
            yield rec

    skipped = 0

    def rest() -> Iterator[CaptureRecord]:
        nonlocal skipped
        yield from after
        for rec in source:
            if line_of(rec) <= start_line:
                skipped += 1
                continue
            yield rec

    if start_line > 0:
        for batch in batches(done(), batch_records=batch_records, batch_span_s=batch_span_s):
            yield batch, BatchPlace("done", lines_read())
    for batch in batches(rest(), batch_records=batch_records, batch_span_s=batch_span_s):
        yield batch, BatchPlace("new", lines_read())
    yield [], BatchPlace(
        "end",
        lines_read(),
        lines=reader.lines_read if reader is not None else 0,
        problems=list(reader.problems) if reader is not None else [],
        reasons=dict(reader.reasons) if reader is not None else {},
        skipped=skipped,
    )
