"""NOAA Office for Coastal Management "MarineCadastre" AIS daily files (``AIS_YYYY_MM_DD.csv``).

Wire format
-----------
One CSV per UTC day (from 2015 on; zipped by NOAA, unzipped or gzipped here) with the
header ``MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,
Status,Length,Width,Draft,Cargo,TransceiverClass``: ``BaseDateTime`` is ISO text without
an offset, in UTC; SOG in knots (102.3 not available), COG in degrees (360 not
available), Heading in degrees (511 not available), IMO as ``IMO9307839`` (``IMO0000000``
and empty: unknown), Status the AIS navigational status, VesselType the AIS ship type,
Length / Width / Draft in metres (0: unknown). Files re-saved through pandas carry floats
(``70.0``, ``0.0``) in the integer columns; both are read. Rows are in time order within
seconds, not exactly (the importer's reorder buffer puts them right).

Each row is a position (:class:`~monitor.domain.Observation`, vessel); the static columns
become a :class:`~monitor.domain.VesselInfo` when they differ from the last ones seen for
that MMSI in the file (not once per row).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from monitor.backfill.base import Entry, FileTally, finite, good_position, good_time
from monitor.domain import Observation, SubjectKind, VesselInfo
from monitor.timeutil import utc_from_epoch_s

SOURCE = "marinecadastre"
FEED_KIND = "marinecadastre_csv"
COLUMNS = ("mmsi", "basedatetime", "lat", "lon")


def _int(text: str) -> int | None:
    v = finite(text)
    return None if v is None or v != int(v) else int(v)


def _imo(text: str) -> int | None:
    t = text.strip().upper().removeprefix("IMO")
    v = _int(t) if t else None
    return v if v else None


def _positive(text: str) -> float | None:
    v = finite(text)
    return v if v is not None and v > 0 else None


def _time(text: str) -> float | None:
    """``2024-01-01T00:00:03`` (UTC, no offset) to epoch seconds, without building a
    datetime for the common case."""
    from monitor.timeutil import parse_utc_lenient

    try:
        return parse_utc_lenient(text).timestamp()
    except ValueError:
        return None


def parse_csv(
    header: list[str], rows: Iterable[tuple[int, list[str]]], *, name: str, tally: FileTally
) -> Iterator[Entry]:
    """Positions and static data of one daily file, in file order."""
    cols = {c.strip().lower(): i for i, c in enumerate(header)}
    missing = [c for c in COLUMNS if c not in cols]
    if missing:
        tally.skip("bad_header", 1, f"missing {', '.join(missing)}")
        return
    i_mmsi, i_time, i_lat, i_lon = (cols[c] for c in COLUMNS)
    g = cols.get
    i_sog, i_cog, i_hdg, i_name = g("sog", -1), g("cog", -1), g("heading", -1), g("vesselname", -1)
    i_imo, i_cs, i_type, i_status = g("imo", -1), g("callsign", -1), g("vesseltype", -1), g("status", -1)
    i_len, i_wid, i_draft = g("length", -1), g("width", -1), g("draft", -1)
    width = max(i_mmsi, i_time, i_lat, i_lon) + 1
    last_static: dict[str, tuple[object, ...]] = {}
    seq = 0
    for line, r in rows:
        tally.rows += 1
        if len(r) < width:
            tally.skip("short_row", line, ",".join(r)[:80])
            continue

        def get(i: int, r: list[str] = r) -> str:
            return r[i] if 0 <= i < len(r) else ""

        mmsi = r[i_mmsi].strip()
        if not (mmsi.isdigit() and len(mmsi) <= 9):
            tally.skip("bad_mmsi", line, mmsi[:20])
            continue
        mmsi = mmsi.zfill(9)
        t = _time(r[i_time])
        if not good_time(t):
            tally.skip("bad_time", line, r[i_time][:40])
            continue
        assert t is not None
        lat, lon = finite(r[i_lat]), finite(r[i_lon])
        if not good_position(lat, lon):
            tally.skip("bad_coordinates", line, f"{r[i_lat]!r},{r[i_lon]!r}")
            continue
        when = utc_from_epoch_s(t)
        sog, cog, hdg = finite(get(i_sog)), finite(get(i_cog)), finite(get(i_hdg))
        vessel_name = get(i_name).strip() or None
        ship_type = _int(get(i_type))
        seq += 1
        yield (
            t,
            seq,
            line,
            Observation(
                source=SOURCE,
                feed_kind=FEED_KIND,
                subject_kind=SubjectKind.VESSEL,
                subject_id=mmsi,
                time=when,
                lat=lat,  # type: ignore[arg-type]
                lon=lon,  # type: ignore[arg-type]
                name=vessel_name,
                ground_speed_kt=sog if sog is not None and 0 <= sog < 102.3 else None,
                track_deg=cog if cog is not None and 0 <= cog < 360 else None,
                heading_deg=hdg if hdg is not None and 0 <= hdg < 360 else None,
                vessel_type=ship_type,
                nav_status=_int(get(i_status)),
                record_ref=f"{name}:{line}",
            ),
        )
        static = (
            vessel_name, _imo(get(i_imo)), get(i_cs).strip() or None, ship_type,
            _positive(get(i_len)), _positive(get(i_wid)), _positive(get(i_draft)),
        )
        if any(v is not None for v in static) and last_static.get(mmsi) != static:
            last_static[mmsi] = static
            seq += 1
            yield (
                t,
                seq,
                line,
                VesselInfo(
                    mmsi=mmsi, time=when, source=SOURCE, name=static[0], imo=static[1],  # type: ignore[arg-type]
                    callsign=static[2], ship_type=static[3], length_m=static[4],  # type: ignore[arg-type]
                    beam_m=static[5], draught_m=static[6],  # type: ignore[arg-type]
                ),
            )
