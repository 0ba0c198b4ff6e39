"""Ports and inland waterways of the region (``data/ports.csv``, ``data/waterways.csv``).

The files ship inside the package (see ``data/SOURCES.md`` for where the coordinates come
from) and are read once, when a detector is built, through :mod:`importlib.resources`;
``detect`` itself does no I/O. :class:`PortIndex` answers "nearest port and its distance"
with one vectorised haversine over the ~70 ports.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from monitor.detectors.maritime.geo import EARTH_RADIUS_M, M_PER_DEG


@dataclass(frozen=True, slots=True)
class Port:
    """A harbour, WGS84 degrees (approximate, see ``data/SOURCES.md``)."""

    name: str
    country: str
    lat: float
    lon: float


def _read_data(name: str) -> str:
    return resources.files("monitor.detectors.maritime").joinpath("data", name).read_text("utf-8")


def parse_ports(text: str) -> list[Port]:
    """Ports from CSV text with the header ``name,country,lat,lon``.

    Raises
    ------
    ValueError
        Naming the line whose latitude or longitude is not a number or out of range.
    """
    out: list[Port] = []
    for n, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            lat, lon = float(row["lat"]), float(row["lon"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"ports line {n}: bad lat/lon in {row!r}") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(f"ports line {n}: position out of range: {lat}, {lon}")
        out.append(Port(row["name"].strip(), (row.get("country") or "").strip(), lat, lon))
    return out


@lru_cache(maxsize=1)
def bundled_ports() -> tuple[Port, ...]:
    """The ports shipped with the package."""
    return tuple(parse_ports(_read_data("ports.csv")))


class PortIndex:
    """Nearest port of a position."""

    def __init__(self, ports: Iterable[Port]) -> None:
        self.ports: tuple[Port, ...] = tuple(ports)
        self._lat = np.radians([p.lat for p in self.ports])
        self._lon = np.radians([p.lon for p in self.ports])
        self._cos_lat = np.cos(self._lat)

    def nearest(self, lat: float, lon: float) -> tuple[Port | None, float]:
        """The nearest port and its great-circle distance in metres (``None``, inf if none)."""
        if not self.ports:
            return None, float("inf")
        p = np.radians(lat)
        h = (
            np.sin((self._lat - p) / 2) ** 2
            + np.cos(p) * self._cos_lat * np.sin((self._lon - np.radians(lon)) / 2) ** 2
        )
        d = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(1.0, h)))
        i = int(np.argmin(d))
        return self.ports[i], float(d[i])

    def within(self, lat: float, lon: float, radius_m: float) -> Port | None:
        """The nearest port when it is within ``radius_m``."""
        port, d = self.nearest(lat, lon)
        return port if d <= radius_m else None


@dataclass(frozen=True, slots=True)
class Waterway:
    """A navigable river: its centre line (lon, lat) and half-width in metres."""

    name: str
    line: tuple[tuple[float, float], ...]
    half_width_m: float

    def area(self) -> BaseGeometry:
        """The line buffered by the half-width (in degrees at the line's mean latitude)."""
        mean_lat = sum(lat for _, lat in self.line) / len(self.line)
        k = np.cos(np.radians(mean_lat))
        # buffer in a frame where a degree of longitude and of latitude are the same length
        squashed = shapely.LineString([(lon * k, lat) for lon, lat in self.line])
        buf = squashed.buffer(self.half_width_m / M_PER_DEG)
        return shapely.transform(buf, lambda xy: np.column_stack([xy[:, 0] / k, xy[:, 1]]))


def parse_waterways(text: str) -> list[Waterway]:
    """Waterways from CSV text with the header ``name,seq,lat,lon,half_width_m``."""
    lines: dict[str, list[tuple[int, float, float, float]]] = {}
    for n, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            item = (int(row["seq"]), float(row["lon"]), float(row["lat"]), float(row["half_width_m"]))
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"waterways line {n}: bad value in {row!r}") from None
        lines.setdefault(row["name"].strip(), []).append(item)
    out = []
    for name, pts in lines.items():
        pts.sort()
        if len(pts) < 2:
            raise ValueError(f"waterway {name!r} needs at least two points")
        out.append(Waterway(name, tuple((lon, lat) for _, lon, lat, _ in pts), max(p[3] for p in pts)))
    return out


@lru_cache(maxsize=1)
def bundled_waterways() -> tuple[Waterway, ...]:
    """The waterways shipped with the package."""
    return tuple(parse_waterways(_read_data("waterways.csv")))


class WaterwayMask:
    """Whether positions lie on a known inland waterway (vectorised)."""

    def __init__(self, waterways: Sequence[Waterway]) -> None:
        self.waterways = tuple(waterways)
        self._area = shapely.union_all([w.area() for w in waterways]) if waterways else None
        if self._area is not None:
            shapely.prepare(self._area)

    def contains(self, lons: Sequence[float] | np.ndarray, lats: Sequence[float] | np.ndarray) -> np.ndarray:
        if self._area is None:
            return np.zeros(len(lons), dtype=bool)
        return np.asarray(
            shapely.contains_xy(self._area, np.asarray(lons, float), np.asarray(lats, float))
        )
