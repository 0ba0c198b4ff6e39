"""Build ``geodata/events/crisis_events.geojson``: the cited crisis record as dated events.

``python -m monitor.web.events_build --reference ../shared/reference --out geodata/events``

Reads ``crisis/airspace_events.csv`` and ``crisis/boat_strikes.csv`` of the reference folder
(one public source address per row; see its README) and writes one GeoJSON Feature per row,
in the order of the files, deterministically (the same input gives the same bytes; a test
rebuilds and compares with the committed file).

* ``time``: the row's ``date_utc``; a date without a time is 00:00 UTC of that day with
  ``time_precision: day`` (US announcements give a local date without a time); a time
  written ``~06:00`` is kept with ``time_approx: true``.
* Strikes have no coordinates (none were released): ``geometry`` is null, and ``zone_id``
  names the approximate strike area of ``geodata/strike_zones.geojson`` only where the
  row's location text clearly matches one (:data:`STRIKE_AREA_RULES`); ``location_note``
  says "approximate area; no coordinates were released".
* Airspace actions name the FIRs their ``area`` text cites by ICAO code (``zone_ids``);
  ``zone_id`` is the first of them.

Ids are ``{kind}-{date}-{n}`` (``n`` counts the rows of that kind and day in file order),
stable while rows are only appended or corrected.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

OUT_NAME = "crisis_events.geojson"
ATTRIBUTION = "compiled from the public news pages cited per row"
APPROXIMATE = "approximate area; no coordinates were released"
NO_LOCATION = "no coordinates were released; no strike area matches the reported location"

#: (pattern over ``sea`` + ``approx_location_text``, strike area zone id), first match wins;
#: only locations a reader would place in that area without doubt
STRIKE_AREA_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"trinidad|paria|dragon", re.IGNORECASE), "STRIKE-PARIA-TRINIDAD"),
    (re.compile(r"^caribbean\b.*\boff the coast of venezuela", re.IGNORECASE | re.DOTALL),
     "STRIKE-SOUTHERN-CARIBBEAN"),
    (re.compile(r"^eastern pacific\b.*\boff (?:the coast of )?colombia", re.IGNORECASE | re.DOTALL),
     "STRIKE-EPAC-COLOMBIA"),
    (re.compile(r"acapulco", re.IGNORECASE), "STRIKE-EPAC-ACAPULCO"),
)
#: FIRs cited by ICAO code in the airspace rows' ``area``
FIR_CODE = re.compile(r"\b(SVZM|TJZS|TTZP|TNCF|SKED|MPZL|MMFR|MMFO|SEGU|MHTG)\b")
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s+(~)?(\d{2}:\d{2}))?$")


class EventsBuildError(ValueError):
    """A row of the record cannot be read (the message names the file, line and value)."""


def _time(text: str, where: str) -> tuple[str, str, bool]:
    m = _DATE.match(text.strip())
    if m is None:
        raise EventsBuildError(f"{where}: date_utc {text!r} is not YYYY-MM-DD[ [~]HH:MM]")
    day, approx, hhmm = m.groups()
    if hhmm is None:
        return f"{day}T00:00:00Z", "day", False
    return f"{day}T{hhmm}:00Z", "minute", approx is not None


def _id(kind: str, day: str, seen: Counter[str]) -> str:
    seen[f"{kind}-{day}"] += 1
    return f"{kind}-{day}-{seen[f'{kind}-{day}']}"


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def strike_zone(sea: str, location: str, known: set[str]) -> str | None:
    """The strike area zone a row's location text clearly names, or None."""
    text = f"{sea.strip()} | {location.strip()}"
    for pattern, zone_id in STRIKE_AREA_RULES:
        if pattern.search(text) and zone_id in known:
            return zone_id
    return None


def _feature(props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "id": props["id"], "geometry": None, "properties": props}


def airspace_events(path: Path) -> list[dict[str, Any]]:
    seen: Counter[str] = Counter()
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            where = f"{path.name}:{line}"
            time, precision, approx = _time(row["date_utc"], where)
            if not _clean(row.get("source_url")):
                raise EventsBuildError(f"{where}: no source_url")
            firs = list(dict.fromkeys(FIR_CODE.findall(row.get("area") or "")))
            actor, action = row["actor"].strip(), row["action"].strip()
            props = {
                "id": _id("airspace", time[:10], seen),
                "kind": "airspace",
                "time": time,
                "time_precision": precision,
                "time_approx": approx,
                "date_text": row["date_utc"].strip(),
                "title": f"{actor}: {action}",
                "actor": actor,
                "action": action,
                "area": _clean(row.get("area")),
                "applies_to": _clean(row.get("applies_to")),
                "valid_from": _clean(row.get("valid_from")),
                "valid_to": _clean(row.get("valid_to")),
                "notam_or_doc_id": _clean(row.get("notam_or_doc_id")),
                "zone_id": firs[0] if firs else None,
                "zone_ids": firs,
                "location_note": None,
                "source_url": row["source_url"].strip(),
                "source_title": (row.get("source_title") or "").strip(),
                "note": _clean(row.get("note")),
            }
            out.append(_feature(props))
    return out


def strike_events(path: Path, zones: set[str]) -> list[dict[str, Any]]:
    seen: Counter[str] = Counter()
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            where = f"{path.name}:{line}"
            time, precision, approx = _time(row["date_utc"], where)
            if not _clean(row.get("source_url")):
                raise EventsBuildError(f"{where}: no source_url")
            if _clean(row.get("lat")) or _clean(row.get("lon")):
                raise EventsBuildError(f"{where}: coordinates given; this build expects none")
            sea = row.get("sea") or ""
            location = row.get("approx_location_text") or ""
            zone_id = strike_zone(sea, location, zones)
            deaths = _clean(row.get("deaths"))
            vessels = _clean(row.get("vessels"))
            title = "Boat strike"
            if vessels:
                title += f": {vessels} vessel{'s' if vessels != '1' else ''}"
            if deaths:
                title += f", {deaths} killed"
            sea_short = sea.split("(")[0].strip()
            if sea_short:
                title += f" ({sea_short})"
            props = {
                "id": _id("strike", time[:10], seen),
                "kind": "strike",
                "time": time,
                "time_precision": precision,
                "time_approx": approx,
                "date_text": row["date_utc"].strip(),
                "title": title,
                "sea": _clean(sea),
                "approx_location_text": _clean(location),
                "vessels": vessels,
                "deaths": deaths,
                "survivors": _clean(row.get("survivors")),
                "announced_by": _clean(row.get("announced_by")),
                "zone_id": zone_id,
                "zone_ids": [zone_id] if zone_id else [],
                "location_note": APPROXIMATE if zone_id else NO_LOCATION,
                "source_url": row["source_url"].strip(),
                "source_title": (row.get("source_title") or "").strip(),
                "note": _clean(row.get("note")),
            }
            out.append(_feature(props))
    return out


def strike_zone_ids(geodata: Path) -> set[str]:
    doc = orjson.loads((geodata / "strike_zones.geojson").read_bytes())
    return {str(f["properties"]["zone_id"]) for f in doc["features"]}


def build(reference: Path, geodata: Path) -> bytes:
    """The events file's bytes from the reference folder and the shipped strike zones."""
    crisis = reference / "crisis"
    features = airspace_events(crisis / "airspace_events.csv")
    features += strike_events(crisis / "boat_strikes.csv", strike_zone_ids(geodata))
    features.sort(key=lambda f: (f["properties"]["time"], f["properties"]["kind"], f["id"]))
    doc = {
        "type": "FeatureCollection",
        "name": "crisis_events",
        "attribution": ATTRIBUTION,
        "built_from": ["crisis/airspace_events.csv", "crisis/boat_strikes.csv"],
        "features": features,
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m monitor.web.events_build", description=__doc__.split("\n\n")[0])
    ap.add_argument("--reference", type=Path, required=True, help="the reference folder (holds crisis/)")
    ap.add_argument("--out", type=Path, default=Path("geodata/events"), help="output folder")
    ap.add_argument("--geodata", type=Path, default=None,
                    help="folder of strike_zones.geojson (default: the parent of --out)")
    args = ap.parse_args(argv)
    geodata = args.geodata or args.out.parent
    try:
        data = build(args.reference, geodata)
    except (OSError, EventsBuildError, KeyError) as exc:
        print(f"events_build: {exc}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / OUT_NAME).write_bytes(data)
    n = data.count(b'"type": "Feature"')
    print(f"wrote {args.out / OUT_NAME} ({n} events)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
