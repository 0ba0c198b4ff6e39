"""Raw NMEA files (an AIS receiver's log, ``.nmea``/``.nm4``/``.aivdm``) as capture records.

A receiver's log is not in the capture format, but it replays the same way: its lines are
grouped into ``ais_nmea`` records of ``lines_per_record`` lines (a multi-part message split
between two records is reassembled by the NMEA parser, as on a TCP stream). Each record's
``received_at`` is the newest IEC 61162-450 tag-block time (``c:``) among its lines, else
the previous record's, else ``start`` (default: the file's modification time). Fixes
without their own tag-block time take the record's ``received_at``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from monitor.capture.format import CaptureRecord
from monitor.errors import CaptureError
from monitor.timeutil import utc_from_epoch_s

#: file endings read as raw NMEA rather than capture JSON Lines
NMEA_SUFFIXES = frozenset({".nmea", ".nm4", ".aivdm", ".ais", ".vdm"})

_TAG_TIME = re.compile(r"^\\[^\\]*?\bc:(\d{9,13})")


def is_nmea_file(path: Path) -> bool:
    return path.suffix.lower() in NMEA_SUFFIXES


def _tag_time_s(line: str) -> float | None:
    m = _TAG_TIME.match(line)
    if m is None:
        return None
    value = float(m.group(1))
    return value / 1000.0 if value > 1e11 else value


def nmea_file_records(
    path: Path,
    *,
    start: datetime | None = None,
    lines_per_record: int = 200,
    source: str | None = None,
) -> Iterator[CaptureRecord]:
    """The file's lines as ``ais_nmea`` capture records (see the module docstring)."""
    try:
        fh = path.open("r", encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CaptureError(f"cannot open {path}: {exc}") from None
    received = start or utc_from_epoch_s(path.stat().st_mtime)
    name = source or path.stem
    chunk: list[str] = []
    newest: float | None = None
    first_line = 1
    with fh:
        for lineno, line in enumerate(fh, start=1):
            line = line.rstrip("\r\n")
            if not chunk:
                first_line = lineno
            chunk.append(line)
            t = _tag_time_s(line)
            if t is not None and (newest is None or t > newest):
                newest = t
            if len(chunk) >= lines_per_record:
                if newest is not None:
                    received = utc_from_epoch_s(newest)
                yield CaptureRecord("ais_nmea", received, "\n".join(chunk), name, f"{path.name}:{first_line}")
                chunk, newest = [], None
    if chunk:
        if newest is not None:
            received = utc_from_epoch_s(newest)
        yield CaptureRecord("ais_nmea", received, "\n".join(chunk), name, f"{path.name}:{first_line}")
