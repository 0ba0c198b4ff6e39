"""KML (and KMZ) zone files, read with the standard library's ``xml.etree``.

Each ``Placemark`` with a ``Polygon`` (or a ``MultiGeometry`` of polygons) is one zone
version. Its ``<name>`` is the zone name, its ``id`` attribute the zone id unless an
``ExtendedData`` field says otherwise, and ``ExtendedData`` ``<Data name=".."><value>``
(or ``SchemaData`` / ``SimpleData``) fields carry the same properties as GeoJSON
(:mod:`monitor.zones.fields`). KML namespaces (2.0, 2.1, 2.2, gx) are ignored.

Pure: text or bytes in, values out.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any
from xml.etree import ElementTree as ET

from monitor.domain.zone import ZoneVersion
from monitor.errors import ZoneError
from monitor.zones.fields import ImportDefaults, ReadResult, feature_label, version_from_properties
from monitor.zones.geometry import RawPolygon, area_from_rings


def read_kml(data: str | bytes, *, defaults: ImportDefaults | None = None) -> ReadResult:
    """Read zone versions from KML text.

    Raises
    ------
    ZoneError
        When the text is not XML / KML, or a placemark is invalid (named by its index
        among the placemarks, its id and its name).
    """
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ZoneError(f"not KML: {exc}") from None
    if _local(root.tag) != "kml":
        raise ZoneError(f"not KML: the root element is <{_local(root.tag)}>, not <kml>")
    placemarks = [el for el in root.iter() if _local(el.tag) == "Placemark"]
    if not placemarks:
        raise ZoneError("the KML has no Placemark")
    versions: list[ZoneVersion] = []
    warnings: list[str] = []
    for index, pm in enumerate(placemarks):
        props = _properties(pm)
        label = feature_label(index, props.get("zone_id") or pm.get("id"), props.get("name"))
        polygons = _polygons(pm, label)
        geom, notes = area_from_rings(polygons, label)
        warnings.extend(notes)
        versions.append(
            version_from_properties(
                props, geom, label=label, feature_id=pm.get("id"), defaults=defaults
            )
        )
    return ReadResult(versions=versions, warnings=warnings)


def read_kmz(data: bytes, *, defaults: ImportDefaults | None = None) -> ReadResult:
    """Read the first ``.kml`` document inside a KMZ archive (``doc.kml`` preferred)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".kml")]
            if not names:
                raise ZoneError("the KMZ archive holds no .kml document")
            name = "doc.kml" if "doc.kml" in names else names[0]
            return read_kml(archive.read(name), defaults=defaults)
    except zipfile.BadZipFile as exc:
        raise ZoneError(f"not a KMZ archive: {exc}") from None


def _local(tag: Any) -> str:
    text = str(tag)
    return text.rsplit("}", 1)[-1] if "}" in text else text


def _child(el: ET.Element, name: str) -> ET.Element | None:
    for child in el:
        if _local(child.tag) == name:
            return child
    return None


def _properties(pm: ET.Element) -> dict[str, Any]:
    props: dict[str, Any] = {}
    name = _child(pm, "name")
    if name is not None and (name.text or "").strip():
        props["name"] = name.text.strip() if name.text else ""
    desc = _child(pm, "description")
    if desc is not None and (desc.text or "").strip():
        props["description"] = desc.text.strip() if desc.text else ""
    extended = _child(pm, "ExtendedData")
    if extended is not None:
        for el in extended.iter():
            tag = _local(el.tag)
            if tag == "Data" and el.get("name"):
                value = _child(el, "value")
                props[el.get("name", "")] = (value.text or "").strip() if value is not None else ""
            elif tag == "SimpleData" and el.get("name"):
                props[el.get("name", "")] = (el.text or "").strip()
    return {k: v for k, v in props.items() if v != ""}


def _polygons(pm: ET.Element, label: str) -> list[RawPolygon]:
    polygons: list[RawPolygon] = []
    others: list[str] = []
    for el in pm.iter():
        tag = _local(el.tag)
        if tag == "Polygon":
            polygons.append(_polygon(el, label, len(polygons)))
        elif tag in ("Point", "LineString", "Model", "Track", "MultiTrack"):
            others.append(tag)
    if not polygons:
        if others:
            raise ZoneError(f"{label}: geometry type {others[0]} is not an area (Polygon)")
        raise ZoneError(f"{label}: empty geometry (no Polygon)")
    return polygons


def _polygon(el: ET.Element, label: str, p_idx: int) -> RawPolygon:
    outer_el = _child(el, "outerBoundaryIs")
    if outer_el is None:
        raise ZoneError(f"{label}: polygon {p_idx} has no outerBoundaryIs")
    outer = _ring(outer_el, label, f"outer ring of polygon {p_idx}")
    inners = [
        _ring(child, label, f"inner ring {i} of polygon {p_idx}")
        for i, child in enumerate(c for c in el if _local(c.tag) == "innerBoundaryIs")
    ]
    return outer, inners


def _ring(boundary: ET.Element, label: str, where: str) -> list[tuple[float, ...]]:
    coords_el = None
    for el in boundary.iter():
        if _local(el.tag) == "coordinates":
            coords_el = el
            break
    text = (coords_el.text or "") if coords_el is not None else ""
    ring: list[tuple[float, ...]] = []
    for i, token in enumerate(text.split()):
        try:
            values = tuple(float(part) for part in token.split(","))
        except ValueError:
            raise ZoneError(
                f"{label}: {where}, position {i} {token!r} is not lon,lat[,alt]"
            ) from None
        if len(values) < 2:
            raise ZoneError(f"{label}: {where}, position {i} {token!r} is not lon,lat[,alt]")
        ring.append(values)
    return ring
