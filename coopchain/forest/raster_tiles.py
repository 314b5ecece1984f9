"""Forest raster datasets and their GeoTIFF tiles: the kinds CoopChain reads, and the checks a
tile must pass before an assessment relies on it (readable, WGS84, one band, north-up, no
overlap)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import rasterio
from flask_babel import lazy_gettext as _l
from pyproj import CRS
from rasterio.errors import RasterioError

from coopchain.errors import DomainError

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
