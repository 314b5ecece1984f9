"""Forest cover and loss per plot from satellite rasters (issue 7, DOMAIN.md §7): exact
hectares from pixels weighted by the share inside the plot, points buffered to their declared
area, plots across tiles, plots outside every tile, broken rasters named, and Whisp's
perennial-crop logic for the result."""

from decimal import Decimal

import numpy as np
import pytest

from coopchain.farms.models import ForestResult
from coopchain.forest.plot_shapes import PlotShape, assessment_polygon, geodesic_area_ha
from coopchain.forest.raster_results import PlotForest, classify
from coopchain.forest.raster_tiles import DatasetKind, RasterError, check_tiles, tile_paths
from coopchain.forest.rasters import Layer, assess_plots
from tests.forest.raster_fixtures import (
    RES,
    WEST,
    geodesic_ha,
    pixel_x,
    pixel_y,
    polygon,
    write_hansen,
    write_tile,
)

ONE_QUANTUM = Decimal("0.0001")  # results are rounded to 0.0001 ha / 0.0001 share


def assess_one(layers, geometry, declared=None, **options) -> PlotForest:
    return assess_plots(layers, [PlotShape(1, geometry, declared)], **options)[0]


def grid(value=0, size=20) -> np.ndarray:
    return np.full((size, size), value)


# --- exact hectares ----------------------------------------------------------------------------


def test_a_plot_over_half_a_lost_block_gets_exactly_half_its_hectares(tmp_path):
    lossyear = grid()
    lossyear[6:10, 6:10] = 22  # a 4 × 4 block lost in 2022
    lossyear[14:18, 14:18] = 5  # lost in 2005, away from the plot
    layers = write_hansen(tmp_path, lossyear)
    # The block's south-east half (cut along its diagonal, so the four diagonal pixels are
    # half inside: counting pixels by their centre could not get this right) plus two rows of
    # untouched pixels south of the block.
    forest = assess_one(layers, polygon((6, 12), (10, 12), (10, 6), (6, 10)))

    half_block_ha = geodesic_ha([(6, 10), (10, 10), (10, 6)])
    assert half_block_ha == pytest.approx(geodesic_ha([(6, 10), (10, 10), (10, 6), (6, 6)]) / 2)
    assert abs(forest.loss_after_ha - Decimal(f"{half_block_ha:.4f}")) <= ONE_QUANTUM
    assert forest.loss_after_share == Decimal("0.5000")
    assert forest.loss_before_ha == 0 and forest.loss_before_share == 0
    assert abs(forest.area_ha - Decimal(f"{2 * half_block_ha:.4f}")) <= ONE_QUANTUM
    assert forest.covered_share == Decimal("1.0000")
    assert forest.result == ForestResult.LOSS_AFTER_CUTOFF
    assert forest.datasets == ["hansen_lossyear v1.11", "hansen_treecover2000 v1.11"]
    assert forest.forest_2020_share is None
    assert forest.problems == []


def test_a_point_is_buffered_to_its_declared_area(tmp_path):
    layers = write_hansen(tmp_path, grid(21, size=40))  # all lost in 2021, the first year after
    point = {"type": "Point", "coordinates": [pixel_x(20), pixel_y(20)]}

    forest = assess_one(layers, point, Decimal("0.5"))

    assert forest.area_ha == Decimal("0.5000")
    assert forest.loss_after_ha == Decimal("0.5000")
    assert forest.loss_after_share == Decimal("1.0000")
    assert forest.result == ForestResult.LOSS_AFTER_CUTOFF


def test_a_point_without_area_is_read_as_4_ha_as_the_eu_does(tmp_path):
    layers = write_hansen(tmp_path, grid(0, size=60), grid(0, size=60))
    point = {"type": "Point", "coordinates": [pixel_x(30), pixel_y(30)]}

    forest = assess_one(layers, point, None)

    assert forest.area_ha == Decimal("4.0000")
    assert any("4 ha" in problem for problem in forest.problems)


def test_a_point_circle_has_the_declared_geodesic_area():
    circle = assessment_polygon(
        PlotShape(1, {"type": "Point", "coordinates": [-77.4, -5.7]}, Decimal("8"))
    )

    assert geodesic_area_ha(circle) == pytest.approx(8, rel=1e-6)
    assert circle.centroid.x == pytest.approx(-77.4) and circle.centroid.y == pytest.approx(-5.7)


def test_a_self_crossing_polygon_is_repaired_not_dropped():
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}

    repaired = assessment_polygon(PlotShape(1, bow_tie, None))

    assert repaired.is_valid and repaired.area == pytest.approx(0.5)


def test_no_plots_no_results(tmp_path):
    assert assess_plots(write_hansen(tmp_path, grid(0)), []) == []


def test_a_plot_across_two_tiles_measures_as_on_one_merged_tile(tmp_path):
    lossyear = np.zeros((20, 40))
    lossyear[5:10, 17:24] = 22  # a lost block across the seam at column 20
    lossyear[12:14, 10:26] = 5
    treecover = np.zeros((20, 40))
    treecover[2:16, 15:30] = 60
    jrc = np.zeros((20, 40))
    jrc[8:18, 18:22] = 1
    merged = write_hansen(tmp_path / "merged", lossyear, treecover, jrc=jrc)
    split = tmp_path / "split"
    write_hansen(split, lossyear[:, :20], treecover[:, :20], jrc=jrc[:, :20], name="west")
    tiled = write_hansen(
        split, lossyear[:, 20:], treecover[:, 20:], jrc=jrc[:, 20:], west=pixel_x(20), name="east"
    )
    plot = polygon((12.3, 3.7), (27.1, 4.2), (25.5, 15.8), (19, 17.2), (11.6, 12.4))

    on_one, on_two = assess_one(merged, plot), assess_one(tiled, plot)

    assert len(check_tiles(DatasetKind.HANSEN_LOSSYEAR, list(tiled[0].paths))) == 2
    assert on_two == on_one
    assert on_one.covered_share == Decimal("1.0000")
    assert on_one.loss_after_ha > 0 and on_one.loss_before_ha > 0
    assert 0 < on_one.forest_2020_share < 1


def test_a_plot_outside_every_tile_has_no_data_not_deforestation_free(tmp_path):
    layers = write_hansen(tmp_path, grid(0), grid(0))  # nothing lost, no tree cover
    far_away = {"type": "Point", "coordinates": [-70.0, -12.0]}

    forest = assess_one(layers, far_away, Decimal("2"))

    assert forest.result == ForestResult.NO_DATA
    assert forest.covered_share == 0
    assert forest.loss_after_ha == 0
    assert "No Hansen GFC loss year tile covers this plot." in forest.problems


def test_a_plot_half_outside_the_tiles_is_not_called_deforestation_free(tmp_path):
    layers = write_hansen(tmp_path, grid(0), grid(0), west=WEST)  # bare land, no loss
    straddling = polygon((-4, 2), (4, 2), (4, 6), (-4, 6))  # half west of the tile

    forest = assess_one(layers, straddling)

    assert forest.covered_share == Decimal("0.5000")
    assert forest.result == ForestResult.MORE_INFO_NEEDED
    assert any("50.0 %" in problem for problem in forest.problems)


def test_results_come_back_in_order_with_unusable_plots_as_no_data(tmp_path):
    lossyear = grid()
    lossyear[0:10, :] = 22
    layers = write_hansen(tmp_path, lossyear)
    line = {
        "type": "LineString",
        "coordinates": [[pixel_x(1), pixel_y(1)], [pixel_x(5), pixel_y(5)]],
    }
    plots = [
        PlotShape(7, polygon((2, 12), (8, 12), (8, 18), (2, 18)), None),  # no loss
        PlotShape(8, None, None),
        PlotShape(9, line, None),
        PlotShape(10, polygon((2, 2), (8, 2), (8, 8), (2, 8)), None),  # all lost
    ]

    results = assess_plots(layers, plots)

    assert [r.plot_id for r in results] == [7, 8, 9, 10]
    assert [r.result for r in results] == [
        ForestResult.MORE_INFO_NEEDED,
        ForestResult.NO_DATA,
        ForestResult.NO_DATA,
        ForestResult.LOSS_AFTER_CUTOFF,
    ]
    assert results[1].problems and results[2].problems


# --- tree cover and forest ---------------------------------------------------------------------

PLOT = polygon((4, 4), (12, 4), (12, 12), (4, 12))


@pytest.mark.parametrize(
    ("canopy", "threshold", "cover_share", "result"),
    [
        (9, 10, "0.0000", ForestResult.DEFORESTATION_FREE),  # 9 % canopy is not tree cover
        (10, 10, "1.0000", ForestResult.MORE_INFO_NEEDED),
        (9, 9, "1.0000", ForestResult.MORE_INFO_NEEDED),  # the setting is honoured
    ],
)
def test_the_canopy_threshold_decides_what_is_tree_cover(
    tmp_path, canopy, threshold, cover_share, result
):
    layers = write_hansen(tmp_path, grid(0), grid(canopy))

    forest = assess_one(layers, PLOT, canopy_threshold_pct=threshold)

    assert forest.tree_cover_2000_share == Decimal(cover_share)
    assert forest.result == result


def test_shade_coffee_under_tree_cover_without_loss_needs_more_information(tmp_path):
    forest = assess_one(write_hansen(tmp_path, grid(0), grid(70)), PLOT)

    assert forest.result == ForestResult.MORE_INFO_NEEDED
    assert forest.tree_cover_2000_share == Decimal("1.0000")


def test_loss_before_2021_only_is_deforestation_free(tmp_path):
    lossyear = grid()
    lossyear[4:8, 4:12] = 20  # lost in 2020: before the cutoff
    forest = assess_one(write_hansen(tmp_path, lossyear, grid(70)), PLOT)

    assert forest.loss_before_share == Decimal("0.5000")
    assert forest.loss_after_ha == 0
    assert forest.result == ForestResult.DEFORESTATION_FREE


@pytest.mark.parametrize(
    ("jrc_value", "share", "result"),
    [(0, "0.0000", ForestResult.DEFORESTATION_FREE), (1, "1.0000", ForestResult.MORE_INFO_NEEDED)],
)
def test_the_jrc_map_decides_forest_in_2020_when_given(tmp_path, jrc_value, share, result):
    # Hansen sees 70 % canopy everywhere; the EU's own map has the last word on 2020 forest.
    layers = write_hansen(tmp_path, grid(0), grid(70), jrc=grid(jrc_value))

    forest = assess_one(layers, PLOT)

    assert forest.forest_2020_share == Decimal(share)
    assert forest.result == result
    assert "jrc_gfc2020 v2" in forest.datasets


# --- classify ----------------------------------------------------------------------------------


def measured(**fields) -> PlotForest:
    values = {
        "plot_id": 1,
        "area_ha": Decimal("2.0000"),
        "covered_share": Decimal("1.0000"),
        "loss_after_ha": Decimal("0"),
        "loss_after_share": Decimal("0"),
        "loss_before_ha": Decimal("0"),
        "loss_before_share": Decimal("0"),
        "tree_cover_2000_share": Decimal("0.8000"),
        "forest_2020_share": None,
        "result": ForestResult.NO_DATA,
    }
    return PlotForest(**(values | fields))


@pytest.mark.parametrize(
    ("fields", "result"),
    [
        ({}, ForestResult.MORE_INFO_NEEDED),  # shade coffee: cover, no loss
        ({"tree_cover_2000_share": Decimal(0)}, ForestResult.DEFORESTATION_FREE),
        # Disturbed before 2020 over a tenth of the plot or more: the crop was already there.
        (
            {"loss_before_ha": Decimal("0.3"), "loss_before_share": Decimal("0.1")},
            ForestResult.DEFORESTATION_FREE,
        ),
        # A sliver of old loss at the edge does not clear a forested plot.
        (
            {"loss_before_ha": Decimal("0.01"), "loss_before_share": Decimal("0.0099")},
            ForestResult.MORE_INFO_NEEDED,
        ),
        ({"loss_after_ha": Decimal("0.0400")}, ForestResult.LOSS_AFTER_CUTOFF),
        # Post-2020 loss wins over pre-2020 disturbance and over a JRC "no forest".
        (
            {
                "loss_after_ha": Decimal("0.1"),
                "loss_before_ha": Decimal("1"),
                "forest_2020_share": Decimal(0),
            },
            ForestResult.LOSS_AFTER_CUTOFF,
        ),
        ({"forest_2020_share": Decimal(0)}, ForestResult.DEFORESTATION_FREE),
        (
            {"forest_2020_share": Decimal("0.2"), "tree_cover_2000_share": Decimal(0)},
            ForestResult.MORE_INFO_NEEDED,
        ),
        ({"covered_share": Decimal(0), "tree_cover_2000_share": Decimal(0)}, ForestResult.NO_DATA),
        (
            {"covered_share": Decimal("0.9"), "tree_cover_2000_share": Decimal(0)},
            ForestResult.MORE_INFO_NEEDED,
        ),
    ],
)
def test_classify_follows_whisp_perennial_logic(fields, result):
    assert classify(measured(**fields)) == result


# --- broken rasters ----------------------------------------------------------------------------


def test_a_raster_in_the_wrong_crs_is_named_with_its_crs(tmp_path):
    layers = write_hansen(tmp_path, grid(0))
    utm = write_tile(
        tmp_path / "utm" / "lossyear_utm.tif",
        grid(0),
        west=250000,
        north=9400000,
        res=30,
        crs="EPSG:32718",
    )
    layers[0] = Layer(DatasetKind.HANSEN_LOSSYEAR, "v1.11", (str(utm),))

    with pytest.raises(RasterError) as refused:
        assess_plots(layers, [PlotShape(1, PLOT, None)])

    assert str(utm) in refused.value.message and "EPSG:32718" in refused.value.message
    assert refused.value.fields == {"paths": [str(utm)]}
    assert refused.value.code == "raster_invalid"


def test_a_corrupt_file_is_named(tmp_path):
    garbage = tmp_path / "tiles" / "Hansen_GFC-2023-v1.11_lossyear_00N_080W.tif"
    garbage.parent.mkdir()
    garbage.write_bytes(b"this is not a GeoTIFF at all" * 40)

    with pytest.raises(RasterError) as refused:
        check_tiles(DatasetKind.HANSEN_LOSSYEAR, [str(garbage.parent)])

    assert str(garbage) in refused.value.message


def test_a_truncated_tile_is_named_when_its_pixels_cannot_be_read(tmp_path):
    rng = np.random.default_rng(7)
    layers = write_hansen(tmp_path, rng.integers(0, 24, (400, 400)))
    path = tmp_path / "lossyear" / "tile.tif"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    with pytest.raises(RasterError) as refused:
        assess_plots(layers, [PlotShape(1, polygon((0, 390), (399, 390), (399, 399)), None)])

    assert str(path) in refused.value.message


def test_a_missing_path_is_named(tmp_path):
    missing = tmp_path / "hansen" / "lossyear"

    with pytest.raises(RasterError) as refused:
        tile_paths([str(missing)])

    assert str(missing) in refused.value.message


def test_a_folder_without_geotiffs_is_refused(tmp_path):
    (tmp_path / "readme.txt").write_text("tiles go here")

    with pytest.raises(RasterError) as refused:
        tile_paths([str(tmp_path)])

    assert str(tmp_path) in refused.value.message


def test_a_folder_stands_for_its_geotiffs_in_order(tmp_path):
    for name in ("b.tiff", "a.tif", "notes.txt"):
        (tmp_path / name).write_bytes(b"")

    assert tile_paths([str(tmp_path), str(tmp_path / "a.tif")]) == [
        str(tmp_path / "a.tif"),
        str(tmp_path / "b.tiff"),
    ]


def test_overlapping_tiles_are_refused_as_they_would_count_twice(tmp_path):
    write_tile(tmp_path / "t" / "a.tif", grid(0))
    write_tile(tmp_path / "t" / "b.tif", grid(0), west=WEST + 10 * RES)

    with pytest.raises(RasterError) as refused:
        check_tiles(DatasetKind.HANSEN_LOSSYEAR, [str(tmp_path / "t")])

    assert refused.value.fields["paths"] == [str(tmp_path / "t" / n) for n in ("a.tif", "b.tif")]


def test_the_hansen_loss_year_layer_is_required(tmp_path):
    layers = write_hansen(tmp_path, grid(0))

    with pytest.raises(RasterError) as refused:
        assess_plots(layers[1:], [PlotShape(1, PLOT, None)])

    assert "hansen_lossyear" in refused.value.message
