"""Reading and writing capture files (see the package docstring for the format)."""

from __future__ import annotations

import gzip
import io
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import orjson

from monitor.errors import CaptureError
from monitor.timeutil import iso_z, parse_utc

#: Feed kinds the pipeline knows how to parse.
FEED_KINDS: frozenset[str] = frozenset(
    {"adsbx_v2", "opensky_states", "ais_nmea", "aisstream", "nga_msi", "aishub", "faa_nms"}
)


@dataclass(frozen=True, slots=True)
class CaptureRecord:
    """One feed response. ``ref`` locates it (``file:line`` or ``live:source:seq``)."""

    feed: str
    received_at: datetime
    body: Any
    source: str | None = None
    ref: str | None = None

    @property
    def source_name(self) -> str:
        return self.source or self.feed


@dataclass(frozen=True, slots=True)
class LineProblem:
    line: int
    reason: str
    detail: str


def dump_record(record: CaptureRecord) -> bytes:
    """One capture line (without the newline)."""
    doc: dict[str, Any] = {
        "feed": record.feed,
        "received_at": iso_z(record.received_at),
        "body": record.body,
    }
    if record.source and record.source != record.feed:
        doc["source"] = record.source
    return orjson.dumps(doc)


def load_record(line: bytes | str, *, ref: str | None = None) -> CaptureRecord:
    """Parse one capture line.

    Raises
    ------
    CaptureError
        With a reason (``bad_json``, ``not_an_object``, ``missing_key``, ``bad_time``,
        ``unknown_feed``) and the offending value.
    """
    try:
        doc = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise CaptureError(f"bad_json: {exc}") from None
    if not isinstance(doc, dict):
        raise CaptureError(f"not_an_object: got {type(doc).__name__}")
    for key in ("feed", "received_at", "body"):
        if key not in doc:
            raise CaptureError(f"missing_key: no {key!r}")
    feed = doc["feed"]
    if not isinstance(feed, str) or feed not in FEED_KINDS:
        raise CaptureError(f"unknown_feed: {feed!r}")
    try:
        received_at = parse_utc(str(doc["received_at"]))
    except ValueError as exc:
        raise CaptureError(f"bad_time: {exc}") from None
    source = doc.get("source")
    return CaptureRecord(
        feed=feed,
        received_at=received_at,
        body=doc["body"],
        source=source if isinstance(source, str) else None,
        ref=ref,
    )


def _open_read(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return path.open("rb")


@dataclass
class CaptureReader:
    """Iterate the records of a capture file, counting (never raising on) bad lines.

    A line that cannot be read is counted in :attr:`problems` by reason with its line
    number, and the reader moves on: one bad line never loses the rest of the file.
    """

    path: Path
    problems: list[LineProblem] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    lines_read: int = 0

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if not self.path.exists():
            raise CaptureError(f"capture file {self.path} does not exist")
        if self.path.is_dir():
            raise CaptureError(f"{self.path} is a folder, not a capture file")

    def size_bytes(self) -> int:
        return self.path.stat().st_size

    def __iter__(self) -> Iterator[CaptureRecord]:
        name = self.path.name
        try:
            fh = _open_read(self.path)
        except OSError as exc:
            raise CaptureError(f"cannot open {self.path}: {exc}") from None
        with fh:
            lines = iter(fh)
            lineno = 0
            while True:
                try:
                    raw = next(lines)
                except StopIteration:
                    return
                except (OSError, EOFError, gzip.BadGzipFile) as exc:
                    # a file cut short (a killed writer, a partial copy): keep what was read
                    self.reasons["truncated_file"] += 1
                    self.problems.append(LineProblem(lineno + 1, "truncated_file", str(exc)[:200]))
                    return
                lineno += 1
                self.lines_read = lineno
                if not raw.strip():
                    continue
                try:
                    yield load_record(raw, ref=f"{name}:{lineno}")
                except CaptureError as exc:
                    reason, _, detail = str(exc).partition(": ")
                    self.reasons[reason] += 1
                    if len(self.problems) < 1000:
                        self.problems.append(LineProblem(lineno, reason, detail[:200]))


class CaptureWriter:
    """Append capture records to a file, one line each, flushed per record.

    Safe to use from one asyncio loop; each record is written whole so a crash leaves at
    most one partial last line, which the reader counts and skips.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[bytes]
        if self.path.suffix == ".gz":
            self._fh = gzip.open(self.path, "ab")
        else:
            self._fh = io.open(self.path, "ab")  # noqa: UP020 - explicit binary append
        self.count = 0

    def write(self, record: CaptureRecord) -> None:
        self._fh.write(dump_record(record) + b"\n")
        self._fh.flush()
        self.count += 1

    def close(self) -> None:
        self._fh.flush()
        if self.path.suffix != ".gz":
            os.fsync(self._fh.fileno())
        self._fh.close()

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
