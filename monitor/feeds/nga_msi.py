"""NGA Maritime Safety Information broadcast warnings: the ``nga_msi`` parser and poller.

Wire format
-----------
``GET https://msi.nga.mil/api/publications/broadcast-warn?output=json&status=active&navArea=4``
(no key; ``navArea`` is ``4`` for NAVAREA IV, ``A`` for HYDROLANT, also ``P``, ``C``,
``12``; ``status`` ``active`` -- NGA's own Marlin app sends ``status=active&output=json``).
The answer::

    {"broadcast-warn": [
      {"msgYear": 2023, "msgNumber": 418, "navArea": "4", "subregion": "11,26",
       "text": "WESTERN NORTH ATLANTIC.\\nFLORIDA.\\n1. HAZARDOUS OPERATIONS, ...",
       "status": "A", "issueDate": "150429Z APR 2023", "authority": "EASTERN RANGE 0/23 ...",
       "cancelDate": null, "cancelNavArea": null, "cancelMsgYear": null,
       "cancelMsgNumber": null, "year": 2023, "area": "4", "number": 418}, ...]}

What becomes what
-----------------
The coordinates are only in the text (``12-27.00N 071-14.00W``, ``12-27N 071-14W``,
degree-minute-second ``18-03-52N 073-34-31W``). Warnings of NAVAREA IV and HYDROLANT with
at least one point inside the region box (default lon -100..-40, lat -10..35) become
:class:`ZoneVersion` values of kind ``navigational_warning``:

* points after "AREA(S) BOUND(ED) BY" -> a polygon (one per lettered sub-list ``A.``, ``B.``);
* "WITHIN N MILES OF <point>" / "N MILE RADIUS" -> a circle of that radius;
* "TRACKLINE", "JOINING", "LINE", "ROUTE", "BETWEEN" -> the line buffered into a corridor
  :attr:`NgaMsiParser.line_half_width_nm` each side (default 2 nm, so 4 nm wide);
* any other point (a shoal, an unlit light, a wreck) -> a circle of
  :attr:`NgaMsiParser.point_radius_nm` (default 1 nm).

Buffers are planar in a local equirectangular projection centred on the feature (error
well under 1 % for features of a few hundred km). Zone ids are ``NAVAREA-IV-418-2023`` /
``HYDROLANT-821-2023``; authority ``NGA (NAVAREA IV)`` / ``NGA (HYDROLANT)``; source_ref
``NAVAREA IV 418/23``; valid from ``issueDate`` until cancelled: ``valid_to`` is the time
of a "CANCEL THIS MSG ddhhmmZ MON YY" line, or ``cancelDate`` for a cancelled warning,
else ``None``. Severity from keywords (:data:`HIGH_WORDS` -> high, :data:`MEDIUM_WORDS` ->
medium, else low). Circles we sized ourselves carry confidence 0.7, corridors 0.8,
polygons and stated radii 1.0.

The parser remembers, per source, the zones it produced: "CANCEL NAVAREA IV 414/23" in a
later warning, or a warning of a NAVAREA present in the answer that is no longer listed,
yields a ``lifted`` version of that zone (valid from the cancelling warning's issue time,
or the answer's ``received_at``).

NAVAREA IV / HYDROLANT warnings that name no coordinates become :class:`Notice` values
(kept as events, not zones). Warnings of other NAVAREAs or wholly outside the region are
counted in :attr:`NgaMsiParser.stats`. Items that are not warnings are counted
(``bad_item``) in ``ParseResult.errors``; a body without ``broadcast-warn`` raises
:class:`ParseError` (``bad_shape``).
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import httpx
import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.ops import unary_union

from monitor.domain import (
    AppliesTo,
    ParseResult,
    Severity,
    ZoneChange,
    ZoneKind,
    ZoneStatus,
    ZoneVersion,
)
from monitor.domain.observation import Notice
from monitor.errors import ParseError
from monitor.feeds.base import ParseFn, PollingAdapter, PollResult
from monitor.feeds.http import fetch, response_to_record
from monitor.timeutil import utcnow

log = logging.getLogger(__name__)

FEED = "nga_msi"
DEFAULT_BASE_URL = "https://msi.nga.mil"
PATH = "/api/publications/broadcast-warn"

#: navArea code -> (name used in citations, zone id prefix)
NAV_AREAS: dict[str, tuple[str, str]] = {
    "4": ("NAVAREA IV", "NAVAREA-IV"),
    "A": ("HYDROLANT", "HYDROLANT"),
}
#: (lon_min, lat_min, lon_max, lat_max): the southern Caribbean and its approaches
DEFAULT_BBOX: tuple[float, float, float, float] = (-100.0, -10.0, -40.0, 35.0)

HIGH_WORDS = (
    "HAZARDOUS OPERATIONS", "MISSILE", "GUNNERY", "ROCKET", "LIVE FIR", "FIRING",
    "EXPLOSIVE", "ORDNANCE", "MINE", "MILITARY", "NAVAL OPERATIONS", "NAVAL EXERCISE",
    "SPACE DEBRIS", "PIRACY", "ARMED", "WEAPON", "AIR OPERATIONS", "DANGEROUS",
)
MEDIUM_WORDS = (
    "SHOAL", "REEF", "WRECK", "DERELICT", "OBSTRUCTION", "DRIFTING", "ADRIFT", "SANK",
    "DISTRESS", "SEISMIC", "SURVEY", "CABLE", "PIPELINE", "DRILLING", "RIG ", "PROHIBITED",
    "DREDGING", "SALVAGE", "UNDERWATER OPERATIONS", "DIVING",
)

_MONTHS = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
)}
_DTG_RE = re.compile(r"(\d{2})(\d{2})(\d{2})Z\s+([A-Z]{3})\s+(\d{4}|\d{2})\b")
_CANCEL_SELF_RE = re.compile(r"CANCEL\s+THIS\s+(?:MSG|MESSAGE)\s+(\d{6}Z\s+[A-Z]{3}\s+\d{2,4})")
_CANCEL_OTHER_RE = re.compile(r"CANCEL\s+(NAVAREA\s+IV|HYDROLANT)\s+((?:\d{1,4}/\d{2}(?:,\s*|\s+AND\s+|\s*))+)")
_COORD = (
    r"(?P<lad>\d{1,2})-(?P<lam>\d{1,2}(?:\.\d+)?)(?:-(?P<las>\d{1,2}(?:\.\d+)?))?\s?(?P<ns>[NS])"
    r"[\s,]*"
    r"(?P<lod>\d{1,3})-(?P<lom>\d{1,2}(?:\.\d+)?)(?:-(?P<los>\d{1,2}(?:\.\d+)?))?\s?(?P<ew>[EW])"
)
_COORD_RE = re.compile(_COORD)
_BREAK_RE = re.compile(r"(?:^|\n)\s*(?:[A-Z]|\d{1,2})\.\s")
_AREA_RE = re.compile(r"\bBOUND(?:ED)?\s+BY\b|\bAREAS?\s+BOUND")
_LINE_RE = re.compile(r"\bTRACK\s*LINES?\b|\bTRACKLINE|\bJOINING\b|\bLINES?\s+(?:BETWEEN|JOINING|CONNECTING)\b|\bROUTE\b|\bBETWEEN\b")
_RADIUS_RE = re.compile(
    r"\bWITHIN\s+(?P<r1>\d+(?:\.\d+)?)\s*(?P<u1>NM|NAUTICAL\s+MILES?|MILES?|KM|KILOMETERS?|METERS?|YARDS?)\s+(?:RADIUS\s+)?OF\b"
    r"|\b(?P<r2>\d+(?:\.\d+)?)\s*(?P<u2>NM|NAUTICAL\s+MILES?|MILES?|KM|KILOMETERS?|METERS?|YARDS?)\s+RADIUS\b"
    r"|\bRADIUS\s+OF\s+(?P<r3>\d+(?:\.\d+)?)\s*(?P<u3>NM|NAUTICAL\s+MILES?|MILES?|KM|KILOMETERS?|METERS?|YARDS?)"
)
_NM_PER_UNIT = {"NM": 1.0, "NAUTICAL": 1.0, "MILE": 1.0, "MILES": 1.0, "KM": 1 / 1.852,
                "KILOMETER": 1 / 1.852, "KILOMETERS": 1 / 1.852, "METER": 1 / 1852.0,
                "METERS": 1 / 1852.0, "YARD": 0.9144 / 1852.0, "YARDS": 0.9144 / 1852.0}


def parse_dtg(text: str) -> datetime | None:
    """A date-time group ``ddhhmmZ MON YYYY`` (or ``YY``) to UTC; ``None`` if unreadable.

    >>> parse_dtg("150429Z APR 2023")
    datetime.datetime(2023, 4, 15, 4, 29, tzinfo=datetime.timezone.utc)
    """
    if not isinstance(text, str):
        return None
    m = _DTG_RE.search(text.upper())
    if m is None:
        return None
    day, hour, minute, mon, year = m.groups()
    month = _MONTHS.get(mon)
    if month is None:
        return None
    y = int(year)
    if y < 100:
        y += 2000
    try:
        return datetime(y, month, int(day), int(hour), int(minute), tzinfo=UTC)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class TextPoint:
    """One coordinate pair found in a warning's text, WGS84 degrees."""

    lat: float
    lon: float
    start: int
    end: int


def find_points(text: str) -> tuple[list[TextPoint], list[str]]:
    """Every coordinate pair in ``text``, in order, and the bad ones as strings.

    Accepts ``DD-MM.mmN DDD-MM.mmW``, ``DD-MMN DDD-MMW`` and ``DD-MM-SSN DDD-MM-SSW``.
    A pair with minutes or seconds of 60 or more, or out of range, is returned as bad.
    """
    points: list[TextPoint] = []
    bad: list[str] = []
    for m in _COORD_RE.finditer(text):
        g = m.groupdict()
        lam, lom = float(g["lam"]), float(g["lom"])
        las = float(g["las"]) if g["las"] else 0.0
        los = float(g["los"]) if g["los"] else 0.0
        if lam >= 60 or lom >= 60 or las >= 60 or los >= 60:
            bad.append(m.group(0))
            continue
        lat = int(g["lad"]) + lam / 60.0 + las / 3600.0
        lon = int(g["lod"]) + lom / 60.0 + los / 3600.0
        if g["ns"] == "S":
            lat = -lat
        if g["ew"] == "W":
            lon = -lon
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            bad.append(m.group(0))
            continue
        points.append(TextPoint(round(lat, 7), round(lon, 7), m.start(), m.end()))
    return points, bad


@dataclass(frozen=True, slots=True)
class Shape:
    """One geometric element a warning describes."""

    kind: str  # "area" | "circle" | "line" | "point"
    points: tuple[tuple[float, float], ...]  # (lon, lat)
    radius_nm: float | None = None


def _mode_before(text: str, pos: int) -> tuple[str, float | None]:
    """The geometry keyword that governs the points starting at ``pos``."""
    head = text[:pos]
    best = ("point", None, -1)
    for m in _AREA_RE.finditer(head):
        if m.start() > best[2]:
            best = ("area", None, m.start())
    for m in _LINE_RE.finditer(head):
        if m.start() > best[2]:
            best = ("line", None, m.start())
    for m in _RADIUS_RE.finditer(head):
        if m.start() > best[2]:
            r = m.group("r1") or m.group("r2") or m.group("r3")
            u = (m.group("u1") or m.group("u2") or m.group("u3")).split()[0]
            best = ("circle", float(r) * _NM_PER_UNIT.get(u, 1.0), m.start())
    # a keyword only governs its own numbered paragraph
    if best[2] >= 0:
        gap = head[best[2] :]
        if re.search(r"\n\s*\d{1,2}\.\s", gap):
            return "point", None
    return best[0], best[1]


def describe_shapes(text: str, points: Sequence[TextPoint]) -> list[Shape]:
    """Group the points of a warning into shapes (see the module docstring)."""
    shapes: list[Shape] = []
    groups: list[list[TextPoint]] = []
    for p in points:
        if groups:
            gap = text[groups[-1][-1].end : p.start]
            if not _BREAK_RE.search(gap) and not _AREA_RE.search(gap) and not _RADIUS_RE.search(gap):
                groups[-1].append(p)
                continue
        groups.append([p])
    for g in groups:
        mode, radius = _mode_before(text, g[0].start)
        pts = tuple((p.lon, p.lat) for p in g)
        unique = tuple(dict.fromkeys(pts))
        if mode == "area" and len(unique) >= 3:
            shapes.append(Shape("area", pts))
        elif mode == "circle":
            shapes.extend(Shape("circle", (pt,), radius) for pt in unique)
        elif mode in ("line", "area") and len(unique) >= 2:
            shapes.append(Shape("line", unique))
        else:
            shapes.extend(Shape("point", (pt,)) for pt in unique)
    return shapes


def _local(lon0: float, lat0: float) -> tuple[Any, Any]:
    """Forward / back functions between lon/lat and a local plane in nautical miles."""
    scale = np.array([60.0 * math.cos(math.radians(lat0)), 60.0])
    origin = np.array([lon0, lat0])

    def fwd(xy: Any) -> Any:
        return (xy - origin) * scale

    def back(xy: Any) -> Any:
        return xy / scale + origin

    return fwd, back


def shape_geometry(shape: Shape, *, point_radius_nm: float, line_half_width_nm: float) -> Any:
    """A shapely polygon (WGS84 lon/lat) for one shape."""
    if shape.kind == "area":
        poly = Polygon(shape.points)
        if not poly.is_valid:
            poly = shapely.make_valid(poly)
            polys = [g for g in getattr(poly, "geoms", [poly]) if isinstance(g, Polygon | MultiPolygon)]
            poly = unary_union(polys) if polys else Polygon(shape.points).convex_hull
        return poly
    lons = [p[0] for p in shape.points]
    lats = [p[1] for p in shape.points]
    fwd, back = _local(sum(lons) / len(lons), sum(lats) / len(lats))
    if shape.kind == "line":
        local = shapely.transform(LineString(shape.points), fwd).buffer(line_half_width_nm, quad_segs=8)
    else:
        r = shape.radius_nm if shape.kind == "circle" and shape.radius_nm else point_radius_nm
        local = shapely.transform(Point(shape.points[0]), fwd).buffer(r, quad_segs=16)
    return shapely.transform(local, back)


def severity_of(text: str) -> Severity:
    up = text.upper()
    if any(w in up for w in HIGH_WORDS):
        return Severity.HIGH
    if any(w in up for w in MEDIUM_WORDS):
        return Severity.MEDIUM
    return Severity.LOW


@dataclass
class NgaMsiParser:
    """Stateful ``nga_msi`` parser for one source (see the module docstring).

    Parameters
    ----------
    bbox:
        ``(lon_min, lat_min, lon_max, lat_max)``; warnings with no point inside are skipped.
    point_radius_nm:
        Radius of the circle drawn round a single point (a light, a shoal, a wreck).
    line_half_width_nm:
        Half-width of the corridor drawn along a line or track.
    """

    bbox: tuple[float, float, float, float] = DEFAULT_BBOX
    point_radius_nm: float = 1.0
    line_half_width_nm: float = 2.0
    stats: Counter[str] = field(default_factory=Counter)
    #: zone_id -> latest version produced (to lift it when cancelled)
    known: dict[str, ZoneVersion] = field(default_factory=dict)
    #: zone_id -> navArea code
    _area_of: dict[str, str] = field(default_factory=dict)

    def __call__(
        self, body: Any, *, received_at: datetime, source: str, record_ref: str | None = None
    ) -> ParseResult:
        if not isinstance(body, dict) or not isinstance(body.get("broadcast-warn"), list):
            what = sorted(body)[:5] if isinstance(body, dict) else type(body).__name__
            raise ParseError(FEED, "bad_shape", f"no 'broadcast-warn' list: {what}")
        result = ParseResult(feed_time=None)
        listed: set[str] = set()
        areas_present: set[str] = set()
        cancels: list[tuple[str, datetime | None, str]] = []
        for item in body["broadcast-warn"]:
            if not isinstance(item, dict):
                result.reject("bad_item", f"item is {type(item).__name__}")
                continue
            area = item.get("navArea")
            if not isinstance(area, str) or area not in NAV_AREAS:
                self.stats["other_navarea"] += 1
                continue
            number, year, text = item.get("msgNumber"), item.get("msgYear"), item.get("text")
            if type(number) is not int or type(year) is not int or not isinstance(text, str):
                result.reject("bad_item", f"navArea {area} msgNumber {number!r} msgYear {year!r}")
                continue
            areas_present.add(area)
            area_name, prefix = NAV_AREAS[area]
            ref = f"{area_name} {number}/{year % 100:02d}"
            zone_id = f"{prefix}-{number}-{year}"
            listed.add(zone_id)
            issued = parse_dtg(item.get("issueDate") or "")
            if item.get("issueDate") and issued is None:
                result.reject("bad_date", f"{ref} issueDate {item.get('issueDate')!r}")
            for m in _CANCEL_OTHER_RE.finditer(text):
                cancel_prefix = "NAVAREA-IV" if m.group(1).startswith("NAVAREA") else "HYDROLANT"
                for num, yy in re.findall(r"(\d{1,4})/(\d{2})", m.group(2)):
                    cancels.append((f"{cancel_prefix}-{int(num)}-{2000 + int(yy)}", issued, ref))
            points, bad = find_points(text)
            for b in bad:
                result.reject("bad_coordinate", f"{ref}: {b}")
            if not points:
                self.stats["notices"] += 1
                result.notices.append(Notice(source=source, ref=ref, issued_at=issued, text=text))
                continue
            lon_min, lat_min, lon_max, lat_max = self.bbox
            if not any(lon_min <= p.lon <= lon_max and lat_min <= p.lat <= lat_max for p in points):
                self.stats["outside_region"] += 1
                continue
            version = self._zone(item, text, points, zone_id, ref, area, issued, received_at)
            if version is None:
                result.reject("bad_geometry", f"{ref}: no usable shape")
                continue
            prev = self.known.get(zone_id)
            if prev is not None and prev.status is ZoneStatus.LIFTED:
                continue
            self.known[zone_id] = version
            self._area_of[zone_id] = area
            self.stats["zones"] += 1
            result.zone_versions.append(version)
        for zone_id, when, by in cancels:
            self._lift(zone_id, when or received_at, f"cancelled by {by}", result)
        for zone_id, area in list(self._area_of.items()):
            if area in areas_present and zone_id not in listed:
                self._lift(zone_id, received_at, "no longer listed as active", result)
        return result

    def _zone(
        self,
        item: dict[str, Any],
        text: str,
        points: list[TextPoint],
        zone_id: str,
        ref: str,
        area: str,
        issued: datetime | None,
        received_at: datetime,
    ) -> ZoneVersion | None:
        shapes = describe_shapes(text, points)
        geoms = [
            shape_geometry(s, point_radius_nm=self.point_radius_nm, line_half_width_nm=self.line_half_width_nm)
            for s in shapes
        ]
        geoms = [g for g in geoms if not g.is_empty]
        if not geoms:
            return None
        geometry = geoms[0] if len(geoms) == 1 else unary_union(geoms)
        kinds = {s.kind for s in shapes}
        confidence = 1.0
        if "point" in kinds:
            confidence = 0.7
        elif "line" in kinds:
            confidence = 0.8
        valid_to = None
        m = _CANCEL_SELF_RE.search(text)
        if m is not None:
            valid_to = parse_dtg(m.group(1))
        status_code = str(item.get("status") or "A").upper()
        if status_code not in ("A", "ACTIVE"):
            cancelled = parse_dtg(item.get("cancelDate") or "")
            if cancelled is not None:
                valid_to = cancelled if valid_to is None else min(valid_to, cancelled)
        area_name = NAV_AREAS[area][0]
        return ZoneVersion(
            zone_id=zone_id,
            version=1,
            name=ref,
            kind=ZoneKind.NAVIGATIONAL_WARNING,
            status=ZoneStatus.ACTIVE,
            severity=severity_of(text),
            authority=f"NGA ({area_name})",
            source_ref=ref,
            geometry=geometry,
            applies_to=AppliesTo.VESSELS,
            valid_from=issued,
            valid_to=valid_to,
            confidence=confidence,
            source_date=issued,
            description=text.strip(),
            group=area_name,
        )

    def _lift(self, zone_id: str, when: datetime, why: str, result: ParseResult) -> None:
        prev = self.known.get(zone_id)
        if prev is None or prev.status is ZoneStatus.LIFTED:
            return
        lifted = replace(
            prev,
            version=prev.version + 1,
            status=ZoneStatus.LIFTED,
            change=ZoneChange.LIFT,
            valid_from=when,
            valid_to=None,
            description=f"{why}. {prev.description}",
        )
        self.known[zone_id] = lifted
        self._area_of.pop(zone_id, None)
        self.stats["lifted"] += 1
        result.zone_versions.append(lifted)


def make_parser() -> ParseFn:
    """A fresh ``nga_msi`` parser with the default region box."""
    return NgaMsiParser()


# --- adapter (I/O) ----------------------------------------------------------------------


class NgaMsiAdapter(PollingAdapter):
    """Poll NGA MSI broadcast warnings, one capture record per NAVAREA answer.

    Parameters
    ----------
    client:
        The injected ``httpx.AsyncClient``.
    base_url:
        ``https://msi.nga.mil`` (tests and the demo use a local server).
    nav_areas:
        ``navArea`` codes to query (default NAVAREA IV and HYDROLANT).
    interval_s:
        Poll interval; warnings change a few times a day, hourly is plenty.
    """

    kind = FEED

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str = DEFAULT_BASE_URL,
        nav_areas: Sequence[str] = ("4", "A"),
        status: str = "active",
        name: str = "nga_msi",
        interval_s: float = 3600.0,
        timeout_s: float = 30.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.client = client
        self.clock = clock
        self.base_url = base_url.rstrip("/")
        self.nav_areas = tuple(nav_areas)
        self.status = status
        self.name = name
        self.interval_s = interval_s
        self.timeout_s = timeout_s

    async def poll(self) -> PollResult:
        records = []
        for area in self.nav_areas:
            params = {"output": "json", "status": self.status, "navArea": area}
            response = await fetch(
                self.client, self.name, self.base_url + PATH, params=params, timeout_s=self.timeout_s
            )
            record = response_to_record(FEED, self.name, response, received_at=self.clock())
            n = len(record.body.get("broadcast-warn", [])) if isinstance(record.body, dict) else 0
            log.debug("%s: navArea %s: %d warnings", self.name, area, n)
            records.append(record)
        return PollResult(records)
