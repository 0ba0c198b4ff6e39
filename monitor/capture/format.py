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

import msgspec
import orjson

from monitor.errors import CaptureError
from monitor.timeutil import iso_z, parse_utc

#: Feed kinds the pipeline knows how to parse.
FEED_KINDS: frozenset[str] = frozenset(
    {"adsbx_v2", "opensky_states", "ais_nmea", "aisstream", "nga_msi", "aishub", "faa_nms"}
)


class RawJson(bytes):
    """A JSON value kept as its bytes: a capture body not decoded yet.

    The capture reader hands these to parsers that decode bodies faster themselves (a
    typed schema of only the fields they use); :func:`dump_record` writes them back
    verbatim. :func:`body_value` gives the decoded value wherever one is needed.
    """

    __slots__ = ()


def body_value(body: Any) -> Any:
    """A record body as a JSON value, decoding a :class:`RawJson` body."""
    return orjson.loads(bytes(body)) if isinstance(body, RawJson) else body


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
        "body": orjson.Fragment(bytes(record.body))
        if isinstance(record.body, RawJson)
        else record.body,
    }
    if record.source and record.source != record.feed:
        doc["source"] = record.source
    return orjson.dumps(doc)


class _Envelope(msgspec.Struct, gc=False):
    """A capture line with its body left undecoded (the fast reading of a well-formed line)."""

    feed: str
    received_at: str
    body: msgspec.Raw
    source: str | None = None


_decode_envelope = msgspec.json.Decoder(_Envelope).decode


def load_record(
    line: bytes | str, *, ref: str | None = None, raw_bodies: frozenset[str] = frozenset()
) -> CaptureRecord:
    """Parse one capture line.

    The body of a feed kind in ``raw_bodies`` is kept as :class:`RawJson` (its JSON
    syntax checked, not decoded), for parsers that decode it faster themselves.

    Raises
    ------
    CaptureError
        With a reason (``bad_json``, ``not_an_object``, ``missing_key``, ``bad_time``,
        ``unknown_feed``) and the offending value.
    """
    if raw_bodies:
        try:
            env = _decode_envelope(line)
        except (msgspec.DecodeError, msgspec.ValidationError):
            pass  # the general reading below says exactly what is wrong
        else:
            if env.feed in raw_bodies:
                try:
                    received_at = parse_utc(env.received_at)
                except ValueError as exc:
                    raise CaptureError(f"bad_time: {exc}") from None
                return CaptureRecord(
                    feed=env.feed,
                    received_at=received_at,
                    body=RawJson(env.body),
                    source=env.source,
                    ref=ref,
                )
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
    Bodies of the feed kinds in ``raw_bodies`` come as :class:`RawJson` (see
    :func:`load_record`).
    """

    path: Path
    problems: list[LineProblem] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    lines_read: int = 0
    raw_bodies: frozenset[str] = frozenset()

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
        raw_bodies = self.raw_bodies
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
                    yield load_record(raw, ref=f"{name}:{lineno}", raw_bodies=raw_bodies)
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
