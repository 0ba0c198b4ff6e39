"""aisstream.io websocket: the ``aisstream`` parser and :class:`AisstreamAdapter`.

Wire format (``wss://stream.aisstream.io/v0/stream``)
------------------------------------------------------
After connecting, the client sends one subscription within 3 s::

    {"APIKey": "...", "BoundingBoxes": [[[lat1, lon1], [lat2, lon2]], ...],
     "FiltersShipMMSI": ["368207620", ...],            # optional
     "FilterMessageTypes": ["PositionReport", ...]}    # optional

and then receives one JSON frame per AIS message::

    {"MessageType": "PositionReport",
     "MetaData": {"MMSI": 538009327, "MMSI_String": 538009327,
                  "ShipName": "NORDIC QINNGUA      ", "latitude": 51.97, "longitude": 4.11,
                  "time_utc": "2023-10-15 09:51:08.143077274 +0000 UTC"},
     "Message": {"PositionReport": {"UserID": 538009327, "Latitude": ..., "Longitude": ...,
                 "Sog": 4.2, "Cog": 296.1, "TrueHeading": 307, "NavigationalStatus": 0,
                 "Valid": true, ...}}}

A refused subscription (bad or expired key) is answered with ``{"error": "..."}`` and the
socket is closed.

Body
----
One capture record per frame; ``body`` is the frame's JSON value (a list of frames is
accepted too, for batched captures; a JSON text is decoded first). Raw JSON bytes take the
typed fast path of :mod:`monitor.feeds.aisstream_fast` first (position reports decoded
against a small schema; every other frame comes back here), with the same result.

Dirty data, decided here
------------------------
``{"error": ...}`` raises :class:`ParseError` reason ``api_error`` (the adapter reports it
and backs off longer). A frame that is not an object with ``MessageType`` / ``Message``
is counted ``bad_shape``; ``Valid: false`` -> ``invalid_message``; MMSI not an integer in
1..999999999 -> ``bad_mmsi``; lat 91 / lon 181 (or 0,0) -> ``no_position``; out of range
-> ``bad_position``; unreadable ``time_utc`` -> ``bad_time``; a time more than
:data:`~monitor.feeds.base.MAX_FUTURE_S` after ``received_at`` -> ``future_time``.
``time_utc`` carries nanoseconds: it is truncated to microseconds. Not-available values
(Sog 102.3, Cog 360, TrueHeading 511; type 27 Sog 63, Cog 511) become ``None``.
Message types without a position or static data (binary messages, base stations, SAR
aircraft...) are counted in :attr:`AisstreamParser.stats` as ``other_type``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from monitor.capture import CaptureRecord
from monitor.domain import Observation, ParseResult, SubjectKind, VesselInfo
from monitor.errors import ParseError
from monitor.feeds.aisstream_fast import motion, parse_fast, position_problem
from monitor.feeds.base import MAX_FUTURE_S, Emit, HealthSink, ParseFn, StreamingAdapter
from monitor.feeds.streams import Backoff, StreamState, sleep_or_stop
from monitor.timeutil import utcnow

log = logging.getLogger(__name__)

FEED = "aisstream"
DEFAULT_URL = "wss://stream.aisstream.io/v0/stream"

_VESSEL = SubjectKind.VESSEL
_TIME_RE = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d+))?\s*(?:([+-])(\d\d):?(\d\d))?"
)
#: message types that carry a position report of a vessel
_POSITION = {
    "PositionReport": 1,
    "StandardClassBPositionReport": 18,
    "ExtendedClassBPositionReport": 19,
    "LongRangeAisBroadcastMessage": 27,
}


def parse_time_utc(text: str) -> datetime:
    """aisstream's ``time_utc`` (Go's time format, nanoseconds) to an aware UTC datetime.

    >>> parse_time_utc("2023-10-22 22:47:36.94034384 +0000 UTC")
    datetime.datetime(2023, 10, 22, 22, 47, 36, 940343, tzinfo=datetime.timezone.utc)

    Raises
    ------
    ValueError
        When the text is not of that form.
    """
    m = _TIME_RE.match(text)
    if m is None:
        raise ValueError(f"not an aisstream time_utc: {text!r}")
    y, mo, d, h, mi, s, frac, sign, oh, om = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    t = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), micro, tzinfo=UTC)
    if sign is not None and (oh != "00" or om != "00"):
        offset = timedelta(hours=int(oh), minutes=int(om))
        t = t - offset if sign == "+" else t + offset
    return t


def _num(v: Any) -> float | None:
    """A finite JSON number as float, else ``None`` (strings, bools, NaN, inf, 10**400)."""
    t = type(v)
    if t is float or t is int:
        try:
            f = float(v)
        except OverflowError:
            return None
        return f if math.isfinite(f) else None
    return None


def _text(v: Any) -> str | None:
    if isinstance(v, str):
        v = v.strip().rstrip("@").strip()
        return v or None
    return None


def _dims(d: Any) -> tuple[float | None, float | None]:
    if not isinstance(d, dict):
        return None, None
    a, b, c, e = (_num(d.get(k)) for k in ("A", "B", "C", "D"))
    # AIS dimension fields hold at most 511 + 511 m (bow/stern) and 63 + 63 m (port/starboard)
    length = a + b if a is not None and b is not None and 0 < a + b <= 1022 else None
    beam = c + e if c is not None and e is not None and 0 < c + e <= 126 else None
    return length, beam


@dataclass
class AisstreamParser:
    """``aisstream`` parser (stateless apart from its :attr:`stats`)."""

    stats: Counter[str] = field(default_factory=Counter)

    def __call__(
        self, body: Any, *, received_at: datetime, source: str, record_ref: str | None = None
    ) -> ParseResult:
        if isinstance(body, bytes):  # raw JSON (a capture's RawJson): the typed fast path first

            def general(frame: dict[str, Any], res: ParseResult, stats: Counter[str]) -> None:
                self._frame(frame, res, received_at, source, record_ref, stats)

            fast = parse_fast(body, self.stats, general, received_at, source, record_ref)
            if fast is not None:
                return fast
        if isinstance(body, str | bytes):
            try:
                body = orjson.loads(body)
            except orjson.JSONDecodeError as exc:
                raise ParseError(FEED, "bad_json", str(exc)[:120]) from None
        result = ParseResult()
        if isinstance(body, dict):
            self._frame(body, result, received_at, source, record_ref)
        elif isinstance(body, list):
            for frame in body:
                if isinstance(frame, dict):
                    self._frame(frame, result, received_at, source, record_ref)
                else:
                    result.reject("bad_shape", f"frame is {type(frame).__name__}")
        else:
            raise ParseError(FEED, "bad_shape", f"body is {type(body).__name__}")
        return result

    def _frame(
        self,
        f: dict[str, Any],
        result: ParseResult,
        received_at: datetime,
        source: str,
        ref: str | None,
        stats: Counter[str] | None = None,
    ) -> None:
        if stats is None:
            stats = self.stats
        mtype = f.get("MessageType")
        if mtype is None and "error" in f:
            raise ParseError(FEED, "api_error", str(f.get("error"))[:200])
        message = f.get("Message")
        if not isinstance(mtype, str) or not isinstance(message, dict):
            result.reject("bad_shape", f"keys {sorted(f)[:6]}")
            return
        m = message.get(mtype)
        pos_type = _POSITION.get(mtype)
        if pos_type is None and mtype not in ("ShipStaticData", "StaticDataReport"):
            stats["other_type"] += 1
            return
        if not isinstance(m, dict):
            result.reject("bad_shape", f"Message has no {mtype!r} object")
            return
        if m.get("Valid") is False:
            result.reject("invalid_message", f"{mtype} Valid=false")
            return
        meta = f.get("MetaData")
        if not isinstance(meta, dict):
            meta = {}
        mmsi = m.get("UserID", meta.get("MMSI"))
        if type(mmsi) is not int or not 0 < mmsi < 1_000_000_000:
            result.reject("bad_mmsi", f"MMSI {mmsi!r}")
            return
        mmsi_s = f"{mmsi:09d}"
        when = received_at
        tu = meta.get("time_utc")
        if isinstance(tu, str):
            try:
                when = parse_time_utc(tu)
            except ValueError:
                result.reject("bad_time", tu[:60])
                return
            if (when - received_at).total_seconds() > MAX_FUTURE_S:
                result.reject("future_time", f"{tu} received {received_at.isoformat()}")
                return
        stats["messages"] += 1
        if pos_type is not None:
            self._position(m, pos_type, mmsi_s, when, meta, result, source, ref)
            if pos_type == 19:
                self._static(m, mtype, mmsi_s, when, result, source, stats)
        else:
            self._static(m, mtype, mmsi_s, when, result, source, stats)

    def _position(
        self,
        m: dict[str, Any],
        pos_type: int,
        mmsi_s: str,
        when: datetime,
        meta: dict[str, Any],
        result: ParseResult,
        source: str,
        ref: str | None,
    ) -> None:
        lat = _num(m.get("Latitude"))
        lon = _num(m.get("Longitude"))
        if lat is None or lon is None:
            result.reject("bad_shape", f"MMSI {mmsi_s} without Latitude/Longitude")
            return
        problem = position_problem(lat, lon)
        if problem is not None:
            result.reject(problem, f"MMSI {mmsi_s} lat {lat} lon {lon}")
            return
        sog, cog, heading = motion(
            pos_type, _num(m.get("Sog")), _num(m.get("Cog")), _num(m.get("TrueHeading"))
        )
        status = m.get("NavigationalStatus")
        vtype = m.get("Type") if pos_type == 19 else None
        name = _text(meta.get("ShipName")) or (_text(m.get("Name")) if pos_type == 19 else None)
        result.observations.append(
            Observation(
                source=source,
                feed_kind=FEED,
                subject_kind=_VESSEL,
                subject_id=mmsi_s,
                time=when,
                lat=lat,
                lon=lon,
                name=name,
                ground_speed_kt=sog,
                track_deg=cog,
                heading_deg=heading,
                position_source="ais",
                vessel_type=vtype if type(vtype) is int and vtype > 0 else None,
                nav_status=status if type(status) is int and 0 <= status <= 15 else None,
                record_ref=ref,
            )
        )

    def _static(
        self,
        m: dict[str, Any],
        mtype: str,
        mmsi_s: str,
        when: datetime,
        result: ParseResult,
        source: str,
        stats: Counter[str],
    ) -> None:
        name = callsign = destination = None
        imo = ship_type = None
        length_m = beam_m = draught_m = None
        if mtype == "StaticDataReport":
            if m.get("PartNumber") is True:  # part B
                rb = m.get("ReportB")
                if not isinstance(rb, dict) or rb.get("Valid") is False:
                    stats["empty_static"] += 1
                    return
                callsign = _text(rb.get("CallSign"))
                st = rb.get("ShipType")
                ship_type = st if type(st) is int and st > 0 else None
                length_m, beam_m = _dims(rb.get("Dimension"))
            else:
                ra = m.get("ReportA")
                if not isinstance(ra, dict) or ra.get("Valid") is False:
                    stats["empty_static"] += 1
                    return
                name = _text(ra.get("Name"))
        else:  # ShipStaticData (type 5) or ExtendedClassBPositionReport (type 19)
            name = _text(m.get("Name"))
            callsign = _text(m.get("CallSign"))
            st = m.get("Type")
            ship_type = st if type(st) is int and st > 0 else None
            length_m, beam_m = _dims(m.get("Dimension"))
            imo_v = m.get("ImoNumber")
            imo = imo_v if type(imo_v) is int and imo_v > 0 else None
            destination = _text(m.get("Destination"))
            dr = _num(m.get("MaximumStaticDraught"))
            draught_m = dr if dr is not None and dr > 0 else None
        if name is None and callsign is None and ship_type is None and length_m is None:
            stats["empty_static"] += 1
            return
        result.vessel_info.append(
            VesselInfo(
                mmsi=mmsi_s,
                time=when,
                source=source,
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


def make_parser() -> ParseFn:
    """A fresh ``aisstream`` parser."""
    return AisstreamParser()


# --- adapter (I/O) ----------------------------------------------------------------------

#: a bounding box as ((lat_min, lon_min), (lat_max, lon_max)), WGS84 degrees
BBox = tuple[tuple[float, float], tuple[float, float]]

#: the default watch box: the southern Caribbean and the Venezuelan coast
DEFAULT_BOXES: tuple[BBox, ...] = (((5.0, -80.0), (20.0, -58.0)),)


def _default_connect() -> Callable[..., Any]:
    from websockets.asyncio.client import connect

    return connect


class AisstreamAdapter(StreamingAdapter):
    """Stream aisstream.io frames into capture records.

    Parameters
    ----------
    api_key:
        The aisstream API key (``AISSTREAM_API_KEY``).
    bounding_boxes:
        Areas to subscribe to, each ``((lat_min, lon_min), (lat_max, lon_max))``.
    url:
        The websocket address (tests and the demo point it at ``ws://127.0.0.1:PORT``).
    silence_timeout_s:
        Seconds without a frame after which the connection is taken as dead, closed
        cleanly and reopened (aisstream has silent outages; 30-60 s is sensible). Time
        spent handing a frame on (``emit`` waits while the pipeline's queue is full) does
        not count as silence.
    subscribe_timeout_s:
        The subscription must be sent within this many seconds of connecting (the
        service drops clients that wait longer than 3 s).
    api_error_delay_s:
        Wait after an ``{"error": ...}`` answer (a bad or expired key will not fix itself
        in seconds).
    connect:
        ``websockets.asyncio.client.connect`` or a stand-in with the same signature.
    """

    name = "aisstream"
    kind = FEED

    def __init__(
        self,
        api_key: str,
        bounding_boxes: Sequence[BBox] = DEFAULT_BOXES,
        *,
        url: str = DEFAULT_URL,
        mmsi_filter: Sequence[str] | None = None,
        message_types: Sequence[str] | None = None,
        name: str = "aisstream",
        silence_timeout_s: float = 45.0,
        subscribe_timeout_s: float = 3.0,
        open_timeout_s: float = 10.0,
        api_error_delay_s: float = 300.0,
        backoff: Backoff | None = None,
        connect: Callable[..., Any] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if not api_key:
            raise ValueError("aisstream needs an API key (AISSTREAM_API_KEY)")
        if not bounding_boxes:
            raise ValueError("aisstream needs at least one bounding box")
        self.name = name
        self.api_key = api_key
        self.bounding_boxes = [
            [[float(a[0]), float(a[1])], [float(b[0]), float(b[1])]] for a, b in bounding_boxes
        ]
        self.url = url
        self.mmsi_filter = list(mmsi_filter) if mmsi_filter else None
        self.message_types = list(message_types) if message_types else None
        self.silence_timeout_s = silence_timeout_s
        self.subscribe_timeout_s = subscribe_timeout_s
        self.open_timeout_s = open_timeout_s
        self.api_error_delay_s = api_error_delay_s
        self.backoff = backoff or Backoff(initial_s=1.0, max_s=120.0)
        self._connect = connect
        self.clock = clock
        self.connections = 0
        self.frames = 0

    def subscription(self) -> dict[str, Any]:
        """The subscription message sent after connecting."""
        sub: dict[str, Any] = {"APIKey": self.api_key, "BoundingBoxes": self.bounding_boxes}
        if self.mmsi_filter:
            sub["FiltersShipMMSI"] = self.mmsi_filter
        if self.message_types:
            sub["FilterMessageTypes"] = self.message_types
        return sub

    async def run(self, emit: Emit, stop: asyncio.Event, health: HealthSink) -> None:
        from websockets.exceptions import WebSocketException

        connect = self._connect or _default_connect()
        state = StreamState(self.name, health, self.clock)
        while not stop.is_set():
            reason = "stopped"
            try:
                async with connect(
                    self.url,
                    open_timeout=self.open_timeout_s,
                    close_timeout=2.0,
                    max_size=2**22,
                ) as ws:
                    self.connections += 1
                    await asyncio.wait_for(
                        ws.send(orjson.dumps(self.subscription()).decode()),
                        timeout=self.subscribe_timeout_s,
                    )
                    reason = await self._read(ws, emit, stop, state)
            except (OSError, TimeoutError, WebSocketException) as exc:
                log.info("%s: connection failed or lost: %s", self.name, exc)
                reason = "connect_failed" if state.up is not True else "connection_lost"
            if reason == "stopped" or stop.is_set():
                break
            state.mark_down(reason)
            if reason == "api_error":
                delay = self.api_error_delay_s
            else:
                delay = self.backoff.next_delay_s()
            await sleep_or_stop(stop, delay)

    async def _read(self, ws: Any, emit: Emit, stop: asyncio.Event, state: StreamState) -> str:
        from websockets.exceptions import ConnectionClosed

        last = time.monotonic()
        while not stop.is_set():
            left = self.silence_timeout_s - (time.monotonic() - last)
            if left <= 0:
                log.warning("%s: no frame for %.1f s, reconnecting", self.name, self.silence_timeout_s)
                return "silence"
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=min(left, 0.5))
            except TimeoutError:
                continue
            except ConnectionClosed as exc:
                log.info("%s: closed by server: %s", self.name, exc)
                return "closed"
            last = time.monotonic()
            now = self.clock()
            try:
                body: Any = orjson.loads(raw)
            except orjson.JSONDecodeError:
                body = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
            if isinstance(body, dict) and "error" in body and "MessageType" not in body:
                detail = str(body.get("error"))[:200]
                log.error("%s: the service refused the subscription: %s", self.name, detail)
                state.health.poll_failed(self.name, now, reason="api_error", detail=detail)
                await emit(CaptureRecord(feed=FEED, received_at=now, body=body, source=self.name))
                return "api_error"
            if self.frames == 0 or state.up is not True:
                self.backoff.reset()
            state.mark_up()
            self.frames += 1
            await emit(CaptureRecord(feed=FEED, received_at=now, body=body, source=self.name))
            # silence is time spent waiting for the service, not for a full queue downstream
            # (a database lock holds emit back; frames wait in the socket meanwhile, and
            # reconnecting would drop them)
            last = time.monotonic()
        return "stopped"
