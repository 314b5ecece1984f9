"""Field geometries: points with their GPS accuracy, ODK text parsing, and the GeoJSON a plot gets.

Pure functions: no app, database or network. Vertex numbers in issues count from 1 in the order
the field tool wrote the points, so a technician can find "point 7" in the survey.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from pyproj import Geod

from coopchain.farms.geometry import EUDR_DECIMALS

_GEOD = Geod(ellps="WGS84")

#: What the mapping step calls the kinds of ODK/Kobo geometry questions (XLSForm types).
GEOMETRY_TYPES = ("geoshape", "geotrace", "geopoint")

MESSAGES = {
    "odk.empty_point": _l("Point %(vertex)s is empty."),
    "odk.not_numbers": _l(
        "Point %(vertex)s (%(text)s) is not “latitude longitude [altitude accuracy]”."
    ),
    "xml.not_numbers": _l(
        "Point %(vertex)s (%(text)s) is not “longitude,latitude[,altitude]” "
        "(or lat/lon attributes in GPX)."
    ),
    "odk.off_globe": _l("Point %(vertex)s: latitude %(lat)s / longitude %(lon)s is off the globe."),
    "shape.line": _l(
        "A line is not a plot boundary (the EU refuses LineString): map the column as a "
        "geoshape, or walk the boundary back to its start."
    ),
    "shape.closed_trace": _l(
        "The line closes on itself: tick “Lines that close on themselves are plot boundaries” "
        "(lines_as_polygons) to import it as a polygon."
    ),
    "shape.holes": _l(
        "The polygon has %(holes)s inner ring(s) (holes); the EU rules refuse holes: draw the "
        "outer boundary only, or split the plot."
    ),
    "shape.multiple": _l(
        "The placemark holds %(count)s geometries; a plot needs exactly one point or polygon."
    ),
    "shape.missing": _l("No geometry in this row."),
    "accuracy.poor": _l(
        "Point %(vertex)s was taken with an accuracy of ±%(accuracy)s m, worse than the "
        "%(limit)s m allowed."
    ),
}


@dataclass(frozen=True)
class FieldIssue:
    """One problem of one row, named by row, column and vertex (1-based, None: whole row)."""

    row: int
    column: str | None
    rule: str
    message: str
    vertex: int | None = None
    severity: str = "error"

    def to_dict(self) -> dict:
        return asdict(self)


def issue(row: int, column: str | None, rule: str, severity="error", **params) -> FieldIssue:
    vertex = params.get("vertex")
    return FieldIssue(row, column, rule, str(MESSAGES[rule]) % params, vertex, severity)


@dataclass
class FieldPoint:
    lon: Decimal
    lat: Decimal
    alt: Decimal | None = None
    #: GPS accuracy in metres as the device reported it (ODK's 4th value), None if unknown.
    accuracy: Decimal | None = None
    #: 1-based position in the source (survey cell, KML coordinates, GPX track).
    source_index: int = 0


@dataclass
class FieldShape:
    """A geometry as the field tool gave it: kind is point, polygon or line."""

    kind: str
    points: list[FieldPoint] = field(default_factory=list)
    holes: int = 0


class OdkTextError(ValueError):
    def __init__(self, rule: str, **params):
        super().__init__(rule)
        self.rule, self.params = rule, params


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_odk(text: str) -> list[FieldPoint]:
    """ODK geopoint/geotrace/geoshape text -> points (DOMAIN.md §10).

    Points are "lat lon [alt [acc]]", **latitude first**, joined by ";" or "; "; empty entries
    at the end (ODK Central 0.7–0.9) are dropped, an empty one in the middle is an error.
    """
    parts = [part.strip() for part in str(text).split(";")]
    while parts and not parts[-1]:
        parts.pop()
    points = []
    for i, part in enumerate(parts, start=1):
        if not part:
            raise OdkTextError("odk.empty_point", vertex=i)
        numbers = [_number(v) for v in part.split()]
        if not 2 <= len(numbers) <= 4 or None in numbers:
            raise OdkTextError("odk.not_numbers", vertex=i, text=part[:60])
        alt = numbers[2] if len(numbers) > 2 else None
        acc = numbers[3] if len(numbers) > 3 else None
        points.append(make_point(numbers[1], numbers[0], alt, acc, i))
    return points


def make_point(lon: Decimal, lat: Decimal, alt, acc, index: int) -> FieldPoint:
    """A point on the globe (WGS84 ranges), or OdkTextError naming its vertex."""
    if not (lon.is_finite() and lat.is_finite() and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise OdkTextError("odk.off_globe", vertex=index, lat=str(lat)[:20], lon=str(lon)[:20])
    return FieldPoint(lon, lat, alt, acc, index)


def _key(point: FieldPoint) -> tuple:
    # The EU keeps 6 decimals: points equal at 6 decimals are the same vertex (DOMAIN.md §2).
    return (round(point.lon, EUDR_DECIMALS), round(point.lat, EUDR_DECIMALS))


def drop_repeats(points: list[FieldPoint]) -> list[FieldPoint]:
    """Consecutive duplicates dropped (a double tap in ODK Collect), the first one kept."""
    kept: list[FieldPoint] = []
    for point in points:
        if not kept or _key(kept[-1]) != _key(point):
            kept.append(point)
    return kept


def closes_on_itself(points: list[FieldPoint], tolerance_m: float) -> bool:
    """A line whose end comes back within `tolerance_m` of its start, around some area."""
    if len(points) < 4:
        return False
    first, last = points[0], points[-1]
    gap = _GEOD.inv(float(first.lon), float(first.lat), float(last.lon), float(last.lat))[2]
    return gap <= tolerance_m


def shape_from_odk(points: list[FieldPoint], geometry_type: str) -> FieldShape:
    """One point is a point; a geoshape is a polygon; a geotrace is a line (DOMAIN.md §10)."""
    if len(points) == 1:
        return FieldShape("point", points)
    return FieldShape("polygon" if geometry_type == "geoshape" else "line", points)


def to_geojson(shape: FieldShape, *, lines_as_polygons: bool, tolerance_m: float):
    """(GeoJSON geometry with exact Decimal coordinates, source index per position, rule).

    rule names why there is no geometry (a line, a closed line not confirmed, holes); the
    geometry rules themselves (DOMAIN.md §2) run later, in the import, on what this returns.
    """
    if shape.holes:
        return None, [], "shape.holes"
    points = drop_repeats(shape.points)
    if shape.kind == "point" or len(points) == 1:
        p = points[0]
        return {"type": "Point", "coordinates": [p.lon, p.lat]}, [p.source_index], None
    if shape.kind == "line":
        if not closes_on_itself(points, tolerance_m):
            return None, [], "shape.line"
        if not lines_as_polygons:
            return None, [], "shape.closed_trace"
    ring = list(points)
    if _key(ring[0]) != _key(ring[-1]):
        ring.append(ring[0])  # close the ring: the last position repeats the first (§2)
    elif ring[-1] is not ring[0]:
        ring[-1] = ring[0]  # equal at 6 decimals: make them exactly equal
    coordinates = [[p.lon, p.lat] for p in ring]
    return {"type": "Polygon", "coordinates": [coordinates]}, [p.source_index for p in ring], None


def poor_accuracy(points: list[FieldPoint], limit_m: float) -> list[dict]:
    """Points whose reported accuracy is worse than `limit_m` (a setting)."""
    return [
        {"vertex": p.source_index, "accuracy": f"{float(p.accuracy):g}", "limit": f"{limit_m:g}"}
        for p in points
        if p.accuracy is not None and float(p.accuracy) > limit_m
    ]


def accuracies(points: list[FieldPoint]) -> list[float | None]:
    return [None if p.accuracy is None else float(p.accuracy) for p in points]
