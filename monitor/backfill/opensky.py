"""OpenSky Network history: ``/tracks/all`` JSON, ``/flights/*`` JSON and the historical
database's state-vector CSV.

Wire formats
------------
``/api/tracks/all?icao24=...&time=...`` (OpenSky REST documentation, "Track by
Aircraft")::

    {"icao24": "0ac382", "callsign": "HK5220  ", "startTime": 1.694114383E9,
     "endTime": 1.694115007E9,
     "path": [[1694114383, 5.0259, -73.9715, 3048, 218, false], ...]}

path rows are ``[time (epoch s), lat, lon, barometric altitude (m), true track (deg),
on_ground]``: no speed. ``/api/flights/{all,aircraft,arrival,departure}`` answer a list of
``{"icao24", "firstSeen", "estDepartureAirport", "lastSeen", "estArrivalAirport",
"callsign", ...}`` (airports are ICAO codes or null).

The historical database (Impala ``state_vectors_data4``), as the ``traffic`` library and
``pyopensky`` write it to CSV, has the columns ``time, icao24, lat, lon, velocity,
heading, vertrate, callsign, onground, alert, spi, squawk, baroaltitude, geoaltitude,
lastposupdate, lastcontact`` (metres, metres per second; ``time`` epoch seconds or ISO
text). Converted here, once: m -> ft, m/s -> kt, m/s -> ft/min.

Decisions
---------
* A CSV fix is timed by ``lastposupdate`` when present (the database repeats a position
  every snapshot until a new one arrives; repeats of one ``(icao24, lastposupdate)`` are
  skipped as ``repeated_position``), else by ``time``.
* Flights become routes (``callsign,origin,destination,valid_from,valid_to`` from
  firstSeen / lastSeen) when both airports are known; others are counted
  (``no_airports``) and kept out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.backfill.base import Entry, FileTally, finite, good_position, good_time
from monitor.domain import Observation, SubjectKind
from monitor.timeutil import iso_z, parse_utc_lenient, utc_from_epoch_s
from monitor.units import m_to_ft, mps_to_fpm, mps_to_kt

SOURCE = "opensky_history"
TRACKS_KIND = "opensky_tracks"
CSV_KIND = "opensky_csv"

#: the CSV columns this importer reads (``time`` may be named ``timestamp``)
CSV_COLUMNS = ("time", "icao24", "lat", "lon")


def _callsign(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _icao(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    v = value.strip().lower()
    if len(v) != 6 or any(c not in "0123456789abcdef" for c in v):
        return None
    return v


def parse_track(doc: Any, *, name: str, tally: FileTally) -> Iterator[Entry]:
    """The fixes of one ``/tracks/all`` answer, in time order."""
    if not isinstance(doc, dict) or not isinstance(doc.get("path"), list):
        tally.skip("bad_shape", 1, "no 'path' list")
        return
    icao = _icao(doc.get("icao24"))
    if icao is None:
        tally.skip("bad_icao", 1, repr(doc.get("icao24")))
        return
    callsign = _callsign(doc.get("callsign"))
    prev_t = -1.0
    for n, row in enumerate(doc["path"], start=1):
        tally.rows += 1
        if not isinstance(row, list) or len(row) < 6:
            tally.skip("bad_row", n, repr(row)[:80])
            continue
        t = finite(row[0]) if not isinstance(row[0], str) else None
        if not good_time(t):
            tally.skip("bad_time", n, repr(row[0]))
            continue
        assert t is not None
        if t < prev_t:
            tally.skip("time_backwards", n, f"{t - prev_t:.0f} s")
            continue
        prev_t = t
        lat, lon = finite(row[1]), finite(row[2])
        if not good_position(lat, lon):
            tally.skip("bad_coordinates", n, f"{row[1]!r},{row[2]!r}")
            continue
        alt_m = finite(row[3])
        on_ground = row[5] if isinstance(row[5], bool) else None
        yield (
            t,
            n,
            n,
            Observation(
                source=SOURCE,
                feed_kind=TRACKS_KIND,
                subject_kind=SubjectKind.AIRCRAFT,
                subject_id=icao,
                time=utc_from_epoch_s(t),
                lat=lat,  # type: ignore[arg-type]
                lon=lon,  # type: ignore[arg-type]
                callsign=callsign,
                altitude_ft=None if alt_m is None or on_ground else m_to_ft(alt_m),
                track_deg=finite(row[4]),
                on_ground=on_ground,
                record_ref=f"{name}:{n}",
            ),
        )


@dataclass(frozen=True, slots=True)
class FlightRoute:
    """One flight of ``/flights/*`` with both airports: a route valid while it flew."""

    callsign: str
    origin: str
    destination: str
    first_seen: datetime
    last_seen: datetime
    line: int

    def csv_row(self) -> str:
        """The line of the route CSV (``monitor.feeds.routes``) saying the same."""
        return (
            f"{self.callsign},{self.origin},{self.destination},"
            f"{iso_z(self.first_seen)},{iso_z(self.last_seen)}"
        )


def parse_flights(doc: Any, *, name: str, tally: FileTally) -> list[FlightRoute]:
    """The routes of a ``/flights/*`` answer (flights with both airports and a call sign)."""
    if not isinstance(doc, list):
        tally.skip("bad_shape", 1, "not a list of flights")
        return []
    out = []
    for n, item in enumerate(doc, start=1):
        tally.rows += 1
        if not isinstance(item, dict):
            tally.skip("bad_row", n, repr(item)[:80])
            continue
        first, last = finite(item.get("firstSeen")), finite(item.get("lastSeen"))
        if not good_time(first) or not good_time(last) or last < first:  # type: ignore[operator]
            tally.skip("bad_time", n, f"{item.get('firstSeen')!r}..{item.get('lastSeen')!r}")
            continue
        callsign = _callsign(item.get("callsign"))
        origin, dest = item.get("estDepartureAirport"), item.get("estArrivalAirport")
        if callsign is None:
            tally.skip("no_callsign", n)
            continue
        if not (isinstance(origin, str) and isinstance(dest, str) and origin and dest):
            tally.skip("no_airports", n, f"{callsign}: {origin!r} -> {dest!r}")
            continue
        out.append(FlightRoute(
            callsign, origin.upper(), dest.upper(),
            utc_from_epoch_s(first), utc_from_epoch_s(last), n,  # type: ignore[arg-type]
        ))
    return out


def _csv_time(value: str) -> float | None:
    v = finite(value)
    if v is not None:
        return v
    if not value:
        return None
    try:
        return parse_utc_lenient(value).timestamp()
    except ValueError:
        return None


def _bool(value: str) -> bool | None:
    v = value.strip().lower()
    if v in ("true", "1", "t"):
        return True
    if v in ("false", "0", "f"):
        return False
    return None


def parse_csv(
    header: list[str], rows: Iterable[tuple[int, list[str]]], *, name: str, tally: FileTally
) -> Iterator[Entry]:
    """Fixes of the historical database's CSV, in file order (see the module docstring).

    ``header`` is the first line's columns; ``rows`` yields ``(line, columns)``.
    """
    cols = {c.strip().lower(): i for i, c in enumerate(header)}
    if "time" not in cols and "timestamp" in cols:
        cols["time"] = cols["timestamp"]
    missing = [c for c in CSV_COLUMNS if c not in cols]
    if missing:
        tally.skip("bad_header", 1, f"missing {', '.join(missing)}")
        return
    i_time, i_icao, i_lat, i_lon = (cols[c] for c in CSV_COLUMNS)

    def col(name_: str) -> int:
        return cols.get(name_, -1)

    i_vel, i_hdg, i_vr, i_cs = col("velocity"), col("heading"), col("vertrate"), col("callsign")
    i_gnd, i_sq, i_baro, i_geo = col("onground"), col("squawk"), col("baroaltitude"), col("geoaltitude")
    i_pos = col("lastposupdate")
    width = len(header)
    last_pos: dict[str, float] = {}
    seq = 0
    for line, r in rows:
        tally.rows += 1
        if len(r) < width:
            tally.skip("short_row", line, ",".join(r)[:80])
            continue

        def get(i: int, r: list[str] = r) -> str:
            return r[i] if i >= 0 else ""

        icao = _icao(r[i_icao])
        if icao is None:
            tally.skip("bad_icao", line, r[i_icao][:20])
            continue
        t = _csv_time(get(i_pos)) if i_pos >= 0 and get(i_pos) else _csv_time(r[i_time])
        if not good_time(t):
            tally.skip("bad_time", line, f"{r[i_time]!r}")
            continue
        assert t is not None
        if i_pos >= 0 and get(i_pos):
            if last_pos.get(icao) == t:
                tally.skip("repeated_position", line)
                continue
            last_pos[icao] = t
        lat, lon = finite(r[i_lat]), finite(r[i_lon])
        if not good_position(lat, lon):
            tally.skip("bad_coordinates", line, f"{r[i_lat]!r},{r[i_lon]!r}")
            continue
        vel, vr = finite(get(i_vel)), finite(get(i_vr))
        baro, geo = finite(get(i_baro)), finite(get(i_geo))
        on_ground = _bool(get(i_gnd))
        seq += 1
        yield (
            t,
            seq,
            line,
            Observation(
                source=SOURCE,
                feed_kind=CSV_KIND,
                subject_kind=SubjectKind.AIRCRAFT,
                subject_id=icao,
                time=utc_from_epoch_s(t),
                lat=lat,  # type: ignore[arg-type]
                lon=lon,  # type: ignore[arg-type]
                callsign=_callsign(get(i_cs)),
                altitude_ft=None if baro is None or on_ground else m_to_ft(baro),
                geo_altitude_ft=None if geo is None else m_to_ft(geo),
                ground_speed_kt=None if vel is None else mps_to_kt(vel),
                track_deg=finite(get(i_hdg)),
                vertical_rate_fpm=None if vr is None else mps_to_fpm(vr),
                squawk=get(i_sq).strip() or None,
                on_ground=on_ground,
                record_ref=f"{name}:{line}",
            ),
        )
