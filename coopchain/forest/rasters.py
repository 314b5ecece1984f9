"""Forest cover and loss per plot, measured from public forest rasters (issue 7, DOMAIN.md §7).

The cooperative downloads GeoTIFF tiles into a folder: Hansen Global Forest Change
`treecover2000` and `lossyear`, and optionally the JRC GFC2020 forest map. For every plot this
module measures what the EU regulation asks (DOMAIN.md §2: no deforestation after 2020-12-31):
tree cover in 2000 and forest on 2020-12-31, loss before and after the cutoff in hectares and
as a share of the plot, which datasets and versions said so, and a result following FAO Whisp's
perennial-crop logic (:func:`raster_results.classify`). The tiles are checked in raster_tiles.py,
plot outlines built in plot_shapes.py and results classified in raster_results.py; this module
reads the pixels.

Pure: plain data in, plain data out; no database, no app. Pixels are weighted by the share of
each pixel inside the plot (exact zonal statistics with exactextract), never counted by centre:
a 1 ha plot covers only ~11 Hansen pixels, so centre counting would be off by whole pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import rasterio
import shapely
from exactextract import exact_extract
from exactextract.raster import RasterioRasterSource
from flask_babel import lazy_gettext as _l
from rasterio.errors import RasterioError
from shapely.geometry import mapping

from coopchain.forest.plot_shapes import PlotShape, assessment_polygon
from coopchain.forest.raster_results import PlotForest, _no_geometry, _plot_forest
from coopchain.forest.raster_tiles import (
    REQUIRED_KINDS,
    DatasetKind,
    _error,
    _first_line,
    check_tiles,
)

#: Hansen `lossyear`: 0 = no loss, n = loss in year 2000 + n, so n >= 21 is loss after the
#: EUDR cutoff of 2020-12-31 and 1..20 is loss before it (DOMAIN.md §7).
LOSS_CUTOFF_CODE = 21
#: JRC GFC2020: value 1 = forest on 2020-12-31 (DOMAIN.md §7).
JRC_FOREST = 1
#: The EU's forest definition uses a canopy above 10 % (DOMAIN.md §2), Hansen's default too.
DEFAULT_CANOPY_THRESHOLD_PCT = 10
#: GDAL's block cache is 5 % of RAM by default (1.2 GiB here); one real Hansen tile is 1.6 GB
#: uncompressed, so without a cap a large run would grow past the 1 GiB memory target.
GDAL_CACHE_MB = 256

#: exactextract's default is 30 M cells (hundreds of MB for one huge polygon).
MAX_CELLS_IN_MEMORY = 4_000_000


@dataclass(frozen=True)
class Layer:
    """One dataset: its kind, the version the cooperative downloaded (e.g. "v1.11" for
    Hansen GFC-2023-v1.11, "v2" for JRC GFC2020_V2) and its tiles (files or folders)."""

    kind: str
    version: str
    paths: tuple[str, ...]


# --- the measurement ---------------------------------------------------------------------------


def _categories(kind: str, canopy_threshold_pct: int) -> dict:
    """Pixel value -> is it in this category, per category measured for a dataset."""
    if kind == DatasetKind.HANSEN_LOSSYEAR:
        return {
            "after": lambda v: v >= LOSS_CUTOFF_CODE,
            "before": lambda v: (v >= 1) & (v < LOSS_CUTOFF_CODE),
        }
    if kind == DatasetKind.HANSEN_TREECOVER2000:
        return {"cover": lambda v: v >= canopy_threshold_pct}
    return {"forest": lambda v: v == JRC_FOREST}


@dataclass
class _Measured:
    """Per plot, in square degrees: the part covered by the dataset and each category."""

    covered: np.ndarray
    categories: dict[str, np.ndarray]


def _measure_layer(kind, tiles, polygons, bounds, canopy_threshold_pct) -> _Measured:
    """Sum every tile's contribution per plot.

    Tiles are read one after the other and their contributions added, rather than mosaicked
    (no VRT): Hansen and JRC tiles never overlap (check_tiles refuses overlaps), so a plot
    crossing two tiles gets each part from the tile it lies in, exactly, and a tile is only
    opened for the plots that touch it.

    Shares are computed in square degrees (exactextract's coverage fraction × the pixel's size
    in degrees) and turned into hectares by the plot's geodesic area. That is exact to ~1e-5:
    within a plot of a few hundred metres the ellipsoidal area of a square degree varies by
    tan(lat) × Δlat ≈ 1e-5 relative, below the 0.0001 ha the results are rounded to."""
    n = len(polygons)
    tests = _categories(kind, canopy_threshold_pct)
    covered = np.zeros(n)
    categories = {name: np.zeros(n) for name in tests}
    for tile in tiles:
        west, south, east, north = tile["bounds"]
        touching = np.flatnonzero(
            (bounds[:, 0] < east)
            & (bounds[:, 2] > west)
            & (bounds[:, 1] < north)
            & (bounds[:, 3] > south)
        )
        if not touching.size:
            continue
        # Row band of 256 pixels, then west to east: neighbouring plots reuse GDAL's cached
        # blocks instead of decompressing them again.
        band = np.floor((north - bounds[touching, 3]) / (tile["res"][1] * 256))
        touching = touching[np.lexsort((bounds[touching, 0], band))]
        pixel_deg2 = tile["res"][0] * tile["res"][1]
        footprint = shapely.box(west, south, east, north)
        for index, count, values, fractions in _extract(tile["path"], kind, polygons, touching):
            if kind == DatasetKind.JRC_GFC2020:
                # JRC maps forest only: non-forest may be stored as nodata, so the part of the
                # plot the tile covers is its footprint, not its valid pixels.
                covered[index] += shapely.intersection(polygons[index], footprint).area
            else:
                # Hansen pixels without data (none in the published tiles) are not evidence.
                covered[index] += count * pixel_deg2
            for name, test in tests.items():
                categories[name][index] += float(fractions[test(values)].sum()) * count * pixel_deg2
    return _Measured(covered, categories)


def _extract(path, kind, polygons, indices):
    """(plot index, covered pixels, distinct values, coverage-weighted share of each value)
    for the given plots over one tile, by exactextract."""
    features = [
        {"type": "Feature", "properties": {"i": int(i)}, "geometry": mapping(polygons[i])}
        for i in indices
    ]
    try:
        with rasterio.open(path) as dataset:
            rows = exact_extract(
                RasterioRasterSource(dataset, 1),
                features,
                ["count", "unique", "frac"],
                include_cols=["i"],
                # Bounds exactextract's buffers for a wildly large "plot" (a typo in a
                # coordinate): 4 M cells, ~3,600 km² at 1 arc-second; a real plot is ~100.
                max_cells_in_memory=MAX_CELLS_IN_MEMORY,
            )
    except (RasterioError, RuntimeError, ValueError) as exc:
        raise _error(
            _l(
                "Forest raster %(path)s cannot be read (%(kind)s): %(detail)s.",
                path=path,
                kind=kind,
                detail=_first_line(exc),
            ),
            [path],
        ) from exc
    for row in rows:
        props = row["properties"]
        values = np.asarray(props["unique"])
        yield props["i"], float(props["count"]), values, np.asarray(props["frac"])


def _check_layers(layers: list[Layer]) -> dict[str, tuple[Layer, list[dict]]]:
    by_kind: dict[str, tuple[Layer, list[dict]]] = {}
    for layer in layers:
        if layer.kind not in set(DatasetKind):
            raise _error(_l("Unknown forest dataset %(kind)s.", kind=layer.kind), list(layer.paths))
        if layer.kind in by_kind:
            raise _error(
                _l("Forest dataset %(kind)s is given twice.", kind=layer.kind), list(layer.paths)
            )
        by_kind[layer.kind] = (layer, check_tiles(layer.kind, list(layer.paths)))
    for kind in REQUIRED_KINDS:
        if kind not in by_kind:
            raise _error(
                _l(
                    "No %(kind)s tiles given: the assessment needs Hansen loss year and "
                    "tree cover 2000.",
                    kind=kind,
                ),
                [],
            )
    return by_kind


def assess_plots(
    layers: list[Layer],
    plots: list[PlotShape],
    *,
    canopy_threshold_pct: int = DEFAULT_CANOPY_THRESHOLD_PCT,
) -> list[PlotForest]:
    """Measure every plot against the datasets and classify it (one result per plot, in order).

    Raises RasterError, naming the file, for a missing, unreadable, non-WGS84 or overlapping
    tile, and when a required Hansen layer is not given."""
    if not 0 <= canopy_threshold_pct <= 100:
        raise ValueError("canopy_threshold_pct must be within 0..100")
    by_kind = _check_layers(layers)
    datasets = [f"{layer.kind} {layer.version}".strip() for layer, _tiles in by_kind.values()]
    polygons = [assessment_polygon(plot) for plot in plots]
    usable = [i for i, polygon in enumerate(polygons) if polygon is not None]
    shapes = [polygons[i] for i in usable]
    bounds = shapely.bounds(np.array(shapes, dtype=object)) if shapes else np.empty((0, 4))
    measured: dict[str, _Measured] = {}
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
        for kind, (_layer, tiles) in by_kind.items():
            measured[kind] = _measure_layer(kind, tiles, shapes, bounds, canopy_threshold_pct)
    results = [_no_geometry(plot, datasets, "jrc_gfc2020" in by_kind) for plot in plots]
    for k, i in enumerate(usable):
        results[i] = _plot_forest(plots[i], shapes[k], k, measured, datasets)
    return results
