"""A regular lon/lat grid that answers most point-in-zone tests without geometry.

Every cell of the grid knows, for each area, whether the cell is entirely inside it,
entirely outside it, or touched by its boundary. Only positions in boundary cells need an
exact test. Cells with the same answer share one *state*, so the grid is one small
integer array plus a few tables.

How a cell is classified, per area:

* the area's boundary is cut into pieces no longer than half a cell; every cell that the
  bounding box of a piece touches (widened by a hair, :data:`EPS_CELL`) is a boundary
  cell. A piece of at most half a cell spans at most two cells on each axis;
* every other cell in the area's bounding box contains no boundary, so it lies wholly
  inside or wholly outside: its centre decides.

Coordinates are planar WGS84 lon/lat degrees, like shapely's predicates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

#: boundary pieces are widened by this fraction of a cell when marking cells
EPS_CELL = 1e-6
#: smallest cell edge, degrees (about 5.5 km)
MIN_CELL_DEG = 0.05
#: the grid grows its cells to stay under this many cells
MAX_CELLS = 2_000_000


@dataclass(frozen=True, slots=True)
class GridStates:
    """Per-cell state ids and, per state, the areas wholly inside and on the boundary.

    ``inside_ptr[s]:inside_ptr[s+1]`` indexes ``inside_areas`` (CSR), likewise
    ``boundary_ptr`` / ``boundary_areas``. State 0 is the empty state (no area), also
    used for positions outside the grid.
    """

    x0: float
    y0: float
    cell_deg: float
    nx: int
    ny: int
    cell_state: np.ndarray  # (nx*ny + 1,) int16/int32; the last cell is "off the grid"
    inside_ptr: np.ndarray
    inside_areas: np.ndarray
    boundary_ptr: np.ndarray
    boundary_areas: np.ndarray

    @property
    def n_states(self) -> int:
        return len(self.inside_ptr) - 1

    def cells(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Cell index of each position (``nx*ny`` for positions off the grid or NaN)."""
        inv = 1.0 / self.cell_deg
        fx = (lon - self.x0) * inv
        fy = (lat - self.y0) * inv
        valid = (fx >= 0.0) & (fx < self.nx) & (fy >= 0.0) & (fy < self.ny)
        with np.errstate(invalid="ignore"):
            cell = fy.astype(np.int64) * self.nx + fx.astype(np.int64)
        return np.where(valid, cell, self.nx * self.ny)

    def states(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        return self.cell_state[self.cells(lon, lat)]

    @property
    def nbytes(self) -> int:
        return int(
            self.cell_state.nbytes
            + self.inside_ptr.nbytes
            + self.inside_areas.nbytes
            + self.boundary_ptr.nbytes
            + self.boundary_areas.nbytes
        )


def build_grid(
    areas: list[BaseGeometry],
    *,
    min_cell_deg: float = MIN_CELL_DEG,
    max_cells: int = MAX_CELLS,
) -> GridStates:
    """Classify every cell of a grid covering ``areas`` (see the module docstring)."""
    if not areas:
        return _empty_grid()
    bounds = np.asarray(shapely.bounds(np.asarray(areas, dtype=object)))
    x0, y0 = float(bounds[:, 0].min()), float(bounds[:, 1].min())
    x1, y1 = float(bounds[:, 2].max()), float(bounds[:, 3].max())
    width, height = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    cell = max(min_cell_deg, math.sqrt(width * height / max_cells))
    # pad by a fraction of a cell so the upper bounds fall inside the grid
    x0 -= cell * 0.5
    y0 -= cell * 0.5
    nx = int(math.ceil((x1 - x0) / cell)) + 1
    ny = int(math.ceil((y1 - y0) / cell)) + 1

    cell_ids: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for a_idx, area in enumerate(areas):
        boundary = _boundary_cells(area, x0, y0, cell, nx, ny)
        inside = _inside_cells(area, bounds[a_idx], x0, y0, cell, nx, ny, boundary)
        cell_ids.append(boundary.astype(np.int32))
        codes.append(np.full(len(boundary), 2 * a_idx + 1, dtype=np.int32))
        cell_ids.append(inside.astype(np.int32))
        codes.append(np.full(len(inside), 2 * a_idx, dtype=np.int32))
    all_cells = np.concatenate(cell_ids)
    all_codes = np.concatenate(codes)
    del cell_ids, codes
    order = np.lexsort((all_codes, all_cells))
    all_cells, all_codes = all_cells[order], all_codes[order]
    del order

    # a hash of each cell's code set: XOR of one random 64-bit key per code
    rng = np.random.default_rng(20251121)
    keys = rng.integers(1, 2**63 - 1, size=2 * len(areas), dtype=np.int64).astype(np.uint64)
    starts = (
        np.flatnonzero(np.r_[True, all_cells[1:] != all_cells[:-1]])
        if len(all_cells)
        else np.zeros(0, np.int64)
    )
    occupied = all_cells[starts]
    hashes = (
        np.bitwise_xor.reduceat(keys[all_codes], starts) if len(starts) else np.zeros(0, np.uint64)
    )
    uniq, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    n_states = len(uniq) + 1
    dtype = np.int16 if n_states < 2**15 else np.int32
    cell_state = np.zeros(nx * ny + 1, dtype=dtype)
    cell_state[occupied] = (inverse + 1).astype(dtype)

    ends = np.r_[starts[1:], len(all_cells)] if len(starts) else np.zeros(0, np.int64)
    inside_lists: list[np.ndarray] = [np.zeros(0, np.int32)]
    boundary_lists: list[np.ndarray] = [np.zeros(0, np.int32)]
    for rep in first:
        seg = all_codes[starts[rep] : ends[rep]]
        inside_lists.append((seg[seg % 2 == 0] // 2).astype(np.int32))
        boundary_lists.append((seg[seg % 2 == 1] // 2).astype(np.int32))
    return GridStates(
        x0=x0,
        y0=y0,
        cell_deg=cell,
        nx=nx,
        ny=ny,
        cell_state=cell_state,
        inside_ptr=_ptr(inside_lists),
        inside_areas=np.concatenate(inside_lists).astype(np.int32),
        boundary_ptr=_ptr(boundary_lists),
        boundary_areas=np.concatenate(boundary_lists).astype(np.int32),
    )


def _boundary_cells(
    area: BaseGeometry, x0: float, y0: float, cell: float, nx: int, ny: int
) -> np.ndarray:
    dense = shapely.segmentize(area.boundary, cell * 0.5)
    parts = shapely.get_parts(dense)
    found: list[np.ndarray] = []
    inv = 1.0 / cell
    for part in parts:
        xy = shapely.get_coordinates(part)
        if len(xy) < 2:
            continue
        a, b = xy[:-1], xy[1:]
        lo_x = (np.minimum(a[:, 0], b[:, 0]) - x0) * inv - EPS_CELL
        hi_x = (np.maximum(a[:, 0], b[:, 0]) - x0) * inv + EPS_CELL
        lo_y = (np.minimum(a[:, 1], b[:, 1]) - y0) * inv - EPS_CELL
        hi_y = (np.maximum(a[:, 1], b[:, 1]) - y0) * inv + EPS_CELL
        ix = (np.floor(lo_x).astype(np.int64), np.floor(hi_x).astype(np.int64))
        iy = (np.floor(lo_y).astype(np.int64), np.floor(hi_y).astype(np.int64))
        for cx in ix:
            for cy in iy:
                ok = (cx >= 0) & (cx < nx) & (cy >= 0) & (cy < ny)
                found.append(cy[ok] * nx + cx[ok])
    if not found:
        return np.zeros(0, np.int64)
    return np.unique(np.concatenate(found))


def _inside_cells(
    area: BaseGeometry,
    bounds: np.ndarray,
    x0: float,
    y0: float,
    cell: float,
    nx: int,
    ny: int,
    boundary: np.ndarray,
) -> np.ndarray:
    ix0 = max(int(math.floor((bounds[0] - x0) / cell)), 0)
    ix1 = min(int(math.floor((bounds[2] - x0) / cell)), nx - 1)
    iy0 = max(int(math.floor((bounds[1] - y0) / cell)), 0)
    iy1 = min(int(math.floor((bounds[3] - y0) / cell)), ny - 1)
    gx, gy = np.meshgrid(
        np.arange(ix0, ix1 + 1, dtype=np.int64), np.arange(iy0, iy1 + 1, dtype=np.int64)
    )
    ids = (gy * nx + gx).ravel()
    del gx, gy
    ids = ids[~np.isin(ids, boundary, assume_unique=False)]
    cx = x0 + (ids % nx + 0.5) * cell
    cy = y0 + (ids // nx + 0.5) * cell
    shapely.prepare(area)
    return ids[shapely.intersects_xy(area, cx, cy)]


def _ptr(lists: list[np.ndarray]) -> np.ndarray:
    return np.r_[0, np.cumsum([len(x) for x in lists])].astype(np.int64)


def _empty_grid() -> GridStates:
    return GridStates(
        x0=0.0,
        y0=0.0,
        cell_deg=1.0,
        nx=1,
        ny=1,
        cell_state=np.zeros(2, dtype=np.int16),
        inside_ptr=np.zeros(2, np.int64),
        inside_areas=np.zeros(0, np.int32),
        boundary_ptr=np.zeros(2, np.int64),
        boundary_areas=np.zeros(0, np.int32),
    )
