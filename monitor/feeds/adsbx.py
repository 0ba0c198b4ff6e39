"""readsb / ADS-B Exchange v2 JSON: the parser (pure) and the polling adapters (I/O).

One wire format, many servers: the v2 APIs of adsb.lol, airplanes.live, adsb.fi and
ADS-B Exchange, and the ``aircraft.json`` file of a local readsb / tar1090 receiver.
Capture kind ``adsbx_v2``.

What the parser decides, and why
--------------------------------
* **The list** is ``ac`` (v2 APIs) or ``aircraft`` (readsb's file); ``"ac": null`` means
  no aircraft. A body that is neither (an API error ``{"msg": ...}``, a list, HTML) raises
  :class:`~monitor.errors.ParseError` (``api_error``, ``wrong_shape``, ``html_body``).
* **``now``** is milliseconds in the v2 APIs and seconds in readsb's file. Values above
  1e11 are taken as milliseconds (1e11 s is the year 5138; 1e11 ms is 1973). Without a
  usable ``now`` the record's ``received_at`` stands in.
* **Position time** is ``now - seen_pos`` (``now - seen`` when ``seen_pos`` is missing,
  else ``now``). An aircraft without ``lat``/``lon`` but with ``lastPosition`` is a stale
  fix: it is emitted at ``now - lastPosition.seen_pos`` with that fix's ``nic``.
* **Absent keys are unknown (``None``), never zero.**
* **``alt_baro: "ground"``** gives ``on_ground=True`` and ``altitude_ft=None``: readsb
  does not know the field elevation, and 0 ft would be wrong at Bogotá (8,360 ft). A
  numeric ``alt_baro`` gives ``on_ground=False``; no ``alt_baro`` leaves it ``None``.
* **``hex``** is lower-cased; a ``~`` prefix (non-ICAO address, e.g. TIS-B track files) is
  kept, so the id never collides with a real ICAO address.
* **``type`` -> ``position_source``**: ``adsb_icao``/``adsb_icao_nt``/``adsb_other`` ->
  ``adsb``; ``adsr_*`` -> ``adsr``; ``tisb_*`` -> ``tisb``; ``mlat``; ``adsc``;
  ``mode_s``; ``other``/``unknown``/anything else -> ``other``. Without ``type`` (older
  readsb) the ``mlat``/``tisb`` field lists say whether ``lat`` came from MLAT or TIS-B,
  else ``None``. Only ``adsb`` fixes carry GNSS-quality meaning (NIC / NACp).
* **Military**: ``dbFlags & 1``. readsb writes ``dbFlags`` only when non-zero and only
  with its aircraft database loaded; so ``military=False`` when ``dbFlags`` is present
  without bit 0 or when the database answered (``r`` or ``t`` present), else ``None``.
* ``emergency: "none"`` -> ``None``; ``flight`` is stripped (empty -> ``None``);
  ``r`` -> ``registration``; ``t`` -> ``aircraft_type``; ``gpsOkBefore`` (epoch s) ->
  ``gps_ok_before``; ``baro_rate`` (else ``geom_rate``) -> ``vertical_rate_fpm``;
  ``true_heading`` -> ``heading_deg`` (``mag_heading`` is magnetic and is not used).
  ``category`` has no field in :class:`~monitor.domain.Observation` and is dropped.
* Units are already feet, knots and ft/min: nothing is converted.

Bad input, per aircraft, is skipped and counted by reason (``ParseResult.reject``):
``not_an_object``, ``bad_hex``, ``no_position`` (a normal readsb entry: an aircraft heard
without a position; not a feed fault), ``bad_position`` (wrong type, NaN, out of range),
``bad_time`` (``seen_pos`` not a non-negative number), ``future_time`` (later than
``received_at`` + :data:`~monitor.feeds.base.MAX_FUTURE_S`), ``bad_record`` (anything else
that broke). Bad *fields* of a usable fix are dropped to ``None`` and counted without
losing the fix: ``negative_speed``, ``bad_speed`` (not a number, or over
:data:`MAX_GROUND_SPEED_KT`), ``bad_track`` (outside 0..360).

Two paths, one result
---------------------
Raw bytes (an HTTP body, a capture record kept undecoded) first go through a typed
:mod:`msgspec` decoder that materialises only the ~25 fields used here, skipping the
other ~30 keys of a readsb record without building them: about 4x faster than decoding
everything with orjson. That fast path handles the clean case of current readsb (every
record has ``type``) and the common ``no_position`` entry; anything else in a body (a wrong
type, an out-of-range value, a future time, a bad hex, ``"ac": null``, a record without
``type`` from an older readsb...) sends the *whole body* to the general path
below, which decodes it fully and applies the per-record rules above. Both paths give the
same result for every body (a property test holds them equal on generated bodies).

The adapters (:class:`AdsbV2Adapter`, :class:`LocalReadsbAdapter`) are at the end of the
module, with the pure tiling function :func:`tile_bbox`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx
import msgspec

from monitor.capture import CaptureRecord
from monitor.domain import Observation, ParseResult, SubjectKind
from monitor.errors import ConfigError, FeedError, ParseError, RateLimited
from monitor.feeds.base import (
    MAX_FUTURE_S,
    ParseFn,
    PollingAdapter,
    PollResult,
    decode_json_body,
)
from monitor.feeds.http import fetch, response_to_record
from monitor.geo import distance_m
from monitor.timeutil import utcnow
from monitor.units import M_PER_NM

log = logging.getLogger(__name__)

FEED_KIND = "adsbx_v2"

#: readsb ``type`` -> ``Observation.position_source``
POSITION_SOURCE: dict[str, str] = {
    "adsb_icao": "adsb",
    "adsb_icao_nt": "adsb",
    "adsb_other": "adsb",
    "adsr_icao": "adsr",
    "adsr_other": "adsr",
    "tisb_icao": "tisb",
    "tisb_other": "tisb",
    "tisb_trackfile": "tisb",
    "mlat": "mlat",
    "adsc": "adsc",
    "mode_s": "mode_s",
    "mode_ac": "other",
    "other": "other",
    "unknown": "other",
}

#: ground speeds above this (kt) are glitches, dropped like negative ones
MAX_GROUND_SPEED_KT = 4000.0


#: positional Observation constructor used by the parsers of this package (the Struct itself:
#: its C constructor takes every field positionally, in declaration order)
new_observation = Observation


def _now_seconds(value: Any) -> float | None:
    """``now`` in epoch seconds, whichever unit the server used (see module docstring)."""
    if type(value) is not int and type(value) is not float:
        return None
    if not math.isfinite(value) or value <= 0:
        return None
    seconds = value / 1000.0 if value > 1e11 else float(value)
    # beyond 2100 is not a clock reading (and beyond 9999 not even a datetime)
    return seconds if seconds < 4_102_444_800.0 else None


def _aircraft_list(body: Any) -> list[Any]:
    if isinstance(body, (bytes, bytearray, memoryview, str)):
        raise ParseError(FEED_KIND, "wrong_shape", "body is text, not a JSON object")
    if not isinstance(body, dict):
        raise ParseError(FEED_KIND, "wrong_shape", f"body is a {type(body).__name__}")
    if "ac" in body:
        acs = body["ac"]
    elif "aircraft" in body:
        acs = body["aircraft"]
    else:
        msg = body.get("msg")
        if isinstance(msg, str):
            raise ParseError(FEED_KIND, "api_error", msg[:200])
        raise ParseError(
            FEED_KIND, "wrong_shape", f"no 'ac' or 'aircraft' in keys {sorted(body)[:8]}"
        )
    if acs is None:
        return []
    if not isinstance(acs, list):
        raise ParseError(FEED_KIND, "wrong_shape", f"aircraft list is a {type(acs).__name__}")
    return acs


def parse_adsbx(
    body: Any, *, received_at: datetime, source: str, record_ref: str | None
) -> ParseResult:
    """Parse one readsb / v2 API body into observations (see the module docstring).

    ``body`` is the decoded JSON value, or the raw ``bytes`` of the body: those take the
    typed fast path first (see "Two paths, one result").

    Raises
    ------
    monitor.errors.ParseError
        When the body as a whole cannot be used.
    """
    received_s = received_at.timestamp()
    if isinstance(body, (bytes, bytearray, memoryview)):
        raw = bytes(body)
        fast = _parse_fast(raw, received_s, source, record_ref)
        if fast is not None:
            return fast
        body = decode_json_body(FEED_KIND, raw)
    acs = _aircraft_list(body)
    result = ParseResult()
    now_s = _now_seconds(body.get("now"))
    if now_s is None:
        log.debug("%s: no usable 'now' (%r); using received_at", source, body.get("now"))
        now_s = received_s
    result.feed_time = datetime.fromtimestamp(now_s, UTC)
    _parse_list(acs, now_s, received_s + MAX_FUTURE_S, source, record_ref, result)
    return result


# --- the typed fast path -----------------------------------------------------------------

def _num(**bounds: int) -> Any:
    """A JSON number (int or float, kept as sent) within ``bounds`` (msgspec ``Meta``), or null.

    The bounds are the general path's validity ranges: a value outside them fails the
    typed decode, which sends the body to the general path to be judged record by record.
    """
    meta = msgspec.Meta(**bounds)
    return Annotated[int, meta] | Annotated[float, meta] | None


_Lat = _num(ge=-90, le=90)
_Lon = _num(ge=-180, le=180)
_Age = _num(ge=0, lt=1_000_000_000)
_Alt = _num(gt=-5000, lt=200_000)
_Angle = _num(ge=0, le=360)
_Rate = _num(gt=-100_000, lt=100_000)


class _LastPosition(msgspec.Struct, gc=False):
    lat: _Lat = None
    lon: _Lon = None
    nic: int | None = None
    seen_pos: _Age = None


class _Aircraft(
    msgspec.Struct,
    gc=False,
    rename={
        "gps_ok_before": "gpsOkBefore",
        "db_flags": "dbFlags",
        "last_position": "lastPosition",
        "registration": "r",
        "type_code": "t",
        "source_type": "type",
    },
):
    """The fields of a readsb aircraft record this module reads; the others are skipped."""

    hex: str
    lat: _Lat = None
    lon: _Lon = None
    nic: int | None = None
    seen_pos: _Age = None
    seen: _Age = None
    last_position: _LastPosition | None = None
    alt_baro: _Alt | Literal["ground"] = None
    alt_geom: _Alt = None
    gs: _num(ge=0, le=int(MAX_GROUND_SPEED_KT)) = None  # type: ignore[valid-type]
    track: _Angle = None
    true_heading: _Angle = None
    baro_rate: _Rate = None
    geom_rate: _Rate = None
    flight: str | None = None
    squawk: str | None = None
    emergency: str | None = None
    nac_p: int | None = None
    gps_ok_before: _num(gt=0, lt=100_000_000_000) = None  # type: ignore[valid-type]
    registration: str | None = None
    type_code: str | None = None
    db_flags: int | None = None
    source_type: str | None = None
    # no ``mlat`` / ``tisb`` lists: they matter only without ``type`` (older readsb), and
    # such a body takes the general path


class _Body(msgspec.Struct, gc=False):
    now: int | float | None = None
    ac: list[_Aircraft] | None = None
    aircraft: list[_Aircraft] | None = None


_decode_body = msgspec.json.Decoder(_Body).decode


class _Unusual(Exception):
    """Raised inside the fast loop: this body needs the general path."""


def _parse_fast(  # noqa: C901 - one flat hot loop, kept inline for speed
    raw: bytes, received_s: float, source: str, ref: str | None
) -> ParseResult | None:
    """The typed fast path; ``None`` when the body needs the general path."""
    try:
        body = _decode_body(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    acs = body.ac if body.ac is not None else body.aircraft
    if acs is None:
        return None
    now_s = _now_seconds(body.now)
    if now_s is None:
        return None
    limit_s = received_s + MAX_FUTURE_S
    result = ParseResult(feed_time=datetime.fromtimestamp(now_s, UTC))
    obs_append = result.observations.append
    reject = result.reject
    new_obs = new_observation
    aircraft = SubjectKind.AIRCRAFT
    fromts = datetime.fromtimestamp
    utc = UTC
    kind = FEED_KIND
    psrc = POSITION_SOURCE.get
    try:
        for a in acs:
            hx = a.hex.strip().lower()
            n = len(hx)
            if n != 6 and not (n == 7 and hx[0] == "~"):
                raise _Unusual
            lat = a.lat
            lon = a.lon
            nic = a.nic
            if lat is None or lon is None:
                last = a.last_position
                if last is None:
                    reject("no_position")
                    continue
                lat = last.lat
                lon = last.lon
                nic = last.nic
                seen_pos = last.seen_pos
                if lat is None or lon is None:
                    raise _Unusual
            else:
                seen_pos = a.seen_pos
                if seen_pos is None:
                    seen_pos = a.seen
            # ranges were checked by the typed decode
            t_s = now_s if seen_pos is None else now_s - seen_pos
            if t_s > limit_s:
                raise _Unusual
            alt = a.alt_baro
            if alt is None:
                on_ground = None
            elif alt == "ground":
                on_ground = True
                alt = None
            else:
                on_ground = False
            vr = a.baro_rate
            if vr is None:
                vr = a.geom_rate
            flight = a.flight
            if flight is not None:
                flight = flight.strip() or None
            em = a.emergency
            if em == "none":
                em = None
            gok = a.gps_ok_before
            if gok is not None:
                gok = fromts(gok, utc)

            reg = a.registration
            typ = a.type_code
            flags = a.db_flags
            if flags is not None:
                mil = bool(flags & 1)
            elif reg is not None or typ is not None:
                mil = False
            else:
                mil = None

            src = a.source_type
            if src is None:
                raise _Unusual
            src = psrc(src, "other")

            obs_append(
                new_obs(
                    source, kind, aircraft, hx, fromts(t_s, utc), lat, lon, flight,
                    None, alt, a.alt_geom, a.gs, a.track, a.true_heading, vr, a.squawk, em,
                    on_ground, nic,
                    a.nac_p, gok, src, mil, typ, reg, None, None, ref,
                )
            )  # fmt: skip
    except (_Unusual, TypeError, ValueError, OverflowError, OSError):
        return None
    return result


# --- the general path --------------------------------------------------------------------


def _parse_list(  # noqa: C901 - one flat hot loop, kept inline for speed
    acs: list[Any],
    now_s: float,
    limit_s: float,
    source: str,
    ref: str | None,
    result: ParseResult,
) -> None:
    # Local bindings: this loop runs for every aircraft of every poll.
    obs_append = result.observations.append
    reject = result.reject
    new_obs = new_observation
    aircraft = SubjectKind.AIRCRAFT
    fromts = datetime.fromtimestamp
    utc = UTC
    kind = FEED_KIND
    psrc = POSITION_SOURCE.get
    _float = float
    _int = int
    _str = str
    _dict = dict
    _type = type
    max_gs = MAX_GROUND_SPEED_KT

    for a in acs:
        if _type(a) is not _dict:
            reject("not_an_object", repr(a)[:80])
            continue
        try:
            get = a.get
            hx = get("hex")
            if _type(hx) is not _str:
                reject("bad_hex", repr(hx)[:40])
                continue
            hx = hx.strip().lower()
            n = len(hx)
            if n != 6 and not (n == 7 and hx[0] == "~"):
                reject("bad_hex", repr(hx)[:40])
                continue

            lat = get("lat")
            lon = get("lon")
            nic = get("nic")
            if lat is None or lon is None:
                last = get("lastPosition")
                if _type(last) is not _dict:
                    reject("no_position")
                    continue
                lat = last.get("lat")
                lon = last.get("lon")
                nic = last.get("nic")
                seen_pos = last.get("seen_pos")
            else:
                seen_pos = get("seen_pos")
                if seen_pos is None:
                    seen_pos = get("seen")
            tlat = _type(lat)
            tlon = _type(lon)
            if (
                (tlat is not _float and tlat is not _int)
                or (tlon is not _float and tlon is not _int)
                or not (-90.0 <= lat <= 90.0)
                or not (-180.0 <= lon <= 180.0)
            ):
                reject("bad_position", f"{hx} lat={lat!r} lon={lon!r}")
                continue

            if seen_pos is None:
                t_s = now_s
            else:
                ts = _type(seen_pos)
                if (ts is not _float and ts is not _int) or not (0.0 <= seen_pos < 1e9):
                    reject("bad_time", f"{hx} seen_pos={seen_pos!r}")
                    continue
                t_s = now_s - seen_pos
            if t_s > limit_s:
                reject("future_time", f"{hx} t={t_s:.0f} s")
                continue

            # altitude / ground
            alt = get("alt_baro")
            if alt is None:
                on_ground = None
            elif alt == "ground":
                on_ground = True
                alt = None
            else:
                ta = _type(alt)
                on_ground = False
                # NaN, inf and absurd values are unknown, not numbers
                if (ta is not _int and ta is not _float) or not -5e3 < alt < 2e5:
                    alt = None
                    on_ground = None
            galt = get("alt_geom")
            if galt is not None and (
                (_type(galt) is not _int and _type(galt) is not _float) or not -5e3 < galt < 2e5
            ):
                galt = None

            gs = get("gs")
            if gs is not None:
                tg = _type(gs)
                if (tg is not _float and tg is not _int) or not (0.0 <= gs <= max_gs):
                    reject(
                        "negative_speed"
                        if (tg is _float or tg is _int) and gs < 0
                        else "bad_speed",
                        f"{hx} gs={gs!r}",
                    )
                    gs = None
            trk = get("track")
            if trk is not None:
                tt = _type(trk)
                if (tt is not _float and tt is not _int) or not (0.0 <= trk <= 360.0):
                    reject("bad_track", f"{hx} track={trk!r}")
                    trk = None
            hdg = get("true_heading")
            if hdg is not None and (
                (_type(hdg) is not _float and _type(hdg) is not _int) or not 0.0 <= hdg <= 360.0
            ):
                hdg = None
            vr = get("baro_rate")
            if vr is None:
                vr = get("geom_rate")
            if vr is not None and (
                (_type(vr) is not _int and _type(vr) is not _float) or not -1e5 < vr < 1e5
            ):
                vr = None

            flight = get("flight")
            if flight is not None:
                flight = flight.strip() if _type(flight) is _str else None
                if not flight:
                    flight = None
            sq = get("squawk")
            if sq is not None and _type(sq) is not _str:
                sq = None
            em = get("emergency")
            if em is not None and (em == "none" or _type(em) is not _str):
                em = None
            if nic is not None and _type(nic) is not _int:
                nic = None
            nacp = get("nac_p")
            if nacp is not None and _type(nacp) is not _int:
                nacp = None

            gok = get("gpsOkBefore")
            if gok is not None:
                tk = _type(gok)
                gok = fromts(gok, utc) if (tk is _float or tk is _int) and 0 < gok < 1e11 else None

            reg = get("r")
            typ = get("t")
            flags = get("dbFlags")
            if flags is not None and _type(flags) is _int:
                mil = bool(flags & 1)
            elif reg is not None or typ is not None:
                mil = False
            else:
                mil = None

            src = get("type")
            if src is not None:
                src = psrc(src, "other")
            else:
                ml = get("mlat")
                if ml and "lat" in ml:
                    src = "mlat"
                else:
                    tb = get("tisb")
                    if tb and "lat" in tb:
                        src = "tisb"

            obs_append(
                new_obs(
                    source,
                    kind,
                    aircraft,
                    hx,
                    fromts(t_s, utc),
                    lat,
                    lon,
                    flight,
                    None,  # name
                    alt,
                    galt,
                    gs,
                    trk,
                    hdg,
                    vr,
                    sq,
                    em,
                    on_ground,
                    nic,
                    nacp,
                    gok,
                    src,
                    mil,
                    typ if _type(typ) is _str else None,
                    reg if _type(reg) is _str else None,
                    None,  # vessel_type
                    None,  # nav_status
                    ref,
                )
            )
        except (TypeError, ValueError, AttributeError, OverflowError, OSError) as exc:
            reject("bad_record", f"{type(exc).__name__}: {exc}; {repr(a)[:80]}")


def make_parser() -> ParseFn:
    """A parser for capture kind ``adsbx_v2`` (stateless; one per source by convention)."""
    return parse_adsbx


# --- adapters (I/O) ---------------------------------------------------------------------

#: a bounding box as shapely's ``bounds``: (min_lon, min_lat, max_lon, max_lat), WGS84 degrees
BBox = tuple[float, float, float, float]

def _haversine_nm(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return distance_m(lat1, lon1, lat2, lon2) / M_PER_NM


def tile_bbox(bbox: BBox, radius_nm: float, *, margin: float = 0.95) -> list[tuple[float, float]]:
    """Centres ``(lat, lon)`` of circles of ``radius_nm`` that together cover ``bbox``.

    Rows of circles, each row covering a latitude band; in each band the circles sit on an
    inscribed-square pattern (band half-height and half-spacing both ``r / sqrt(2)``,
    with ``r = margin * radius_nm`` to absorb the flat-earth approximation within one
    circle). The longitude spacing of a row uses the widest scale in its band (the
    latitude closest to the equator), so every point of the box is within ``radius_nm``
    (great-circle) of some centre. Each circle is one request.

    Parameters
    ----------
    bbox:
        ``(min_lon, min_lat, max_lon, max_lat)`` in degrees; must not cross the
        antimeridian (split such a region in two).
    radius_nm:
        The request radius (``<= 250`` for the public v2 APIs).
    margin:
        Fraction of the radius used for spacing (``< 1``).
    """
    min_lon, min_lat, max_lon, max_lat = bbox
    if not (min_lon <= max_lon and min_lat <= max_lat):
        raise ConfigError(f"bbox {bbox} is not (min_lon, min_lat, max_lon, max_lat)")
    if radius_nm <= 0:
        raise ConfigError(f"tile radius must be > 0 nm, got {radius_nm}")
    r_nm = radius_nm * margin
    half_nm = r_nm / math.sqrt(2.0)
    half_lat = half_nm / 60.0
    height = max_lat - min_lat
    rows = max(1, math.ceil(height / (2 * half_lat)))
    row_h = height / rows
    centres: list[tuple[float, float]] = []
    for i in range(rows):
        lat_c = min_lat + row_h * (i + 0.5)
        lo, hi = lat_c - row_h / 2, lat_c + row_h / 2
        nearest_eq = 0.0 if lo <= 0.0 <= hi else min(abs(lo), abs(hi))
        scale = math.cos(math.radians(min(nearest_eq, 89.0)))
        half_lon = half_nm / (60.0 * max(scale, 1e-6))
        width = max_lon - min_lon
        cols = max(1, math.ceil(width / (2 * half_lon)))
        col_w = width / cols
        for j in range(cols):
            centres.append((lat_c, min_lon + col_w * (j + 0.5)))
    return centres


@dataclass(frozen=True)
class ProviderProfile:
    """How one v2 API is called.

    ``path_template`` has ``{lat}``, ``{lon}`` and ``{radius}`` (whole nm) placeholders.
    ``auth_header`` names the header that carries the API key, when the provider needs
    one; ``headers`` are sent with every request (e.g. RapidAPI's host header).
    """

    name: str
    base_url: str
    path_template: str
    max_radius_nm: float = 250.0
    min_request_spacing_s: float = 1.0
    auth_header: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    needs_key: bool = False


#: The public providers. Rate limits are the documented ones where there is a document
#: (airplanes.live and adsb.fi: 1 request per second); adsb.lol's limit is dynamic, we
#: keep 1 request per second too.
PROVIDERS: dict[str, ProviderProfile] = {
    "adsb_lol": ProviderProfile(
        "adsb_lol", "https://api.adsb.lol", "/v2/point/{lat}/{lon}/{radius}", 250.0, 1.0
    ),
    "airplanes_live": ProviderProfile(
        "airplanes_live", "https://api.airplanes.live", "/v2/point/{lat}/{lon}/{radius}", 250.0, 1.0
    ),
    "adsb_fi": ProviderProfile(
        "adsb_fi",
        "https://opendata.adsb.fi/api",
        "/v2/lat/{lat}/lon/{lon}/dist/{radius}",
        250.0,
        1.0,
    ),
    # ADS-B Exchange through RapidAPI: key in X-RapidAPI-Key, host header required.
    # For ADSBx's own gateway use base_url="https://adsbexchange.com/api/aircraft" and
    # auth_header="api-auth" (see AdsbV2Adapter's parameters).
    "adsbexchange": ProviderProfile(
        "adsbexchange",
        "https://adsbexchange-com1.p.rapidapi.com",
        "/v2/lat/{lat}/lon/{lon}/dist/{radius}/",
        250.0,
        1.0,
        auth_header="X-RapidAPI-Key",
        headers={"X-RapidAPI-Host": "adsbexchange-com1.p.rapidapi.com"},
        needs_key=True,
    ),
}


def _fmt_coord(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


class AdsbV2Adapter(PollingAdapter):
    """Polls a v2 API over a region, one request per tile, within the provider's rate.

    Parameters
    ----------
    client:
        The injected HTTP client.
    profile:
        A :class:`ProviderProfile` (see :data:`PROVIDERS`).
    bbox:
        The region, ``(min_lon, min_lat, max_lon, max_lat)``.
    name:
        Feed instance name (default: the profile's name); it is each record's ``source``.
    interval_s:
        Base poll interval.
    api_key:
        Sent in ``profile.auth_header`` (or ``auth_header``) when given.
    base_url, auth_header, headers:
        Override the profile (tests and the demo point ``base_url`` at 127.0.0.1).
    radius_nm:
        Tile radius; at most the profile's ``max_radius_nm``.
    sleep, monotonic, clock:
        Injectable waiting, monotonic time and UTC wall clock (tests).
    """

    kind = FEED_KIND

    def __init__(
        self,
        client: httpx.AsyncClient,
        profile: ProviderProfile,
        bbox: BBox,
        *,
        name: str | None = None,
        interval_s: float = 60.0,
        api_key: str | None = None,
        base_url: str | None = None,
        auth_header: str | None = None,
        headers: Mapping[str, str] | None = None,
        radius_nm: float | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.client = client
        self.profile = profile
        self.name = name or profile.name
        self.interval_s = interval_s
        self.base_url = (base_url or profile.base_url).rstrip("/")
        radius = profile.max_radius_nm if radius_nm is None else radius_nm
        if radius > profile.max_radius_nm:
            raise ConfigError(
                f"{self.name}: radius {radius} nm is over {profile.name}'s maximum "
                f"{profile.max_radius_nm} nm"
            )
        self.radius_nm = radius
        self.tiles = tile_bbox(bbox, radius)
        hdrs = dict(profile.headers)
        if headers:
            hdrs.update(headers)
        key_header = auth_header or profile.auth_header
        if api_key:
            if not key_header:
                raise ConfigError(f"{self.name}: an api_key was given but no auth header name")
            hdrs[key_header] = api_key
        elif profile.needs_key:
            raise ConfigError(f"{self.name}: {profile.name} needs an API key")
        self.headers = hdrs
        self._sleep = sleep
        self._monotonic = monotonic
        self._clock = clock
        self._last_request: float | None = None
        self._seq = 0

    def tile_urls(self) -> list[str]:
        """The request URL of each tile, in polling order."""
        radius = int(self.radius_nm)
        return [
            self.base_url
            + self.profile.path_template.format(
                lat=_fmt_coord(lat), lon=_fmt_coord(lon), radius=radius
            )
            for lat, lon in self.tiles
        ]

    async def _space(self) -> None:
        if self._last_request is not None:
            wait = self.profile.min_request_spacing_s - (self._monotonic() - self._last_request)
            if wait > 0:
                await self._sleep(wait)
        self._last_request = self._monotonic()

    async def poll(self) -> PollResult:
        records: list[CaptureRecord] = []
        urls = self.tile_urls()
        for url in urls:
            await self._space()
            try:
                response = await fetch(self.client, self.name, url, headers=self.headers)
                self._seq += 1
                records.append(
                    response_to_record(
                        self.kind,
                        self.name,
                        response,
                        received_at=self._clock(),
                        ref=f"live:{self.name}:{self._seq}",
                    )
                )
            except FeedError as exc:
                if not records:
                    raise
                # keep what this poll already got; the scheduler still learns the wait
                log.warning(
                    "%s: poll stopped after %d of %d tiles: %s",
                    self.name,
                    len(records),
                    len(urls),
                    exc,
                )
                wait = exc.retry_after_s if isinstance(exc, RateLimited) else None
                return PollResult(records, next_delay_s=wait)
        log.debug("%s: %d tiles polled", self.name, len(records))
        return PollResult(records)


class LocalReadsbAdapter(PollingAdapter):
    """A local readsb / tar1090 ``aircraft.json``, by URL or by file path (re-read each poll).

    Parameters
    ----------
    location:
        ``http://host/data/aircraft.json`` (``http``/``https``) or a file path.
    client:
        The injected HTTP client (needed for a URL).
    """

    kind = FEED_KIND

    def __init__(
        self,
        location: str | Path,
        *,
        client: httpx.AsyncClient | None = None,
        name: str = "readsb_local",
        interval_s: float = 5.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.location = str(location)
        self.is_url = self.location.startswith(("http://", "https://"))
        if self.is_url and client is None:
            raise ConfigError(f"{name}: a URL needs an HTTP client")
        self.client = client
        self.name = name
        self.interval_s = interval_s
        self._clock = clock
        self._seq = 0

    async def poll(self) -> PollResult:
        self._seq += 1
        ref = f"live:{self.name}:{self._seq}"
        if self.is_url:
            assert self.client is not None
            response = await fetch(self.client, self.name, self.location)
            record = response_to_record(
                self.kind, self.name, response, received_at=self._clock(), ref=ref
            )
            return PollResult([record])
        path = Path(self.location)
        try:
            content = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise FeedError(self.name, "file_missing", str(path)) from None
        except OSError as exc:
            raise FeedError(self.name, "file_unreadable", f"{path}: {exc}") from None
        received_at = self._clock()
        log.debug("%s: read %d bytes from %s", self.name, len(content), path)
        try:
            body = decode_json_body(self.kind, content)
        except ParseError as exc:
            # readsb rewrites the file in place; a half-written read is retried next poll
            raise FeedError(self.name, exc.reason, exc.detail) from None
        return PollResult([CaptureRecord(self.kind, received_at, body, self.name, ref)])
