"""Property tests: the vectorised engine equals the plain per-point shapely loop.

Random positions (uniform, exactly on vertices, a hair off vertices), times at and around
every version edge, altitudes at and around band limits, both subject kinds; random
star-shaped polygons with holes at several grid resolutions; random segments.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon

from monitor.domain import AppliesTo, Severity, ZoneKind, ZoneStatus, ZoneVersion
from monitor.domain.zone import effective_intervals
from monitor.geofence import ZoneIndex
from tests.geofence.oracle import contains_loop, crossings_loop

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _edges(versions: list[ZoneVersion]) -> list[float]:
    out = [math.nan]
    for _, start, end in effective_intervals(versions):
        for t in (start, end):
            if t is not None:
                out.extend([t.timestamp() - 1, t.timestamp(), t.timestamp() + 1])
    return out


@st.composite
def positions(
    draw: st.DrawFn, versions: list[ZoneVersion], bbox: tuple[float, float, float, float]
):
    vertices = np.concatenate([shapely.get_coordinates(v.geometry) for v in versions])
    times = _edges(versions)
    n = draw(st.integers(1, 40))
    lon, lat, alt, t, air = [], [], [], [], []
    for _ in range(n):
        how = draw(st.sampled_from(["uniform", "vertex", "near_vertex", "edge_mid"]))
        if how == "uniform":
            x = draw(st.floats(bbox[0], bbox[2]))
            y = draw(st.floats(bbox[1], bbox[3]))
        else:
            k = draw(st.integers(0, len(vertices) - 2))
            x, y = vertices[k]
            if how == "near_vertex":
                x += draw(st.sampled_from([-1e-3, -1e-7, 1e-7, 1e-3]))
                y += draw(st.sampled_from([-1e-3, -1e-9, 1e-9, 1e-3]))
            elif how == "edge_mid":
                x2, y2 = vertices[k + 1]
                x, y = (x + x2) / 2, (y + y2) / 2
        lon.append(float(x))
        lat.append(float(y))
        alt.append(
            draw(st.sampled_from([math.nan, 0.0, 9999.0, 10000.0, 20000.0, 20001.0, 35000.0]))
        )
        t.append(draw(st.sampled_from(times)))
        air.append(draw(st.booleans()))
    return lon, lat, alt, t, air


def _vectorised(index: ZoneIndex, lon, lat, alt, t, air) -> set[tuple[int, str]]:
    obs, ver = index.contains(
        np.array(lon), np.array(lat), np.array(alt), np.array(t), np.array(air)
    )
    assert np.all(np.diff(obs) >= 0), "pairs are sorted by observation"
    return {(int(o), index.versions[v].key) for o, v in zip(obs, ver, strict=True)}


@SETTINGS
@given(data=st.data())
def test_bundled_set_matches_plain_loop(bundled_index: ZoneIndex, bundled_versions, data) -> None:
    lon, lat, alt, t, air = data.draw(positions(bundled_versions, (-90, -5, -50, 28)))
    expected = contains_loop(bundled_index.versions, lon, lat, alt, t, air)
    assert _vectorised(bundled_index, lon, lat, alt, t, air) == expected


@SETTINGS
@given(data=st.data())
def test_synthetic_set_matches_plain_loop(
    synthetic_index: ZoneIndex, synthetic_versions, data
) -> None:
    lon, lat, alt, t, air = data.draw(positions(synthetic_versions, (-2, -2, 112, 12)))
    expected = contains_loop(synthetic_index.versions, lon, lat, alt, t, air)
    assert _vectorised(synthetic_index, lon, lat, alt, t, air) == expected


@SETTINGS
@given(data=st.data())
def test_uniform_batch_fast_path_equals_per_pair_path(bundled_index: ZoneIndex, data) -> None:
    n = data.draw(st.integers(1, 200))
    seed = data.draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(-90, -50, n), rng.uniform(-5, 28, n)
    t = data.draw(
        st.sampled_from([1764072000.0, 1767441600.0, 1735689600.0])
    )  # 11-25, 01-03, 2025-01-01
    aircraft = data.draw(st.booleans())
    fast = bundled_index.contains(lon, lat, math.nan, t, aircraft)
    slow = bundled_index.contains(
        lon, lat, np.full(n, math.nan), np.r_[np.full(n - 1, t), t], np.r_[np.full(n, aircraft)]
    )
    # a second, different time in the batch forces the per-pair path for the same answer
    mixed_t = np.full(n + 1, t)
    mixed_t[-1] = 0.0
    mixed = bundled_index.contains(
        np.r_[lon, 0.0],
        np.r_[lat, 0.0],
        math.nan,
        mixed_t,
        np.r_[np.full(n, aircraft), not aircraft],
    )
    keep = mixed[0] < n
    for got in (slow, (mixed[0][keep], mixed[1][keep])):
        assert np.array_equal(fast[0], got[0]) and np.array_equal(fast[1], got[1])


@st.composite
def star_polygon(draw: st.DrawFn, cx: float, cy: float):
    k = draw(st.integers(3, 14))
    angles = sorted(
        draw(
            st.lists(
                st.floats(0, 2 * math.pi, exclude_max=True), min_size=k, max_size=k, unique=True
            )
        )
    )
    radii = draw(st.lists(st.floats(0.2, 3.0), min_size=k, max_size=k))
    shell = [
        (cx + r * math.cos(a), cy + r * math.sin(a)) for a, r in zip(angles, radii, strict=True)
    ]
    holes = []
    if draw(st.booleans()):
        scale = min(radii) * 0.5
        holes.append(
            [(cx + scale * math.cos(a), cy + scale * math.sin(a)) for a in (0.3, 2.0, 4.0)]
        )
    poly = Polygon(shell, holes)
    if not poly.is_valid or poly.area < 1e-6:
        poly = shapely.box(cx - 1, cy - 1, cx + 1, cy + 1)
    return poly


@SETTINGS
@given(data=st.data())
def test_random_polygons_match_plain_loop(data) -> None:
    versions = []
    for i in range(data.draw(st.integers(1, 4))):
        cx = data.draw(st.floats(-10, 10))
        cy = data.draw(st.floats(-10, 10))
        geom = data.draw(star_polygon(cx, cy))
        versions.append(
            ZoneVersion(
                zone_id=f"Z{i}",
                version=1,
                name=f"z{i}",
                kind=ZoneKind.WATCH_AREA,
                status=ZoneStatus.ACTIVE,
                severity=Severity.MEDIUM,
                authority="test",
                source_ref="",
                geometry=geom,
                applies_to=AppliesTo.BOTH,
            )
        )
    cell = data.draw(st.sampled_from([0.01, 0.05, 0.3, 2.0]))
    index = ZoneIndex(versions, min_cell_deg=cell)
    lon, lat, alt, t, air = data.draw(positions(versions, (-14, -14, 14, 14)))
    assert _vectorised(index, lon, lat, alt, t, air) == contains_loop(
        versions, lon, lat, alt, t, air
    )

    # segments between random pairs of those positions
    segs = [(lon[i], lat[i], lon[-1 - i], lat[-1 - i]) for i in range(len(lon))]
    s, v, _, _ = index.crossings(
        [a for a, _, _, _ in segs],
        [b for _, b, _, _ in segs],
        [c for _, _, c, _ in segs],
        [d for _, _, _, d in segs],
        t,
        alt,
        air,
    )
    got = {(int(a), index.versions[b].key) for a, b in zip(s, v, strict=True)}
    assert got == crossings_loop(versions, segs, alt, t, air)


@SETTINGS
@given(data=st.data())
def test_bundled_crossings_match_plain_loop(
    bundled_index: ZoneIndex, bundled_versions, data
) -> None:
    lon, lat, alt, t, air = data.draw(positions(bundled_versions, (-75, 5, -58, 17)))
    step = data.draw(st.sampled_from([0.02, 0.1, 0.5]))
    angle = data.draw(st.floats(0, 2 * math.pi))
    segs = [
        (x, y, x + step * math.cos(angle), y + step * math.sin(angle))
        for x, y in zip(lon, lat, strict=True)
    ]
    s, v, _, _ = bundled_index.crossings(
        [a[0] for a in segs],
        [a[1] for a in segs],
        [a[2] for a in segs],
        [a[3] for a in segs],
        t,
        alt,
        air,
    )
    got = {(int(a), bundled_index.versions[b].key) for a, b in zip(s, v, strict=True)}
    assert got == crossings_loop(bundled_index.versions, segs, alt, t, air)
