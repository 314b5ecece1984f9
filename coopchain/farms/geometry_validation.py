"""Checks one plot's GeoJSON against the EUDR format (DOMAIN.md §2, EUDR GeoJson File v1.3).

Pure functions: no app, database or network. ``validate_plot_geometry`` turns uploaded GeoJSON
text (or an already parsed dict) into a :class:`GeometryReport`: *errors* are things the EU
system would reject, *warnings* are things it accepts but a person should look at. Issue params
follow the index conventions described in geometry.py.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from decimal import Decimal

import shapely
from pyproj import Geod

from coopchain.farms.geometry import (
    _NUMBER,
    AREA_TOLERANCE,
    CROPS,
    EUDR_CROPS,
    EUDR_DECIMALS,
    PERU_BBOX,
    POINT_MAX_HA,
    GeometryIssue,
    _plain,
    _position,
)

# On a 1e-6 degree grid the smallest non-degenerate triangle is 5e-13 deg², so a convex hull
# below this is a straight line as the EU system (6 decimals) sees it.
_ZERO_AREA_DEG2 = 1e-13
_GEOD = Geod(ellps="WGS84")
_HA = Decimal("0.0001")


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


#: Vertices one plot's geometry may have. A boundary walked with a phone at a point every few
#: metres has a few hundred; 100,000 took 3.8 s to check and 2.5 MB to store (issue: trust).
MAX_VERTICES = 10_000


def _vertex_count(data) -> int:
    """Positions ([x, y, …] of numbers) anywhere in the GeoJSON, counted without recursion."""
    count, pending = 0, [data]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            if item and all(isinstance(v, int | float) for v in item):
                count += 1
            else:
                pending.extend(item)
    return count


def _validate(geojson, *, crop: str, declared_area_ha: Decimal | None) -> GeometryReport:
    if crop not in CROPS:
        raise ValueError(f"unknown crop {crop!r}")
    declared = None if declared_area_ha is None else Decimal(str(declared_area_ha))
    data, issue = _load(geojson)
    if issue is not None:
        return GeometryReport(geometry=None, errors=[issue])
    if (count := _vertex_count(data)) > MAX_VERTICES:
        too_many = GeometryIssue(
            "geometry.too_many_vertices", {"count": count, "limit": MAX_VERTICES}
        )
        return GeometryReport(geometry=None, errors=[too_many])
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
    if not geojson.removeprefix("\ufeff").strip():
        return None, GeometryIssue("json.empty")
    try:  # Files saved by Windows tools often start with a byte-order mark.
        return json.loads(geojson.removeprefix("\ufeff"), parse_float=Decimal), None
    except json.JSONDecodeError as exc:
        return None, GeometryIssue(
            "json.invalid", {"line": exc.lineno, "col": exc.colno, "detail": exc.msg}
        )


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
