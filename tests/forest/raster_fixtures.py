"""Small synthetic forest rasters for the tests: GeoTIFFs on a 1 arc-second grid (Hansen's is
1 arc-second too) in the Alto Mayo area, with loss blocks whose pixels are known, so the
expected hectares can be computed independently with pyproj.Geod."""

from pathlib import Path

import numpy as np
import rasterio
import shapely
from pyproj import Geod
from rasterio.transform import Affine

from coopchain.forest.raster_tiles import DatasetKind
from coopchain.forest.rasters import Layer

#: 1 arc-second, the pixel of the Hansen tiles.
RES = 1 / 3600
#: North-west corner of the test tiles (a whole degree, so pixel edges are k / 3600).
WEST, NORTH = -77.0, -5.0
_GEOD = Geod(ellps="WGS84")


def write_tile(
    path: Path,
    values: np.ndarray,
    *,
    west: float = WEST,
    north: float = NORTH,
    res: float = RES,
    crs: str = "EPSG:4326",
    nodata: int | None = None,
) -> Path:
    """One single-band uint8 GeoTIFF with `values` (rows north to south)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = values.shape
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="uint8",
        crs=crs,
        transform=Affine(res, 0, west, 0, -res, north),
        nodata=nodata,
    ) as dataset:
        dataset.write(values.astype("uint8"), 1)
    return path


def write_hansen(
    folder: Path,
    lossyear: np.ndarray,
    treecover: np.ndarray | None = None,
    *,
    jrc: np.ndarray | None = None,
    west: float = WEST,
    north: float = NORTH,
    name: str = "tile",
) -> list[Layer]:
    """The layers of one tile: lossyear, treecover2000 (default: 80 % canopy everywhere) and
    optionally the JRC map, each in a folder of its own as the cooperative would keep them."""
    if treecover is None:
        treecover = np.full(lossyear.shape, 80)
    write_tile(folder / "lossyear" / f"{name}.tif", lossyear, west=west, north=north)
    write_tile(folder / "treecover2000" / f"{name}.tif", treecover, west=west, north=north)
    layers = [
        Layer(DatasetKind.HANSEN_LOSSYEAR, "v1.11", (str(folder / "lossyear"),)),
        Layer(DatasetKind.HANSEN_TREECOVER2000, "v1.11", (str(folder / "treecover2000"),)),
    ]
    if jrc is not None:
        write_tile(folder / "jrc" / f"{name}.tif", jrc, west=west, north=north)
        layers.append(Layer(DatasetKind.JRC_GFC2020, "v2", (str(folder / "jrc"),)))
    return layers


def pixel_x(col: float, west: float = WEST) -> float:
    """Longitude of the west edge of pixel column `col` (fractions allowed)."""
    return west + col * RES


def pixel_y(row: float, north: float = NORTH) -> float:
    """Latitude of the north edge of pixel row `row` (fractions allowed)."""
    return north - row * RES


def polygon(*corners: tuple[float, float]) -> dict:
    """A GeoJSON polygon through (col, row) pixel positions."""
    ring = [[pixel_x(c), pixel_y(r)] for c, r in corners]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def geodesic_ha(corners: list[tuple[float, float]]) -> float:
    """Independent expectation: the ellipsoidal area of a (col, row) outline, in hectares."""
    outline = shapely.Polygon([(pixel_x(c), pixel_y(r)) for c, r in corners])
    return abs(_GEOD.geometry_area_perimeter(outline)[0]) / 10_000
