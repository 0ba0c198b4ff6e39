"""Raw AIS NMEA 0183 (``!AIVDM`` / ``!AIVDO``): the ``ais_nmea`` parser and TCP / UDP readers.

Body
----
NMEA text, lines joined by newlines (a capture record's ``body`` string). Accepted line
shapes, all seen in real receiver logs (see ``tests/feeds/test_nmea.py``):

* plain sentences of any talker: ``!AIVDM``, ``!AIVDO``, ``!SAVDM``, ``!BSVDM``, ``!AAVDM``...;
* IEC 61162-450 tag blocks in front: ``\\s:r003669945,c:1635731889*6A\\!AIVDM,...``. The
  ``c:`` field (UNIX seconds; milliseconds accepted when > 10^11) is the fix time;
* Gatehouse ``$PGHP,1,YYYY,M,D,h,m,s,ms,...`` lines: their time applies to the next AIS
  message;
* USCG NAIS trailing fields after the checksum (``...,0*30,d-080,S2118,...,1325394001``):
  cut off at the checksum;
* ``#`` comments and blank lines: ignored, not counted anywhere;
* other NMEA sentences (``$GPRMC``, ``$GPGGA``...): counted in :attr:`NmeaParser.stats`
  as ``not_ais`` -- they are valid data for someone else, not errors of this feed.

Dirty data, decided here
------------------------
Each skipped item is counted by reason in ``ParseResult.errors`` (detail keeps the bad
value): ``garbage`` (not an NMEA sentence), ``bad_checksum`` (missing, malformed or
wrong), ``bad_sentence`` (pyais rejects the fields), ``orphan_fragment`` (a part 2..n
whose part 1 was never seen), ``fragment_out_of_order``, ``incomplete_message`` (a
multi-part message abandoned: its next part never came within ``pending_timeout_s`` or
``max_pending`` open messages, or a new part 1 replaced it), ``decode_error`` (payload
does not decode), ``truncated_message`` (decodes, but the position fields are missing),
``bad_mmsi`` (MMSI 0), ``no_position`` (lat 91 / lon 181 "not available", or 0,0),
``bad_position`` (out of range), ``bad_tag_block`` / ``bad_tag_time`` (the tag block is
ignored, the sentence still used, its time falls back to ``received_at``).

Not-available values become ``None``: speed 102.3 kn (1023), course 360, heading 511,
and for type 27 speed 63 kn and course 511.

Outputs
-------
Types 1, 2, 3, 18, 19, 27: :class:`Observation` (vessel, MMSI as nine digits). Types 5,
19, 24: :class:`VesselInfo` (type 24 part A carries the name only, part B the rest: the
track store merges them). Other types are counted in ``stats`` as ``other_type``.

The parser keeps state per source: the fragments of a multi-part message split across
two bodies of the same stream are reassembled (bounded by ``max_pending`` and
``pending_timeout_s``, measured on ``received_at``, so replay behaves like live).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pyais.exceptions import AISBaseException, UnknownMessageException
from pyais.messages import AISSentence, NMEASentenceFactory

from monitor.capture import CaptureRecord
from monitor.domain import Observation, ParseResult, SubjectKind, VesselInfo
from monitor.errors import ParseError
from monitor.feeds.base import MAX_FUTURE_S, Emit, HealthSink, ParseFn, StreamingAdapter
from monitor.feeds.streams import Backoff, LineBuffer, StreamState, sleep_or_stop
from monitor.timeutil import utcnow

log = logging.getLogger(__name__)

FEED = "ais_nmea"

#: tag-block or Gatehouse times before this are implausible (bad clocks) and ignored
MIN_FIX_EPOCH_S = 946_684_800.0  # 2000-01-01T00:00:00Z

_POSITION_TYPES = frozenset({1, 2, 3, 18, 19, 27})
_VDM_VDO = (b"VDM", b"VDO")
_STATIC_TYPES = frozenset({5, 19, 24})

# byte-count -> mask, for the checksum fold of long inputs
_MASKS = {n: (1 << (8 * n)) - 1 for n in range(1, 257)}
_HEX: dict[bytes, int] = {}
for _i in range(256):
    _HEX[f"{_i:02X}".encode()] = _i
    _HEX[f"{_i:02x}".encode()] = _i


def nmea_checksum(data: bytes) -> int:
    """XOR of all bytes (the NMEA checksum of the text between ``!``/``$`` and ``*``).

    Folds the bytes as one integer (a handful of big-int operations instead of a Python
    loop per byte: well under a microsecond for a sentence).
    """
    n = len(data)
    x = int.from_bytes(data, "little")
    if n <= 128:
        x ^= x >> 512
        x ^= x >> 256
        x ^= x >> 128
        x ^= x >> 64
        x ^= x >> 32
        x ^= x >> 16
        x ^= x >> 8
        return x & 0xFF
    while n > 1:
        half = (n + 1) >> 1
        x = (x & _MASKS[half]) ^ (x >> (8 * half))
        n = half
    return x


def build_vessel_observation(
    source: str,
    subject_id: str,
    time: datetime,
    lat: float,
    lon: float,
    name: str | None,
    ground_speed_kt: float | None,
    track_deg: float | None,
    heading_deg: float | None,
    vessel_type: int | None,
    nav_status: int | None,
    record_ref: str | None,
) -> Observation:
    """One AIS position as an :class:`Observation` (positional, in this order, for the hot loop)."""
    return Observation(
        source=source,
        feed_kind=FEED,
        subject_kind=SubjectKind.VESSEL,
        subject_id=subject_id,
        time=time,
        lat=lat,
        lon=lon,
        name=name,
        ground_speed_kt=ground_speed_kt,
        track_deg=track_deg,
        heading_deg=heading_deg,
        position_source="ais",
        vessel_type=vessel_type,
        nav_status=nav_status,
        record_ref=record_ref,
    )


def _hex2(b: bytes) -> int:
    v = _HEX.get(b)
    if v is not None:
        return v
    try:
        return int(b, 16)
    except ValueError:
        return -1


@dataclass
class _Pending:
    parts: list[AISSentence]
    first_received_s: float
    fix_time_s: float | None
    raw_head: bytes


@dataclass
class NmeaParser:
    """Stateful ``ais_nmea`` parser for one source (see the module docstring).

    Parameters
    ----------
    max_pending:
        Open multi-part messages kept at once; the oldest is abandoned beyond that.
    pending_timeout_s:
        A multi-part message whose next part has not come within this many seconds of
        ``received_at`` is abandoned (counted ``incomplete_message``).
    """

    max_pending: int = 256
    pending_timeout_s: float = 60.0
    #: non-error counts: sentences, messages, not_ais, other_type, gatehouse, comments...
    stats: Counter[str] = field(default_factory=Counter)
    _pending: dict[tuple[Any, ...], _Pending] = field(default_factory=dict)
    #: MMSI -> nine-digit text (formatting it is a measurable cost at 10^5 messages/s)
    _mmsi_text: dict[int, str] = field(default_factory=dict)

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def __call__(
        self, body: Any, *, received_at: datetime, source: str, record_ref: str | None = None
    ) -> ParseResult:
        if isinstance(body, str):
            data = body.encode("utf-8", "replace")
        elif isinstance(body, bytes | bytearray):
            data = bytes(body)
        else:
            raise ParseError(FEED, "not_text", f"body is {type(body).__name__}, not NMEA text")
        result = ParseResult()
        recv_s = received_at.timestamp()
        self._expire(recv_s, result)
        ctx = _Ctx(self, result, received_at, recv_s, recv_s + MAX_FUTURE_S, source, record_ref)
        ctx.run(data)
        if ctx.max_fix_s is not None:
            result.feed_time = datetime.fromtimestamp(ctx.max_fix_s, tz=UTC)
        return result

    # --- multi-part bookkeeping ------------------------------------------------------

    def _expire(self, now_s: float, result: ParseResult) -> None:
        if not self._pending:
            return
        limit = now_s - self.pending_timeout_s
        stale = [k for k, p in self._pending.items() if p.first_received_s < limit]
        for k in stale:
            p = self._pending.pop(k)
            result.reject("incomplete_message", f"timed out: {p.raw_head[:80]!r}")

    def _add_fragment(
        self, msg: AISSentence, recv_s: float, fix_s: float | None, result: ParseResult
    ) -> tuple[AISSentence, float | None] | None:
        """File one fragment; the assembled message and its fix time once complete."""
        seq = msg.seq_id if msg.seq_id is not None else -1
        slot = (msg.talker_id, msg.type, msg.channel, seq, msg.frag_cnt)
        pending = self._pending.get(slot)
        if msg.frag_num == 1:
            if pending is not None:
                result.reject("incomplete_message", f"replaced by a new part 1: {pending.raw_head[:80]!r}")
            if len(self._pending) >= self.max_pending:
                oldest = min(self._pending, key=lambda k: self._pending[k].first_received_s)
                gone = self._pending.pop(oldest)
                result.reject("incomplete_message", f"too many open: {gone.raw_head[:80]!r}")
            self._pending[slot] = _Pending([msg], recv_s, fix_s, msg.raw)
            return None
        if pending is None:
            result.reject("orphan_fragment", msg.raw[:80].decode("ascii", "replace"))
            return None
        if msg.frag_num != len(pending.parts) + 1:
            del self._pending[slot]
            result.reject(
                "fragment_out_of_order",
                f"part {msg.frag_num} after {len(pending.parts)}: {msg.raw[:80]!r}",
            )
            return None
        pending.parts.append(msg)
        if pending.fix_time_s is None and fix_s is not None:
            pending.fix_time_s = fix_s
        if len(pending.parts) < msg.frag_cnt:
            return None
        del self._pending[slot]
        return AISSentence.assemble_from_iterable(pending.parts), pending.fix_time_s


class _Ctx:
    """Per-body state of one parse call (kept off the parser so calls stay independent)."""

    __slots__ = (
        "p", "result", "received_at", "recv_s", "max_s", "source", "ref", "wrapper_s",
        "max_fix_s", "stats", "obs", "info", "n_msg", "last_fix_s", "last_fix",
    )

    def __init__(
        self,
        parser: NmeaParser,
        result: ParseResult,
        received_at: datetime,
        recv_s: float,
        max_s: float,
        source: str,
        ref: str | None,
    ) -> None:
        self.p = parser
        self.result = result
        self.received_at = received_at
        self.recv_s = recv_s
        self.max_s = max_s
        self.source = source
        self.ref = ref
        self.wrapper_s: float | None = None
        self.max_fix_s: float | None = None
        self.stats = parser.stats
        self.obs = result.observations
        self.info = result.vessel_info
        self.n_msg = 0
        self.last_fix_s: float | None = None
        self.last_fix = received_at

    # --- one line ------------------------------------------------------------------

    def run(self, data: bytes) -> None:
        """Every line of a body. The common case (a plain single-part ``!..VDM`` sentence)
        is handled inline; tag blocks, wrappers and fragments go through methods."""
        result = self.result
        reject = result.reject
        produce = NMEASentenceFactory.produce
        checksum = nmea_checksum
        hexes = _HEX
        message = self._message
        n_sent = 0
        for raw in data.split(b"\n"):
            line = raw.strip()
            if not line:
                continue
            c0 = line[0]
            fix_s: float | None = None
            if c0 == 0x5C:  # backslash: tag block
                end = line.find(b"\\", 1)
                if end < 0:
                    reject("garbage", _show(line))
                    continue
                fix_s = self._tag_time(line[1:end])
                line = line[end + 1 :]
                if not line:
                    reject("garbage", "tag block without a sentence")
                    continue
                c0 = line[0]
            if c0 != 0x21:  # not '!'
                self._other_line(line, c0)
                continue
            star = line.find(b"*")
            if star < 0 or len(line) < star + 3:
                reject("bad_checksum", _show(line))
                continue
            if len(line) > star + 3:
                line = line[: star + 3]  # cut USCG trailing fields
            expected = hexes.get(line[star + 1 :])
            if expected is None or checksum(line[1:star]) != expected:
                reject("bad_checksum", _show(raw.strip()))
                continue
            n_sent += 1
            try:
                if line[3:6] in _VDM_VDO:  # the common case, without the factory's re-checks
                    msg = AISSentence(line, line.split(b","))
                else:
                    msg = produce(line)
            except AISBaseException as exc:
                if isinstance(exc, UnknownMessageException):
                    self.stats["not_ais"] += 1
                else:
                    reject("bad_sentence", f"{_show(line)} ({exc})")
                continue
            if type(msg) is not AISSentence:
                self.stats["not_ais"] += 1
                continue
            if self.wrapper_s is not None and fix_s is None:
                fix_s = self.wrapper_s
                self.wrapper_s = None
            if msg.frag_cnt != 1:
                done = self.p._add_fragment(msg, self.recv_s, fix_s, result)
                if done is None:
                    continue
                msg, fix_s = done
            message(msg, fix_s)
        self.stats["sentences"] += n_sent
        self.stats["messages"] += self.n_msg

    def _other_line(self, line: bytes, c0: int) -> None:
        if c0 == 0x24:  # '$'
            if line.startswith(b"$PGHP"):
                self._gatehouse(line)
            else:
                self.stats["not_ais"] += 1
        elif c0 == 0x23:  # '#'
            self.stats["comments"] += 1
        else:
            self.result.reject("garbage", _show(line))

    def _tag_time(self, tag: bytes) -> float | None:
        star = tag.rfind(b"*")
        if star < 0 or nmea_checksum(tag[:star]) != _hex2(tag[star + 1 :].strip()):
            self.result.reject("bad_tag_block", _show(tag))
            return None
        for fld in tag[:star].split(b","):
            if fld[:2] == b"c:":
                try:
                    t = float(fld[2:])
                except ValueError:
                    self.result.reject("bad_tag_time", _show(fld))
                    return None
                if t > 1e11:  # milliseconds
                    t /= 1000.0
                if not MIN_FIX_EPOCH_S <= t <= self.max_s:
                    self.result.reject("bad_tag_time", f"c:{fld[2:].decode('ascii', 'replace')}")
                    return None
                return t
        return None

    def _gatehouse(self, line: bytes) -> None:
        self.stats["gatehouse"] += 1
        fields = line.split(b"*", 1)[0].split(b",")
        try:
            y, mo, d, h, mi, s, ms = (int(x) for x in fields[2:9])
            t = datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=UTC).timestamp()
        except ValueError:
            self.result.reject("bad_sentence", _show(line))
            self.wrapper_s = None
            return
        if MIN_FIX_EPOCH_S <= t <= self.max_s:
            self.wrapper_s = t
        else:
            self.result.reject("bad_tag_time", _show(line))
            self.wrapper_s = None

    # --- one decoded message -----------------------------------------------------------

    def _message(self, sentence: AISSentence, fix_s: float | None) -> None:
        result = self.result
        try:
            m = sentence.decode()
        except (AISBaseException, ValueError, IndexError, TypeError, KeyError) as exc:
            result.reject("decode_error", f"{_show(sentence.raw)} ({type(exc).__name__})")
            return
        self.n_msg += 1
        mtype = m.msg_type
        is_position = mtype in _POSITION_TYPES
        if not is_position and mtype not in _STATIC_TYPES:
            self.stats["other_type"] += 1
            return
        mmsi = m.mmsi
        if not mmsi:
            result.reject("bad_mmsi", f"MMSI {mmsi!r} in {_show(sentence.raw)}")
            return
        names = self.p._mmsi_text
        mmsi_s = names.get(mmsi)
        if mmsi_s is None:
            if len(names) >= 200_000:
                names.clear()
            mmsi_s = names[mmsi] = f"{mmsi:09d}"
        if fix_s is None:
            when = self.received_at
        elif fix_s == self.last_fix_s:
            when = self.last_fix
        else:
            when = datetime.fromtimestamp(fix_s, tz=UTC)
            self.last_fix_s = fix_s
            self.last_fix = when
            if self.max_fix_s is None or fix_s > self.max_fix_s:
                self.max_fix_s = fix_s
        if is_position:
            self._position(m, mtype, mmsi_s, when, sentence)
            if mtype == 19:
                self._static(m, mtype, mmsi_s, when)
        else:
            self._static(m, mtype, mmsi_s, when)

    def _position(self, m: Any, mtype: int, mmsi_s: str, when: datetime, s: AISSentence) -> None:
        lat = m.lat
        lon = m.lon
        if lat is None or lon is None:
            self.result.reject("truncated_message", _show(s.raw))
            return
        if lat == 91.0 or lon == 181.0 or (lat == 0.0 and lon == 0.0):
            self.result.reject("no_position", f"MMSI {mmsi_s} lat {lat} lon {lon}")
            return
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            self.result.reject("bad_position", f"MMSI {mmsi_s} lat {lat} lon {lon}")
            return
        speed = m.speed
        course = m.course
        if mtype == 27:
            heading = None
            speed = None if speed is None or speed >= 63 else float(speed)
            course = None if course is None or course >= 360 else float(course)
        else:
            heading = m.heading
            if heading is None or heading >= 360:
                heading = None
            if speed is None or speed >= 102.25:
                speed = None
            if course is None or course >= 360.0:
                course = None
        status = getattr(m, "status", None)
        vessel_type = getattr(m, "ship_type", None) if mtype == 19 else None
        self.obs.append(
            build_vessel_observation(
                self.source,
                mmsi_s,
                when,
                lat,
                lon,
                (m.shipname or None) if mtype == 19 else None,
                speed,
                course,
                None if heading is None else float(heading),
                None if not vessel_type else int(vessel_type),
                None if status is None else int(status),
                self.ref,
            )
        )

    def _static(self, m: Any, mtype: int, mmsi_s: str, when: datetime) -> None:
        name = callsign = destination = None
        imo = ship_type = None
        length_m = beam_m = draught_m = None
        if mtype == 24 and m.partno == 0:
            name = m.shipname or None
        else:
            name = getattr(m, "shipname", None) or None
            callsign = getattr(m, "callsign", None) or None
            st = getattr(m, "ship_type", None)
            ship_type = int(st) if st else None
            bow, stern = getattr(m, "to_bow", None), getattr(m, "to_stern", None)
            port, stbd = getattr(m, "to_port", None), getattr(m, "to_starboard", None)
            if bow is not None and stern is not None and bow + stern > 0:
                length_m = float(bow + stern)
            if port is not None and stbd is not None and port + stbd > 0:
                beam_m = float(port + stbd)
            if mtype == 5:
                imo = m.imo or None
                destination = m.destination or None
                draught_m = m.draught or None
        if name is None and callsign is None and ship_type is None and length_m is None:
            self.stats["empty_static"] += 1
            return
        self.info.append(
            VesselInfo(
                mmsi=mmsi_s,
                time=when,
                source=self.source,
                name=name,
                imo=imo,
                callsign=callsign,
                ship_type=ship_type,
                length_m=length_m,
                beam_m=beam_m,
                destination=destination,
                draught_m=draught_m,
            )
        )


def _show(raw: bytes, limit: int = 100) -> str:
    return raw[:limit].decode("ascii", "replace")


def make_parser() -> ParseFn:
    """A fresh, stateful ``ais_nmea`` parser for one source."""
    return NmeaParser()


# --- adapters (I/O) ---------------------------------------------------------------------


@dataclass
class _Batch:
    """Lines received within one flush interval, emitted as one capture record."""

    lines: list[str] = field(default_factory=list)
    started_at: datetime | None = None
    started_mono: float = 0.0

    def add(self, lines: list[bytes], now: datetime, mono: float) -> None:
        if not lines:
            return
        if not self.lines:
            self.started_at = now
            self.started_mono = mono
        self.lines.extend(x.decode("ascii", "replace") for x in lines)

    def take(self, feed: str, source: str) -> CaptureRecord | None:
        if not self.lines or self.started_at is None:
            return None
        rec = CaptureRecord(feed=feed, received_at=self.started_at, body="\n".join(self.lines), source=source)
        self.lines = []
        self.started_at = None
        return rec


class _NmeaStream(StreamingAdapter):
    """What the TCP and UDP readers share: settings, and batching lines into records."""

    kind = FEED

    def __init__(
        self,
        host: str,
        port: int,
        *,
        name: str,
        flush_interval_s: float,
        max_lines: int,
        silence_timeout_s: float,
        backoff: Backoff | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.name = name
        self.host = host
        self.port = port
        self.flush_interval_s = flush_interval_s
        self.max_lines = max_lines
        self.silence_timeout_s = silence_timeout_s
        self.backoff = backoff or Backoff(initial_s=1.0, max_s=60.0)
        self.clock = clock

    async def _emit_if_due(self, batch: _Batch, now_m: float, emit: Emit) -> None:
        """Emit the batch once it holds ``max_lines`` or is ``flush_interval_s`` old."""
        if batch.lines and (
            len(batch.lines) >= self.max_lines or now_m - batch.started_mono >= self.flush_interval_s
        ):
            await self._emit_rest(batch, emit)

    async def _emit_rest(self, batch: _Batch, emit: Emit) -> None:
        rec = batch.take(FEED, self.name)
        if rec is not None:
            await emit(rec)


class NmeaTcpAdapter(_NmeaStream):
    """Read NMEA lines from a TCP server (AIS-catcher, rtl-ais, a public relay).

    Lines received within ``flush_interval_s`` (or up to ``max_lines``) become one capture
    record (``received_at`` = arrival of the batch's first line). Only complete lines are
    emitted (:class:`~monitor.feeds.streams.LineBuffer`), so a multi-part message split
    across TCP reads is never cut. ``silence_timeout_s`` without a byte means the
    connection is dead: it is closed and reopened. Reconnects back off exponentially with
    jitter; every outage is reported to the health sink (``stream_down``) so it is never
    mistaken for vessels going dark. The stream counts as up from its first byte, not from
    the TCP handshake: a source that accepts connections and then sends nothing stays one
    outage, however many times it is reconnected. Time spent handing lines on (``emit``
    waits while the pipeline's queue is full) does not count as silence.
    """


    def __init__(
        self,
        host: str,
        port: int,
        *,
        name: str = "ais_nmea_tcp",
        flush_interval_s: float = 1.0,
        max_lines: int = 500,
        silence_timeout_s: float = 60.0,
        connect_timeout_s: float = 10.0,
        backoff: Backoff | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(
            host, port, name=name, flush_interval_s=flush_interval_s, max_lines=max_lines,
            silence_timeout_s=silence_timeout_s, backoff=backoff, clock=clock,
        )
        self.connect_timeout_s = connect_timeout_s
        self.connections = 0

    async def run(self, emit: Emit, stop: asyncio.Event, health: HealthSink) -> None:
        state = StreamState(self.name, health, self.clock)
        while not stop.is_set():
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), timeout=self.connect_timeout_s
                )
            except (OSError, TimeoutError) as exc:
                log.info("%s: cannot connect to %s:%s: %s", self.name, self.host, self.port, exc)
                state.mark_down("connect_failed")
                await sleep_or_stop(stop, self.backoff.next_delay_s())
                continue
            self.connections += 1
            try:
                reason = await self._read(reader, emit, stop, state)
            finally:
                writer.close()
                try:
                    await asyncio.wait_for(writer.wait_closed(), timeout=2.0)
                except (OSError, TimeoutError):
                    log.debug("%s: socket close did not complete cleanly", self.name)
            if reason == "stopped":
                break
            state.mark_down(reason)
            await sleep_or_stop(stop, self.backoff.next_delay_s())

    async def _read(
        self, reader: asyncio.StreamReader, emit: Emit, stop: asyncio.Event, state: StreamState
    ) -> str:
        buf = LineBuffer()
        batch = _Batch()
        last_data = time.monotonic()
        good = False
        reason = "stopped"
        try:
            while not stop.is_set():
                now_m = time.monotonic()
                silence_left = self.silence_timeout_s - (now_m - last_data)
                if silence_left <= 0:
                    reason = "silence"
                    break
                wait = min(silence_left, 0.25)
                if batch.lines:
                    wait = min(wait, max(0.0, batch.started_mono + self.flush_interval_s - now_m))
                try:
                    chunk = await asyncio.wait_for(reader.read(65536), timeout=wait)
                except TimeoutError:
                    chunk = None
                except OSError as exc:
                    log.info("%s: read failed: %s", self.name, exc)
                    reason = "read_error"
                    break
                now_m = time.monotonic()
                if chunk == b"":
                    reason = "eof"
                    break
                if chunk:
                    last_data = now_m
                    if not good:
                        good = True
                        self.backoff.reset()
                        state.mark_up()
                    batch.add(buf.feed(chunk), self.clock(), now_m)
                await self._emit_if_due(batch, now_m, emit)
                # time spent waiting on a full queue downstream (emit) is not silence: the
                # source's lines wait in the socket meanwhile, and reconnecting drops them
                last_data += time.monotonic() - now_m
        finally:
            await self._emit_rest(batch, emit)
        return reason


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, queue: asyncio.Queue[bytes]) -> None:
        self.queue = queue

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.queue.put_nowait(data)


class NmeaUdpAdapter(_NmeaStream):
    """Listen for NMEA datagrams on a UDP port (AIS-catcher ``-u``, OpenCPN, rtl-ais).

    Each datagram holds whole lines (a missing final newline is tolerated). Lines are
    batched like :class:`NmeaTcpAdapter`'s. UDP has no connection: ``silence_timeout_s``
    without a datagram is reported as ``stream_down`` (reason ``silence``) and the next
    datagram as ``stream_up``.
    """


    def __init__(
        self,
        host: str,
        port: int,
        *,
        name: str = "ais_nmea_udp",
        flush_interval_s: float = 1.0,
        max_lines: int = 500,
        silence_timeout_s: float = 60.0,
        backoff: Backoff | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(
            host, port, name=name, flush_interval_s=flush_interval_s, max_lines=max_lines,
            silence_timeout_s=silence_timeout_s, backoff=backoff, clock=clock,
        )
        #: the bound (host, port), once listening (port 0 picks a free one)
        self.bound: tuple[str, int] | None = None
        self.listening = asyncio.Event()

    async def run(self, emit: Emit, stop: asyncio.Event, health: HealthSink) -> None:
        state = StreamState(self.name, health, self.clock)
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            queue: asyncio.Queue[bytes] = asyncio.Queue()
            try:
                transport, _ = await loop.create_datagram_endpoint(
                    lambda q=queue: _UdpProtocol(q), local_addr=(self.host, self.port)
                )
            except OSError as exc:
                log.warning("%s: cannot listen on %s:%s: %s", self.name, self.host, self.port, exc)
                state.mark_down("bind_failed")
                await sleep_or_stop(stop, self.backoff.next_delay_s())
                continue
            self.backoff.reset()
            sock = transport.get_extra_info("sockname")
            self.bound = (sock[0], sock[1])
            self.listening.set()
            try:
                await self._read(queue, emit, stop, state)
            finally:
                transport.close()
                self.listening.clear()

    async def _read(
        self, queue: asyncio.Queue[bytes], emit: Emit, stop: asyncio.Event, state: StreamState
    ) -> None:
        batch = _Batch()
        last_data = time.monotonic()
        try:
            while not stop.is_set():
                now_m = time.monotonic()
                wait = 0.25
                if batch.lines:
                    wait = min(wait, max(0.0, batch.started_mono + self.flush_interval_s - now_m))
                try:
                    data = await asyncio.wait_for(queue.get(), timeout=wait)
                except TimeoutError:
                    data = None
                now_m = time.monotonic()
                if data:
                    last_data = now_m
                    state.mark_up()
                    lines = [x.rstrip(b"\r") for x in data.split(b"\n")]
                    batch.add([x for x in lines if x], self.clock(), now_m)
                elif now_m - last_data >= self.silence_timeout_s:
                    state.mark_down("silence")
                await self._emit_if_due(batch, now_m, emit)
        finally:
            await self._emit_rest(batch, emit)
