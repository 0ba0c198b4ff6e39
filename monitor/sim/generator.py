"""Sample a scenario into capture records and write the capture, labels and routes files.

Cadence (scenario time): ``adsbx_v2`` every 12-18 s (adsb.lol style, one body for the
whole covered region), ``opensky_states`` every 60 s, one ``aisstream`` record per
websocket frame (vessels report every 1-3 min, static data every ~12 min), ``ais_nmea``
bodies of the sentences heard in each 15 s, ``nga_msi`` every 15 min. Now and then the
second sentence of a two-part type 5 message lands in the next NMEA body, as it does when
a TCP read ends mid-message.

Writing is byte-for-byte deterministic: the records depend only on the scenario and its
seed, and the gzip header carries no file name and a zero mtime.
"""

from __future__ import annotations

import gzip
import heapq
import io
import math
from collections.abc import Callable, Iterator
from pathlib import Path

from monitor.capture import CaptureRecord, dump_record
from monitor.sim.model import (
    SOURCE_ADSB,
    SOURCE_AISSTREAM,
    SOURCE_NGA,
    SOURCE_NMEA,
    SOURCE_OPENSKY,
    Scenario,
    noise,
)
from monitor.sim.sampling import (
    adsb_snapshot,
    aisstream_frames,
    nga_snapshot,
    nmea_messages,
    opensky_snapshot,
)
from monitor.sim.scenario import label_set, routes_csv
from monitor.timeutil import utc_from_epoch_s

ProgressFn = Callable[[float], None]


def _rec(feed: str, t_s: float, body: object, source: str) -> CaptureRecord:
    return CaptureRecord(
        feed=feed, received_at=utc_from_epoch_s(round(t_s, 3)), body=body, source=source
    )


def _adsb(scn: Scenario) -> Iterator[tuple[float, int, CaptureRecord]]:
    lo, hi = scn.adsb_interval_s
    t = scn.start_s + 1.0
    i = 0
    while t < scn.end_s:
        body = adsb_snapshot(scn, t)
        if not scn.feed_down(SOURCE_ADSB, t):
            yield t + 0.25, 0, _rec("adsbx_v2", t + 0.25, body, SOURCE_ADSB)
        t = round(t + lo + (hi - lo) * noise(scn.seed, "adsb-poll", float(i)), 1)
        i += 1


def _opensky(scn: Scenario) -> Iterator[tuple[float, int, CaptureRecord]]:
    t = scn.start_s + 7.0
    while t < scn.end_s:
        if not scn.feed_down(SOURCE_OPENSKY, t):
            rx = t + 0.6
            yield rx, 1, _rec("opensky_states", rx, opensky_snapshot(scn, t), SOURCE_OPENSKY)
        t += scn.opensky_interval_s


def _aisstream(scn: Scenario) -> Iterator[tuple[float, int, CaptureRecord]]:
    step = 600.0
    t0 = scn.start_s
    while t0 < scn.end_s:
        t1 = min(t0 + step, scn.end_s)
        for fr in aisstream_frames(scn, t0, t1):
            if fr.rx_s <= scn.end_s:
                yield fr.rx_s, 2, _rec("aisstream", fr.rx_s, fr.frame, SOURCE_AISSTREAM)
        t0 = t1


def _nmea(scn: Scenario) -> Iterator[tuple[float, int, CaptureRecord]]:
    step = scn.nmea_batch_s
    t = scn.start_s
    carry: list[str] = []
    n_static = 0
    while t < scn.end_s:
        t1 = t + step
        lines = list(carry)
        carry = []
        msgs = nmea_messages(scn, t, t1)
        for k, msg in enumerate(msgs):
            if len(msg.lines) > 1:
                n_static += 1
                if k == len(msgs) - 1 and n_static % 3 == 0:
                    # the read ends between the two parts: part 2 arrives with the next body
                    lines.append(msg.lines[0])
                    carry = list(msg.lines[1:])
                    continue
            lines.extend(msg.lines)
        if lines and not scn.feed_down(SOURCE_NMEA, t1):
            yield t1, 3, _rec("ais_nmea", t1, "\n".join(lines), SOURCE_NMEA)
        t = t1


def _nga(scn: Scenario) -> Iterator[tuple[float, int, CaptureRecord]]:
    t = scn.start_s + 30.0
    while t < scn.end_s:
        body = nga_snapshot(scn, t)
        if body is not None:
            yield t, 4, _rec("nga_msi", t, body, SOURCE_NGA)
        t += scn.nga_interval_s


def generate(scn: Scenario) -> Iterator[CaptureRecord]:
    """Every capture record of the scenario in ``received_at`` order."""
    streams = [_adsb(scn), _opensky(scn), _aisstream(scn), _nmea(scn), _nga(scn)]
    seq = 0
    merged = heapq.merge(*streams, key=lambda x: (x[0], x[1]))
    for _t, _order, rec in merged:
        seq += 1
        yield rec


def capture_bytes(scn: Scenario, progress: ProgressFn | None = None) -> bytes:
    """The uncompressed JSON Lines of the scenario's capture."""
    buf = io.BytesIO()
    span = max(1.0, scn.end_s - scn.start_s)
    last = -1
    for rec in generate(scn):
        buf.write(dump_record(rec))
        buf.write(b"\n")
        if progress is not None:
            done = math.floor((rec.received_at.timestamp() - scn.start_s) / span * 100)
            if done != last:
                last = done
                progress(min(1.0, done / 100))
    if progress is not None:
        progress(1.0)
    return buf.getvalue()


def write_capture(scn: Scenario, path: Path | str, progress: ProgressFn | None = None) -> int:
    """Write the capture (gzip when the name ends in ``.gz``); return the record count."""
    data = capture_bytes(scn, progress)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.suffix == ".gz":
        raw = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(data)
        p.write_bytes(raw.getvalue())
    else:
        p.write_bytes(data)
    return data.count(b"\n")


def write_labels(scn: Scenario, path: Path | str) -> None:
    label_set(scn).write(path)


def write_routes(scn: Scenario, path: Path | str) -> None:
    Path(path).write_text(routes_csv(scn), encoding="utf-8")
