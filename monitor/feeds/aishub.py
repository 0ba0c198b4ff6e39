"""AISHub web service (members only): the ``aishub`` parser and :class:`AishubAdapter`.

Wire format
-----------
``GET https://data.aishub.net/ws.php?username=U&format=1&output=json&compress=0
&latmin=..&latmax=..&lonmin=..&lonmax=..[&interval=MINUTES]`` (aishub.net/api). The
documentation says: do not call more often than once a minute, or the service answers
*nothing* (an empty body, no 429). ``format=1`` is the human-readable form::

    [ {"ERROR": false, "USERNAME": "AH_...", "FORMAT": "HUMAN", "RECORDS": 1},
      [ {"MMSI": 311733000, "TIME": "2021-07-09 12:08:05 GMT", "LONGITUDE": -63.04667,
         "LATITUDE": 18.01317, "COG": 48.7, "SOG": 0, "HEADING": 49, "ROT": 0, "NAVSTAT": 5,
         "IMO": 9111802, "NAME": "ENCHANTMENT OTS", "CALLSIGN": "C6FZ7", "TYPE": 60,
         "A": 49, "B": 253, "C": 17, "D": 15, "DRAUGHT": 7.2, "DEST": "PHILIPSBURG",
         "ETA": "07-04 13:00"} ] ]

``format=0`` ("AIS", ``"FORMAT": "AIS"``) sends raw AIS units instead: ``TIME`` as UNIX
seconds (a string), ``LATITUDE``/``LONGITUDE`` in 1/10000 minute (degrees x 600000),
``COG``, ``SOG`` and ``DRAUGHT`` in tenths. Both are parsed; the header's ``FORMAT`` decides.

What was confirmed and what was not: the parameters, the once-a-minute rule and the
header + list shape come from aishub.net/api and from several independent clients'
recorded answers (both formats). The error answer is taken to be the header alone with
``"ERROR": true`` and an ``ERROR_MESSAGE`` -- seen in client code, not in AISHub's own
documentation; any header with ``ERROR`` true raises :class:`ParseError`
(``api_error``).

Dirty data: as for the other AIS feeds (``bad_mmsi``, ``no_position``, ``bad_position``,
``bad_time``, ``future_time``, ``bad_shape``); not-available values (SOG 102.3, COG 360,
HEADING 511, LAT 91, LON 181) become ``None`` / no observation.
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from monitor.domain import Observation, ParseResult, SubjectKind, VesselInfo
from monitor.errors import ParseError, RateLimited
from monitor.feeds.base import MAX_FUTURE_S, ParseFn, PollingAdapter, PollResult
from monitor.feeds.http import fetch, response_to_record
from monitor.timeutil import utcnow

log = logging.getLogger(__name__)

FEED = "aishub"
DEFAULT_BASE_URL = "https://data.aishub.net"
PATH = "/ws.php"
#: AISHub answers nothing to calls less than this far apart
MIN_INTERVAL_S = 60.0


def _num(v: Any) -> float | None:
    """A finite number from a JSON number or numeric string, else ``None``."""
    t = type(v)
    if t is float or t is int:
        f = float(v)
    elif t is str:
        try:
            f = float(v)
        except ValueError:
            return None
    else:
        return None
    return f if math.isfinite(f) else None


def _text(v: Any) -> str | None:
    if isinstance(v, str):
        v = v.strip().rstrip("@").strip()
        return v or None
    return None


@dataclass
class AishubParser:
    """``aishub`` parser (stateless apart from :attr:`stats`)."""

    stats: Counter[str] = field(default_factory=Counter)

    def __call__(
        self, body: Any, *, received_at: datetime, source: str, record_ref: str | None = None
    ) -> ParseResult:
        if not isinstance(body, list) or not body or not isinstance(body[0], dict):
            raise ParseError(FEED, "bad_shape", f"expected [header, [vessels]], got {type(body).__name__}")
        header = body[0]
        if header.get("ERROR") in (True, 1, "true", "TRUE"):
            raise ParseError(FEED, "api_error", str(header.get("ERROR_MESSAGE", header))[:200])
        if len(body) < 2:
            return ParseResult()  # no vessels in the box
        vessels = body[1]
        if not isinstance(vessels, list):
            raise ParseError(FEED, "bad_shape", f"vessels is {type(vessels).__name__}")
        raw_units = str(header.get("FORMAT", "HUMAN")).upper() == "AIS"
        result = ParseResult()
        for v in vessels:
            if not isinstance(v, dict):
                result.reject("bad_shape", f"vessel is {type(v).__name__}")
                continue
            self._vessel(v, raw_units, result, received_at, source, record_ref)
        return result

    def _vessel(
        self,
        v: dict[str, Any],
        raw_units: bool,
        result: ParseResult,
        received_at: datetime,
        source: str,
        ref: str | None,
    ) -> None:
        mmsi = v.get("MMSI")
        if isinstance(mmsi, str) and mmsi.isdigit():
            mmsi = int(mmsi)
        if type(mmsi) is not int or not 0 < mmsi < 1_000_000_000:
            result.reject("bad_mmsi", f"MMSI {mmsi!r}")
            return
        mmsi_s = f"{mmsi:09d}"
        when = self._time(v.get("TIME"), raw_units)
        if when is None:
            result.reject("bad_time", f"MMSI {mmsi_s} TIME {v.get('TIME')!r}")
            return
        if (when - received_at).total_seconds() > MAX_FUTURE_S:
            result.reject("future_time", f"MMSI {mmsi_s} TIME {v.get('TIME')!r}")
            return
        lat, lon = _num(v.get("LATITUDE")), _num(v.get("LONGITUDE"))
        sog, cog, heading = _num(v.get("SOG")), _num(v.get("COG")), _num(v.get("HEADING"))
        if raw_units:
            lat = None if lat is None else lat / 600000.0
            lon = None if lon is None else lon / 600000.0
            sog = None if sog is None else sog / 10.0
            cog = None if cog is None else cog / 10.0
        self._static(v, mmsi_s, when, result, source, raw_units)
        if lat is None or lon is None:
            result.reject("bad_shape", f"MMSI {mmsi_s} without LATITUDE/LONGITUDE")
            return
        if abs(lat - 91.0) < 1e-6 or abs(lon - 181.0) < 1e-6 or (lat == 0.0 and lon == 0.0):
            result.reject("no_position", f"MMSI {mmsi_s} lat {lat} lon {lon}")
            return
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            result.reject("bad_position", f"MMSI {mmsi_s} lat {lat} lon {lon}")
            return
        if sog is not None and not 0.0 <= sog < 102.25:
            sog = None
        if cog is not None and not 0.0 <= cog < 360.0:
            cog = None
        if heading is not None and not 0.0 <= heading < 360.0:
            heading = None
        navstat = v.get("NAVSTAT")
        vtype = v.get("TYPE")
        self.stats["vessels"] += 1
        result.observations.append(
            Observation(
                source=source,
                feed_kind=FEED,
                subject_kind=SubjectKind.VESSEL,
                subject_id=mmsi_s,
                time=when,
                lat=lat,
                lon=lon,
                callsign=_text(v.get("CALLSIGN")),
                name=_text(v.get("NAME")),
                ground_speed_kt=sog,
                track_deg=cog,
                heading_deg=heading,
                position_source="ais",
                vessel_type=vtype if type(vtype) is int and vtype > 0 else None,
                nav_status=navstat if type(navstat) is int else None,
                record_ref=ref,
            )
        )

    @staticmethod
    def _time(value: Any, raw_units: bool) -> datetime | None:
        if raw_units or type(value) is int:
            t = _num(value)
            if t is None or t <= 0:
                return None
            try:
                return datetime.fromtimestamp(t, tz=UTC)
            except (ValueError, OverflowError, OSError):  # beyond year 9999
                return None
        if not isinstance(value, str):
            return None
        text = value.strip()
        if text.endswith(("GMT", "UTC")):
            text = text[:-3].strip()
        try:
            return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        except ValueError:
            return None

    def _static(
        self,
        v: dict[str, Any],
        mmsi_s: str,
        when: datetime,
        result: ParseResult,
        source: str,
        raw_units: bool,
    ) -> None:
        name, callsign, dest = _text(v.get("NAME")), _text(v.get("CALLSIGN")), _text(v.get("DEST"))
        imo, stype = v.get("IMO"), v.get("TYPE")
        a, b, c, d = (_num(v.get(k)) for k in ("A", "B", "C", "D"))
        length = a + b if a is not None and b is not None and a + b > 0 else None
        beam = c + d if c is not None and d is not None and c + d > 0 else None
        draught = _num(v.get("DRAUGHT"))
        if draught is not None and raw_units:
            draught /= 10.0  # tenths of a metre in the AIS format
        if name is None and callsign is None and length is None and not imo:
            return
        result.vessel_info.append(
            VesselInfo(
                mmsi=mmsi_s,
                time=when,
                source=source,
                name=name,
                imo=imo if type(imo) is int and imo > 0 else None,
                callsign=callsign,
                ship_type=stype if type(stype) is int and stype > 0 else None,
                length_m=length,
                beam_m=beam,
                destination=dest,
                draught_m=draught if draught is not None and draught > 0 else None,
            )
        )


def make_parser() -> ParseFn:
    """A fresh ``aishub`` parser."""
    return AishubParser()


# --- adapter (I/O) ----------------------------------------------------------------------


class AishubAdapter(PollingAdapter):
    """Poll AISHub for the vessels in a box, never more than once a minute.

    Parameters
    ----------
    client:
        The injected ``httpx.AsyncClient``.
    username:
        The AISHub member name (``AISHUB_USERNAME``).
    bbox:
        ``(lon_min, lat_min, lon_max, lat_max)``.
    interval_s:
        Poll interval; values under 60 s are raised to 60 s.
    max_age_min:
        Only positions younger than this (AISHub ``interval``); ``None`` for all.
    monotonic:
        Clock used to enforce the minute between calls (injectable for tests).
    """

    kind = FEED

    def __init__(
        self,
        client: httpx.AsyncClient,
        username: str,
        *,
        bbox: tuple[float, float, float, float] = (-80.0, 5.0, -58.0, 20.0),
        base_url: str = DEFAULT_BASE_URL,
        name: str = "aishub",
        interval_s: float = 60.0,
        max_age_min: int | None = 30,
        timeout_s: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.clock = clock
        if not username:
            raise ValueError("AISHub needs a member username (AISHUB_USERNAME)")
        self.client = client
        self.username = username
        self.bbox = bbox
        self.base_url = base_url.rstrip("/")
        self.name = name
        self.interval_s = max(MIN_INTERVAL_S, interval_s)
        self.max_age_min = max_age_min
        self.timeout_s = timeout_s
        self._monotonic = monotonic
        self._last_call: float | None = None

    async def poll(self) -> PollResult:
        now = self._monotonic()
        if self._last_call is not None and now - self._last_call < MIN_INTERVAL_S:
            wait = MIN_INTERVAL_S - (now - self._last_call)
            raise RateLimited(self.name, wait, f"AISHub allows one call a minute; {wait:.0f} s to go")
        self._last_call = now
        lon_min, lat_min, lon_max, lat_max = self.bbox
        params: dict[str, Any] = {
            "username": self.username,
            "format": 1,
            "output": "json",
            "compress": 0,
            "latmin": lat_min,
            "latmax": lat_max,
            "lonmin": lon_min,
            "lonmax": lon_max,
        }
        if self.max_age_min:
            params["interval"] = self.max_age_min
        response = await fetch(self.client, self.name, self.base_url + PATH, params=params, timeout_s=self.timeout_s)
        if not response.content.strip():
            # the documented answer to calling too often
            raise RateLimited(self.name, MIN_INTERVAL_S, "empty answer (called too often?)")
        record = response_to_record(FEED, self.name, response, received_at=self.clock())
        body = record.body
        if isinstance(body, list) and body and isinstance(body[0], dict):
            log.info("%s: %s records", self.name, body[0].get("RECORDS"))
        return PollResult([record], next_delay_s=self.interval_s)
