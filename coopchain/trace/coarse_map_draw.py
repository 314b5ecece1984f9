"""Drawing the public origin map (trace/coarse_map.py decides which cells are shaded): the
cells, the scale bar, and the outline of the protected area the farms border.

Everything is written relative to the drawn extent, never in degrees. The protected area's
outline is public (SERNANP publishes it); it is simplified to half a cell and clipped to the
extent, so it adds a few hundred bytes and nothing more precise than the cells themselves.
"""

from __future__ import annotations

import hashlib
import math

import shapely
import shapely.ops
from markupsafe import escape
from shapely.errors import ShapelyError
from shapely.geometry import shape as geojson_shape

#: Kilometres per degree of latitude (mean Earth radius 6,371 km): close enough for a scale bar.
KM_PER_DEGREE = 6371.0088 * math.pi / 180
#: Scale bar lengths to choose from, in metres.
SCALE_BAR_METRES = tuple(n * 10**e for e in range(2, 7) for n in (1, 2, 5))  # 100 m … 5,000 km

#: Bounds of the map's shape (height / width, width / height) before cells are added to it.
MAX_TALLNESS = 1.25
MAX_WIDENESS = 2.0

BACKGROUND = "#f2f0e9"
CELL_FILL = "#2e7d32"
BORDER = "#8c8c84"
INK = "#333"
#: The protected forest: a light green wash under the cells, edged with a dashed dark line.
AREA_FILL = "#cfe3c8"
AREA_EDGE = "#1b5e20"


def _num(value: float) -> str:
    """A short decimal for the SVG (3 places at most, no trailing zeros)."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _runs_path(cells: set[tuple[int, int]], left: int, top: int) -> str:
    """The cells as one path: per row, each run of adjacent cells is one rectangle, like the
    modules of a QR code. Columns grow eastwards and rows southwards from the extent's
    top-left corner, padding included, so only relative positions are written."""
    rows: dict[int, list[int]] = {}
    for x, y in cells:
        rows.setdefault(top - y, []).append(x - left)
    parts = []
    for row in sorted(rows):
        columns = sorted(rows[row])
        start = previous = columns[0]
        for column in [*columns[1:], None]:
            if column is not None and column == previous + 1:
                previous = column
                continue
            width = previous - start + 1
            parts.append(f"M{start} {row}h{width}v1h-{width}z")
            if column is not None:
                start = previous = column
    return "".join(parts)


def _scale_bar_metres(map_width_km: float) -> int:
    """The longest round length that takes at most a third of the map's width."""
    fitting = [m for m in SCALE_BAR_METRES if m <= map_width_km * 1000 / 3]
    return fitting[-1] if fitting else SCALE_BAR_METRES[0]


def _label(metres: int) -> str:
    return f"{metres // 1000} km" if metres >= 1000 else f"{metres} m"


def draw_svg(
    cells: set[tuple[int, int]], size: float, title: str, areas: tuple = (), max_cells: int = 40
) -> str:
    # The extent also reaches the protected area's nearest edge when it is close enough: the
    # buyer sees the farms beside the forest, not a few squares on an empty background.
    seen = cells | _reach(areas, cells, size, max_cells)
    xs = [x for x, _ in seen]
    ys = [y for _, y in seen]
    # One cell of padding on every side: left/top are the grid indices of the extent's
    # top-left padding cell (rows count southwards, so "top" is the northernmost row + 1).
    left, top = min(xs) - 1, max(ys) + 1
    columns = max(xs) - min(xs) + 3
    rows = max(ys) - min(ys) + 3
    # A degree of longitude is cos(latitude) as long as one of latitude: cells are drawn that
    # much narrower so the map is not stretched. Rounded to 3 places, so the factor tells no
    # more about where the plots are than the region already does.
    centre_lat = (min(ys) + max(ys) + 1) / 2 * size
    aspect = round(max(math.cos(math.radians(centre_lat)), 0.01), 3)
    # The map is as wide as the page, so keep it from a little taller than wide to twice as
    # wide as tall: a valley of farms strung north-south must not become a map taller than the
    # phone's screen. Cells added for that are split between both sides (an odd one as half a
    # cell each side) so the plots stay centred.
    shift_x = shift_y = 0.0
    if columns * aspect < rows / MAX_TALLNESS:
        extra = math.ceil(rows / MAX_TALLNESS / aspect) - columns
        left -= extra // 2
        shift_x = (extra % 2) / 2
        columns += extra
    elif columns * aspect > MAX_WIDENESS * rows:
        extra = math.ceil(columns * aspect / MAX_WIDENESS) - rows
        top += extra // 2
        shift_y = (extra % 2) / 2
        rows += extra
    width = columns * aspect
    # Text and strokes scale with the width, which is what the page scales to its column.
    font = width / 20
    band = font * 2.2  # room under the cells for the scale bar
    height = rows + band
    km_per_unit = size * KM_PER_DEGREE  # one viewBox unit, either direction, after `aspect`
    metres = _scale_bar_metres(width * km_per_unit)
    bar = metres / 1000 / km_per_unit
    stroke = font / 8
    bar_x, bar_y = font * 0.8, rows + band * 0.55
    tick = font * 0.35

    transform = f"scale({_num(aspect)} 1) translate({_num(shift_x)} {_num(shift_y)})"
    # The extent in degrees. Cell column x is drawn at u = x - left, row y at v = top - y, so
    # longitude X is at u = X / size - left and latitude Y at v = top + 1 - Y / size, before
    # the shift that centres the cells (the outline is drawn under the same transform).
    extent = (
        (left - shift_x) * size,
        (top + 1 + shift_y - rows) * size,
        (left - shift_x + columns) * size,
        (top + 1 + shift_y) * size,
    )
    outline = _outline_path(areas, extent, size, left, top + 1)
    body = (
        f'<rect width="{_num(width)}" height="{_num(height)}" fill="{BACKGROUND}"/>'
        + (
            f'<path class="area" transform="{transform}" fill="{AREA_FILL}" '
            f'stroke="{AREA_EDGE}" stroke-width="1.5" stroke-dasharray="5 3" '
            f'vector-effect="non-scaling-stroke" fill-rule="evenodd" d="{outline}"/>'
            if outline
            else ""
        )
        + f'<path transform="{transform}" '
        f'shape-rendering="crispEdges" '
        f'fill="{CELL_FILL}" d="{_runs_path(cells, left, top)}"/>'
        f'<rect x="{_num(stroke / 2)}" y="{_num(stroke / 2)}" width="{_num(width - stroke)}" '
        f'height="{_num(height - stroke)}" fill="none" stroke="{BORDER}" '
        f'stroke-width="{_num(stroke)}"/>'
        f'<path d="M{_num(bar_x)} {_num(bar_y - tick)}v{_num(tick)}h{_num(bar)}v-{_num(tick)}" '
        f'fill="none" stroke="{INK}" stroke-width="{_num(stroke * 1.2)}"/>'
        f'<text x="{_num(bar_x + bar + font * 0.4)}" y="{_num(bar_y)}" font-size="{_num(font)}" '
        f'font-family="sans-serif" fill="{INK}">{_label(metres)}</text>'
    )
    # The id only has to be unique on the page: derived from the drawing, so it is stable.
    title_id = "coarse-map-" + hashlib.sha256(body.encode()).hexdigest()[:8]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_num(width)} {_num(height)}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" role="img" '
        f'aria-labelledby="{title_id}">'
        f'<title id="{title_id}">{escape(title)}</title>{body}</svg>'
    )


def _outline_path(areas, extent, size: float, left: float, top: float) -> str:
    """The protected areas (GeoJSON geometries) simplified, clipped to the extent and written
    in map units (columns east, rows south from the top-left corner); "" when none shows."""
    parts = []
    for geometry in areas:
        try:
            area = geojson_shape(geometry)
            if not area.is_valid:
                area = shapely.make_valid(area)
            clipped = shapely.clip_by_rect(area.simplify(size / 2), *extent)
        except (ShapelyError, ValueError, TypeError, KeyError, AttributeError, IndexError):
            continue  # an unreadable outline must not take the buyer's page down
        for polygon in getattr(clipped, "geoms", [clipped]):
            if polygon.geom_type != "Polygon" or polygon.is_empty:
                continue
            for ring in (polygon.exterior, *polygon.interiors):
                points = [
                    f"{_num(x / size - left)} {_num(top - y / size)}" for x, y in ring.coords[:-1]
                ]
                if len(points) >= 3:
                    parts.append("M" + "L".join(points) + "z")
    return "".join(parts)


def _reach(areas, cells: set[tuple[int, int]], size: float, max_cells: int) -> set:
    """Up to two cells inside the protected area nearest to the farms' cells, when the map
    can hold them and the farms' cells within `max_cells`; else nothing."""
    if not areas:
        return set()
    xs, ys = [x for x, _ in cells], [y for _, y in cells]
    middle = shapely.Point((min(xs) + max(xs) + 1) / 2 * size, (min(ys) + max(ys) + 1) / 2 * size)
    nearest = None
    for geometry in areas:
        try:
            area = geojson_shape(geometry)
            if area.is_empty:
                continue
            point = shapely.ops.nearest_points(area.boundary, middle)[0]
        except (ShapelyError, ValueError, TypeError, KeyError, AttributeError, IndexError):
            continue
        if nearest is None or point.distance(middle) < nearest.distance(middle):
            nearest = point
    if nearest is None:
        return set()
    # The edge's cell and the next one towards the inside of the area, away from the farms.
    edge = (math.floor(nearest.x / size), math.floor(nearest.y / size))
    step_x = (nearest.x > middle.x) - (nearest.x < middle.x)
    step_y = (nearest.y > middle.y) - (nearest.y < middle.y)
    reach = {edge, (edge[0] + step_x, edge[1] + step_y)}
    every = cells | reach
    span = max(
        max(x for x, _ in every) - min(x for x, _ in every),
        max(y for _, y in every) - min(y for _, y in every),
    )
    return reach if span < max_cells else set()
