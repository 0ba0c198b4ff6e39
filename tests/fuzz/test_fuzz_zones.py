"""Property-based fuzzing of the zone file readers (GeoJSON, KML, KMZ, and the dispatcher).

The property, for any input: the reader returns zone versions whose areas are valid, non-empty
and within WGS84 range, or raises :class:`~monitor.errors.ZoneError` with a message; never
any other exception.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.errors import ZoneError
from monitor.zones.fields import ReadResult
from monitor.zones.geojson import read_geojson
from monitor.zones.kml import read_kml, read_kmz
from monitor.zones.reader import read_zone_bytes
from tests.fuzz.strategies import FIXTURES, FUZZ, NASTY_TEXT, examples, json_values, mutated

ZONES = FIXTURES / "zones"
GEOJSON_SEEDS = [
    json.loads((ZONES / name).read_text(encoding="utf-8"))
    for name in ("geofence_zones.geojson", "watch_areas.geojson")
]
KML_SEED = (ZONES / "watch_areas.kml").read_text(encoding="utf-8")


def check_read(read: Any, data: Any, **kwargs: Any) -> None:
    try:
        result = read(data, **kwargs)
    except ZoneError as exc:
        assert str(exc).strip(), "a ZoneError without a message"
        return
    assert isinstance(result, ReadResult)
    assert result.versions, "a successful read returned no zone"
    for v in result.versions:
        assert v.geometry.is_valid and not v.geometry.is_empty, v.zone_id
        assert v.geometry.geom_type in ("Polygon", "MultiPolygon"), v.geometry.geom_type
        minx, miny, maxx, maxy = v.geometry.bounds
        assert -180.0 <= minx <= maxx <= 180.0 and -90.0 <= miny <= maxy <= 90.0, v.geometry.bounds
        assert v.valid_from is None or v.valid_from.tzinfo is not None
        assert v.valid_to is None or v.valid_to.tzinfo is not None
        assert isinstance(v.zone_id, str) and v.zone_id.strip()


def _as_input(doc: Any, as_text: bool) -> Any:
    """What ``read_geojson`` accepts: text, or an already parsed JSON object."""
    if as_text or not isinstance(doc, dict):
        return json.dumps(doc)  # Python's json writes NaN / Infinity, as some tools do
    return doc


# --- coordinates and rings -----------------------------------------------------------------

coord_values = st.one_of(
    st.floats(min_value=-200, max_value=200, allow_nan=False),
    st.sampled_from([0.0, -180.0, 180.0, 90.0, -90.0, 180.0000001, math.nan, math.inf, 1e308]),
    st.integers(-200, 200),
)


@st.composite
def ring(draw: st.DrawFn) -> list[list[float]]:
    """A ring, usually closed, sometimes degenerate (few points, repeated, bow-tie)."""
    shape = draw(st.sampled_from(["random", "box", "bowtie", "degenerate"]))
    if shape == "box":
        x = draw(st.floats(-179, 178))
        y = draw(st.floats(-89, 88))
        w = draw(st.sampled_from([1.0, 1e-9, 0.0, 5.0]))
        pts = [[x, y], [x + w, y], [x + w, y + w], [x, y + w]]
    elif shape == "bowtie":
        pts = [[0, 0], [1, 1], [1, 0], [0, 1]]
    elif shape == "degenerate":
        p = [draw(coord_values), draw(coord_values)]
        pts = [p] * draw(st.integers(0, 5))
    else:
        pts = draw(st.lists(st.lists(coord_values, min_size=1, max_size=4), max_size=8))
    if pts and draw(st.integers(0, 4)) != 0:
        pts = [*pts, pts[0]]
    return pts


@st.composite
def geometry(draw: st.DrawFn) -> Any:
    kind = draw(
        st.sampled_from(
            [
                "Polygon",
                "Polygon",
                "MultiPolygon",
                "GeometryCollection",
                "Point",
                "LineString",
                "junk",
            ]
        )
    )
    if kind == "Polygon":
        return {"type": "Polygon", "coordinates": draw(st.lists(ring(), max_size=3))}
    if kind == "MultiPolygon":
        return {
            "type": "MultiPolygon",
            "coordinates": draw(st.lists(st.lists(ring(), max_size=2), max_size=3)),
        }
    if kind == "GeometryCollection":
        return {"type": "GeometryCollection", "geometries": draw(st.lists(geometry(), max_size=2))}
    if kind == "Point":
        return {"type": "Point", "coordinates": [draw(coord_values), draw(coord_values)]}
    if kind == "LineString":
        return {"type": "LineString", "coordinates": draw(ring())}
    return draw(json_values(6))


property_values = st.one_of(
    json_values(4),
    NASTY_TEXT,
    st.sampled_from(
        [
            "2025-12-01",
            "2025-12-01T00:00:00Z",
            "2025-12-01T00:00:00+04:00",
            "2025-12-01T00:00:00",
            "yesterday",
            "closed_airspace",
            "strike_zone",
            "watch_area",
            "vessels",
            "aircraft",
            "all",
            "FL100",
            "SFC",
            "UNL",
            "-5",
        ]
    ),
)
property_keys = st.sampled_from(
    [
        "zone_id",
        "name",
        "kind",
        "status",
        "severity",
        "authority",
        "applies_to",
        "valid_from",
        "valid_to",
        "floor_ft",
        "ceiling_ft",
        "lower",
        "upper",
        "confidence",
        "source_ref",
        "description",
        "version",
    ]
)


@st.composite
def feature(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": "Feature",
        "properties": draw(st.dictionaries(property_keys, property_values, max_size=8)),
        "geometry": draw(geometry()),
    }
    if draw(st.booleans()):
        doc["id"] = draw(st.one_of(st.text(max_size=10), st.integers(), st.none()))
    return doc


@settings(FUZZ, max_examples=examples(200))
@given(features=st.lists(feature(), max_size=3), as_text=st.booleans())
def test_geojson_generated_features(features: list[dict[str, Any]], as_text: bool) -> None:
    doc = {"type": "FeatureCollection", "features": features}
    check_read(read_geojson, json.dumps(doc) if as_text else doc)


@settings(FUZZ, max_examples=examples(80))
@given(data=st.data())
def test_geojson_mutated_files(data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(GEOJSON_SEEDS))
    check_read(read_geojson, _as_input(data.draw(mutated(seed)), data.draw(st.booleans())))


@settings(FUZZ, max_examples=examples(60))
@given(doc=st.one_of(json_values(), st.text(max_size=200), st.binary(max_size=200)))
def test_geojson_anything(doc: Any) -> None:
    check_read(read_geojson, doc if isinstance(doc, str | bytes) else _as_input(doc, True))


# --- KML ----------------------------------------------------------------------------------

xml_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
).map(lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def _coords_text(pts: list[list[Any]]) -> str:
    return " ".join(",".join(str(v) for v in p) for p in pts)


@st.composite
def kml_doc(draw: st.DrawFn) -> str:
    placemarks = []
    for _ in range(draw(st.integers(0, 3))):
        outer = draw(
            st.one_of(
                ring().map(_coords_text), st.text(alphabet="0123456789.,- \n\teE+naif", max_size=60)
            )
        )
        inners = "".join(
            f"<innerBoundaryIs><LinearRing><coordinates>{_coords_text(r)}</coordinates>"
            "</LinearRing></innerBoundaryIs>"
            for r in draw(st.lists(ring(), max_size=2))
        )
        poly = (
            f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{outer}</coordinates>"
            f"</LinearRing></outerBoundaryIs>{inners}</Polygon>"
        )
        geom = draw(st.sampled_from(["poly", "multi", "point", "none", "no-outer"]))
        if geom == "multi":
            poly = f"<MultiGeometry>{poly}{poly}</MultiGeometry>"
        elif geom == "point":
            poly = "<Point><coordinates>-66,10</coordinates></Point>"
        elif geom == "none":
            poly = ""
        elif geom == "no-outer":
            poly = "<Polygon></Polygon>"
        data = "".join(
            f'<Data name="{k}"><value>{draw(xml_text)}</value></Data>'
            for k in draw(st.lists(property_keys, max_size=5))
        )
        pid = draw(st.one_of(st.none(), xml_text.map(lambda s: s.replace('"', "&quot;"))))
        attr = f' id="{pid}"' if pid is not None else ""
        placemarks.append(
            f"<Placemark{attr}><name>{draw(xml_text)}</name>"
            f"<ExtendedData>{data}</ExtendedData>{poly}</Placemark>"
        )
    ns = draw(
        st.sampled_from(
            [
                'xmlns="http://www.opengis.net/kml/2.2"',
                'xmlns="http://earth.google.com/kml/2.1"',
                "",
            ]
        )
    )
    root = draw(st.sampled_from(["kml", "kml", "gpx"]))
    return f'<?xml version="1.0" encoding="UTF-8"?><{root} {ns}><Document>{"".join(placemarks)}</Document></{root}>'


@settings(FUZZ, max_examples=examples(150))
@given(doc=kml_doc(), as_bytes=st.booleans())
def test_kml_generated(doc: str, as_bytes: bool) -> None:
    check_read(read_kml, doc.encode("utf-8") if as_bytes else doc)


@settings(FUZZ, max_examples=examples(60))
@given(cut=st.integers(0, len(KML_SEED)), junk=st.text(max_size=10), drop=st.integers(0, 20))
def test_kml_damaged_file(cut: int, junk: str, drop: int) -> None:
    """The real-shape KML with a few characters replaced (often no longer well-formed)."""
    check_read(read_kml, KML_SEED[:cut] + junk + KML_SEED[cut + drop :])


@settings(FUZZ, max_examples=examples(40))
@given(data=st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_kml_anything(data: Any) -> None:
    check_read(read_kml, data)


def _kmz(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in members:
            zf.writestr(name, content)
    return buf.getvalue()


@settings(FUZZ, max_examples=examples(60))
@given(
    members=st.lists(
        st.tuples(
            st.sampled_from(["doc.kml", "a.kml", "b.KML", "img.png", "dir/x.kml"]),
            st.one_of(kml_doc().map(str.encode), st.binary(max_size=100)),
        ),
        max_size=3,
    ),
    damage=st.one_of(st.none(), st.integers(0, 400)),
)
def test_kmz(members: list[tuple[str, bytes]], damage: int | None) -> None:
    data = _kmz(list(dict(members).items()))  # one member per name
    if damage is not None:
        data = data[:damage]  # a truncated upload
    check_read(read_kmz, data)


@settings(FUZZ, max_examples=examples(60))
@given(
    filename=st.one_of(
        st.sampled_from(
            ["z.geojson", "z.json", "Z.KML", "z.kmz", "z.shp", "", ".kml", "z.geojson.exe"]
        ),
        st.text(max_size=20),
    ),
    data=st.one_of(
        st.binary(max_size=200),
        kml_doc().map(str.encode),
        st.lists(feature(), max_size=2).map(
            lambda fs: json.dumps({"type": "FeatureCollection", "features": fs}).encode()
        ),
    ),
)
def test_read_zone_bytes(filename: str, data: bytes) -> None:
    check_read(read_zone_bytes, data, filename=filename)


# --- XML entity tricks (deterministic) ----------------------------------------------------

_RING = "<Polygon><outerBoundaryIs><LinearRing><coordinates>0,0 1,0 1,1 0,0</coordinates></LinearRing></outerBoundaryIs></Polygon>"


def test_kml_entity_expansion_bomb_is_a_zone_error() -> None:
    """A "billion laughs" upload is refused quickly, not expanded into memory."""
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    bomb = f'<?xml version="1.0"?><!DOCTYPE kml [{entities}]><kml><Placemark><name>&j;</name>{_RING}</Placemark></kml>'
    try:
        read_kml(bomb)
    except ZoneError:
        return
    raise AssertionError("an entity-expansion bomb was read as a zone")


def test_kml_external_entity_is_not_read() -> None:
    """An external entity (``file:///etc/passwd``) must never reach a zone's name."""
    doc = (
        '<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f"<kml><Placemark><name>&x;</name>{_RING}</Placemark></kml>"
    )
    try:
        result = read_kml(doc)
    except ZoneError:
        return
    assert all("root:" not in (v.name or "") for v in result.versions)
