"""The typed fast path of the ``aisstream`` parser, for bodies given as raw JSON bytes.

A capture of the websocket batches hundreds of frames a record; most are position reports.
Decoding every frame fully (``Message``'s twenty-odd fields, ``MetaData``) and walking it
as dicts costs about 10 us a frame. Here the body is split into its frames as raw JSON
(:class:`msgspec.Raw`), and each frame is decoded against a schema of the few fields a
position report needs. A frame that is anything else, or odd in any way (static data, a
type 19 report, a wrong type, a bad time, an out-of-range value...), goes to the general
path of :class:`~monitor.feeds.aisstream.AisstreamParser` *for that frame alone*, decoded
fully, so results and counts are exactly the general path's: a property test holds them
equal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
import orjson

from monitor.domain import Observation, ParseResult, SubjectKind
from monitor.feeds.base import MAX_FUTURE_S

FEED = "aisstream"
_VESSEL = SubjectKind.VESSEL

#: the position reports handled here -> their AIS message number (19 carries static data
#: too and is left to the general path)
FAST_TYPES: dict[str, int] = {
    "PositionReport": 1,
    "StandardClassBPositionReport": 18,
    "LongRangeAisBroadcastMessage": 27,
}

#: the other types the general path reads (static data, and type 19 with both); frames of
#: any other type carry nothing used here and are only counted as ``other_type``
GENERAL_TYPES = frozenset({"ExtendedClassBPositionReport", "ShipStaticData", "StaticDataReport"})


class _Report(msgspec.Struct, gc=False, rename="pascal"):
    """The fields of a position report used here (aisstream spells them in PascalCase)."""

    latitude: float
    longitude: float
    user_id: int | None = msgspec.field(default=None, name="UserID")
    valid: bool | None = None
    sog: float | None = None
    cog: float | None = None
    true_heading: float | None = None
    #: AIS navigational status 0..15; anything else goes to the general path (which drops it)
    navigational_status: Annotated[int, msgspec.Meta(ge=0, le=15)] | None = None


class _Message(msgspec.Struct, gc=False, rename="pascal"):
    position_report: _Report | None = None
    standard_class_b_position_report: _Report | None = msgspec.field(
        default=None, name="StandardClassBPositionReport"
    )
    long_range_ais_broadcast_message: _Report | None = None


class _Meta(msgspec.Struct, gc=False):
    MMSI: int | None = None  # noqa: N815 - the wire's name
    ShipName: str | None = None  # noqa: N815
    time_utc: str | None = None


class _Frame(msgspec.Struct, gc=False):
    MessageType: str  # noqa: N815
    Message: _Message  # noqa: N815
    MetaData: _Meta | None = None  # noqa: N815


def position_problem(lat: float, lon: float) -> str | None:
    """Why an AIS position is not one: ``no_position`` (lat 91 / lon 181, the "not
    available" values, or 0,0) or ``bad_position`` (out of range); ``None`` when usable.
    The rule of both the general and the fast path."""
    if lat == 91.0 or lon == 181.0 or (lat == 0.0 and lon == 0.0):
        return "no_position"
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return "bad_position"
    return None


def motion(
    pos_type: int, sog: float | None, cog: float | None, heading: float | None
) -> tuple[float | None, float | None, float | None]:
    """SOG, COG and true heading with the "not available" and out-of-range values as
    ``None`` (SOG 102.3, or 63 for type 27; COG 360; heading 511)."""
    if sog is not None and (sog >= (63 if pos_type == 27 else 102.25) or sog < 0):
        sog = None
    if cog is not None and not 0.0 <= cog < 360.0:
        cog = None
    if heading is not None and not 0.0 <= heading < 360.0:
        heading = None
    return sog, cog, heading


_split_list = msgspec.json.Decoder(list[msgspec.Raw]).decode
_decode_frame = msgspec.json.Decoder(_Frame).decode
_decode_batch = msgspec.json.Decoder(list[_Frame]).decode


#: whole seconds already parsed (a batch's frames share them):
#: "YYYY-MM-DD HH:MM:SS" -> (year, month, day, hour, minute, second)
_SECONDS: dict[str, tuple[int, int, int, int, int, int]] = {}
_DIGITS = (slice(0, 4), slice(5, 7), slice(8, 10), slice(11, 13), slice(14, 16), slice(17, 19))


def _head(head: str) -> tuple[int, int, int, int, int, int] | None:
    """``YYYY-MM-DD HH:MM:SS`` (ASCII digits) as integers, if it is a valid time."""
    if head[4] != "-" or head[7] != "-" or head[13] != ":" or head[16] != ":":
        return None
    parts = [head[s] for s in _DIGITS]
    if not all(p.isascii() and p.isdigit() for p in parts):
        return None
    y, mo, d, h, mi, sec = (int(p) for p in parts)
    try:
        datetime(y, mo, d, h, mi, sec, tzinfo=UTC)
    except ValueError:
        return None
    return y, mo, d, h, mi, sec


def fast_time_utc(text: str, _dt: type[datetime] = datetime) -> datetime | None:
    """``2023-10-22 22:47:36.94034384 +0000 UTC`` -> aware UTC datetime; ``None`` if other.

    The common shape only (UTC offset ``+0000``); anything else is the general parser's.
    """
    if text[-10:] != " +0000 UTC":
        return None
    head = text[:19]
    base = _SECONDS.get(head)
    if base is None:
        if len(text) < 29 or text[10] != " ":
            return None
        base = _head(head)
        if base is None:
            return None
        if len(_SECONDS) > 4096:
            _SECONDS.clear()
        _SECONDS[head] = base
    end = len(text) - 10
    if end == 19:
        return _dt(*base, 0, UTC)
    frac = text[20:end]
    if text[19] != "." or len(frac) > 9 or not frac.isdigit() or not frac.isascii():
        return None
    return _dt(*base, int(frac[:6].ljust(6, "0")), UTC)


class _Bail(Exception):
    """The body as a whole is the general path's (it would not decode there)."""


#: general(frame, result, stats): the general path for one decoded frame
GeneralFrame = Callable[[dict[str, Any], ParseResult, Counter[str]], None]


def parse_fast(
    raw: bytes,
    stats: Counter[str],
    general: GeneralFrame,
    received_at: datetime,
    source: str,
    ref: str | None,
) -> ParseResult | None:
    """Parse a raw body; ``None`` (nothing counted) when the general path must take it all.

    ``stats`` (the parser's counters) is updated as the general path would update it,
    also when a frame raises :class:`~monitor.errors.ParseError` (an ``{"error": ...}``
    frame), which propagates as it does there.
    """
    head = raw.lstrip()[:1]
    typed: list[_Frame] | None = None
    split: list[Any] | None = None
    try:
        if head == b"[":
            try:
                typed = _decode_batch(raw)  # the common case: one call for the whole batch
            except msgspec.ValidationError:
                split = _split_list(raw)  # some frame is odd: frame by frame
        elif head == b"{":
            split = [raw]
            try:
                typed = [_decode_frame(raw)]
            except msgspec.ValidationError:
                pass
        else:
            return None
    except msgspec.DecodeError:
        return None
    result = ParseResult()
    counts: Counter[str] = Counter()
    try:
        _frames(typed, split, raw, result, counts, general, received_at, source, ref)
    except _Bail:
        return None
    except Exception:
        stats.update(counts)
        raise
    stats.update(counts)
    return result


def _frames(  # noqa: C901 - one flat hot loop, kept inline for speed
    typed: list[_Frame] | None,
    split: list[Any] | None,
    raw: bytes,
    result: ParseResult,
    stats: Counter[str],
    general: GeneralFrame,
    received_at: datetime,
    source: str,
    ref: str | None,
) -> None:
    """``typed``: the frames decoded in one go, or ``None`` to decode ``split`` (the raw
    frames) one by one. A frame left to the general path is taken raw from ``split``,
    which is made from ``raw`` only when first needed."""

    def raw_at(i: int) -> Any:
        nonlocal split
        if split is None:
            split = _split_list(raw)
        return split[i]

    append = result.observations.append
    reject = result.reject
    n = len(typed) if typed is not None else len(split or ())
    for i in range(n):
        if typed is not None:
            f = typed[i]
        else:
            try:
                f = _decode_frame(raw_at(i))
            except (msgspec.DecodeError, msgspec.ValidationError):
                _general_frame(raw_at(i), result, stats, general)
                continue
        mtype = f.MessageType
        pos_type = FAST_TYPES.get(mtype)
        if pos_type is None:
            if mtype in GENERAL_TYPES:
                _general_frame(raw_at(i), result, stats, general)
            else:  # no position nor static data: counted, as the general path does
                stats["other_type"] += 1
            continue
        msg = f.Message
        m = (
            msg.position_report
            if pos_type == 1
            else msg.standard_class_b_position_report
            if pos_type == 18
            else msg.long_range_ais_broadcast_message
        )
        meta = f.MetaData
        tu = meta.time_utc if meta is not None else None
        when = fast_time_utc(tu) if tu is not None else None
        if m is None or m.user_id is None or not 0 < m.user_id < 1_000_000_000 or when is None:
            _general_frame(raw_at(i), result, stats, general)
            continue
        if m.valid is False:
            reject("invalid_message", f"{mtype} Valid=false")
            continue
        if (when - received_at).total_seconds() > MAX_FUTURE_S:
            _general_frame(raw_at(i), result, stats, general)
            continue
        stats["messages"] += 1
        mmsi_s = f"{m.user_id:09d}"
        lat = m.latitude
        lon = m.longitude
        problem = position_problem(lat, lon)
        if problem is not None:
            reject(problem, f"MMSI {mmsi_s} lat {lat} lon {lon}")
            continue
        sog, cog, heading = motion(pos_type, m.sog, m.cog, m.true_heading)
        name = meta.ShipName if meta is not None else None
        if name is not None:
            name = name.strip().rstrip("@").strip() or None
        append(
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
                nav_status=m.navigational_status,
                record_ref=ref,
            )
        )


def _general_frame(
    raw: bytes | msgspec.Raw, result: ParseResult, stats: Counter[str], general: GeneralFrame
) -> None:
    try:
        frame = orjson.loads(bytes(raw))
    except orjson.JSONDecodeError:
        raise _Bail from None  # e.g. an integer beyond 64 bits: the whole body is bad_json there
    if isinstance(frame, dict):
        general(frame, result, stats)
    else:
        result.reject("bad_shape", f"frame is {type(frame).__name__}")
