"""The origin map of the public trace page: plots shade the cells of a fixed grid, never more
precisely, and the SVG gives away no coordinate, whatever the plots (garbage included)."""

import math
import random
import re
from decimal import Decimal

import pytest

from coopchain.trace.coarse_map import CELL_FILL, KM_PER_DEGREE, coarse_map_svg

# Cells are 0.01° (the default); the cell [-77.21, -77.20] x [-5.81, -5.80] is the one used
# most below, in the coffee valleys of San Martín (DOMAIN.md §2's Peru bounding box).
LON, LAT = -77.2, -5.8


def square(west: float, south: float, side: float = 0.002) -> dict:
    """A closed GeoJSON square plot (side 0.002° ≈ 220 m, about 5 ha) with its SW corner given."""
    east, north = west + side, south + side
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


def runs(svg: str) -> list[tuple[int, int, int]]:
    """The shaded runs of the map as (column, row, length), relative to the drawn extent."""
    path = re.search(rf'<path [^>]*fill="{CELL_FILL}" d="([^"]*)"', svg)
    assert path, svg
    found = re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", path.group(1))
    assert "".join(f"M{c} {r}h{n}v1h-{n}z" for c, r, n in found) == path.group(1)
    return [(int(c), int(r), int(n)) for c, r, n in found]


def cells(svg: str) -> set[tuple[int, int]]:
    return {(c + i, r) for c, r, n in runs(svg) for i in range(n)}


def block(svg: str) -> set[tuple[int, int]]:
    """The shaded cells moved to start at (0, 0): their pattern, wherever it is drawn."""
    shaded = cells(svg)
    left, top = min(c for c, _ in shaded), min(r for _, r in shaded)
    return {(c - left, r - top) for c, r in shaded}


def view_box(svg: str) -> tuple[float, float]:
    width, height = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg).groups()
    return float(width), float(height)


def aspect(svg: str) -> float:
    return float(re.search(r'transform="scale\(([\d.]+) 1\)', svg).group(1))


def shift(svg: str) -> tuple[float, float]:
    """The half cell the drawing is moved by to centre the plots, if any."""
    x, y = re.search(r"translate\(([\d.]+) ([\d.]+)\)", svg).groups()
    return float(x), float(y)


def scale_bar(svg: str) -> tuple[float, str]:
    """(length of the bar in viewBox units, its label)."""
    length = re.search(r'<path d="M[\d.]+ [\d.]+v[\d.]+h([\d.]+)v-[\d.]+"', svg).group(1)
    label = re.search(r"<text [^>]*>([^<]*)</text>", svg).group(1)
    return float(length), label


# --- which cells are shaded -----------------------------------------------------------------


def test_a_plot_inside_one_cell_shades_exactly_that_cell_with_one_cell_of_margin():
    svg = coarse_map_svg([(square(LON - 0.006, LAT - 0.006), Decimal("4.8"))])
    assert runs(svg) == [(1, 1, 1)]
    assert aspect(svg) == pytest.approx(math.cos(math.radians(LAT - 0.005)), abs=0.001)


def test_a_plot_across_a_cell_boundary_shades_both_cells():
    across_meridian_line = coarse_map_svg([(square(LON - 0.001, LAT - 0.006), None)])
    assert runs(across_meridian_line) == [(1, 1, 2)]  # one run of two cells, west to east
    across_parallel_line = coarse_map_svg([(square(LON - 0.006, LAT - 0.001), None)])
    assert cells(across_parallel_line) == {(1, 1), (1, 2)}


def test_cells_are_tested_against_the_outline_not_its_bounding_box():
    # A triangle over the corner at (LON, LAT) that does not reach into the north-east cell.
    triangle = [
        [LON - 0.002, LAT - 0.002],
        [LON + 0.0015, LAT - 0.002],
        [LON - 0.002, LAT + 0.0015],
        [LON - 0.002, LAT - 0.002],
    ]
    svg = coarse_map_svg([({"type": "Polygon", "coordinates": [triangle]}, None)])
    assert cells(svg) == {(1, 1), (1, 2), (2, 2)}  # NW, SW, SE; not NE
    # A farm in two parts three cells apart does not shade the cells between them.
    parts = {
        "type": "MultiPolygon",
        "coordinates": [
            square(LON - 0.006, LAT - 0.006)["coordinates"],
            square(LON + 0.024, LAT - 0.006)["coordinates"],
        ],
    }
    assert cells(coarse_map_svg([(parts, None)])) == {(1, 1), (4, 1)}


def test_an_outline_that_only_touches_a_grid_line_does_not_shade_the_next_cell():
    # 0.5° cells so the grid lines are exact binary fractions: the plot's east edge is on one.
    svg = coarse_map_svg([(square(0.3, 0.1, side=0.2), None)], cell_deg=0.5)
    assert cells(svg) == {(1, 1)}


def test_a_point_with_an_area_shades_the_cells_its_circle_covers():
    near_corner = point(LON - 0.0003, LAT - 0.0003)  # ~35 m from the corner of four cells
    assert cells(coarse_map_svg([(near_corner, 4)])) == {(1, 1), (2, 1), (1, 2), (2, 2)}
    # A point in the middle of a cell: even 4 ha (radius ~113 m) stays in it.
    assert cells(coarse_map_svg([(point(LON - 0.005, LAT - 0.005), Decimal("4"))])) == {(1, 1)}


def test_a_point_without_an_area_is_its_own_cell():
    near_corner = point(LON - 0.0003, LAT - 0.0003)
    assert runs(coarse_map_svg([(near_corner, None)])) == [(1, 1, 1)]
    # A point exactly on the grid line belongs to the cell east of it, not to both.
    assert runs(coarse_map_svg([(point(0.5, 0.25), None)], cell_deg=0.5)) == [(1, 1, 1)]


def test_plots_without_or_with_unreadable_geometry_are_skipped():
    good = (square(LON - 0.006, LAT - 0.006), 1.2)
    ring = [[LON, LAT], [LON + 0.001, LAT], [LON, LAT + 0.001], [LON, LAT]]
    garbage = [
        (None, 1.5),
        ({}, None),
        ({"type": "Polygon"}, None),
        ({"type": "Polygon", "coordinates": "nonsense"}, None),
        ({"type": "Polygon", "coordinates": [ring[:3]]}, None),  # a ring needs 4 positions
        ({"type": "Polygon", "coordinates": [[*ring[:2], ["x", LAT], ring[0]]]}, None),
        ({"type": "Polygon", "coordinates": [[*ring[:2], [True, LAT], ring[0]]]}, None),
        ({"type": "Polygon", "coordinates": [[*ring[:2], [float("nan"), LAT], ring[0]]]}, None),
        ({"type": "Polygon", "coordinates": [[*ring[:2], [10**400, LAT], ring[0]]]}, None),
        ({"type": "MultiPolygon", "coordinates": [[ring], "nonsense"]}, None),
        ({"type": "LineString", "coordinates": ring}, None),
        (point(LAT, 200.0), None),  # off the globe
        (point(float("inf"), LAT), 2),
        ({"type": "Point", "coordinates": [LON]}, None),
        ("not a plot", None),
        (42,),
        None,
    ]
    assert coarse_map_svg([good]) == coarse_map_svg([*garbage[:8], good, *garbage[8:]])
    assert coarse_map_svg(garbage) is None


def test_an_unreadable_area_makes_a_point_its_own_cell():
    near_corner = point(LON - 0.0003, LAT - 0.0003)
    alone = coarse_map_svg([(near_corner, None)])
    for area in ("4", -4, float("nan"), 10**400, True, Decimal("sNaN")):
        assert coarse_map_svg([(near_corner, area)]) == alone, area


def test_nothing_drawable_gives_no_map():
    assert coarse_map_svg([]) is None
    assert coarse_map_svg([(None, None), (None, Decimal("2.5"))]) is None


def test_a_self_crossing_outline_is_still_drawn():
    bow_tie = [
        [LON - 0.009, LAT - 0.009],
        [LON + 0.009, LAT + 0.009],
        [LON + 0.009, LAT - 0.009],
        [LON - 0.009, LAT + 0.009],
        [LON - 0.009, LAT - 0.009],
    ]
    svg = coarse_map_svg([({"type": "Polygon", "coordinates": [bow_tie]}, None)])
    assert cells(svg) == {(1, 1), (2, 1), (1, 2), (2, 2)}


# --- the grid is fixed ----------------------------------------------------------------------


def test_moving_a_plot_inside_its_cell_changes_nothing():
    """The house cannot be found by comparing pages: the grid does not follow the plots."""
    here = coarse_map_svg([(square(LON - 0.009, LAT - 0.009), 1)], title="Origin")
    there = coarse_map_svg([(square(LON - 0.003, LAT - 0.003), 1)], title="Origin")
    assert here == there


def test_cells_sit_on_one_grid_whatever_other_plots_are_drawn():
    first = (square(LON - 0.006, LAT - 0.006), None)
    five_cells_east_one_south = (square(LON + 0.043, LAT - 0.0155), None)
    assert block(coarse_map_svg([first, five_cells_east_one_south])) == {(0, 0), (5, 1)}


def test_plots_spread_wider_than_max_cells_get_coarser_cells_on_the_same_grid():
    # 0.35° apart: 36 cells of 0.01°, within 40, so nothing changes.
    near = [(square(0.003, 0.003), None), (square(0.353, 0.003), None)]
    assert block(coarse_map_svg(near)) == {(0, 0), (35, 0)}
    # 1° apart: 0.02° cells would still span 51, so 0.04° ones: x=0.003 and 1.003 fall in
    # cells 0 and 25 of that grid.
    far = [(square(0.003, 0.003), None), (square(1.003, 0.003), None)]
    svg = coarse_map_svg(far)
    assert block(svg) == {(0, 0), (25, 0)}
    assert scale_bar(svg)[1] == "20 km"
    # However far apart, the drawing stays within max_cells (plus the margin).
    world = [
        (square(-75.0, -10.0), None),
        (square(100.0, 10.0), None),
        (point(-150.0, 60.0), 3),
    ]
    for max_cells in (2, 7, 40):
        shaded = cells(coarse_map_svg(world, max_cells=max_cells))
        assert len(shaded) == 3
        for axis in (0, 1):
            assert max(c[axis] for c in shaded) - min(c[axis] for c in shaded) < max_cells


def test_a_continent_sized_outline_is_drawn_in_few_cells():
    america = [[-120.0, -55.0], [-35.0, -55.0], [-35.0, 60.0], [-120.0, 60.0], [-120.0, -55.0]]
    svg = coarse_map_svg([({"type": "Polygon", "coordinates": [america]}, None)])
    assert len(runs(svg)) <= 40
    assert len(svg) < 3_000


# --- what the SVG holds ---------------------------------------------------------------------


def valley(count: int, seed: int = 6) -> list[tuple[dict, float]]:
    """`count` plots of 0.5–3 ha scattered over about 0.4° around (LON, LAT)."""
    rng = random.Random(seed)
    plots = []
    for _ in range(count):
        side = rng.uniform(0.0006, 0.0016)
        plots.append(
            (square(LON + rng.uniform(-0.2, 0.2), LAT + rng.uniform(-0.2, 0.2), side), 1.5)
        )
    return plots


def test_no_coordinate_or_absolute_cell_appears_in_the_output():
    plots = valley(60)
    plots.append((point(LON + 0.0123, LAT - 0.0456), 2.0))
    svg = coarse_map_svg(plots, title="Finca")
    for geometry, _area in plots:
        positions = geometry["coordinates"]
        positions = positions[0] if geometry["type"] == "Polygon" else [positions]
        for lon, lat in positions:
            for value in (lon, lat):
                for decimals in range(2, 7):
                    assert f"{value:.{decimals}f}" not in svg
                    # Without the sign, 2 decimals would match the SVG's own small numbers.
                    if decimals > 2:
                        assert f"{abs(value):.{decimals}f}" not in svg
    # Nor are the cells' own numbers on the grid (here in the hundreds and thousands, on the
    # 0.01° grid and the doubled ones): every number written is a small relative position.
    # Names (the title's id is a hash of the drawing), colours and the width on the page are
    # not positions.
    assert re.search(r'<title id="coarse-map-[0-9a-f]{8}">', svg)
    drawing = re.sub(r'(xmlns|id|aria-labelledby)="[^"]*"|#[0-9a-f]+|100%', "", svg)
    numbers = [float(number) for number in re.findall(r"\d+(?:\.\d+)?", drawing)]
    assert max(numbers) < 60
    assert math.floor(LAT / 0.04) < -60  # the smallest absolute cell number around here


def test_five_hundred_plots_make_a_small_svg():
    assert len(coarse_map_svg(valley(500), title="Origin").encode()) < 15_000


def test_the_worst_pattern_within_max_cells_still_makes_a_small_svg():
    # A checkerboard of 40 x 40 cells: every shaded cell is its own run.
    checkerboard = [
        (square(LON + 0.01 * column + 0.004, LAT + 0.01 * row + 0.004, 0.001), None)
        for row in range(40)
        for column in range(40)
        if (row + column) % 2 == 0
    ]
    svg = coarse_map_svg(checkerboard)
    assert len(runs(svg)) == 800
    assert len(svg.encode()) < 15_000


def test_the_same_plots_give_the_same_svg_in_any_order():
    plots = valley(80)
    first = coarse_map_svg(plots, title="Origin")
    assert coarse_map_svg(plots, title="Origin") == first
    shuffled = plots[:]
    random.Random(3).shuffle(shuffled)
    assert coarse_map_svg(shuffled, title="Origin") == first


def test_the_title_is_escaped_and_names_the_image():
    svg = coarse_map_svg(
        [(square(LON - 0.006, LAT - 0.006), None)], title='Finca "<script>alert(1)</script>"'
    )
    assert "<script" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    labelled_by = re.search(r'aria-labelledby="([^"]+)"', svg).group(1)
    assert re.search(rf'<title id="{labelled_by}">Finca &#34;&lt;script', svg)


def test_the_svg_is_self_contained_and_scales_to_its_column():
    svg = coarse_map_svg(valley(30), title="Origin")
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" ')
    assert svg.endswith("</svg>")
    assert 'role="img"' in svg and 'width="100%"' in svg and "preserveAspectRatio=" in svg
    for external_or_active in ("href", "url(", "http:", "https:", "<script", "<image"):
        assert external_or_active not in svg.replace("http://www.w3.org/2000/svg", "")
    assert not re.search(r"\son\w+=", svg)  # no event handler attributes


def test_cells_are_narrowed_by_the_latitude_so_the_map_is_not_stretched():
    # At 60° a degree of longitude is half as long as one of latitude.
    nine_plots = [
        (square(10.0 + 0.01 * i + 0.003, 60.003 + 0.01 * j), None)
        for i in range(3)
        for j in range(3)
    ]
    svg = coarse_map_svg(nine_plots)
    assert block(svg) == {(column, row) for column in range(3) for row in range(3)}
    # The block is drawn half as wide as tall, as it is on the ground.
    assert aspect(svg) == pytest.approx(math.cos(math.radians(60.015)), abs=0.001)
    assert aspect(coarse_map_svg(valley(10))) == pytest.approx(
        math.cos(math.radians(LAT)), abs=0.002
    )


def test_a_long_line_of_farms_is_padded_into_a_map_that_fits_a_phone():
    north_south = [(square(LON + 0.003, LAT + 0.01 * i + 0.003), None) for i in range(0, 30, 3)]
    svg = coarse_map_svg(north_south)
    width, height = view_box(svg)
    assert height <= width * 1.6  # cells plus the scale bar band
    # Columns were added on both sides: the line of farms is in the middle.
    shaded_columns = {column for column, _ in cells(svg)}
    assert len(shaded_columns) == 1
    assert (shaded_columns.pop() + 0.5 + shift(svg)[0]) * aspect(svg) == pytest.approx(width / 2)
    east_west = [(square(LON + 0.01 * i + 0.003, LAT + 0.003), None) for i in range(0, 30, 3)]
    width, height = view_box(coarse_map_svg(east_west))
    assert width <= height * 2


def test_the_scale_bar_is_true_to_the_cells():
    one_plot = coarse_map_svg([(square(LON - 0.006, LAT - 0.006), None)])
    length, label = scale_bar(one_plot)
    assert label == "1 km"
    # One viewBox unit is one cell of latitude, 0.01°.
    assert length * 0.01 * KM_PER_DEGREE == pytest.approx(1, abs=0.005)
    corners = [(square(LON - 0.2, LAT - 0.2), None), (square(LON + 0.198, LAT + 0.198), None)]
    length, label = scale_bar(coarse_map_svg(corners + valley(200)))
    assert label == "10 km"
    # 0.4° of spread needs 0.02° cells (41 cells of 0.01° would exceed 40).
    assert length * 0.02 * KM_PER_DEGREE == pytest.approx(10, abs=0.05)


def test_settings_that_cannot_make_a_map_are_refused():
    plots = [(square(LON, LAT), None)]
    for cell_deg in (0, -0.01, float("nan")):
        with pytest.raises(ValueError, match="cell_deg"):
            coarse_map_svg(plots, cell_deg=cell_deg)
    assert coarse_map_svg(plots, cell_deg=Decimal("0.01")) == coarse_map_svg(plots)
    with pytest.raises(ValueError, match="max_cells"):
        coarse_map_svg(plots, max_cells=1)
