"""The area a plot is assessed over: its polygons, or its points buffered to circles of the
declared area (DOMAIN.md §7), and geodesic areas in hectares."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import shape as to_shape

#: A Point without an Area is read by the EU system as 4 ha (DOMAIN.md §2); we do the same.
POINT_DEFAULT_AREA_HA = Decimal(4)
#: Vertices of the circle a point is buffered to: 64 keeps the outline within 0.5 m of a true
#: circle for 8 ha, and the radius is corrected so the polygon's area is exactly the declared one.
CIRCLE_VERTICES = 64

_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class PlotShape:
    plot_id: int
    geometry: dict | None
    declared_area_ha: Decimal | float | None


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
