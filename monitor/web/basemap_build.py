"""Build the offline base map (``geodata/basemap/``) from Natural Earth 1:10m.

Run ``python -m monitor.web.basemap_build --reference ../shared/reference --out geodata/basemap``.
Project tooling, used by developers, never at run time; deterministic (same inputs, same
bytes), which ``tests/web/test_basemap_build.py`` checks against the committed files.

Inputs
------
``REFERENCE/naturalearth/countries-10m.json``
    world-atlas 2.0.2 TopoJSON of the Natural Earth v4.1.0 admin-0 countries at 1:10m
    (object ``countries``; quantized: the grid is 0.0036 deg of longitude by 0.0017 deg of
    latitude, about 400 m by 190 m).
``REFERENCE/airports_region.csv``
    airports (airportsdata); those inside the region are labelled.
``OUT/capitals.csv``
    the hand-authored capitals, one cited source per row (the one file here to edit).

Outputs
-------
``countries_region.geojson``
    one (Multi)Polygon feature per country with land in the region (``layer`` ``land``,
    ``name``, ``iso_n3``); their outlines are the coastlines and the land borders.
``labels_region.geojson``
    points: country names, capitals, airports, each with the zoom from which it shows.

How (pure functions, :func:`build` does the I/O):

1. the TopoJSON arcs are decoded (delta + quantization transform, :func:`decode_arcs`);
2. the arcs of countries touching the region (lon -92..-50, lat -6..26) are simplified
   together with GEOS's topology-preserving simplifier at ``SIMPLIFY_DEG`` (no arc crosses
   another, every arc keeps its end points). Simplifying the shared arcs once, rather than
   each country's polygon on its own, keeps neighbours' borders identical: no gaps or
   overlaps between countries;
3. countries are assembled from the simplified arcs, repaired where needed
   (``make_valid``), cut to the region, snapped to a ``GRID_DEG`` grid; parts under
   ``MIN_PART_KM2`` are dropped (cays the 1:10m grid cannot draw anyway);
4. a country's label stands at the pole of inaccessibility of its largest part in the
   region (``shapely.ops.polylabel``), or under it for a small island;
5. every label gets the zoom from which it shows, then :func:`declutter` pushes a label
   deeper until it overlaps no label of higher rank (text sizes as ``monitor.css`` draws them).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiLineString, MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel

from monitor.web.basemap import COUNTRIES_FILE, LABELS_FILE

log = logging.getLogger(__name__)

#: the region drawn: west, south, east, north (WGS84 degrees)
REGION_BOUNDS = (-92.0, -6.0, -50.0, 26.0)
#: Douglas-Peucker tolerance (topology-preserving), degrees: about 550 m, near the source grid
#: (sub-pixel up to zoom 8, the tolerance the map used before for Venezuela's land)
SIMPLIFY_DEG = 0.005
#: output coordinate grid, degrees (about 110 m): finer than the source's own grid
GRID_DEG = 0.001
GRID_DECIMALS = 3
#: land parts smaller than this are dropped (km2, planar area scaled by cos(latitude))
MIN_PART_KM2 = 1.0
KM_PER_DEG = 111.32

CAPITALS_FILE = "capitals.csv"
NE_FILE = "naturalearth/countries-10m.json"
AIRPORTS_FILE = "airports_region.csv"

#: label zoom by the country's land area in the region (km2): larger countries show earlier
#: (at zoom 4 a pixel is about 10 km: only the four largest get a name there)
COUNTRY_MINZOOM = ((400_000.0, 4), (50_000.0, 5), (3_000.0, 6), (100.0, 7), (15.0, 8))
#: drawn but not named: a naval base, an uninhabited island (Navassa) and two cays
NO_LABEL = frozenset({"USNB Guantanamo Bay", "U.S. Minor Outlying Is.", "Bajo Nuevo Bank", "Serranilla Bank"})
#: label text where the part labelled is an overseas part of the country the name says
LABEL_TEXT = {
    "France": "French Guiana (Fr.)",
    "Netherlands": "Bonaire (Neth.)",
    "United States of America": "United States",
}
#: countries labelled from this zoom on (under 3,000 km2) have their name under the island
BELOW_FROM_ZOOM = 7
#: capitals show from this zoom, or from their country's label zoom if that is later
CAPITAL_MINZOOM = 5
AIRPORT_MINZOOM = 7

COUNTRIES_META = {
    "name": "Countries and coastlines of the Caribbean and northern South America (offline base map)",
    "license": "Public domain (Natural Earth); TopoJSON packaging by world-atlas 2.0.2 (ISC)",
    "attribution": "Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com",
    "source": (
        "Natural Earth v4.1.0 admin-0 countries 1:10m, as TopoJSON in the npm package world-atlas "
        "2.0.2 (countries-10m.json, object countries)"
    ),
    "caveat": (
        "A drawing for orientation, not a delimitation: simplified (0.005 deg, about 550 m), "
        "coordinates on a 0.001 deg grid, parts under 1 km2 dropped. Natural Earth shows de facto "
        "boundaries; disputed areas (e.g. Guayana Esequiba) are drawn as administered."
    ),
    "generated_by": "python -m monitor.web.basemap_build --reference ../shared/reference --out geodata/basemap",
}

LABELS_META = {
    "name": "Place names of the offline base map: countries, capitals, airports",
    "license": (
        "Country label points derived from Natural Earth (public domain); airports from "
        "airportsdata (MIT); capitals hand-entered, each row citing its source (capitals.csv)"
    ),
    "generated_by": COUNTRIES_META["generated_by"],
}


class BasemapBuildError(ValueError):
    """An input the build cannot use (names the file and the bad value)."""


# ---- TopoJSON -------------------------------------------------------------------------------


def decode_arcs(topology: Mapping[str, Any]) -> list[np.ndarray]:
    """The arcs of a TopoJSON topology as absolute lon/lat arrays of shape (n, 2).

    A quantized topology (with a ``transform``) stores each arc as a first position and
    then deltas, in integer grid units: positions are the running sums, scaled and
    translated. Without a transform the positions are absolute already.
    """
    transform = topology.get("transform")
    out: list[np.ndarray] = []
    if transform is None:
        for arc in topology["arcs"]:
            out.append(np.asarray(arc, dtype=np.float64)[:, :2])
        return out
    scale = np.asarray(transform["scale"], dtype=np.float64)
    translate = np.asarray(transform["translate"], dtype=np.float64)
    for arc in topology["arcs"]:
        grid = np.cumsum(np.asarray(arc, dtype=np.int64)[:, :2], axis=0)
        out.append(grid * scale + translate)
    return out


def polygon_arcs(geometry: Mapping[str, Any]) -> list[list[list[int]]]:
    """A TopoJSON geometry's polygons as lists of rings of arc indices (``~i``: arc i reversed)."""
    kind = geometry.get("type")
    if kind == "Polygon":
        return [geometry["arcs"]]
    if kind == "MultiPolygon":
        return list(geometry["arcs"])
    return []  # null geometries (``type`` absent or null) carry no area


def ring_positions(ring: Sequence[int], arcs: Sequence[np.ndarray]) -> np.ndarray:
    """The positions of a ring: its arcs joined, each arc's first position dropped after the first."""
    parts = []
    for k, index in enumerate(ring):
        coords = arcs[index] if index >= 0 else arcs[~index][::-1]
        parts.append(coords if k == 0 else coords[1:])
    return np.concatenate(parts) if parts else np.empty((0, 2))


def _arc_id(index: int) -> int:
    return index if index >= 0 else ~index


# ---- the build ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    """One country cut to the region."""

    name: str
    iso_n3: str
    land: BaseGeometry


def _km2(geom: BaseGeometry) -> float:
    """Approximate area in km2 (planar degrees scaled at the part's latitude); enough to sort
    and filter, not to measure."""
    lat = geom.centroid.y if not geom.is_empty else 0.0
    return float(geom.area) * KM_PER_DEG * KM_PER_DEG * math.cos(math.radians(lat))


def _polygonal(geom: BaseGeometry) -> list[Polygon]:
    """The polygons of any geometry (what ``make_valid`` or an intersection may mix)."""
    if geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    if isinstance(geom, MultiPolygon):
        return list(geom.geoms)
    out: list[Polygon] = []
    for part in getattr(geom, "geoms", []):
        out.extend(_polygonal(part))
    return out


def _touches_region(positions: np.ndarray, bounds: tuple[float, float, float, float]) -> bool:
    west, south, east, north = bounds
    return bool(
        positions[:, 0].max() >= west and positions[:, 0].min() <= east
        and positions[:, 1].max() >= south and positions[:, 1].min() <= north
    )


def simplify_arcs(arcs: Sequence[np.ndarray], ids: Iterable[int], tolerance_deg: float) -> dict[int, np.ndarray]:
    """The arcs ``ids`` simplified together (GEOS topology-preserving Douglas-Peucker): no
    simplified arc crosses another, end points stay, closed arcs stay rings."""
    order = sorted(set(ids))
    simple = shapely.simplify(MultiLineString([arcs[i] for i in order]), tolerance_deg, preserve_topology=True)
    parts = list(simple.geoms) if hasattr(simple, "geoms") else [simple]
    if len(parts) != len(order):
        raise BasemapBuildError(f"simplification changed the number of arcs ({len(order)} -> {len(parts)})")
    return {i: np.asarray(p.coords) for i, p in zip(order, parts, strict=True)}


def region_countries(
    topology: Mapping[str, Any],
    *,
    bounds: tuple[float, float, float, float] = REGION_BOUNDS,
    tolerance_deg: float = SIMPLIFY_DEG,
    grid_deg: float = GRID_DEG,
    min_part_km2: float = MIN_PART_KM2,
) -> list[Country]:
    """The countries of the TopoJSON object ``countries`` with land in ``bounds``, sorted by name."""
    arcs = decode_arcs(topology)
    picked = []
    wanted: set[int] = set()
    for g in topology["objects"]["countries"]["geometries"]:
        near = [p for p in polygon_arcs(g) if p and _touches_region(ring_positions(p[0], arcs), bounds)]
        if near:
            picked.append((g, near))
            wanted.update(_arc_id(i) for poly in near for ring in poly for i in ring)
    simple = simplify_arcs(arcs, wanted, tolerance_deg)
    region = box(*bounds)
    countries: list[Country] = []
    for g, polys in picked:
        name = str((g.get("properties") or {}).get("name") or g.get("id") or "")
        kept: list[Polygon] = []
        for poly in polys:
            rings = [ring_positions(ring, simple) for ring in poly]
            if len(rings[0]) < 4:
                continue
            shape = Polygon(rings[0], [r for r in rings[1:] if len(r) >= 4])
            if not shape.is_valid:
                shape = shapely.make_valid(shape)
            shape = shapely.set_precision(shape.intersection(region), grid_deg)
            kept.extend(p for p in _polygonal(shape) if _km2(p) >= min_part_km2)
        if kept:
            land = shapely.normalize(kept[0] if len(kept) == 1 else MultiPolygon(kept))
            countries.append(Country(name, str(g.get("id") or ""), land))
    countries.sort(key=lambda c: c.name)
    return countries


def _minzoom(area_km2: float) -> int | None:
    for threshold, zoom in COUNTRY_MINZOOM:
        if area_km2 >= threshold:
            return zoom
    return None


def country_labels(countries: Sequence[Country], *, grid_deg: float = GRID_DEG) -> list[dict[str, Any]]:
    """One label per country, at the pole of inaccessibility of its largest part in the region."""
    out = []
    for c in sorted(countries, key=lambda c: (-_km2(c.land), c.name)):  # largest first
        if c.name in NO_LABEL:
            continue
        zoom = _minzoom(_km2(c.land))
        if zoom is None:
            continue
        largest = max(_polygonal(c.land), key=lambda p: p.area)
        text = LABEL_TEXT.get(c.name, c.name)
        if zoom >= BELOW_FROM_ZOOM:  # an island too small to hold its name: the name goes under it
            west, south, east, _ = largest.bounds
            out.append(_label((west + east) / 2, south, "country", text, zoom, country=c.name, placement="below"))
        else:
            point = polylabel(largest, tolerance=grid_deg)
            out.append(_label(point.x, point.y, "country", text, zoom, country=c.name))
    return out


def _label(lon: float, lat: float, kind: str, text: str, minzoom: int, **extra: Any) -> dict[str, Any]:
    props = {"layer": "label", "kind": kind, "text": text, "minzoom": minzoom, **extra}
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": props,
    }


CAPITAL_FIELDS = ("capital", "country", "lat", "lon", "source_url")


def read_capitals(text: str, *, source: str = CAPITALS_FILE) -> list[dict[str, str]]:
    """Rows of ``capitals.csv`` (``#`` lines are comments); every field required."""
    rows = []
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    if tuple(reader.fieldnames or ()) != CAPITAL_FIELDS:
        raise BasemapBuildError(f"{source}: header must be {','.join(CAPITAL_FIELDS)}, got {reader.fieldnames}")
    for n, row in enumerate(reader, start=2):
        missing = [k for k in CAPITAL_FIELDS if not (row.get(k) or "").strip()]
        if missing:
            raise BasemapBuildError(f"{source} row {n}: empty {', '.join(missing)}: {row}")
        if not row["source_url"].startswith("https://"):
            raise BasemapBuildError(f"{source} row {n}: source_url is not an https address: {row['source_url']!r}")
        rows.append(row)
    return rows


def capital_labels(
    rows: Sequence[Mapping[str, str]],
    countries: Sequence[Country],
    *,
    max_distance_deg: float = 0.05,
) -> list[dict[str, Any]]:
    """Capitals as labels; each must lie on (or within ``max_distance_deg``, ~5 km, of) the
    land of the country it names, which catches a swapped or mistyped coordinate."""
    by_name = {c.name: c for c in countries}
    out = []
    for row in rows:
        lon, lat = float(row["lon"]), float(row["lat"])
        country = by_name.get(row["country"])
        if country is None:
            raise BasemapBuildError(f"capital {row['capital']}: no country named {row['country']!r} in the region")
        distance = country.land.distance(shapely.Point(lon, lat))
        if distance > max_distance_deg:
            raise BasemapBuildError(
                f"capital {row['capital']} ({lat}, {lon}) is {distance:.3f} deg from the land of {row['country']}"
            )
        minzoom = max(CAPITAL_MINZOOM, _minzoom(_km2(country.land)) or COUNTRY_MINZOOM[-1][1])
        out.append(_label(lon, lat, "capital", row["capital"], minzoom, country=row["country"],
                          source=row["source_url"]))
    return out


def airport_labels(text: str, *, bounds: tuple[float, float, float, float] = REGION_BOUNDS) -> list[dict[str, Any]]:
    """Airports of ``airports_region.csv`` inside ``bounds``, labelled ``ICAO IATA``."""
    west, south, east, north = bounds
    out = []
    for row in csv.DictReader(io.StringIO(text)):
        lon, lat = float(row["lon"]), float(row["lat"])
        if not (west <= lon <= east and south <= lat <= north):
            continue
        text_ = f"{row['icao']} {row['iata']}".strip()
        out.append(_label(round(lon, 4), round(lat, 4), "airport", text_, AIRPORT_MINZOOM,
                          icao=row["icao"], iata=row["iata"], name=row["name"], city=row["city"]))
    out.sort(key=lambda f: f["properties"]["icao"])
    return out


# ---- decluttering ---------------------------------------------------------------------------

#: the deepest zoom a label may be pushed to
MAX_LABEL_ZOOM = 10
#: estimated text metrics (CSS px) of monitor.css's label styles: width per character, height
CHAR_PX = {"country": 8.6, "country-large": 10.0, "capital": 6.6, "airport": 6.2}
TEXT_HEIGHT_PX = 14.0
LABEL_PAD_PX = 3.0


def _pixel(lon: float, lat: float, zoom: int) -> tuple[float, float]:
    """Web Mercator (EPSG:3857) pixel of a position at ``zoom`` (256 px tiles), as Leaflet."""
    scale = 256.0 * 2.0**zoom
    phi = math.radians(max(-85.0, min(85.0, lat)))
    x = (lon + 180.0) / 360.0 * scale
    y = (1.0 - math.log(math.tan(phi) + 1.0 / math.cos(phi)) / math.pi) / 2.0 * scale
    return x, y


def label_box(label: Mapping[str, Any], zoom: int) -> tuple[float, float, float, float]:
    """The screen box (x0, y0, x1, y1, px) a label covers at ``zoom``, from monitor.css:
    a country's name is centred on its point (or hangs under it, ``placement`` ``below``);
    a capital's or airport's name starts 6 px to the right of its symbol, vertically centred."""
    props = label["properties"]
    x, y = _pixel(*label["geometry"]["coordinates"], zoom)
    kind = props["kind"]
    key = "country-large" if kind == "country" and props["minzoom"] <= 4 else kind
    width = len(props["text"]) * CHAR_PX.get(key, 7.0)
    half_h = TEXT_HEIGHT_PX / 2 + LABEL_PAD_PX
    if kind == "country" and props.get("placement") == "below":  # text top 2 px under the point
        return (x - width / 2 - LABEL_PAD_PX, y + 2.0 - LABEL_PAD_PX, x + width / 2 + LABEL_PAD_PX,
                y + 2.0 + TEXT_HEIGHT_PX + LABEL_PAD_PX)
    if kind == "country":
        return (x - width / 2 - LABEL_PAD_PX, y - half_h, x + width / 2 + LABEL_PAD_PX, y + half_h)
    return (x - 4.0, y - half_h, x + 6.0 + width + LABEL_PAD_PX, y + half_h)


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def declutter(labels: Sequence[dict[str, Any]], *, max_zoom: int = MAX_LABEL_ZOOM) -> list[dict[str, Any]]:
    """Push each label's ``minzoom`` deeper until, at every zoom from there to ``max_zoom``,
    it overlaps no label placed before it (``labels`` are in priority order: countries by
    area, capitals, airports). A label that still collides at ``max_zoom`` keeps that zoom."""
    placed: list[dict[str, Any]] = []
    out = []
    for label in labels:
        zoom = int(label["properties"]["minzoom"])
        while zoom < max_zoom and any(
            _overlap(label_box(label, z), label_box(other, z))
            for z in range(zoom, max_zoom + 1)
            for other in placed
            if other["properties"]["minzoom"] <= z
        ):
            zoom += 1
        label = {**label, "properties": {**label["properties"], "minzoom": zoom}}
        placed.append(label)
        out.append(label)
    return out


# ---- writing --------------------------------------------------------------------------------


def _rounded(value: Any, decimals: int) -> Any:
    if isinstance(value, float):
        return round(value, decimals) + 0.0  # + 0.0: no "-0.0"
    if isinstance(value, (list, tuple)):
        return [_rounded(v, decimals) for v in value]
    return value


def geometry_json(geom: BaseGeometry, decimals: int = GRID_DECIMALS) -> dict[str, Any]:
    doc = json.loads(shapely.to_geojson(geom))
    doc["coordinates"] = _rounded(doc["coordinates"], decimals)
    return doc


def countries_doc(countries: Sequence[Country]) -> dict[str, Any]:
    features = [
        {
            "type": "Feature",
            "geometry": geometry_json(c.land),
            "properties": {"layer": "land", "name": c.name, "iso_n3": c.iso_n3},
        }
        for c in countries
    ]
    return {"type": "FeatureCollection", **COUNTRIES_META, "bbox": list(REGION_BOUNDS), "features": features}


def labels_doc(labels: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    features = []
    for f in labels:
        lon, lat = f["geometry"]["coordinates"]
        features.append({**f, "geometry": {"type": "Point", "coordinates": _rounded([lon, lat], 4)}})
    return {"type": "FeatureCollection", **LABELS_META, "features": features}


def dump(doc: Mapping[str, Any]) -> str:
    """Deterministic text: one feature per line, so a diff shows which feature changed."""
    head = "".join(f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)},\n" for k, v in doc.items() if k != "features")
    body = ",\n".join(json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in doc["features"])
    return "{\n" + head + ' "features": [\n' + body + "\n]}\n"


def build(reference: Path, out: Path, capitals: Path | None = None) -> list[Path]:
    """Write ``countries_region.geojson`` and ``labels_region.geojson`` into ``out``.

    Parameters
    ----------
    reference:
        The ``shared/reference`` folder.
    out:
        Where to write (``geodata/basemap``).
    capitals:
        The hand-authored capitals; default ``out/capitals.csv``.
    """
    capitals = capitals or out / CAPITALS_FILE
    topology = json.loads((reference / NE_FILE).read_text(encoding="utf-8"))
    countries = region_countries(topology)
    labels = country_labels(countries)
    labels += capital_labels(read_capitals(capitals.read_text(encoding="utf-8"), source=str(capitals)), countries)
    labels += airport_labels((reference / AIRPORTS_FILE).read_text(encoding="utf-8"))
    labels = declutter(labels)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, doc in ((COUNTRIES_FILE, countries_doc(countries)), (LABELS_FILE, labels_doc(labels))):
        path = out / name
        path.write_text(dump(doc), encoding="utf-8")
        written.append(path)
        log.info("wrote %s (%d features, %d bytes)", path, len(doc["features"]), path.stat().st_size)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m monitor.web.basemap_build",
        description="Build the offline base map (geodata/basemap/) from shared/reference.",
    )
    parser.add_argument("--reference", type=Path, required=True, help="shared/reference folder")
    parser.add_argument("--out", type=Path, required=True, help="output folder (geodata/basemap)")
    parser.add_argument("--capitals", type=Path, default=None, help="capitals CSV (default: OUT/capitals.csv)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if not (args.reference / NE_FILE).is_file():
        parser.error(f"{args.reference / NE_FILE} not found")
    try:
        build(args.reference, args.out, args.capitals)
    except (BasemapBuildError, OSError, KeyError, json.JSONDecodeError) as exc:
        log.error("%s", exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
