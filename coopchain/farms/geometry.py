"""Plot geometry for the EUDR GeoJSON format (DOMAIN.md §2, EUDR GeoJson File v1.3): its limits,
the issues a check reports, and helpers to build, locate and draw a plot's geometry.

The checks themselves are in geometry_validation.py. Pure functions: no app, database or network.

Indices in issue params are 0-based positions in the GeoJSON arrays. Polygons are numbered in
document order across MultiPolygon / GeometryCollection members, and so are point positions.
Edge ``k`` of a ring runs from vertex ``k`` to vertex ``k + 1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

import shapely
from flask_babel import lazy_gettext as _l
from shapely.errors import ShapelyError

#: Rough bounding box of Peru as (lon_min, lat_min, lon_max, lat_max) (DOMAIN §2).
PERU_BBOX = (-81.4, -18.4, -68.6, 0.1)
#: The EU system keeps 6 decimals and wants at least 6 (DOMAIN §2).
EUDR_DECIMALS = 6
#: Largest plot that may be geolocated by a single point, in hectares (DOMAIN §2).
POINT_MAX_HA = Decimal(4)
#: Declared vs computed area differing by more than this share of computed -> warning.
AREA_TOLERANCE = Decimal("0.10")
CROPS = ("coffee", "pitahaya")
#: Pitahaya is not an EUDR commodity (DOMAIN §2), so EUDR-only rules only warn for it.
EUDR_CROPS = frozenset({"coffee"})

_NUMBER = (int, float, Decimal)
_MALFORMED = (ValueError, TypeError, KeyError, AttributeError, IndexError, ShapelyError)

MESSAGES = {
    "json.invalid": _l("The file is not valid JSON (line %(line)s, column %(col)s): %(detail)s."),
    "json.empty": _l("The file is empty: choose a GeoJSON file or paste the geometry."),
    "geometry.empty": _l("The geometry is empty: it has no coordinates."),
    "geometry.missing": _l("No geolocation yet: EUDR needs a point or polygon."),
    "geometry.unreadable": _l("The geometry cannot be read: %(detail)s."),
    "geometry.too_many_vertices": _l(
        "The geometry has %(count)s vertices; at most %(limit)s are accepted: simplify it first."
    ),
    "geometry.type": _l(
        "%(type)s is not accepted: use Point, MultiPoint, Polygon or MultiPolygon."
    ),
    "geometry.feature_count": _l("A plot needs exactly one feature, this file has %(count)s."),
    "area.not_number": _l("Area must be a number of hectares, not %(value)s (the EU reads 0)."),
    "point.area_over_4ha": _l("A plot of %(area_ha)s ha needs a polygon, not a point (max 4 ha)."),
    "coordinate.not_number": _l("Vertex %(vertex)s is not a position [longitude, latitude]."),
    "coordinate.out_of_range": _l("Vertex %(vertex)s [%(lon)s, %(lat)s] is off the globe."),
    "coordinate.swapped": _l(
        "Vertex %(vertex)s [%(lon)s, %(lat)s] looks like [latitude, longitude] "
        "(%(count)s position(s)); GeoJSON wants [longitude, latitude]."
    ),
    "coordinate.outside_peru": _l("Vertex %(vertex)s [%(lon)s, %(lat)s] lies outside Peru."),
    "precision.low": _l("Coordinates have at most %(decimals)s decimal digits; the EU wants 6."),
    "ring.too_few_positions": _l(
        "Polygon %(polygon)s, ring %(ring)s has %(count)s positions; it needs at least 4."
    ),
    "ring.unclosed": _l(
        "Polygon %(polygon)s, ring %(ring)s is not closed: the last position must repeat the first."
    ),
    "polygon.holes": _l("Polygon %(polygon)s has holes (%(holes)s); holes are not accepted."),
    "vertex.duplicate_after_rounding": _l(
        "Polygon %(polygon)s, ring %(ring)s: vertex %(vertex)s equals the previous one "
        "when rounded to 6 decimals."
    ),
    "ring.self_intersection": _l(
        "Polygon %(polygon)s, ring %(ring)s crosses or overlaps itself: "
        "edge %(edge_a)s meets edge %(edge_b)s."
    ),
    "polygon.zero_area": _l(
        "Polygon %(polygon)s, ring %(ring)s encloses no area: its points lie on a line."
    ),
    "multipolygon.overlap": _l("Polygons %(polygon_a)s and %(polygon_b)s overlap."),
    "area.mismatch": _l(
        "Declared area %(declared_ha)s ha differs from the mapped %(computed_ha)s ha by over 10 %%."
    ),
}


_INDEX_PARAMS = frozenset(
    {"vertex", "ring", "polygon", "edge_a", "edge_b", "polygon_a", "polygon_b"}
)


#: Python's JSON parser explains itself in English; people read these instead.
JSON_DETAILS = {
    "Expecting value": _l("a value was expected here"),
    "Expecting property name enclosed in double quotes": _l(
        "a name in double quotes was expected here"
    ),
    "Expecting ':' delimiter": _l("a colon (:) is missing"),
    "Expecting ',' delimiter": _l("a comma (,) is missing"),
    "Unterminated string starting at": _l("a text in quotes is not closed"),
    "Invalid control character at": _l("a text holds a line break or control character"),
    "Invalid \\escape": _l("a backslash (\\) starts no valid escape"),
    "Invalid \\uXXXX escape": _l("a backslash (\\) starts no valid escape"),
    "Extra data": _l("there is more text after the end"),
    "Illegal trailing comma before end of object": _l("a comma before } is not allowed"),
    "Illegal trailing comma before end of array": _l("a comma before ] is not allowed"),
    "not UTF-8 text": _l("it is not UTF-8 text"),
}
JSON_UNREADABLE = _l("it cannot be read")


@dataclass(frozen=True)
class GeometryIssue:
    rule: str
    params: dict = field(default_factory=dict)  # JSON-safe: ints, floats, strings only

    @property
    def message(self) -> str:
        # params keep 0-based GeoJSON indices for programs; people count from 1.
        shown = {k: v + 1 if k in _INDEX_PARAMS else v for k, v in self.params.items()}
        if self.rule == "json.invalid":
            shown["detail"] = str(JSON_DETAILS.get(str(shown.get("detail")), JSON_UNREADABLE))
        return str(MESSAGES[self.rule]) % shown

    @classmethod
    def describe(cls, stored: dict) -> str:
        """A stored issue's message in the current language (stored text as a fallback)."""
        if stored.get("rule") in MESSAGES:
            try:
                return cls(stored["rule"], stored.get("params") or {}).message
            except (KeyError, TypeError, ValueError):
                pass
        return stored.get("message", stored.get("rule", ""))

    def to_dict(self) -> dict:
        return {"rule": self.rule, "message": self.message, "params": dict(self.params)}


def point_geometry(lon, lat) -> dict:
    """A GeoJSON Point; GeoJSON positions are [longitude, latitude] (DOMAIN §2)."""
    return {"type": "Point", "coordinates": [float(lon), float(lat)]}


def geometry_centroid(geometry) -> tuple[float, float] | None:
    """(lon, lat) of the geometry's centroid, or None when there is nothing to locate."""
    if not geometry:
        return None
    try:
        shape = shapely.geometry.shape(_plain(geometry))
    except _MALFORMED:
        return None
    if shape.is_empty:
        return None
    centre = shape.centroid
    return (centre.x, centre.y)


def svg_outline(geometry: dict | None, size: int = 96) -> str:
    """A small stroke-only inline SVG of the plot, north up; only numbers are interpolated."""
    rings: list[list[tuple[float, float]]] = []
    points: list[tuple[float, float]] = []
    _collect(geometry, rings, points)
    every = [xy for ring in rings for xy in ring] + points
    if not every:
        return ""
    size = int(size)
    xs, ys = [x for x, _ in every], [y for _, y in every]
    min_x, max_y = min(xs), max(ys)
    # Shrink longitudes by cos(latitude) so a square plot stays square away from the equator.
    kx = math.cos(math.radians((min(ys) + max_y) / 2))
    width, height = (max(xs) - min_x) * kx, max_y - min(ys)
    pad = size * 0.06
    scale = (size - 2 * pad) / max(width, height) if max(width, height) > 0 else 0.0
    off_x, off_y = (size - width * scale) / 2, (size - height * scale) / 2

    def at(x: float, y: float) -> tuple[str, str]:
        # SVG y grows downwards, latitude upwards: flip so north is up.
        return f"{off_x + (x - min_x) * kx * scale:.2f}", f"{off_y + (max_y - y) * scale:.2f}"

    parts = []
    for ring in rings:
        ring = ring[:-1] if len(ring) > 1 and ring[0] == ring[-1] else ring  # "Z" closes it
        d = " L".join("{} {}".format(*at(x, y)) for x, y in ring)
        parts.append(f'<path d="M{d} Z"/>')
    for x, y in points:
        cx, cy = at(x, y)
        parts.append(f'<circle cx="{cx}" cy="{cy}" r="{size * 0.04:.2f}"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size}" '
        f'height="{size}" fill="none" stroke="currentColor" stroke-width="1.5" '
        f'stroke-linejoin="round" aria-hidden="true">{"".join(parts)}</svg>'
    )


# --- internals ---------------------------------------------------------------------------------


def _plain(value):
    """Copy of parsed JSON with Decimals as floats, for shapely and JSON columns."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return float(value) if isinstance(value, Decimal) else value


def _collect(geom, rings: list, points: list) -> None:
    """Gather drawable rings and points, skipping anything malformed."""
    if not isinstance(geom, dict):
        return
    kind, coords = geom.get("type"), geom.get("coordinates")
    if kind == "GeometryCollection":
        members = geom.get("geometries")
        for member in members if isinstance(members, list) else []:
            _collect(member, rings, points)
        return
    polys = {"Polygon": [coords], "MultiPolygon": coords}.get(kind)
    pts = {"Point": [coords], "MultiPoint": coords}.get(kind)
    for poly in polys if isinstance(polys, list) else []:
        for ring in poly if isinstance(poly, list) else []:
            xy = [_position(pos) for pos in ring] if isinstance(ring, list) else []
            if xy and None not in xy:
                rings.append(xy)
    for xy in map(_position, pts if isinstance(pts, list) else []):
        if xy is not None:
            points.append(xy)


def _position(pos) -> tuple[float, float] | None:
    """(lon, lat) if pos is 2 or 3 finite numbers, else None (RFC 7946 positions)."""
    if not isinstance(pos, list | tuple) or len(pos) not in (2, 3):
        return None
    if not all(isinstance(v, _NUMBER) and not isinstance(v, bool) for v in pos):
        return None
    lon, lat = float(pos[0]), float(pos[1])
    return (lon, lat) if math.isfinite(lon) and math.isfinite(lat) else None
