"""FAA NOTAM Management Service (NMS): airspace NOTAMs as zone versions. Optional.

Off unless the user's NMS client credentials are set. The adapter polls
``GET {base}/nmsapi/v1/notams?location=<ICAO>`` for each configured location (SVZM and the
neighbouring FIRs) with ``Authorization: Bearer <token>`` and ``nmsResponseFormat:
GEOJSON``; the token comes from ``POST {base}/v1/auth/token`` (client credentials as HTTP
basic auth, ``grant_type=client_credentials``, about 30 minutes of life), cached and
refreshed once on a 401. Capture kind ``faa_nms`` (one record per location and poll).

What is confirmed and what is not
---------------------------------
The response shape below was **not** confirmed against an FAA document: it was read from
several independent public NMS / NOTAM API clients, which agree. The fixture in
``tests/fixtures/aviation/nms_notams_geojson.json`` follows that shape and is synthetic.
Check it against a live response before relying on this feed::

    {"status": "Success", "errors": [], "data": {"geojson": [
      {"type": "Feature", "geometry": {...} | null,
       "properties": {"coreNOTAMData": {
         "notamEvent": {"scenario": "..."},
         "notam": {"id", "number", "series", "type": "N"|"R"|"C", "issued",
                   "affectedFIR", "selectionCode": "QRTCA", "minimumFL": "000",
                   "maximumFL": "999", "location", "icaoLocation", "accountId",
                   "effectiveStart": ISO, "effectiveEnd": ISO | "PERM",
                   "text", "classification"},
         "notamTranslation": [{"type": "ICAO", "formattedText": "..."}]}}}]}}

The older FAA NOTAM API's ``{"items": [Feature, ...]}`` and a plain FeatureCollection are
read the same way.

Which NOTAMs become zones (deliberately small)
----------------------------------------------
By the Q-code (``selectionCode``, letters 2-3 the subject, 4-5 the condition):
``RP`` prohibited area -> ``closed_airspace``/``prohibited``; ``RR``/``RT`` restricted
area -> ``closed_airspace``/``closed``; an ``A*`` airspace organisation subject (FIR,
CTA, ...) with condition ``LC`` (closed) -> ``closed_airspace``/``closed``; ``RD`` danger
area and every ``W*`` warning -> ``advisory_airspace``/``advisory``. Without a Q-code
(FAA FDC NOTAMs), the text decides: ``AIRSPACE``/``FIR`` with ``CLSD``/``CLOSED``/
``PROHIBITED`` -> closed; with ``HAZARD``/``CAUTION``/``DANGER``/``MILITARY ACTIVITY``/
``EXERCISE``/``GNSS``/``GPS`` -> advisory. Everything else (runways, navaids ...) is
skipped as ``not_airspace``.

Each NOTAM is its own zone ``NOTAM-<location>-<number>`` (version 1), valid from
``effectiveStart`` to ``effectiveEnd`` (``PERM`` = open-ended). A ``NOTAMR`` also lifts
the NOTAM it replaces and a ``NOTAMC`` lifts the one it cancels (version 2 of that zone,
status ``lifted``), when the text names it.

Geometry, first found: a Polygon / MultiPolygon in the feature; a coordinate polygon in
the text (``1030N06700W-1100N06600W-...``); a circle in the text (``RADIUS 30NM CENTERED
1130N06830W``); the Q-line circle (``.../1036N06659W025``, radius below 999 nm); else the
boundary of the affected FIR when the caller passed FIR boundaries (confidence 0.6: the
NOTAM may cover less). With none of these, ``no_geometry``. Altitudes come from
``minimumFL`` / ``maximumFL`` (``999`` = unlimited).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from shapely.geometry import MultiPolygon, Polygon

from monitor.capture import CaptureRecord
from monitor.domain import (
    AppliesTo,
    ParseResult,
    Severity,
    ZoneChange,
    ZoneKind,
    ZoneStatus,
    ZoneVersion,
)
from monitor.domain.zone import UNLIMITED_FT, BindingScope, ScopeKind
from monitor.errors import ConfigError, FeedError, ParseError, ZoneError
from monitor.feeds.base import ParseFn, PollingAdapter, PollResult
from monitor.feeds.http import OAuthClientCredentials, fetch, response_to_record
from monitor.timeutil import parse_utc, utcnow
from monitor.zones.geometry import area_from_geojson

log = logging.getLogger(__name__)

FEED_KIND = "faa_nms"

_EARTH_RADIUS_NM = 3440.065

_COORD = r"(\d{2})(\d{2})(\d{2}(?:\.\d+)?)?([NS])\s?(\d{3})(\d{2})(\d{2}(?:\.\d+)?)?([EW])"
_COORD_RE = re.compile(_COORD)
_POLY_RE = re.compile(rf"{_COORD}(?:\s*-\s*{_COORD}){{2,}}")
_CIRCLE_RE = re.compile(
    rf"RADIUS(?: OF)?\s+(\d+(?:\.\d+)?)\s*NM\s+(?:CENTERED|CENTRED|CENTRE|CENTER)\s+(?:ON\s+|AT\s+)?{_COORD}"
)
_QLINE_RE = re.compile(
    rf"Q\)\s*[A-Z]{{4}}/Q[A-Z]{{4}}/[^/]*/[^/]*/[^/]*/\d{{3}}/\d{{3}}/{_COORD}(\d{{3}})"
)
_REF_RE = re.compile(r"NOTAM[RC]\s+([A-Z]?\d{1,4}/\d{2})")
_CLOSED_WORDS = re.compile(r"\b(CLSD|CLOSED|PROHIBITED)\b")
_ADVISORY_WORDS = re.compile(
    r"\b(HAZARD\w*|CAUTION|DANGER\w*|MILITARY ACTIVITY|EXERCISE\w*|GNSS|GPS)\b"
)
_AIRSPACE_WORDS = re.compile(r"\b(AIRSPACE|FIR|FLIGHT INFORMATION REGION|UIR|CTA)\b")

#: the FAA's wording for whom its prohibitions abroad bind (14 CFR Part 91 SFARs and the
#: KICZ prohibition NOTAMs): U.S. air carriers and commercial operators, persons exercising
#: FAA airman certificates, operators of U.S.-registered civil aircraft
_US_OPERATOR_WORDS = re.compile(
    r"\bU\.?S\.? (?:AIR CARRIERS|COMMERCIAL OPERATORS|CIVIL AVIATION|OPERATORS|AIRLINES)"
    r"|\bU\.?S\.?[- ]REGISTERED\b|\bREGISTERED IN THE UNITED STATES\b"
    r"|AIRMAN CERTIFICATE ISSUED BY THE FAA"
)


def scope_of(status: ZoneStatus, text: str) -> BindingScope:
    """Whom a NOTAM binds: an advisory nobody; a prohibition or closure that names U.S.
    operators only those (``operators:US``), otherwise every civil aircraft."""
    if status not in (ZoneStatus.PROHIBITED, ZoneStatus.CLOSED):
        return BindingScope(ScopeKind.NOBODY)
    if _US_OPERATOR_WORDS.search(text.upper()):
        return BindingScope(ScopeKind.OPERATORS, state="US")
    return BindingScope(ScopeKind.CIVIL)


_STATUS_SEVERITY = {
    ZoneStatus.PROHIBITED: Severity.CRITICAL,
    ZoneStatus.CLOSED: Severity.HIGH,
    ZoneStatus.ADVISORY: Severity.MEDIUM,
}


@dataclass(frozen=True, slots=True)
class Classified:
    kind: ZoneKind
    status: ZoneStatus


def classify(selection_code: str | None, text: str) -> Classified | None:
    """Which zone a NOTAM declares, from its Q-code or, without one, its text (see above)."""
    q = (selection_code or "").strip().upper()
    if len(q) == 5 and q[0] == "Q":
        subject, condition = q[1:3], q[3:5]
        if subject == "RP":
            return Classified(ZoneKind.CLOSED_AIRSPACE, ZoneStatus.PROHIBITED)
        if subject in ("RR", "RT"):
            return Classified(ZoneKind.CLOSED_AIRSPACE, ZoneStatus.CLOSED)
        if subject[0] == "A" and condition == "LC":
            return Classified(ZoneKind.CLOSED_AIRSPACE, ZoneStatus.CLOSED)
        if subject == "RD" or subject[0] == "W":
            return Classified(ZoneKind.ADVISORY_AIRSPACE, ZoneStatus.ADVISORY)
        if subject != "XX":
            return None
    upper = text.upper()
    if not _AIRSPACE_WORDS.search(upper):
        return None
    closed = _CLOSED_WORDS.search(upper)
    if closed:
        status = ZoneStatus.PROHIBITED if closed.group(1) == "PROHIBITED" else ZoneStatus.CLOSED
        return Classified(ZoneKind.CLOSED_AIRSPACE, status)
    if _ADVISORY_WORDS.search(upper):
        return Classified(ZoneKind.ADVISORY_AIRSPACE, ZoneStatus.ADVISORY)
    return None


def _coord(groups: Sequence[str | None]) -> tuple[float, float]:
    """(lat, lon) from the 8 groups of :data:`_COORD`."""
    lat_d, lat_m, lat_s, ns, lon_d, lon_m, lon_s, ew = groups
    lat = int(lat_d or 0) + int(lat_m or 0) / 60 + float(lat_s or 0) / 3600
    lon = int(lon_d or 0) + int(lon_m or 0) / 60 + float(lon_s or 0) / 3600
    if ns == "S":
        lat = -lat
    if ew == "W":
        lon = -lon
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"coordinate out of range: {''.join(g or '' for g in groups)}")
    return lat, lon


def geodesic_circle(lat: float, lon: float, radius_nm: float, n: int = 64) -> Polygon:
    """A polygon approximating the circle of ``radius_nm`` around (lat, lon), on the sphere."""
    p1 = math.radians(lat)
    l1 = math.radians(lon)
    d = radius_nm / _EARTH_RADIUS_NM
    ring = []
    for i in range(n):
        b = 2 * math.pi * i / n
        p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
        l2 = l1 + math.atan2(
            math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
        )
        ring.append((math.degrees(l2), math.degrees(p2)))
    return Polygon(ring)


def geometry_from_text(text: str) -> tuple[Any, float] | None:
    """(geometry, confidence) from the coordinates in a NOTAM's text, or ``None``."""
    upper = text.upper()
    poly = _POLY_RE.search(upper)
    if poly:
        points = [_coord(m.groups()) for m in _COORD_RE.finditer(poly.group(0))]
        ring = [(lon, lat) for lat, lon in points]
        if ring[0] != ring[-1]:
            ring.append(ring[0])
        if len(ring) >= 4:
            polygon = Polygon(ring)
            if not polygon.is_valid:
                polygon = polygon.buffer(0)
            if not polygon.is_empty:
                return polygon, 1.0
    circle = _CIRCLE_RE.search(upper)
    if circle:
        radius = float(circle.group(1))
        lat, lon = _coord(circle.groups()[1:9])
        if 0 < radius < 999:
            return geodesic_circle(lat, lon, radius), 1.0
    qline = _QLINE_RE.search(upper)
    if qline:
        groups = qline.groups()
        radius = float(groups[8])
        if 0 < radius < 999:
            lat, lon = _coord(groups[:8])
            return geodesic_circle(lat, lon, radius), 0.9
    return None


def _feature_geometry(geometry: Any) -> Any | None:
    if not isinstance(geometry, dict):
        return None
    kind = geometry.get("type")
    if kind in ("Polygon", "MultiPolygon"):
        # the zone checks: WGS84 range, closed rings, unambiguous repairs only
        try:
            geom, _warnings = area_from_geojson(geometry, "NOTAM geometry")
        except ZoneError as exc:
            log.warning("NOTAM geometry ignored: %s", exc)
            return None
        return geom
    if kind == "GeometryCollection":
        polys: list[Polygon] = []
        for g in geometry.get("geometries") or []:
            sub = _feature_geometry(g)
            if isinstance(sub, Polygon):
                polys.append(sub)
            elif isinstance(sub, MultiPolygon):
                polys.extend(sub.geoms)
        if polys:
            return polys[0] if len(polys) == 1 else MultiPolygon(polys)
    return None


def _time(value: Any) -> datetime | None:
    """NOTAM times: ISO-8601; ``PERM`` and empty -> ``None``; an ``EST`` suffix is dropped."""
    if not isinstance(value, str):
        return None
    text = value.strip().upper()
    if not text or text in ("PERM", "UFN"):
        return None
    if text.endswith("EST"):
        text = text[:-3]
    return parse_utc(text)


def _flight_level_ft(value: Any, default: float) -> float:
    if isinstance(value, str) and value.strip().isdigit():
        fl = int(value.strip())
        return UNLIMITED_FT if fl >= 999 else fl * 100.0
    return default


def _features(body: Any) -> list[Any]:
    if not isinstance(body, dict):
        raise ParseError(FEED_KIND, "wrong_shape", f"body is a {type(body).__name__}")
    data = body.get("data")
    if isinstance(data, dict) and "geojson" in data:
        items = data["geojson"]
    elif "items" in body:
        items = body["items"]
    elif "features" in body:
        items = body["features"]
    else:
        status = body.get("status")
        if isinstance(status, str) and status.lower() != "success":
            raise ParseError(FEED_KIND, "api_error", f"{status}: {body.get('errors')!r}"[:200])
        raise ParseError(FEED_KIND, "wrong_shape", f"no NOTAM list in keys {sorted(body)[:8]}")
    if items is None:
        return []
    if not isinstance(items, list):
        raise ParseError(FEED_KIND, "wrong_shape", f"NOTAM list is a {type(items).__name__}")
    return items


def parse_nms(
    body: Any,
    *,
    received_at: datetime,
    source: str,
    record_ref: str | None,
    fir_boundaries: Mapping[str, Any] | None = None,
) -> ParseResult:
    """Zone versions from one NMS GeoJSON response (see the module docstring)."""
    result = ParseResult()
    firs = {k.upper(): v for k, v in (fir_boundaries or {}).items()}
    for feature in _features(body):
        try:
            _one(feature, received_at, source, firs, result)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            result.reject("bad_record", f"{type(exc).__name__}: {exc}")
    return result


def _one(
    feature: Any, received_at: datetime, source: str, firs: Mapping[str, Any], result: ParseResult
) -> None:
    if not isinstance(feature, dict):
        result.reject("not_an_object", repr(feature)[:80])
        return
    core = feature["properties"]["coreNOTAMData"]
    notam = core["notam"]
    number = str(notam.get("number") or "").strip()
    location = str(notam.get("icaoLocation") or notam.get("location") or "").strip().upper()
    if not number or not location:
        result.reject("no_number", f"id={notam.get('id')!r}")
        return
    text = str(notam.get("text") or "")
    for tr in core.get("notamTranslation") or []:
        if (
            isinstance(tr, dict)
            and tr.get("type") == "ICAO"
            and isinstance(tr.get("formattedText"), str)
        ):
            text = text + "\n" + tr["formattedText"]
            break
    ntype = str(notam.get("type") or "N").strip().upper()[:1]
    issued = _time(notam.get("issued"))
    fir = str(notam.get("affectedFIR") or "").strip().upper()

    geom_conf = _feature_geometry(feature.get("geometry"))
    geometry: Any
    if geom_conf is not None:
        geometry, confidence = geom_conf, 1.0
    else:
        found = geometry_from_text(text)
        if found is not None:
            geometry, confidence = found
        elif fir in firs or location in firs:
            geometry, confidence = firs.get(fir) or firs[location], 0.6
        else:
            geometry = None
            confidence = 0.0

    authority = str(notam.get("accountId") or location)
    ref_match = _REF_RE.search(text.upper())
    if ntype in ("R", "C") and ref_match and geometry is not None:
        old = ref_match.group(1)
        start = _time(notam.get("effectiveStart")) or issued or received_at
        result.zone_versions.append(
            ZoneVersion(
                zone_id=f"NOTAM-{location}-{old}",
                version=2,
                name=f"NOTAM {old} {location} (ended by {number})",
                kind=ZoneKind.ADVISORY_AIRSPACE,
                status=ZoneStatus.LIFTED,
                severity=Severity.INFO,
                authority=authority,
                source_ref=number,
                geometry=geometry,
                applies_to=AppliesTo.AIRCRAFT,
                valid_from=start,
                change=ZoneChange.LIFT,
                source_date=issued,
                description=text.strip()[:2000],
                group="notam",
            )
        )
    if ntype == "C":
        if ref_match is None or geometry is None:
            result.reject("unrecognised_cancel", number)
        return

    cls = classify(notam.get("selectionCode"), text)
    if cls is None:
        result.reject("not_airspace", f"{number} {notam.get('selectionCode')!r}")
        return
    if geometry is None:
        result.reject("no_geometry", f"{number} {location}")
        return
    valid_from = _time(notam.get("effectiveStart"))
    valid_to = _time(notam.get("effectiveEnd"))
    first_line = " ".join(text.split())[:80]
    result.zone_versions.append(
        ZoneVersion(
            zone_id=f"NOTAM-{location}-{number}",
            version=1,
            name=f"NOTAM {number} {location}: {first_line}",
            kind=cls.kind,
            status=cls.status,
            severity=_STATUS_SEVERITY[cls.status],
            authority=authority,
            source_ref=number,
            geometry=geometry,
            applies_to=AppliesTo.AIRCRAFT,
            valid_from=valid_from,
            valid_to=valid_to,
            floor_ft=_flight_level_ft(notam.get("minimumFL"), 0.0),
            ceiling_ft=_flight_level_ft(notam.get("maximumFL"), UNLIMITED_FT),
            confidence=confidence,
            source_date=issued,
            change=ZoneChange.AMEND if ntype == "R" else ZoneChange.DECLARE,
            description=text.strip()[:2000],
            group="notam",
            scope=scope_of(cls.status, text),
        )
    )


def make_parser(fir_boundaries: Mapping[str, Any] | None = None) -> ParseFn:
    """A parser for capture kind ``faa_nms``.

    ``fir_boundaries`` maps FIR ICAO codes (``SVZM``...) to shapely polygons, used for
    NOTAMs that give no coordinates of their own.
    """

    def parse(
        body: Any, *, received_at: datetime, source: str, record_ref: str | None
    ) -> ParseResult:
        return parse_nms(
            body,
            received_at=received_at,
            source=source,
            record_ref=record_ref,
            fir_boundaries=fir_boundaries,
        )

    return parse


# --- adapter (I/O) -----------------------------------------------------------------------

DEFAULT_BASE_URL = "https://api-nms.aim.faa.gov"


class NmsNotamAdapter(PollingAdapter):
    """Polls NMS for the NOTAMs of each location (one request and record per location).

    Parameters
    ----------
    client:
        The injected HTTP client.
    locations:
        ICAO locations / FIRs, e.g. ``["SVZM", "TTZP", "TNCF", "SKEC"]``.
    client_id, client_secret:
        The NMS application's credentials (required: the adapter is off without them).
    base_url:
        NMS host; ``token_url`` defaults to ``{base_url}/v1/auth/token`` and the NOTAM
        endpoint is ``{base_url}/nmsapi/v1/notams``.
    """

    kind = FEED_KIND

    def __init__(
        self,
        client: httpx.AsyncClient,
        locations: Sequence[str],
        *,
        client_id: str,
        client_secret: str,
        name: str = "faa_nms",
        base_url: str = DEFAULT_BASE_URL,
        token_url: str | None = None,
        interval_s: float = 900.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if not client_id or not client_secret:
            raise ConfigError(f"{name}: NMS needs client_id and client_secret")
        if not locations:
            raise ConfigError(f"{name}: no NOTAM locations configured")
        base = base_url.rstrip("/")
        self.client = client
        self.name = name
        self.locations = [loc.strip().upper() for loc in locations]
        self.interval_s = interval_s
        self.url = base + "/nmsapi/v1/notams"
        self.auth = OAuthClientCredentials(
            client,
            name,
            token_url or base + "/v1/auth/token",
            client_id,
            client_secret,
            basic_auth=True,
        )
        self._clock = clock
        self._seq = 0

    async def _get(self, location: str) -> httpx.Response:
        params = {"location": location}
        for attempt in (1, 2):
            headers = {
                "Authorization": f"Bearer {await self.auth.token()}",
                "nmsResponseFormat": "GEOJSON",
            }
            try:
                return await fetch(self.client, self.name, self.url, params=params, headers=headers)
            except FeedError as exc:
                if exc.reason != "http_401" or attempt == 2:
                    raise
                self.auth.invalidate()
        raise AssertionError("unreachable")

    async def poll(self) -> PollResult:
        records: list[CaptureRecord] = []
        for location in self.locations:
            response = await self._get(location)
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
        log.info("%s: NOTAMs polled for %s", self.name, ",".join(self.locations))
        return PollResult(records)
