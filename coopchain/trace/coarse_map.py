"""The small origin map of a public trace page, drawn as grid cells so no farmhouse can be found.

Why cells and not outlines: a coffee plot is often one or two hectares with the family's house on
it, so its outline, even simplified or blurred, still points at the house. Instead the world is
cut into a fixed grid of `cell_deg` degrees anchored at longitude/latitude 0, and a cell is
shaded when any plot overlaps it. At the default 0.01° a cell is about 1.1 km across; because
the grid is fixed, where a cell sits never depends on the plots (no centring on a farm, no
averaging that a second page could undo), and moving a plot inside its cell changes nothing.

The cell size is the caller's setting (config ``PUBLIC_MAP_CELL_DEG``, default 0.01°). When the
plots spread over more than `max_cells` cells in either direction the cell size doubles, still
on the grid anchored at 0, until they fit: the SVG stays small however far apart the farms are.

The output holds only cell positions relative to the drawn extent, never degrees: no longitude,
latitude or absolute cell number appears in it. It is an inline SVG with no external reference
and no script, a pure function of plain data (DESIGN.md §3).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import NamedTuple

import numpy as np
import shapely
from shapely import MultiPolygon, Point, affinity
from shapely.errors import ShapelyError
from shapely.geometry.base import BaseGeometry

from coopchain.trace.coarse_map_draw import CELL_FILL, KM_PER_DEGREE, draw_svg

__all__ = ["CELL_FILL", "KM_PER_DEGREE", "coarse_map_svg"]

#: A point declaring more than this (100 km²) is not a farm; its area is ignored as unreadable.
MAX_POINT_AREA_HA = 10_000.0

# Interiors meet: a plot that only touches a cell's edge does not shade it.
_INTERIORS_MEET = "T********"
# Each doubling halves the extent in cells; the globe fits in a few dozen, this is a backstop.
_MAX_DOUBLINGS = 64


def coarse_map_svg(
    plots: list[tuple[dict | None, float | None]],
    *,
    cell_deg: float = 0.01,
    max_cells: int = 40,
    title: str = "",
    areas: tuple | list = (),
) -> str | None:
    """An inline <svg> of the grid cells the plots occupy, or None when no plot can be drawn.

    `plots` are (GeoJSON geometry as stored on a plot, declared area in ha) pairs; a plot with no
    geometry, or one that cannot be read, is skipped. A Point is drawn as a circle of its
    declared area, or as its single cell when it has none. `title` names the map for screen
    readers (escaped: it may hold user text). `areas` are GeoJSON outlines of protected areas,
    drawn clipped to the map (coarse_map_draw.py)."""
    cell_deg = float(cell_deg)  # the setting may come as a Decimal or text from the config
    if not (math.isfinite(cell_deg) and cell_deg > 0):
        raise ValueError(f"cell_deg must be a positive number of degrees, not {cell_deg!r}")
    if max_cells < 2:
        # A plot on a grid line at 0° spans two cells at every size: 1 could never be reached.
        raise ValueError(f"max_cells must be at least 2, not {max_cells!r}")

    shapes = [item for plot in plots for item in _readable(plot)]
    if not shapes:
        return None
    bounds = np.array([shape.bounds for shape in shapes], dtype=float)
    size = cell_deg
    for _ in range(_MAX_DOUBLINGS):
        if _span_of_bounds(bounds, size) <= max_cells:
            cells = _shaded_cells(shapes, bounds, size)
            if not cells:  # every shape that needed testing was unreadable
                return None
            if _span(cells) <= max_cells:
                return draw_svg(cells, size, str(title), tuple(areas), max_cells)
        size *= 2
    return None  # not reached: coordinates lie on the globe, which fits in a few doublings


# --- reading plots -------------------------------------------------------------------------

_FLOATS = {int, float}  # what JSON gives; `bool` is deliberately not among them
_NUMBERS = {int, float, Decimal}


@dataclass
class _Shape:
    """One drawable piece of a plot: its bounds in degrees, and how to build it with shapely.

    Bounds are read from the coordinates in plain Python: most plots lie within one or two
    cells, which the bounds alone decide, so the (slow) shapely geometry is built only for the
    few that straddle a cell corner."""

    bounds: tuple[float, float, float, float]
    build: Callable[[], BaseGeometry]


def _readable(plot: object) -> list[_Shape]:
    """The plot's shapes, or [] when it has no geometry or one that cannot be read (bad data on
    one plot must not take a public page down)."""
    try:
        raw_geometry, raw_area = plot  # type: ignore[misc]
        if not isinstance(raw_geometry, dict):
            return []
        kind, coordinates = raw_geometry.get("type"), raw_geometry.get("coordinates")
        if kind == "Polygon":
            return [_polygon_shape([_polygon(coordinates)])]
        if kind == "MultiPolygon":
            if type(coordinates) is not list or not coordinates:
                return []
            return [_polygon_shape([_polygon(polygon) for polygon in coordinates])]
        if kind == "Point":
            points = [_position(coordinates)]
        elif kind == "MultiPoint":
            if type(coordinates) is not list or not coordinates:
                return []
            points = [_position(position) for position in coordinates]
        else:
            return []
        area_ha = _area_ha(raw_area)
        if area_ha is None:
            return [_Shape((x, y, x, y), partial(Point, x, y)) for x, y in points]
        return [_circle(x, y, area_ha / len(points)) for x, y in points]
    except (TypeError, ValueError, IndexError, KeyError, ArithmeticError):
        return []


def _position(raw: object) -> tuple[float, float]:
    if type(raw) not in (list, tuple) or len(raw) < 2:  # type: ignore[arg-type]
        raise ValueError("not a position")
    x, y = raw[0], raw[1]  # type: ignore[index]
    if type(x) not in _NUMBERS or type(y) not in _NUMBERS:
        raise ValueError("not a number")
    x, y = float(x), float(y)
    if not (-180 <= x <= 180 and -90 <= y <= 90):  # also false for NaN
        raise ValueError("off the globe")
    return x, y


class _Ring(NamedTuple):
    longitudes: list[float]
    latitudes: list[float]
    bounds: tuple[float, float, float, float]


def _ring(raw: object) -> _Ring:
    """A ring's positions; it needs 4 (GeoJSON's closed triangle). Plain list work with no call
    per vertex: a page may draw thousands of plots."""
    if type(raw) is not list or len(raw) < 4:
        raise ValueError("not a ring")
    longitudes = [position[0] for position in raw]  # a non-position raises
    latitudes = [position[1] for position in raw]
    types = set(map(type, longitudes)) | set(map(type, latitudes))
    if not types <= _FLOATS:
        if not types <= _NUMBERS:  # text, booleans, None, lists…
            raise ValueError("not numbers")
        longitudes, latitudes = list(map(float, longitudes)), list(map(float, latitudes))
    # A NaN or infinity anywhere makes the sum one.
    if not (math.isfinite(sum(longitudes)) and math.isfinite(sum(latitudes))):
        raise ValueError("not finite")
    bounds = (min(longitudes), min(latitudes), max(longitudes), max(latitudes))
    if not (-180 <= bounds[0] and bounds[2] <= 180 and -90 <= bounds[1] and bounds[3] <= 90):
        raise ValueError("off the globe")
    return _Ring(longitudes, latitudes, bounds)


def _polygon(raw: object) -> list[_Ring]:
    """A GeoJSON polygon's rings: the outline, then any holes."""
    if type(raw) is not list or not raw:
        raise ValueError("no rings")
    return [_ring(ring) for ring in raw]


def _polygon_shape(polygons: list[list[_Ring]]) -> _Shape:
    outlines = [rings[0].bounds for rings in polygons]
    bounds = outlines[0]
    if len(outlines) > 1:
        bounds = (
            min(b[0] for b in outlines),
            min(b[1] for b in outlines),
            max(b[2] for b in outlines),
            max(b[3] for b in outlines),
        )

    def build() -> BaseGeometry:
        def positions(ring: _Ring) -> list[tuple[float, float]]:
            return list(zip(ring.longitudes, ring.latitudes, strict=True))

        geometry = MultiPolygon(
            [(positions(rings[0]), [positions(hole) for hole in rings[1:]]) for rings in polygons]
        )
        # A self-crossing ring still shows where the plot is: repair it rather than drop it.
        return geometry if geometry.is_valid else shapely.make_valid(geometry)

    return _Shape(bounds, build)


def _area_ha(raw: object) -> float | None:
    """The declared area if it is a usable number of hectares, else None (drawn as a cell)."""
    if type(raw) not in _NUMBERS:
        return None
    try:
        area = float(raw)  # type: ignore[arg-type]
    except (ValueError, OverflowError):  # signalling NaN, a huge int
        return None
    return area if math.isfinite(area) and 0 < area <= MAX_POINT_AREA_HA else None


def _circle(x: float, y: float, area_ha: float) -> _Shape:
    """A circle of `area_ha` around (x, y), in degrees: a degree of longitude is cos(latitude)
    as long as one of latitude, so the circle is wider in degrees east-west to stay round on
    the ground."""
    radius_y = math.sqrt(area_ha * 10_000 / math.pi) / 1000 / KM_PER_DEGREE
    radius_x = radius_y / max(math.cos(math.radians(y)), 0.01)

    def build() -> BaseGeometry:
        circle = Point(x, y).buffer(radius_y, quad_segs=8)
        return affinity.scale(circle, xfact=radius_x / radius_y, yfact=1, origin=(x, y))

    return _Shape((x - radius_x, y - radius_y, x + radius_x, y + radius_y), build)


# --- cells ---------------------------------------------------------------------------------


def _first_cells(values: np.ndarray, size: float) -> np.ndarray:
    # Rounded first so -77.2 / 0.01 = -7720.000000000001 counts as the grid line it is.
    return np.floor(np.round(values / size, 9)).astype(np.int64)


def _last_cells(values: np.ndarray, first: np.ndarray, size: float) -> np.ndarray:
    """The last cell a span ending at `values` overlaps by more than a grid line (a plot whose
    edge lies on a line does not reach into the next cell); a point is its own cell."""
    return np.maximum(np.ceil(np.round(values / size, 9)).astype(np.int64) - 1, first)


def _cell_ranges(bounds: np.ndarray, size: float) -> tuple[np.ndarray, np.ndarray]:
    """For (n, 4) bounds: the first and last (column, row) of the cells each one overlaps."""
    first = _first_cells(bounds[:, :2], size)
    return first, _last_cells(bounds[:, 2:], first, size)


def _span_of_bounds(bounds: np.ndarray, size: float) -> int:
    """Cells spanned by all the shapes' bounds at `size`: an upper bound of the drawn extent,
    known before testing any cell (a stray continent-wide polygon would otherwise ask for
    millions of cells at 0.01°)."""
    joint = np.concatenate([bounds[:, :2].min(axis=0), bounds[:, 2:].max(axis=0)])
    first, last = _cell_ranges(joint[np.newaxis, :], size)
    return int((last - first).max()) + 1


def _shaded_cells(shapes: list[_Shape], bounds: np.ndarray, size: float) -> set[tuple[int, int]]:
    """(column, row) grid indices of the cells whose interior some shape overlaps."""
    first, last = _cell_ranges(bounds, size)
    counts = np.prod(last - first + 1, axis=1)
    # One cell, or two side by side: the shape has points strictly inside each (its bounds
    # reach past the line between them), so they are shaded without testing.
    settled = counts <= 2
    cells = set(map(tuple, first[settled].tolist())) | set(map(tuple, last[settled].tolist()))
    to_test: list[tuple[BaseGeometry, tuple[int, int]]] = []
    for index in np.flatnonzero(~settled):
        try:
            geometry = shapes[index].build()
        except (ValueError, ShapelyError):
            continue
        shapely.prepare(geometry)
        (x0, y0), (x1, y1) = first[index].tolist(), last[index].tolist()
        to_test.extend((geometry, (x, y)) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1))
    if to_test:
        xs = np.array([x for _, (x, _) in to_test], dtype=float)
        ys = np.array([y for _, (_, y) in to_test], dtype=float)
        boxes = shapely.box(xs * size, ys * size, (xs + 1) * size, (ys + 1) * size)
        geometries = np.array([geometry for geometry, _ in to_test], dtype=object)
        meets = shapely.relate_pattern(geometries, boxes, _INTERIORS_MEET)
        cells.update(cell for (_, cell), hit in zip(to_test, meets, strict=True) if hit)
    return cells


def _span(cells: set[tuple[int, int]]) -> int:
    xs = [x for x, _ in cells]
    ys = [y for _, y in cells]
    return max(max(xs) - min(xs), max(ys) - min(ys)) + 1
