"""The one place the backfill reads files: paths expanded, formats recognised, bytes
decompressed, lines split, and each file's importer fed.

* ``PATH`` arguments may be files, folders (read recursively, in name order) or glob
  patterns (``**`` allowed). A gzip file is recognised by its first bytes, whatever its
  name: readsb writes gzip-compressed traces named ``.json``.
* :func:`detect_format` looks at the first bytes of the decompressed content; a file in
  no known format raises :class:`UnknownFormat` naming the formats tried.
* :func:`file_entries` yields a file's entries (see :mod:`monitor.backfill.base`); a
  truncated file (a gzip stream cut short, JSON that ends early) is counted as
  ``truncated_file`` and whatever could be read before the cut is kept.
"""

from __future__ import annotations

import csv
import glob
import gzip
import hashlib
import io
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from monitor.backfill import marinecadastre, opensky, readsb_trace
from monitor.backfill.base import Entry, FileTally
from monitor.capture import CaptureRecord
from monitor.capture.format import CaptureReader
from monitor.capture.nmea_file import is_nmea_file, nmea_file_records
from monitor.errors import MonitorError
from monitor.timeutil import EPOCH

#: every format the backfill reads, in the order they are tried
FORMATS = (
    "capture",
    "nmea",
    "readsb_trace",
    "opensky_tracks",
    "opensky_flights",
    "nga_msi",
    "opensky_csv",
    "marinecadastre",
)

_HEAD_BYTES = 64 * 1024


class UnknownFormat(MonitorError):
    """A file the backfill cannot read; the message names the formats tried."""


def expand_paths(args: list[str]) -> list[Path]:
    """Files named by ``args`` (files, folders, globs), each once, in argument order.

    Raises
    ------
    MonitorError
        When an argument names nothing.
    """
    out: list[Path] = []
    seen: set[Path] = set()
    for arg in args:
        p = Path(arg)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
        elif p.is_file():
            found = [p]
        else:
            found = sorted(Path(f) for f in glob.glob(arg, recursive=True) if Path(f).is_file())
            if not found:
                raise MonitorError(f"{arg}: no such file, folder or matching file")
        for f in found:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                out.append(f)
    return out


def fingerprint(path: Path) -> str:
    """SHA-1 of the file's bytes as stored (a renamed copy is the same file)."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha1").hexdigest()


def _open(path: Path) -> IO[bytes]:
    fh = path.open("rb")
    magic = fh.read(2)
    fh.seek(0)
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=fh, mode="rb")  # type: ignore[return-value]
    return fh


def _head(path: Path) -> bytes:
    """The first bytes of the content (what a truncated file has of them)."""
    out = bytearray()
    with _open(path) as fh:
        try:
            while len(out) < _HEAD_BYTES:
                chunk = fh.read(4096)
                if not chunk:
                    break
                out += chunk
        except (OSError, EOFError, zlib.error):
            pass
    return bytes(out)


def detect_format(path: Path) -> str:
    """The format of ``path`` (one of :data:`FORMATS`).

    Raises
    ------
    UnknownFormat
        Naming the file and the formats tried.
    """
    if is_nmea_file(path):
        return "nmea"
    head = _head(path).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        start = head[:400]
        if b'"feed"' in start and b'"received_at"' in start:
            return "capture"
        if b'"trace"' in head and b'"timestamp"' in head and b'"icao"' in head:
            return "readsb_trace"
        if b'"broadcast-warn"' in head:
            return "nga_msi"
        if b'"path"' in head and b'"icao24"' in head:
            return "opensky_tracks"
    elif head.startswith(b"["):
        if b'"firstSeen"' in head:
            return "opensky_flights"
    else:
        first_line = head.split(b"\n", 1)[0].decode("utf-8", "replace").strip().lower()
        cols = {c.strip().strip('"') for c in first_line.split(",")}
        if set(marinecadastre.COLUMNS) <= cols:
            return "marinecadastre"
        if {"icao24", "lat", "lon"} <= cols and ({"time", "timestamp"} & cols):
            return "opensky_csv"
    raise UnknownFormat(
        f"{path}: not a format the backfill reads (tried: {', '.join(FORMATS)})"
    )


def _read_json(path: Path, tally: FileTally) -> Any:
    try:
        with _open(path) as fh:
            data = fh.read()
    except (OSError, EOFError, zlib.error) as exc:
        tally.skip("truncated_file", 1, str(exc))
        return None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        line = data.count(b"\n", 0, exc.pos) + 1 if exc.pos is not None else 1
        tally.skip("truncated_file" if exc.pos >= len(data.rstrip()) else "bad_json", line, str(exc))
        return None


def _csv_rows(path: Path, tally: FileTally) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    fh = _open(path)
    text = io.TextIOWrapper(fh, encoding="utf-8", errors="replace", newline="")
    lines_read = [0]

    def lines() -> Iterator[str]:
        try:
            for raw in text:
                lines_read[0] += 1
                yield raw
        except (OSError, EOFError, zlib.error) as exc:
            tally.skip("truncated_file", lines_read[0] + 1, str(exc))

    reader = csv.reader(lines())
    try:
        header = next(reader)
    except StopIteration:
        text.close()
        return [], iter(())

    def rows() -> Iterator[tuple[int, list[str]]]:
        with text:
            try:
                for row in reader:
                    if row:
                        yield lines_read[0], row
            except csv.Error as exc:
                tally.skip("bad_csv", lines_read[0], str(exc))

    return header, rows()


def _capture_entries(path: Path, tally: FileTally) -> Iterator[Entry]:
    if is_nmea_file(path):
        records: Any = nmea_file_records(path)
        reader = None
    else:
        reader = CaptureReader(path)
        records = reader
    seq = 0
    for rec in records:
        seq += 1
        tally.rows += 1
        tally.records += 1
        line = int((rec.ref or ":0").rsplit(":", 1)[1]) if rec.ref else seq
        yield rec.received_at.timestamp(), seq, line, rec
    if reader is not None:
        tally.rows = reader.lines_read
        for p in reader.problems:
            tally.skip(p.reason, p.line, p.detail)


def _nga_entries(path: Path, tally: FileTally) -> Iterator[Entry]:
    """An archived ``broadcast-warn`` answer as one ``nga_msi`` record for the pipeline's
    own parser (``monitor.feeds.nga_msi``), which gives each warning its validity from
    its issue and cancel dates. It is timed at its earliest issue date (so it comes
    before the fixes it concerns; the zones apply by their own validity)."""
    from monitor.feeds.nga_msi import parse_dtg

    doc = _read_json(path, tally)
    if doc is None:
        return
    items = doc.get("broadcast-warn") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        tally.skip("bad_shape", 1, "no 'broadcast-warn' list")
        return
    tally.rows = len(items)
    issued = [
        d for d in (parse_dtg(str(i.get("issueDate") or "")) for i in items if isinstance(i, dict))
        if d is not None
    ]
    at = min(issued) if issued else EPOCH
    tally.records += 1
    rec = CaptureRecord("nga_msi", at, doc, source="nga_msi_archive", ref=f"{path.name}:1")
    yield at.timestamp(), 1, 1, rec


def file_entries(path: Path, fmt: str, tally: FileTally) -> Iterator[Entry]:
    """The entries of one file (see the module docstring)."""
    name = path.name
    if fmt in ("capture", "nmea"):
        yield from _capture_entries(path, tally)
    elif fmt == "nga_msi":
        yield from _nga_entries(path, tally)
    elif fmt in ("readsb_trace", "opensky_tracks"):
        doc = _read_json(path, tally)
        if doc is not None:
            parse = readsb_trace.parse_trace if fmt == "readsb_trace" else opensky.parse_track
            yield from parse(doc, name=name, tally=tally)
    elif fmt in ("marinecadastre", "opensky_csv"):
        header, rows = _csv_rows(path, tally)
        parse_csv = marinecadastre.parse_csv if fmt == "marinecadastre" else opensky.parse_csv
        yield from parse_csv(header, rows, name=name, tally=tally)
    elif fmt == "opensky_flights":
        return  # routes, read up front by read_routes
    else:  # pragma: no cover - FORMATS and this function disagree
        raise UnknownFormat(f"{path}: no importer for format {fmt!r}")


def read_routes(path: Path, tally: FileTally) -> list[opensky.FlightRoute]:
    """The routes of a ``/flights/*`` file."""
    doc = _read_json(path, tally)
    return [] if doc is None else opensky.parse_flights(doc, name=path.name, tally=tally)
