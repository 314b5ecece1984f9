"""Plot geometry checks for the EUDR GeoJSON format (DOMAIN.md §2, EUDR GeoJson File v1.3).

Pure functions: no app, database or network. ``validate_plot_geometry`` turns uploaded GeoJSON
text (or an already parsed dict) into a :class:`GeometryReport`: *errors* are things the EU
system would reject, *warnings* are things it accepts but a person should look at.

Indices in issue params are 0-based positions in the GeoJSON arrays. Polygons are numbered in
document order across MultiPolygon / GeometryCollection members, and so are point positions.
Edge ``k`` of a ring runs from vertex ``k`` to vertex ``k + 1``.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from decimal import Decimal

import shapely
from flask_babel import lazy_gettext as _l
from pyproj import Geod
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

# On a 1e-6 degree grid the smallest non-degenerate triangle is 5e-13 deg², so a convex hull
# below this is a straight line as the EU system (6 decimals) sees it.
_ZERO_AREA_DEG2 = 1e-13
_GEOD = Geod(ellps="WGS84")
_HA = Decimal("0.0001")
_NUMBER = (int, float, Decimal)
_MALFORMED = (ValueError, TypeError, KeyError, AttributeError, IndexError, ShapelyError)

MESSAGES = {
    "json.invalid": _l("The file is not valid JSON (line %(line)s, column %(col)s): %(detail)s."),
    "geometry.empty": _l("The geometry is empty: it has no coordinates."),
    "geometry.missing": _l("No geolocation yet: EUDR needs a point or polygon."),
    "geometry.unreadable": _l("The geometry cannot be read: %(detail)s."),
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
    "polygon.holes": _l("Polygon %(polygon)s has %(holes)s hole(s); holes are not accepted."),
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


@dataclass(frozen=True)
class GeometryIssue:
    rule: str
    params: dict = field(default_factory=dict)  # JSON-safe: ints, floats, strings only

    @property
    def message(self) -> str:
        # params keep 0-based GeoJSON indices for programs; people count from 1.
        shown = {k: v + 1 if k in _INDEX_PARAMS else v for k, v in self.params.items()}
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


@dataclass
class GeometryReport:
    geometry: dict | None
    errors: list[GeometryIssue] = field(default_factory=list)
    warnings: list[GeometryIssue] = field(default_factory=list)
    computed_area_ha: Decimal | None = None
    area_from_properties: Decimal | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_plot_geometry(
    geojson: str | bytes | dict, *, crop: str, declared_area_ha: Decimal | None
) -> GeometryReport:
    """Check one plot's GeoJSON (bare geometry, Feature or one-feature FeatureCollection)."""
    try:
        return _validate(geojson, crop=crop, declared_area_ha=declared_area_ha)
    except (RecursionError, OverflowError) as exc:
        # Absurd input (arrays nested thousands deep, integers with 400 digits): refuse it
        # as unreadable rather than fail the request.
        reason = "nested too deeply" if isinstance(exc, RecursionError) else "number too large"
        return GeometryReport(
            None, errors=[GeometryIssue("geometry.unreadable", {"detail": reason})]
        )


def _validate(geojson, *, crop: str, declared_area_ha: Decimal | None) -> GeometryReport:
    if crop not in CROPS:
        raise ValueError(f"unknown crop {crop!r}")
    declared = None if declared_area_ha is None else Decimal(str(declared_area_ha))
    data, issue = _load(geojson)
    if issue is not None:
        return GeometryReport(geometry=None, errors=[issue])
    walker = _Walker()
    geometry, props = walker.unwrap(data)
    if geometry is not None:
        walker.geometry(geometry)
        walker.check_overlaps()
    report = GeometryReport(
        geometry=_plain(geometry) if isinstance(geometry, dict) else None,
        errors=walker.errors,
        warnings=walker.warnings,
        # Area only means something once every polygon passed its checks.
        computed_area_ha=walker.area_ha() if not walker.errors else None,
    )
    if "Area" in props:
        value = props["Area"]
        if isinstance(value, _NUMBER) and not isinstance(value, bool) and math.isfinite(value):
            report.area_from_properties = Decimal(str(value))
        else:  # Area must be a JSON number; "3" is read as 0 (DOMAIN §2)
            shown = json.dumps(value, default=str)[:40]
            report.errors.append(GeometryIssue("area.not_number", {"value": shown}))

    if walker.kinds == {"point"}:
        # Plots > 4 ha need a polygon; a Point with Area > 4 is an error (DOMAIN §2).
        sizes = [a for a in (declared, report.area_from_properties) if a is not None]
        if sizes and max(sizes) > POINT_MAX_HA:
            issue = GeometryIssue("point.area_over_4ha", {"area_ha": str(max(sizes))})
            # Pitahaya is not in EUDR scope (DOMAIN §2): keep the point, only warn.
            (report.errors if crop in EUDR_CROPS else report.warnings).append(issue)

    area = report.computed_area_ha
    if declared is not None and area and abs(declared - area) > area * AREA_TOLERANCE:
        report.warnings.append(
            GeometryIssue("area.mismatch", {"declared_ha": str(declared), "computed_ha": str(area)})
        )
    if walker.max_decimals is not None and walker.max_decimals < EUDR_DECIMALS:
        # Every plot needs coordinates with >= 6 decimal digits (DOMAIN §2). Judged on the most
        # precise number: a float drops trailing zeros (-77.45012 may have been -77.450120), so
        # one short number proves nothing, but a geometry with no 6-decimal number is imprecise.
        report.warnings.append(GeometryIssue("precision.low", {"decimals": walker.max_decimals}))
    return report


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


def _load(geojson) -> tuple[object, GeometryIssue | None]:
    """Parse text keeping numbers as Decimal, so decimals can be counted as written."""
    if not isinstance(geojson, str | bytes):
        return geojson, None
    if isinstance(geojson, bytes):
        try:
            geojson = geojson.decode("utf-8")
        except UnicodeDecodeError as exc:
            head = geojson[: exc.start].decode("utf-8")
            line, col = head.count("\n") + 1, len(head) - head.rfind("\n")
            return None, GeometryIssue(
                "json.invalid", {"line": line, "col": col, "detail": "not UTF-8 text"}
            )
    try:  # Files saved by Windows tools often start with a byte-order mark.
        return json.loads(geojson.removeprefix("\ufeff"), parse_float=Decimal), None
    except json.JSONDecodeError as exc:
        return None, GeometryIssue(
            "json.invalid", {"line": exc.lineno, "col": exc.colno, "detail": exc.msg}
        )


def _plain(value):
    """Copy of parsed JSON with Decimals as floats, for shapely and JSON columns."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return float(value) if isinstance(value, Decimal) else value


def _json_type(value) -> str:
    for kinds, name in ((bool, "boolean"), (_NUMBER, "number"), (str, "string"), (list, "array")):
        if isinstance(value, kinds):
            return name
    return "object" if isinstance(value, dict) else "null"


def _decimals(value) -> int:
    if isinstance(value, float):  # dict input: the float's shortest repr is "as written"
        value = Decimal(repr(value))
    if isinstance(value, Decimal) and isinstance(value.as_tuple().exponent, int):
        return max(0, -value.as_tuple().exponent)
    return 0


def _in_peru(lon: float, lat: float) -> bool:
    lon_min, lat_min, lon_max, lat_max = PERU_BBOX
    return lon_min <= lon <= lon_max and lat_min <= lat <= lat_max


def _crossing_edges(ring: list[tuple[float, float]], index: list[int]) -> tuple[int, int] | None:
    """First pair of edges that cross, or adjacent edges that fold back over each other."""
    edges = shapely.linestrings([[ring[k], ring[k + 1]] for k in range(len(ring) - 1)])
    last = len(edges) - 1
    hits = shapely.STRtree(edges).query(edges, predicate="intersects")
    for a, b in sorted(zip(hits[0].tolist(), hits[1].tolist(), strict=True)):
        if b <= a:
            continue
        if b == a + 1 or (a == 0 and b == last):  # neighbours legitimately share one vertex
            if edges[a].intersection(edges[b]).geom_type == "Point":
                continue
        return index[a], index[b]
    return None


class _Walker:
    """Walks one geometry, collecting issues and the polygons that passed their checks."""

    def __init__(self) -> None:
        self.errors: list[GeometryIssue] = []
        self.warnings: list[GeometryIssue] = []
        self.kinds: set[str] = set()
        self.shapes: list[tuple[int, shapely.Polygon, list[tuple[float, float]]]] = []
        self.n_polygons = 0
        self.n_points = 0
        self.max_decimals: int | None = None
        self.outside_seen = False

    def error(self, rule: str, **params) -> None:
        self.errors.append(GeometryIssue(rule, params))

    def unwrap(self, data) -> tuple[object, dict]:
        """The bare geometry and the Feature's properties."""
        if isinstance(data, dict) and data.get("type") == "FeatureCollection":
            features = data.get("features")
            if not isinstance(features, list) or not features:
                self.error("geometry.empty")
                return None, {}
            if len(features) != 1:
                self.error("geometry.feature_count", count=len(features))
                return None, {}
            data = features[0]
        props: dict = {}
        if isinstance(data, dict) and data.get("type") == "Feature":
            props = data.get("properties") if isinstance(data.get("properties"), dict) else {}
            data = data.get("geometry")
        if data is None:
            self.error("geometry.empty")
        return data, props

    def geometry(self, geom) -> None:
        if not isinstance(geom, dict):
            self.error("geometry.type", type=_json_type(geom))
            return
        kind = geom.get("type")
        if kind == "GeometryCollection":
            members = geom.get("geometries")
            if not isinstance(members, list) or not members:
                self.error("geometry.empty")
                return
            for member in members:
                self.geometry(member)
            return
        # Only Point, MultiPoint, Polygon, MultiPolygon (and collections of them) (DOMAIN §2).
        if kind not in ("Point", "MultiPoint", "Polygon", "MultiPolygon"):
            self.error("geometry.type", type=str(kind))
            return
        coords = geom.get("coordinates")
        if coords is None or coords == []:
            self.error("geometry.empty")
        elif kind == "Point":
            self.points([coords])
        elif kind == "MultiPoint":
            self.points(coords)
        elif kind == "Polygon":
            self.polygon(coords)
        else:
            for rings in coords if isinstance(coords, list) else [coords]:
                self.polygon(rings)

    def points(self, positions) -> None:
        self.kinds.add("point")
        positions = positions if isinstance(positions, list) else [positions]
        self.positions(positions, {}, offset=self.n_points)
        self.n_points += len(positions)

    def positions(self, positions: list, where: dict, offset: int = 0) -> list | None:
        """Floats for each position, or None when a position is unusable (stop that ring)."""
        found: dict[str, dict] = {}  # rule -> params of its first vertex, with a count

        def note(rule: str, i: int, **extra) -> None:
            first = found.setdefault(rule, {"vertex": offset + i, "count": 0, **where, **extra})
            first["count"] += 1

        out = []
        for i, pos in enumerate(positions):
            if (xy := _position(pos)) is None:
                note("coordinate.not_number", i)
                continue
            lon, lat = xy
            most = max(_decimals(pos[0]), _decimals(pos[1]))
            if self.max_decimals is None or most > self.max_decimals:
                self.max_decimals = most
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):  # WGS84 ranges (RFC 7946)
                note("coordinate.out_of_range", i, lon=lon, lat=lat)
                continue
            if not _in_peru(lon, lat):
                if _in_peru(lat, lon):  # outside Peru but inside when swapped (DOMAIN §2)
                    note("coordinate.swapped", i, lon=lon, lat=lat)
                elif not self.outside_seen:
                    self.outside_seen = True
                    params = {"vertex": offset + i, "lon": lon, "lat": lat, **where}
                    self.warnings.append(GeometryIssue("coordinate.outside_peru", params))
            out.append((lon, lat))
        for rule, params in found.items():
            self.errors.append(GeometryIssue(rule, params))
        unusable = "coordinate.not_number" in found or "coordinate.out_of_range" in found
        return None if unusable else out

    def polygon(self, rings) -> None:
        p = self.n_polygons
        self.n_polygons += 1
        self.kinds.add("polygon")
        if not isinstance(rings, list) or not rings:
            self.error("geometry.empty", polygon=p)
            return
        if len(rings) > 1:  # no holes (DOMAIN §2)
            self.error("polygon.holes", polygon=p, holes=len(rings) - 1)
        checked = [self.ring(ring, p, r) for r, ring in enumerate(rings)]
        if len(rings) == 1 and checked[0] is not None:
            self.shapes.append((p, *checked[0]))

    def ring(self, ring, p: int, r: int) -> tuple[shapely.Polygon, list] | None:
        """Check one ring; return its rounded shape and exact positions if it passed."""
        where = {"polygon": p, "ring": r}
        if not isinstance(ring, list):
            self.error("coordinate.not_number", vertex=0, count=1, **where)
            return None
        xy = self.positions(ring, where)
        if xy is None:
            return None
        usable = True
        if len(xy) < 4:  # >= 4 positions (DOMAIN §2)
            self.error("ring.too_few_positions", count=len(xy), **where)
            usable = False
        if len(xy) > 1 and xy[0] != xy[-1]:  # closed: first == last (DOMAIN §2)
            self.error("ring.unclosed", **where)
            usable = False
        if not usable:
            return None
        # The EU keeps 6 decimals: vertices equal after rounding are duplicates (DOMAIN §2).
        rounded = [(round(x, EUDR_DECIMALS), round(y, EUDR_DECIMALS)) for x, y in xy]
        kept, index = [rounded[0]], [0]
        for i in range(1, len(rounded)):
            if rounded[i] == rounded[i - 1]:
                self.error("vertex.duplicate_after_rounding", vertex=i, **where)
            else:
                kept.append(rounded[i])
                index.append(i)
        # Later checks use the ring as the EU system will see it: rounded, duplicates dropped.
        if shapely.MultiPoint(kept).convex_hull.area < _ZERO_AREA_DEG2:  # no straight lines
            self.error("polygon.zero_area", **where)
            return None
        shape = shapely.Polygon(kept)
        if not shape.is_valid:  # no self-crossing or self-overlapping rings (DOMAIN §2)
            edges = _crossing_edges(kept, index) or ("?", "?")
            self.error("ring.self_intersection", edge_a=edges[0], edge_b=edges[1], **where)
            return None
        return shape, xy

    def check_overlaps(self) -> None:
        for (i, a, _), (j, b, _) in itertools.combinations(self.shapes, 2):
            if a.relate_pattern(b, "T********"):  # interiors meet; touching is fine
                self.error("multipolygon.overlap", polygon_a=i, polygon_b=j)

    def area_ha(self) -> Decimal | None:
        if not self.shapes:
            return None
        total = 0.0
        for _, _, xy in self.shapes:  # geodesic area on WGS84 of the positions as given
            lons, lats = zip(*xy, strict=True)
            total += abs(_GEOD.polygon_area_perimeter(lons, lats)[0])
        return (Decimal(repr(total)) / 10_000).quantize(_HA)


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
