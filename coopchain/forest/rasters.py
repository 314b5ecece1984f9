"""Forest cover and loss per plot, measured from public forest rasters (issue 7, DOMAIN.md §7).

The cooperative downloads GeoTIFF tiles into a folder: Hansen Global Forest Change
`treecover2000` and `lossyear`, and optionally the JRC GFC2020 forest map. For every plot this
module measures what the EU regulation asks (DOMAIN.md §2: no deforestation after 2020-12-31):
tree cover in 2000 and forest on 2020-12-31, loss before and after the cutoff in hectares and
as a share of the plot, which datasets and versions said so, and a result following FAO Whisp's
perennial-crop logic (:func:`classify`).

Pure: plain data in, plain data out; no database, no app. Pixels are weighted by the share of
each pixel inside the plot (exact zonal statistics with exactextract), never counted by centre:
a 1 ha plot covers only ~11 Hansen pixels, so centre counting would be off by whole pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path

import numpy as np
import rasterio
import shapely
from exactextract import exact_extract
from exactextract.raster import RasterioRasterSource
from flask_babel import lazy_gettext as _l
from pyproj import CRS, Geod, Transformer
from rasterio.errors import RasterioError
from shapely.geometry import mapping
from shapely.geometry import shape as to_shape

from coopchain.errors import DomainError
from coopchain.farms.models import ForestResult

#: Hansen `lossyear`: 0 = no loss, n = loss in year 2000 + n, so n >= 21 is loss after the
#: EUDR cutoff of 2020-12-31 and 1..20 is loss before it (DOMAIN.md §7).
LOSS_CUTOFF_CODE = 21
#: JRC GFC2020: value 1 = forest on 2020-12-31 (DOMAIN.md §7).
JRC_FOREST = 1
#: The EU's forest definition uses a canopy above 10 % (DOMAIN.md §2), Hansen's default too.
DEFAULT_CANOPY_THRESHOLD_PCT = 10
#: A Point without an Area is read by the EU system as 4 ha (DOMAIN.md §2); we do the same.
POINT_DEFAULT_AREA_HA = Decimal(4)
#: Vertices of the circle a point is buffered to: 64 keeps the outline within 0.5 m of a true
#: circle for 8 ha, and the radius is corrected so the polygon's area is exactly the declared one.
CIRCLE_VERTICES = 64
#: GDAL's block cache is 5 % of RAM by default (1.2 GiB here); one real Hansen tile is 1.6 GB
#: uncompressed, so without a cap a large run would grow past the 1 GiB memory target.
GDAL_CACHE_MB = 256

#: exactextract's default is 30 M cells (hundreds of MB for one huge polygon).
MAX_CELLS_IN_MEMORY = 4_000_000

_QUANTUM = Decimal("0.0001")
_ZERO = Decimal("0.0000")
_ONE = Decimal("1.0000")
_GEOD = Geod(ellps="WGS84")
_WGS84 = CRS.from_epsg(4326)
_TIFF_SUFFIXES = (".tif", ".tiff")


class RasterError(DomainError):
    """A forest raster that cannot be used: the message names the file and what is wrong."""

    code = "raster_invalid"


class DatasetKind(StrEnum):
    HANSEN_LOSSYEAR = "hansen_lossyear"
    HANSEN_TREECOVER2000 = "hansen_treecover2000"
    JRC_GFC2020 = "jrc_gfc2020"


#: The datasets' own names, for messages (proper names: not translated).
DATASET_NAMES = {
    DatasetKind.HANSEN_LOSSYEAR: "Hansen GFC loss year",
    DatasetKind.HANSEN_TREECOVER2000: "Hansen GFC tree cover 2000",
    DatasetKind.JRC_GFC2020: "JRC GFC2020",
}


#: Without loss years nothing can be said about the cutoff, and without tree cover 2000 there
#: is no tree cover to fall back on when no JRC map is given: both Hansen layers are required.
REQUIRED_KINDS = (DatasetKind.HANSEN_LOSSYEAR, DatasetKind.HANSEN_TREECOVER2000)


@dataclass(frozen=True)
class Layer:
    """One dataset: its kind, the version the cooperative downloaded (e.g. "v1.11" for
    Hansen GFC-2023-v1.11, "v2" for JRC GFC2020_V2) and its tiles (files or folders)."""

    kind: str
    version: str
    paths: tuple[str, ...]


@dataclass(frozen=True)
class PlotShape:
    plot_id: int
    geometry: dict | None
    declared_area_ha: Decimal | float | None


@dataclass
class PlotForest:
    """What the rasters say about one plot. Every share is of the whole plot's area (so
    hectares = share × area_ha); the part no raster covers counts in none of them, and
    `covered_share` says how much that is."""

    plot_id: int
    area_ha: Decimal
    covered_share: Decimal
    loss_after_ha: Decimal
    loss_after_share: Decimal
    loss_before_ha: Decimal
    loss_before_share: Decimal
    tree_cover_2000_share: Decimal
    forest_2020_share: Decimal | None
    result: ForestResult
    datasets: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# --- the tiles ---------------------------------------------------------------------------------


def _error(message, paths) -> RasterError:
    return RasterError(str(message), {"paths": [str(p) for p in paths]})


def tile_paths(paths: list[str]) -> list[str]:
    """The GeoTIFF files named: each entry a file, or a folder standing for its *.tif / *.tiff
    files (sorted). A file named twice is kept once (it would otherwise count twice)."""
    found: list[str] = []
    for entry in paths:
        path = Path(entry)
        if not path.exists():
            raise _error(_l("Forest raster %(path)s does not exist.", path=str(path)), [path])
        if path.is_dir():
            tiles = sorted(
                p for p in path.iterdir() if p.is_file() and p.suffix.lower() in _TIFF_SUFFIXES
            )
            if not tiles:
                raise _error(
                    _l("Folder %(path)s holds no GeoTIFF (.tif, .tiff) file.", path=str(path)),
                    [path],
                )
            found.extend(str(p) for p in tiles)
        elif path.suffix.lower() not in _TIFF_SUFFIXES:
            raise _error(
                _l("Forest raster %(path)s is not a GeoTIFF (.tif, .tiff) file.", path=str(path)),
                [path],
            )
        else:
            found.append(str(path))
    unique: dict[str, str] = {}
    for path in found:
        unique.setdefault(str(Path(path).resolve()), path)
    return list(unique.values())


def _is_wgs84(crs) -> bool:
    if crs is None:
        return False
    if crs.to_epsg() == 4326:
        return True
    try:  # the same datum and axes written differently (e.g. an ESRI-flavoured WKT)
        return CRS.from_wkt(crs.to_wkt()).equals(_WGS84, ignore_axis_order=True)
    except Exception:  # noqa: BLE001 (an unparsable CRS simply is not WGS84)
        return False


def _tile_info(path: str, dataset) -> dict:
    if dataset.count != 1:
        raise _error(
            _l(
                "Forest raster %(path)s has %(count)s bands; one band is expected.",
                path=path,
                count=dataset.count,
            ),
            [path],
        )
    if not _is_wgs84(dataset.crs):
        crs = dataset.crs.to_string() if dataset.crs else str(_l("no coordinate system"))
        raise _error(
            _l(
                "Forest raster %(path)s is in %(crs)s; it must be in geographic WGS84 "
                "(EPSG:4326), as the Hansen and JRC tiles are published.",
                path=path,
                crs=crs,
            ),
            [path],
        )
    transform = dataset.transform
    if transform.b or transform.d or transform.a <= 0 or transform.e >= 0:
        raise _error(
            _l(
                "Forest raster %(path)s is rotated or flipped; north-up tiles are expected.",
                path=path,
            ),
            [path],
        )
    return {
        "path": path,
        "bounds": tuple(dataset.bounds),
        "width": dataset.width,
        "height": dataset.height,
        "res": dataset.res,
    }


def check_tiles(kind: str, paths: list[str]) -> list[dict]:
    """Open every tile of one dataset and check what the assessment relies on: readable,
    geographic WGS84, one band, north-up, and no two tiles overlapping (their pixels would be
    counted twice). Returns [{"path", "bounds": (w, s, e, n), "width", "height", "res"}]."""
    tiles = []
    for path in tile_paths(paths):
        try:
            with rasterio.open(path) as dataset:
                tiles.append(_tile_info(path, dataset))
        except RasterioError as exc:
            raise _error(
                _l(
                    "Forest raster %(path)s cannot be read as a GeoTIFF (%(kind)s): %(detail)s.",
                    path=path,
                    kind=kind,
                    detail=_first_line(exc),
                ),
                [path],
            ) from exc
    for i, first in enumerate(tiles):
        for second in tiles[i + 1 :]:
            if _overlap(first, second):
                raise _error(
                    _l(
                        "Forest rasters %(first)s and %(second)s overlap: their pixels would "
                        "count twice. Give each %(kind)s tile once.",
                        first=first["path"],
                        second=second["path"],
                        kind=kind,
                    ),
                    [first["path"], second["path"]],
                )
    return tiles


def _overlap(a: dict, b: dict) -> bool:
    """True when two tiles share more than half a pixel each way (adjacent tiles only touch)."""
    aw, as_, ae, an = a["bounds"]
    bw, bs, be, bn = b["bounds"]
    half_x = min(a["res"][0], b["res"][0]) / 2
    half_y = min(a["res"][1], b["res"][1]) / 2
    return min(ae, be) - max(aw, bw) > half_x and min(an, bn) - max(as_, bs) > half_y


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


# --- the plots ---------------------------------------------------------------------------------


def assessment_polygon(shape: PlotShape):
    """The area the rasters are read over: the plot's polygons as they are (repaired with
    make_valid when needed), or, when it has no polygon, its point(s) buffered to circles of
    the declared area, shared equally between the points of a MultiPoint (DOMAIN.md §7). None
    when there is nothing usable (no geometry, lines only, zero area, unreadable GeoJSON)."""
    if not shape.geometry:
        return None
    try:
        geometry = to_shape(shape.geometry)
    except Exception:  # noqa: BLE001 (malformed GeoJSON of any kind: nothing usable)
        return None
    if geometry.is_empty:
        return None
    parts = list(getattr(geometry, "geoms", [geometry]))
    polygons = [p for p in parts if p.geom_type in ("Polygon", "MultiPolygon")]
    if polygons:
        return _polygonal(shapely.union_all(polygons) if len(polygons) > 1 else polygons[0])
    points = [p for p in parts if p.geom_type == "Point"]
    points += [q for p in parts if p.geom_type == "MultiPoint" for q in p.geoms]
    if not points:
        return None
    declared = shape.declared_area_ha
    area_ha = float(POINT_DEFAULT_AREA_HA if declared is None else declared)
    if not math.isfinite(area_ha) or area_ha <= 0:
        return None
    circles = [_circle(p.x, p.y, area_ha / len(points)) for p in points]
    if any(c is None for c in circles):
        return None
    return _polygonal(shapely.union_all(circles) if len(circles) > 1 else circles[0])


def _polygonal(geometry):
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
        parts = [
            p for p in getattr(geometry, "geoms", [geometry]) if p.geom_type.endswith("Polygon")
        ]
        geometry = shapely.union_all(parts) if parts else None
    if geometry is None or geometry.is_empty or geometry.area <= 0:
        return None
    return geometry


def _circle(lon: float, lat: float, area_ha: float):
    """A circle of `area_ha` around (lon, lat), built in a Lambert azimuthal equal-area
    projection centred on the point (areas are true there, so the area is the declared one)
    and brought back to lon/lat. The radius is that of the regular polygon with this area,
    not of the circle, so the 64-gon does not come out 0.16 % short."""
    if not (-180 <= lon <= 180 and -90 < lat < 90):
        return None
    n = CIRCLE_VERTICES
    radius = math.sqrt(area_ha * 10_000 / (n / 2 * math.sin(2 * math.pi / n)))
    angles = np.linspace(0, 2 * math.pi, n, endpoint=False)
    # A bare PROJ pipeline: ~0.1 ms to build, against ~10 ms for Transformer.from_crs.
    to_lonlat = Transformer.from_pipeline(
        f"+proj=pipeline +step +inv +proj=laea +lat_0={lat!r} +lon_0={lon!r} +ellps=WGS84 "
        "+step +proj=unitconvert +xy_in=rad +xy_out=deg"
    )
    lons, lats = to_lonlat.transform(radius * np.cos(angles), radius * np.sin(angles))
    if not (np.all(np.isfinite(lons)) and np.all(np.isfinite(lats))):
        return None
    return shapely.Polygon(np.column_stack([lons, lats]))


def geodesic_area_ha(geometry) -> float:
    """Area on the WGS84 ellipsoid in hectares (sign dropped: rings may run either way)."""
    return abs(_GEOD.geometry_area_perimeter(geometry)[0]) / 10_000


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


def _q(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(_QUANTUM, rounding=ROUND_HALF_UP)


def _plot_forest(plot, polygon, k, measured, datasets) -> PlotForest:
    area_ha = geodesic_area_ha(polygon)
    area_deg2 = polygon.area

    def share(deg2: float) -> float:
        # Floating sums over pixels may land a hair above 1.
        return min(max(deg2 / area_deg2, 0.0), 1.0)

    coverage = {kind: share(m.covered[k]) for kind, m in measured.items()}
    loss = measured[DatasetKind.HANSEN_LOSSYEAR].categories
    after, before = share(loss["after"][k]), share(loss["before"][k])
    cover = share(measured[DatasetKind.HANSEN_TREECOVER2000].categories["cover"][k])
    jrc = measured.get(DatasetKind.JRC_GFC2020)
    forest = _q(share(jrc.categories["forest"][k])) if jrc else None
    result = PlotForest(
        plot_id=plot.plot_id,
        area_ha=_q(area_ha),
        # The plot is only as covered as its least covered dataset.
        covered_share=_q(min(coverage.values())),
        loss_after_ha=_q(after * area_ha),
        loss_after_share=_q(after),
        loss_before_ha=_q(before * area_ha),
        loss_before_share=_q(before),
        tree_cover_2000_share=_q(cover),
        forest_2020_share=forest,
        result=ForestResult.NO_DATA,
        datasets=list(datasets),
        problems=_problems(plot, coverage),
    )
    result.result = classify(result)
    if _would_be_free_if_fully_covered(result):
        result.problems.append(
            str(_l("Part of the plot has no forest data: it cannot be called deforestation-free."))
        )
    return result


def _problems(plot: PlotShape, coverage: dict[str, float]) -> list[str]:
    problems = []
    geometry_type = (plot.geometry or {}).get("type")
    if geometry_type in ("Point", "MultiPoint") and plot.declared_area_ha is None:
        problems.append(
            str(
                _l(
                    "The point has no declared area: it was read as a 4 ha circle, as the EU "
                    "system does."
                )
            )
        )
    for kind, covered in coverage.items():
        percent = _q(covered * 100).quantize(Decimal("0.1"))
        if percent <= 0:
            problems.append(
                str(_l("No %(dataset)s tile covers this plot.", dataset=DATASET_NAMES[kind]))
            )
        elif _q(covered) < _ONE:
            problems.append(
                str(
                    _l(
                        "Only %(percent)s %% of the plot lies in the %(dataset)s tiles; the rest "
                        "was not assessed.",
                        percent=percent,
                        dataset=DATASET_NAMES[kind],
                    )
                )
            )
    return problems


def _no_geometry(plot: PlotShape, datasets: list[str], with_jrc: bool) -> PlotForest:
    return PlotForest(
        plot_id=plot.plot_id,
        area_ha=_ZERO,
        covered_share=_ZERO,
        loss_after_ha=_ZERO,
        loss_after_share=_ZERO,
        loss_before_ha=_ZERO,
        loss_before_share=_ZERO,
        tree_cover_2000_share=_ZERO,
        forest_2020_share=_ZERO if with_jrc else None,
        result=ForestResult.NO_DATA,
        datasets=list(datasets),
        problems=[str(_l("No usable point or polygon to assess (none, a line, or no area)."))],
    )


# --- the result --------------------------------------------------------------------------------


#: Share of a plot that must have been disturbed before 2020 for Whisp's "crop already there"
#: reading to apply. Whisp counts any disturbance; one edge pixel would then clear a forested
#: plot, the costly error, so a tenth of the plot is asked for (a judgement, not a published
#: threshold: revisit with the certifier).
MIN_DISTURBANCE_SHARE = Decimal("0.1")


def _no_tree_cover_2020(p: PlotForest) -> bool:
    """No tree cover on 2020-12-31: the JRC map, the EU's reference (DOMAIN.md §7), when given;
    else Hansen tree cover 2000 at the canopy threshold. Hansen cover that was all lost before
    2021 also means no cover in 2020, but such a plot has pre-2020 disturbance, which
    :func:`classify` already reads as low risk, so it needs no test of its own here."""
    if p.forest_2020_share is not None:
        return p.forest_2020_share == 0
    return p.tree_cover_2000_share == 0


def _deforestation_free_on_what_was_seen(p: PlotForest) -> bool:
    # Whisp, perennial crops (DOMAIN.md §7): low risk if no tree cover in 2020, or disturbance
    # before 2020 (the crop was already there). The third low-risk case, "a commodity already
    # there in 2020", needs a commodity map CoopChain does not read.
    return _no_tree_cover_2020(p) or p.loss_before_share >= MIN_DISTURBANCE_SHARE


def classify(p: PlotForest) -> ForestResult:
    """The plot's result, following FAO Whisp's perennial-crop logic (DOMAIN.md §7): low risk
    if no tree cover in 2020 or disturbance before 2020; otherwise more information needed if
    no disturbance after 2020; otherwise high risk. Mapped to CoopChain's results with two
    conservative departures, because a wrong "deforestation-free" is the costly error:

    - any loss after the cutoff is `loss_after_cutoff`, even on a plot Whisp would call low
      risk for its pre-2020 disturbance or missing 2020 cover: the loss is a fact on the plot
      that a person must look at, whatever happened before;
    - a plot the rasters cover only in part is never `deforestation_free` (`more_info_needed`
      instead): nothing was seen on the rest. No coverage at all is `no_data`, never
      "deforestation-free".
    """
    if p.covered_share <= 0:
        return ForestResult.NO_DATA
    if p.loss_after_ha > 0:
        return ForestResult.LOSS_AFTER_CUTOFF
    if _deforestation_free_on_what_was_seen(p) and p.covered_share >= _ONE:
        return ForestResult.DEFORESTATION_FREE
    # Tree cover, no loss after 2020 (typically shade coffee): field evidence decides.
    return ForestResult.MORE_INFO_NEEDED


def _would_be_free_if_fully_covered(p: PlotForest) -> bool:
    return (
        p.result == ForestResult.MORE_INFO_NEEDED
        and 0 < p.covered_share < _ONE
        and _deforestation_free_on_what_was_seen(p)
    )
