"""``monitor backfill``: archived files through the same pipeline as replay, as if live.

The steps:

1. **Plan**: the paths are expanded (:mod:`monitor.backfill.reader`), each file's format
   recognised and its bytes fingerprinted (SHA-1). A file already imported (a
   ``backfill-file:<sha1>`` checkpoint in the store) is skipped: importing the same file
   twice adds nothing. A file in no known format is reported with the formats tried.
2. **Merge**: the files' entries in one data-time order (:mod:`monitor.backfill.merge`),
   cut to ``since`` / ``until`` / ``bbox``. Flights files (``/flights/*``) are read first
   and become dated routes for the reroute detector.
3. **Batches**: consecutive entries, at most ``batch_positions`` positions and
   ``batch_span_s`` of data time, become one batch: a record per run of one source's
   positions (already parsed: the pipeline takes them as a parse worker's output) and the
   capture and NGA records as they are (parsed by the pipeline's own parsers, against the
   zones of that moment). ``Pipeline.process`` runs each batch as replay does, with the
   run's checkpoint (``backfill:<hash of the files and cuts>``, the number of batches
   stored) in the batch's transaction. With 8 MB of files or more on two cores (or
   ``parse_worker=True``) the reading, parsing, merging and batching run in a worker
   process one batch ahead (replay's ``monitor.feeds.ahead.ParseAhead``; positions cross
   as msgpack columns), so the importers are off the pipeline's core.
4. **Resume**: a killed import is continued with ``resume=True``: the batches it stored go
   through the pipeline again against the replay's dry store (``monitor.service.replay``),
   which rebuilds the detectors' state and writes nothing; then the rest runs for real.
   Without ``resume`` an interrupted import of the same files is refused (it would store
   its fixes twice).
5. **Coverage**: the pipeline counts the positions it accepted per source and hour
   (``Pipeline.coverage``); the counts are written as the run's own rows (``origin`` the
   run's name), replaced, not added, so a resumed run ends with the counts of an
   uninterrupted one.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.backfill import marinecadastre, opensky, reader, readsb_trace
from monitor.backfill.base import Entry, FileTally
from monitor.backfill.merge import Merged, Source, merge, reorder
from monitor.capture import CaptureRecord
from monitor.capture.format import FEED_KINDS
from monitor.domain import Observation, VesselInfo
from monitor.errors import MonitorError
from monitor.feeds.batch import ParsedRecords, RecordParse
from monitor.pipeline import Pipeline, PipelineStats
from monitor.store import StoreBatch
from monitor.store.repository import CoverageWriter
from monitor.timeutil import iso_z, utc_from_epoch_s, utcnow

log = logging.getLogger(__name__)

#: data time a batch spans at most. Longer than replay's 30 s: an archive is sparse (a
#: region-day of 2 M positions is 23 a second) and each batch costs a transaction and a
#: pass of every detector, whatever it holds; detectors still judge each fix at its time
BATCH_SPAN_S = 300.0
#: positions in a batch at most
BATCH_POSITIONS = 4096
#: feed-health sources of the importers' positions (capture records keep their own)
ARCHIVE_SOURCES = (readsb_trace.SOURCE, opensky.SOURCE, marinecadastre.SOURCE)
#: formats whose files are in time order row by row (a step back is counted, not sorted)
ORDERED_FORMATS = frozenset({"readsb_trace", "opensky_tracks", "nga_msi"})
_TRACE_START = re.compile(rb'"timestamp"\s*:\s*([0-9.eE+-]+)')
_TRACE_FIRST = re.compile(rb'"trace"\s*:\s*\[\s*\[\s*([0-9.eE+-]+)')
_TRACK_START = re.compile(rb'"startTime"\s*:\s*([0-9.eE+-]+)')


@dataclass(frozen=True)
class Cut:
    """What to import: data time ``since`` .. ``until`` and positions inside ``bbox``
    (``(min_lon, min_lat, max_lon, max_lat)``)."""

    since: datetime | None = None
    until: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None

    def key(self) -> str:
        return "|".join((
            iso_z(self.since) if self.since else "",
            iso_z(self.until) if self.until else "",
            ",".join(f"{v:g}" for v in self.bbox) if self.bbox else "",
        ))


@dataclass
class PlannedFile:
    path: Path
    format: str
    fingerprint: str
    tally: FileTally


@dataclass
class BackfillReport:
    files: list[FileTally] = field(default_factory=list)
    #: files not read: (path, reason)
    not_read: list[tuple[str, str]] = field(default_factory=list)
    #: files imported before (path, when)
    already: list[tuple[str, str]] = field(default_factory=list)
    stats: PipelineStats = field(default_factory=PipelineStats)
    routes: int = 0
    batches: int = 0
    resumed_batches: int = 0
    #: positions the importers made (records of captures are parsed by the pipeline)
    positions: int = 0
    run: str = ""
    wall_s: float = 0.0
    #: whether the files were read and batched in a worker process
    parse_worker: bool = False

    @property
    def positions_per_s(self) -> float:
        """Positions through the pipeline (imported and parsed from records) per second."""
        return self.stats.observations / self.wall_s if self.wall_s > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        s = self.stats
        return {
            "run": self.run,
            "files": [f.as_dict() for f in self.files],
            "not_read": [{"path": p, "reason": r} for p, r in self.not_read],
            "already_imported": [{"path": p, "imported_at": w} for p, w in self.already],
            "routes": self.routes,
            "batches": self.batches,
            "resumed_batches": self.resumed_batches,
            "positions": self.positions,
            "observations": s.observations,
            "accepted": s.accepted,
            "incidents_opened": s.opened,
            "incident_changes": s.changes,
            "zone_versions": s.zone_versions,
            "unusable_bodies": dict(s.unusable_bodies),
            "skipped_items": dict(s.parse_errors),
            "wall_s": round(self.wall_s, 3),
            "positions_per_s": round(self.positions_per_s, 1),
            "parse_worker": self.parse_worker,
        }


def file_checkpoint(fp: str) -> str:
    return f"backfill-file:{fp}"


def run_name(files: list[PlannedFile], cut: Cut) -> str:
    h = hashlib.sha1()
    for f in sorted(files, key=lambda f: f.fingerprint):
        h.update(f.fingerprint.encode())
    h.update(cut.key().encode())
    return f"backfill:{h.hexdigest()[:16]}"


def plan(paths: list[str], store: Any, report: BackfillReport) -> list[PlannedFile]:
    """The files to import (see the module docstring, step 1)."""
    out: list[PlannedFile] = []
    seen: set[str] = set()
    for path in reader.expand_paths(paths):
        try:
            fmt = reader.detect_format(path)
        except reader.UnknownFormat as exc:
            report.not_read.append((str(path), str(exc)))
            continue
        except OSError as exc:
            report.not_read.append((str(path), f"cannot read: {exc}"))
            continue
        fp = reader.fingerprint(path)
        done = store.checkpoint(file_checkpoint(fp)) if store is not None else None
        if done:
            report.already.append((str(path), str(done.get("imported_at", ""))))
            continue
        if fp in seen:
            report.not_read.append((str(path), "the same bytes as another file of this import"))
            continue
        seen.add(fp)
        out.append(PlannedFile(path, fmt, fp, FileTally(str(path), fmt)))
    return out


def _start_hint(path: Path, fmt: str) -> float | None:
    """A lower bound on the first fix's time from the file's first bytes, or None."""
    if fmt not in ("readsb_trace", "opensky_tracks"):
        return None
    head = reader._head(path)
    try:
        if fmt == "readsb_trace":
            m, first = _TRACE_START.search(head), _TRACE_FIRST.search(head)
            if m is None:
                return None
            return float(m.group(1)) + (min(0.0, float(first.group(1))) if first else 0.0)
        m = _TRACK_START.search(head)
        return float(m.group(1)) if m else None
    except ValueError:
        return None


def _cut(entries: Iterator[Entry], cut: Cut, tally: FileTally) -> Iterator[Entry]:
    t0 = cut.since.timestamp() if cut.since else float("-inf")
    t1 = cut.until.timestamp() if cut.until else float("inf")
    box = cut.bbox
    for e in entries:
        item = e[3]
        if isinstance(item, CaptureRecord) and item.feed == "nga_msi":
            yield e  # warnings apply by their own validity: always read
            continue
        if not t0 <= e[0] <= t1:
            tally.cut["outside_time"] += 1
            continue
        if box is not None and isinstance(item, Observation) and not (
            box[0] <= item.lon <= box[2] and box[1] <= item.lat <= box[3]
        ):
            tally.cut["outside_bbox"] += 1
            continue
        yield e


def _counted(entries: Iterator[Entry], tally: FileTally) -> Iterator[Entry]:
    for e in entries:
        item = e[3]
        if isinstance(item, Observation):
            tally.observations += 1
        elif isinstance(item, VesselInfo):
            tally.vessel_info += 1
        yield e


def sources(files: list[PlannedFile], cut: Cut, reorder_window_s: float) -> list[Source]:
    out = []
    for i, f in enumerate(files):
        if f.format == "opensky_flights":
            continue

        def opener(f: PlannedFile = f) -> Iterator[Entry]:
            entries = reader.file_entries(f.path, f.format, f.tally)
            if f.format not in ORDERED_FORMATS:
                entries = reorder(entries, reorder_window_s, f.tally)
            return _counted(_cut(entries, cut, f.tally), f.tally)

        out.append(Source(i, opener, _start_hint(f.path, f.format)))
    return out


Batch = tuple[list[CaptureRecord], ParsedRecords, int]


def batches(
    merged: Iterator[Merged], *, batch_positions: int, batch_span_s: float
) -> Iterator[Batch]:
    """Consecutive entries as pipeline batches: ``(records, parsed, positions)``."""
    records: list[CaptureRecord] = []
    parsed = ParsedRecords()
    group_obs: list[Observation] = []
    group_info: list[VesselInfo] = []
    group_key: tuple[str, str] | None = None
    group_ref = ""
    group_t = 0.0
    n_pos = 0
    first_t: float | None = None

    def close_group() -> None:
        nonlocal group_key, group_obs, group_info
        if group_key is None:
            return
        records.append(CaptureRecord(
            group_key[0], utc_from_epoch_s(group_t), None, source=group_key[1], ref=group_ref
        ))
        parsed.observations.extend(group_obs)
        parsed.vessel_info.extend(group_info)
        parsed.outcomes.append(RecordParse(
            n_observations=len(group_obs), n_vessel_info=len(group_info)
        ))
        group_key, group_obs, group_info = None, [], []

    def take() -> Batch:
        nonlocal records, parsed, n_pos, first_t
        close_group()
        out = (records, parsed, n_pos)
        records, parsed, n_pos, first_t = [], ParsedRecords(), 0, None
        return out

    for t, _idx, _seq, _line, item in merged:
        if first_t is not None and (n_pos >= batch_positions or t - first_t > batch_span_s):
            yield take()
        if first_t is None:
            first_t = t
        if isinstance(item, CaptureRecord):
            close_group()
            records.append(item)
            parsed.outcomes.append(RecordParse(deferred=True))
            continue
        if isinstance(item, Observation):
            key = (item.feed_kind, item.source)
        else:
            key = ("ais_static", item.source)
        if key != group_key:
            if group_key is None or key[1] != group_key[1]:
                close_group()
                group_key = key
                group_ref = getattr(item, "record_ref", None) or ""
        if isinstance(item, Observation):
            group_obs.append(item)
            n_pos += 1
        else:
            group_info.append(item)
        group_t = t
    if records or group_key is not None:
        yield take()


#: feed kinds of the batches' records, all left unparsed by the parse worker: the
#: importers' positions travel beside the records, capture and NGA records are parsed by
#: the pipeline
_WORKER_DEFER = frozenset(FEED_KINDS) | {
    readsb_trace.FEED_KIND, opensky.TRACKS_KIND, opensky.CSV_KIND, marinecadastre.FEED_KIND,
    "ais_static",
}


def worker_batches(
    files: list[tuple[str, str, str]],
    cut: Cut,
    reorder_window_s: float,
    batch_positions: int,
    batch_span_s: float,
) -> Iterator[tuple[list[CaptureRecord], Any]]:
    """The batches of ``files`` (path, format, fingerprint) as the parse worker sends them
    (``monitor.feeds.ahead.ParseAhead``): records, and beside them the positions as msgpack
    columns, the static reports and each record's outcome; last an empty batch carrying
    the files' tallies."""
    from monitor.feeds.ahead import encode_observations

    planned = [PlannedFile(Path(p), fmt, fp, FileTally(p, fmt)) for p, fmt, fp in files]
    stream = batches(
        merge(sources(planned, cut, reorder_window_s)),
        batch_positions=batch_positions,
        batch_span_s=batch_span_s,
    )
    for records, parsed, n_pos in stream:
        meta = ("batch", encode_observations(parsed.observations), parsed.vessel_info,
                parsed.outcomes, n_pos)
        yield records, meta
    yield [], ("end", [f.tally for f in planned])


def _ahead_batches(
    files: list[PlannedFile], cut: Cut, reorder_window_s: float, batch_positions: int,
    batch_span_s: float, closers: list[Callable[[], None]],
) -> Iterator[Batch]:
    """:func:`batches` made in a worker process, one batch ahead of the pipeline."""
    from functools import partial

    from monitor.feeds.ahead import ParseAhead, decode_observations

    source = partial(
        worker_batches,
        [(str(f.path), f.format, f.fingerprint) for f in files if f.format != "opensky_flights"],
        cut, reorder_window_s, batch_positions, batch_span_s,
    )
    ahead = ParseAhead(source, defer=_WORKER_DEFER)
    closers.append(ahead.close)
    by_path = {str(f.path): f for f in files}
    for records, meta, _unparsed in ahead:
        if meta[0] == "end":
            for tally in meta[1]:
                mine = by_path[tally.path].tally
                mine.__dict__.update(tally.__dict__)
            continue
        _, positions, vessel_info, outcomes, n_pos = meta
        parsed = ParsedRecords(
            observations=decode_observations(positions), vessel_info=vessel_info,
            outcomes=outcomes,
        )
        yield records, parsed, n_pos


def _load_routes(pipeline: Pipeline, files: list[PlannedFile]) -> int:
    """Flights files as dated routes in the pipeline's route book (``state.extra``)."""
    rows = []
    for f in files:
        if f.format == "opensky_flights":
            for r in reader.read_routes(f.path, f.tally):
                rows.append(r.csv_row())
    if not rows:
        return 0
    from monitor.feeds.routes import AirportIndex, RouteBook

    book = pipeline.state.extra.get("routes")
    if book is None:
        book = pipeline.state.extra["routes"] = RouteBook(AirportIndex.load())
    before = len(book.problems)
    header = "callsign,origin_icao,destination_icao,valid_from,valid_to"
    n = int(book.load_csv_text("\n".join([header, *rows]), name="opensky-flights"))
    for p in book.problems[before:]:
        log.debug("flights: %s", p)
    return n


def backfill(
    pipeline: Pipeline,
    paths: list[str],
    *,
    cut: Cut | None = None,
    resume: bool = False,
    batch_positions: int = BATCH_POSITIONS,
    batch_span_s: float = BATCH_SPAN_S,
    reorder_window_s: float = 600.0,
    finish_s: float = 1800.0,
    progress: Callable[[BackfillReport], None] | None = None,
    parse_worker: bool | None = None,
) -> BackfillReport:
    """Import ``paths`` through ``pipeline`` (see the module docstring).

    Raises
    ------
    MonitorError
        An interrupted import of the same files exists and ``resume`` is false, or no path
        names a file.
    """
    cut = cut or Cut()
    started = time.perf_counter()
    report = BackfillReport()
    store = pipeline.store
    files = plan(paths, store, report)
    report.files = [f.tally for f in files]
    if not files:
        report.wall_s = time.perf_counter() - started
        return report
    name = report.run = run_name(files, cut)
    saved = store.checkpoint(name) if store is not None else None
    done_batches = int(saved.get("batch", 0)) if saved else 0
    if done_batches and not resume:
        raise MonitorError(
            f"an interrupted import of these files is in the database ({done_batches} batch(es) "
            f"stored, checkpoint {name}); run again with --resume to finish it"
        )
    report.routes = _load_routes(pipeline, files)
    counts: Counter[tuple[str, int]] = Counter()
    pipeline.coverage = counts
    coverage = CoverageWriter(store, name, counts)
    closers: list[Callable[[], None]] = []
    if _use_worker(files, parse_worker):
        stream: Iterator[Batch] = _ahead_batches(
            files, cut, reorder_window_s, batch_positions, batch_span_s, closers
        )
        report.parse_worker = True
    else:
        stream = batches(
            merge(sources(files, cut, reorder_window_s)),
            batch_positions=batch_positions,
            batch_span_s=batch_span_s,
        )
    try:
        k = _run_batches(pipeline, stream, name, done_batches, report, coverage, progress)
    finally:
        for close in closers:
            close()
    report.batches = k
    # the end of an archive is not a feed going silent: its sources leave the feed-health
    # book before data time runs on (no feed_health incident, no vessel "dark" for it)
    for source in ARCHIVE_SOURCES:
        pipeline.health.feeds.pop(source, None)
    if finish_s > 0 and pipeline.now is not None:
        pipeline.run_until(pipeline.now + timedelta(seconds=finish_s))
    pipeline.flush()
    coverage.write()
    if store is not None:
        imported_at = iso_z(utcnow())
        for f in files:
            store.apply(StoreBatch(checkpoint=(file_checkpoint(f.fingerprint), {
                "path": str(f.path), "format": f.format, "run": name,
                "observations": f.tally.observations, "imported_at": imported_at,
            })))
        store.apply(StoreBatch(checkpoint=(name, {"batch": k, "done": True})))
    pipeline.coverage = None
    report.wall_s = time.perf_counter() - started
    if progress is not None:
        progress(report)
    return report


def _use_worker(files: list[PlannedFile], parse_worker: bool | None) -> bool:
    """Whether the batches are made in a worker process: as replay decides (two cores or
    more, 8 MB of files or more) unless told."""
    if parse_worker is not None:
        return parse_worker
    from monitor.service.replay import PARSE_WORKER_MIN_BYTES, _usable_cores

    size = sum(f.path.stat().st_size for f in files)
    return _usable_cores() >= 2 and size >= PARSE_WORKER_MIN_BYTES


def _run_batches(
    pipeline: Pipeline,
    stream: Iterator[Batch],
    name: str,
    done_batches: int,
    report: BackfillReport,
    coverage: CoverageWriter,
    progress: Callable[[BackfillReport], None] | None,
) -> int:
    """Rebuild from the batches a killed run stored (``done_batches``), then run the rest;
    returns how many batches there were."""
    from monitor.service.replay import _rebuild_state

    k = 0
    if done_batches:
        def done() -> Iterator[tuple[list[CaptureRecord], ParsedRecords]]:
            nonlocal k
            for records, parsed, n_pos in stream:
                k += 1
                report.positions += n_pos
                yield records, parsed
                if k >= done_batches:
                    return

        _rebuild_state(pipeline, done())
        report.resumed_batches = k
        log.info("resume: state rebuilt from the %d batch(es) already stored", k)
    for records, parsed, n_pos in stream:
        k += 1
        last = records[-1].received_at if records else None
        stats = pipeline.process(
            records,
            parsed=parsed,
            checkpoint=(name, {"batch": k, "t": iso_z(last) if last else None}),
        )
        report.stats.add(stats)
        report.positions += n_pos
        report.batches = k
        coverage.maybe_write()
        if progress is not None:
            progress(report)
    return k


def run_backfill_report(report: BackfillReport) -> list[str]:
    """The summary a person reads: per file what it gave and what it skipped and why
    (with the first lines), files not read and files imported before."""
    s = report.stats
    out = [
        f"{len(report.files)} file(s), {s.observations:,} positions "
        f"({s.accepted:,} after fusion), {s.opened} incident(s) opened, {s.changes} change(s), "
        f"{s.zone_versions} zone version(s), {report.routes} route(s), in {report.wall_s:.1f} s "
        f"({report.positions_per_s:,.0f} positions/s)"
    ]
    if report.resumed_batches:
        out.append(f"resumed: {report.resumed_batches} batch(es) already stored were re-read, not stored again")
    for f in report.files:
        out.append(
            f"{f.path} [{f.format}]: {f.rows:,} rows, {f.observations:,} positions"
            + (f", {f.vessel_info:,} static reports" if f.vessel_info else "")
            + (f", {f.records:,} records" if f.records else "")
        )
        for reason, n in sorted(f.skipped.items()):
            lines = ", ".join(
                f"line {ln}" + (f" ({d})" if d else "") for ln, d in f.examples.get(reason, [])[:3]
            )
            out.append(f"  skipped {n:,} {reason}: {lines}")
        for reason, n in sorted(f.cut.items()):
            out.append(f"  left out {n:,} {reason} (--since/--until/--bbox)")
    for path, why in report.not_read:
        out.append(f"not read: {why}" if why.startswith(path) else f"not read: {path}: {why}")
    for path, when in report.already:
        out.append(f"already imported: {path} (on {when}); nothing added")
    if s.unusable_bodies:
        out.append("records whose body could not be used: " + ", ".join(
            f"{k} {n}" for k, n in sorted(s.unusable_bodies.items())))
    if s.parse_errors:
        out.append("items skipped inside records: " + ", ".join(
            f"{k} {n}" for k, n in sorted(s.parse_errors.items())))
    return out
