"""Reading and parsing ahead of the pipeline, in a second process.

Python runs the pipeline's code on one core at a time, and in a long replay reading the
capture and parsing its bodies is about a fifth of the work. :class:`ParseAhead` moves
both to a worker process: the worker runs ``source`` (a picklable callable giving
``(records, meta)`` pairs, such as :func:`monitor.capture.batches.capture_batches`),
parses each batch with :func:`monitor.feeds.batch.parse_records` and sends back the
records without their bodies, the per-record outcomes and the positions encoded as
msgpack columns (:func:`encode_observations`). Decoding a position costs about a quarter
of parsing it, so the pipeline's core spends that much less on each one while the worker
parses the next batch on the other.
The pipeline takes the result through ``Pipeline.process(records, parsed=...)`` and
accounts for every record exactly as when it parses itself.

- Position feeds are parsed in the worker. Warnings and notices (``DEFERRED_KINDS``:
  NGA MSI, NOTAMs) keep their bodies and are parsed by the pipeline in their place in the
  batch: they are few, and their parsers use the pipeline's current zone set (a NOTAM
  that names only a FIR covers that FIR's boundary).
- Parsers that keep state between bodies of a stream (NMEA messages in several parts)
  live in the worker for the whole run, one per (kind, source), as in the pipeline.
- The worker is at most one batch ahead: it waits, holding the next batch, until the
  pipeline has taken the previous one. Memory stays bounded whatever the file's size.
- An error in ``source`` (a missing or unreadable file) is raised in the caller: a
  :class:`~monitor.errors.MonitorError` as itself, anything else as
  :class:`ParseWorkerError` with the worker's traceback. A worker that dies (killed,
  out of memory) raises :class:`ParseWorkerError` with its exit code; nothing the
  pipeline has stored is lost, and a replay resumes from its checkpoint.
- A worker whose reader has gone (the caller was killed) stops at its next send. It
  ignores SIGINT: Ctrl-C in a terminal reaches the whole process group, and the caller
  stops the worker when it stops.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from multiprocessing.connection import Connection
from operator import attrgetter
from typing import Any, Generic, TypeVar

import msgspec

from monitor.capture import CaptureRecord
from monitor.domain import Observation, SubjectKind
from monitor.errors import MonitorError
from monitor.feeds.batch import ParsedRecords, parse_records
from monitor.feeds.registry import StreamParsers

log = logging.getLogger(__name__)

#: capture kinds the worker leaves to the pipeline (see the module docstring)
DEFERRED_KINDS: frozenset[str] = frozenset({"nga_msi", "faa_nms"})

Meta = TypeVar("Meta")

_FIELDS: tuple[str, ...] = Observation.__struct_fields__
#: fields whose wire values are converted back to a type msgpack does not carry
_CONVERT: dict[str, Callable[[Any], Any]] = {"subject_kind": SubjectKind}
#: a column with at most this many distinct values travels as values + one byte per fix
_MAX_CATEGORIES = 256
_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder().decode


def encode_observations(observations: Sequence[Observation]) -> bytes:
    """Positions as msgpack columns, for :func:`decode_observations`.

    A column with few distinct values (the source, the feed kind, the record, the subject
    kind, most flags and names) is sent as those values and one code per fix, so the
    decoded positions share one string each, as the parser's positions did, rather than
    each holding copies; other columns go as they are.
    """
    columns: list[tuple[list[Any], bytes | None]] = []
    for name in _FIELDS:
        col = list(map(attrgetter(name), observations))
        values = dict.fromkeys(col[:2 * _MAX_CATEGORIES])  # a quick look first
        if len(values) <= _MAX_CATEGORIES:
            values = dict.fromkeys(col)
        if len(values) <= _MAX_CATEGORIES:
            code = {v: i for i, v in enumerate(values)}
            columns.append((list(values), bytes(map(code.__getitem__, col))))
        else:
            columns.append((list(col), None))
    return _encode((len(observations), columns))


def decode_observations(data: bytes) -> list[Observation]:
    """The positions :func:`encode_observations` encoded, equal to the originals."""
    n, columns = _decode(data)
    if len(columns) != len(_FIELDS):
        raise ValueError(f"{len(columns)} position columns, expected {len(_FIELDS)}")
    cols: list[list[Any]] = []
    for name, (values, codes) in zip(_FIELDS, columns, strict=True):
        convert = _CONVERT.get(name)
        if convert is not None:
            values = [None if v is None else convert(v) for v in values]
        cols.append(values if codes is None else list(map(values.__getitem__, codes)))
    out = list(map(Observation, *cols))
    if len(out) != n:
        raise ValueError(f"{len(out)} positions decoded, {n} sent")
    return out


class ParseWorkerError(MonitorError):
    """The parse worker died or failed with an unexpected error."""


def _work(
    conn: Connection,
    source: Callable[[], Iterable[tuple[list[CaptureRecord], Any]]],
    defer: frozenset[str],
) -> None:
    """The worker process: read, parse, send; then an end marker (or the error)."""
    parser_for = StreamParsers()
    try:
        for records, meta in source():
            parsed = parse_records(records, parser_for, defer=defer)
            positions = encode_observations(parsed.observations)
            parsed.observations = []
            slim = [r if r.feed in defer else replace(r, body=None) for r in records]
            conn.send_bytes(pickle.dumps(("batch", slim, meta, parsed, positions), protocol=5))
        conn.send_bytes(pickle.dumps(("end", _peak_rss_bytes())))
    except (BrokenPipeError, ConnectionResetError):
        return  # the caller has gone: nothing left to do
    except BaseException as exc:  # any other failure goes to the caller, with its traceback
        trace = traceback.format_exc()
        try:
            payload = pickle.dumps(("error", exc, trace))
        except Exception:  # an exception that does not pickle: its text is enough
            payload = pickle.dumps(("error", None, trace))
        try:
            conn.send_bytes(payload)
        except OSError:
            pass
    finally:
        conn.close()


def _peak_rss_bytes() -> int | None:
    """This process's peak resident set (``VmHWM``), where ``/proc`` tells it."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


class ParseAhead(Generic[Meta]):
    """Batches read and parsed in a worker process, in order: iterate for
    ``(records, meta, parsed)``; use as a context manager (or call :meth:`close`).

    The worker is a fresh interpreter (``python -m monitor.feeds.ahead``), not a fork: it
    inherits none of the caller's threads, locks or memory, and a caller without an
    ``if __name__ == "__main__"`` guard works (it is never re-imported). It receives
    ``source`` pickled on its standard input and answers on a pipe of its own.
    """

    def __init__(
        self,
        source: Callable[[], Iterable[tuple[list[CaptureRecord], Meta]]],
        *,
        defer: frozenset[str] = DEFERRED_KINDS,
    ) -> None:
        read_fd, write_fd = os.pipe()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "monitor.feeds.ahead", str(write_fd)],
                stdin=subprocess.PIPE,
                pass_fds=(write_fd,),
            )
        finally:
            os.close(write_fd)  # the worker holds the only writing end: EOF when it dies
        self._conn = Connection(read_fd, writable=False)
        assert self._process.stdin is not None
        with self._process.stdin as stdin:
            try:
                pickle.dump(list(sys.path), stdin, protocol=5)  # to import what source names
                pickle.dump((source, defer), stdin, protocol=5)
            except BrokenPipeError:
                pass  # it died at start-up: reading says so
        self.batches = 0
        #: the worker's peak resident set, as it reported at the end (Linux)
        self.worker_peak_rss_bytes: int | None = None

    @property
    def pid(self) -> int:
        return self._process.pid

    def __iter__(self) -> Iterator[tuple[list[CaptureRecord], Meta, ParsedRecords]]:
        while True:
            try:
                data = self._conn.recv_bytes()
            except (EOFError, OSError):
                try:
                    code = self._process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    code = None
                raise ParseWorkerError(
                    f"the parse worker stopped (exit code {code}) after {self.batches} batch(es)"
                ) from None
            msg = pickle.loads(data)
            if msg[0] == "end":
                self.worker_peak_rss_bytes = msg[1]
                return
            if msg[0] == "error":
                _, exc, trace = msg
                if isinstance(exc, MonitorError):
                    raise exc
                log.error("parse worker failed:\n%s", trace)
                last = trace.strip().rsplit("\n", 1)[-1]
                raise ParseWorkerError(f"the parse worker failed: {last}")
            _, records, meta, parsed, positions = msg
            parsed.observations = decode_observations(positions)
            self.batches += 1
            yield records, meta, parsed

    def close(self) -> None:
        """Stop the worker (if it is still running) and wait for it."""
        self._conn.close()
        if self._process.poll() is None:
            self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> ParseAhead[Meta]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _main(argv: list[str]) -> int:
    """The worker's entry point: the pipe's file descriptor as argument, the pickled
    caller's ``sys.path`` then ``(source, defer)`` on standard input."""
    # Ctrl-C reaches the whole process group: the caller decides, and closes the worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    conn = Connection(int(argv[1]), readable=False)
    path = pickle.load(sys.stdin.buffer)
    sys.path[:] = [*path, *(p for p in sys.path if p not in path)]
    source, defer = pickle.load(sys.stdin.buffer)
    _work(conn, source, defer)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv))
