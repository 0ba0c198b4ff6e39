"""readsb / tar1090 globe-history traces (``trace_full_<hex>.json``, ``trace_recent_<hex>.json``).

Wire format
-----------
What readsb writes for one aircraft (``globe_history/YYYY/MM/DD/traces/xx/trace_full_<hex>.json``,
gzip-compressed although named ``.json``; the reader looks at the bytes, not the name)::

    {"icao": "ac671b", "r": "N899DN", "t": "B739", "dbFlags": 0, "desc": "BOEING 737-900",
     "timestamp": 1738703622.619,
     "trace": [[0.00, 16.777359, -88.036868, 32000, 478.6, 327.8, 1, 0, null, "adsb_icao",
                33825, 32, 280, 0.0], ...]}

Each trace row is ``[seconds after timestamp, lat, lon, altitude (ft, or "ground", or
null), ground speed (kt), track (deg; true heading on the ground), flags, vertical rate
(ft/min), details or null, source type, geometric altitude (ft), geometric vertical rate,
IAS (kt), roll (deg)]``. ``details`` is an ``aircraft.json`` object (``flight``,
``squawk``, ``emergency``, ``nic``, ``nac_p`` ...) written every few rows; ``null`` in
between. ``flags`` bits: 1 the position is stale (no new position for 20 s), 2 a new leg
starts, 4 the vertical rate is geometric, 8 the altitude is geometric. ``dbFlags`` bit 1
marks a military aircraft.

Reference: readsb's ``globe_index.c`` (the writer) as documented in
meloods/adsb_analysis ``json_format.md`` @ 02203b3ad75862dad31ddf05bb87feae9518d67f
("Trace Array Format (Field-by-Field)" and "Flags Bitfield"); the shipped sample
``../shared/reference/samples/readsb_trace_full_ac671b_20250204.json`` follows it.

Decisions
---------
* Fix time is ``timestamp + row[0]``; a row earlier than the one before it is skipped as
  ``time_backwards`` (readsb writes rows in time order; a step back is a damaged file).
* A stale row (flag 1) repeats a position that was not refreshed: skipped as ``stale``
  (counted, not an error), so detectors never see an old position at a new time.
* ``"ground"`` -> ``on_ground=True`` and no barometric altitude (unknown, never 0).
  With flag 8 the altitude field is geometric: it goes to ``geo_altitude_ft`` and the
  barometric altitude is unknown.
* Call sign, squawk, emergency, NIC and NACp come from the last ``details`` object and
  carry over the ``null`` rows that follow, until a new leg (flag 2) starts.
* The record reference is ``file:N``, N the 1-based row of ``trace``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from monitor.backfill.base import Entry, FileTally, finite, good_position, good_time
from monitor.domain import Observation, SubjectKind
from monitor.timeutil import utc_from_epoch_s

SOURCE = "readsb_history"
FEED_KIND = "readsb_trace"

STALE = 1
NEW_LEG = 2
VRATE_GEOMETRIC = 4
ALT_GEOMETRIC = 8


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


def parse_trace(doc: Any, *, name: str, tally: FileTally) -> Iterator[Entry]:
    """The fixes of one trace file, in time order (see the module docstring)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("trace"), list):
        tally.skip("bad_shape", 1, "no 'trace' list")
        return
    icao = doc.get("icao")
    if not isinstance(icao, str) or not icao.strip():
        tally.skip("bad_icao", 1, repr(icao))
        return
    icao = icao.strip().lower()
    base = finite(doc.get("timestamp"))
    if base is None:
        tally.skip("bad_time", 1, f"timestamp={doc.get('timestamp')!r}")
        return
    registration = _text(doc.get("r"))
    aircraft_type = _text(doc.get("t"))
    db_flags = _int(doc.get("dbFlags"))
    military = bool(db_flags & 1) if db_flags is not None else None
    callsign = squawk = emergency = None
    nic = nac_p = None
    prev_t = -1.0
    for n, row in enumerate(doc["trace"], start=1):
        tally.rows += 1
        if not isinstance(row, list) or len(row) < 8:
            tally.skip("bad_row", n, repr(row)[:80])
            continue
        offset = finite(row[0]) if not isinstance(row[0], str) else None
        t = base + offset if offset is not None else None
        if not good_time(t):
            tally.skip("bad_time", n, f"offset={row[0]!r}")
            continue
        assert t is not None
        if t < prev_t:
            tally.skip("time_backwards", n, f"{t - prev_t:.2f} s")
            continue
        prev_t = t
        flags = row[6] if type(row[6]) is int else 0
        if flags & NEW_LEG:
            callsign = squawk = emergency = None
            nic = nac_p = None
        details = row[8] if len(row) > 8 else None
        if isinstance(details, dict):
            callsign = _text(details.get("flight")) or callsign
            squawk = _text(details.get("squawk")) or squawk
            em = _text(details.get("emergency"))
            if em is not None:
                emergency = None if em == "none" else em
            nic = _int(details.get("nic")) if "nic" in details else nic
            nac_p = _int(details.get("nac_p")) if "nac_p" in details else nac_p
        if flags & STALE:
            tally.skip("stale", n)
            continue
        lat, lon = row[1], row[2]
        if type(lat) not in (float, int) or type(lon) not in (float, int) or not good_position(
            float(lat), float(lon)
        ):
            tally.skip("bad_coordinates", n, f"{lat!r},{lon!r}")
            continue
        alt = row[3]
        on_ground = alt == "ground"
        alt_ft = None if on_ground else finite(alt)
        geo_ft = finite(row[10]) if len(row) > 10 else None
        if flags & ALT_GEOMETRIC and alt_ft is not None:
            geo_ft, alt_ft = alt_ft, None
        yield (
            t,
            n,
            n,
            Observation(
                source=SOURCE,
                feed_kind=FEED_KIND,
                subject_kind=SubjectKind.AIRCRAFT,
                subject_id=icao,
                time=utc_from_epoch_s(t),
                lat=float(lat),
                lon=float(lon),
                callsign=callsign,
                altitude_ft=alt_ft,
                geo_altitude_ft=geo_ft,
                ground_speed_kt=finite(row[4]),
                track_deg=finite(row[5]),
                vertical_rate_fpm=finite(row[7]),
                squawk=squawk,
                emergency=emergency,
                on_ground=on_ground if on_ground else (False if alt_ft is not None else None),
                nic=nic,
                nac_p=nac_p,
                position_source=_text(row[9]) if len(row) > 9 else None,
                military=military,
                aircraft_type=aircraft_type,
                registration=registration,
                record_ref=f"{name}:{n}",
            ),
        )
