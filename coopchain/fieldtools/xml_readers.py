"""Read KML, KMZ (Google Earth) and GPX (GPS units) into rows with their own geometry.

XML is parsed without entity expansion, DTDs or network access (a KML from the internet must
not read the server's files or blow up memory). DOMAIN.md §10: KML coordinates are
"lon,lat[,alt]" tuples separated by whitespace; GPX trkpt/wpt carry lat and lon attributes.
"""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from lxml import etree

from coopchain.fieldtools.rows import (
    GEOMETRY_COLUMN,
    FieldFileError,
    SourceRow,
    SourceTable,
)
from coopchain.fieldtools.shapes import FieldPoint, FieldShape, OdkTextError, make_point

#: A KMZ is a zip holding doc.kml (and images): refuse one that inflates past this.
MAX_KML_BYTES = 50 * 1024 * 1024
_PARSER_OPTIONS = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
}


class _BadCoordinate(ValueError):
    def __init__(self, vertex: int, text: str):
        super().__init__(text)
        self.params = {"vertex": vertex, "text": text[:60]}


def _parse(data: bytes, what: str):
    if b"<!ENTITY" in data or b"<!DOCTYPE" in data:
        raise FieldFileError(
            _l("The %(what)s file declares a DOCTYPE or entities, which are refused.", what=what)
        )
    try:
        return etree.fromstring(data, etree.XMLParser(**_PARSER_OPTIONS))
    except etree.XMLSyntaxError as exc:
        raise FieldFileError(
            _l("The %(what)s file is not valid XML: %(detail)s", what=what, detail=exc.msg)
        ) from None


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _children(element, name: str) -> list:
    return [c for c in element if _local(c) == name]


def _descendants(element, name: str) -> list:
    return [e for e in element.iter() if _local(e) == name]


def _child_text(element, name: str) -> str | None:
    for child in _children(element, name):
        text = (child.text or "").strip()
        if text:
            return text
    return None


def _number(text: str | None) -> Decimal:
    value = Decimal(str(text).strip())
    if not value.is_finite():
        raise InvalidOperation(text)
    return value


# --- KML / KMZ ----------------------------------------------------------------------------------


def _kml_points(coordinates: str) -> list[FieldPoint]:
    points = []
    for i, tuple_text in enumerate(coordinates.split(), start=1):
        parts = tuple_text.split(",")
        try:
            if len(parts) not in (2, 3):
                raise InvalidOperation(tuple_text)
            lon, lat = _number(parts[0]), _number(parts[1])
            alt = _number(parts[2]) if len(parts) == 3 else None
        except InvalidOperation:
            raise _BadCoordinate(i, tuple_text) from None
        points.append(make_point(lon, lat, alt, None, i))
    return points


def _coordinates_of(element) -> str:
    found = _descendants(element, "coordinates")
    return (found[0].text or "") if found else ""


def _kml_shape(geometries: list) -> FieldShape:
    if len(geometries) != 1:
        raise _Problem("shape.multiple", count=len(geometries))
    geom = geometries[0]
    kind = _local(geom)
    if kind == "Point":
        return FieldShape("point", _kml_points(_coordinates_of(geom))[:1])
    if kind == "LineString":
        return FieldShape("line", _kml_points(_coordinates_of(geom)))
    outer = _descendants(geom, "outerBoundaryIs")
    holes = len(_descendants(geom, "innerBoundaryIs"))  # refused by the EU rules (§2)
    return FieldShape("polygon", _kml_points(_coordinates_of(outer[0] if outer else geom)), holes)


class _Problem(ValueError):
    def __init__(self, rule: str, **params):
        super().__init__(rule)
        self.rule, self.params = rule, params


_KML_GEOMETRIES = {"Point", "LineString", "Polygon"}


def read_kml(data: bytes) -> SourceTable:
    """Placemarks with their name, description and ExtendedData as columns."""
    if data.startswith(b"PK"):
        data = _kmz_document(data)
    root = _parse(data, "KML")
    columns: dict[str, None] = {"name": None, "description": None}
    rows = []
    for number, placemark in enumerate(_descendants(root, "Placemark"), start=1):
        values = {}
        for name in ("name", "description"):
            if (text := _child_text(placemark, name)) is not None:
                values[name] = text
        for data_el in _descendants(placemark, "Data") + _descendants(placemark, "SimpleData"):
            key = data_el.get("name")
            text = _child_text(data_el, "value") if _local(data_el) == "Data" else data_el.text
            if key and text and text.strip():
                values.setdefault(key, text.strip())
                columns.setdefault(key)
        geometries = [e for e in placemark.iter() if _local(e) in _KML_GEOMETRIES]
        # A Polygon's rings are LinearRings inside it, not geometries of their own.
        row = SourceRow(number, values)
        try:
            row.shape = _kml_shape(geometries) if geometries else None
            if row.shape is None:
                row.shape_issue = ("shape.missing", {})
        except _BadCoordinate as exc:
            row.shape_issue = ("xml.not_numbers", exc.params)
        except OdkTextError as exc:
            row.shape_issue = (exc.rule, exc.params)
        except _Problem as exc:
            row.shape_issue = (exc.rule, exc.params)
        rows.append(row)
    if not rows:
        raise FieldFileError(_l("The KML file has no placemarks."))
    return SourceTable([*columns, GEOMETRY_COLUMN], rows, has_shapes=True)


def _kmz_document(data: bytes) -> bytes:
    """doc.kml (or the first .kml) of a KMZ archive, size-checked before inflating."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            kml = [m for m in archive.infolist() if m.filename.lower().endswith(".kml")]
            if not kml:
                raise FieldFileError(_l("The KMZ archive holds no .kml file."))
            member = next((m for m in kml if m.filename.lower() == "doc.kml"), kml[0])
            if member.file_size > MAX_KML_BYTES:
                raise FieldFileError(_l("The KML inside the KMZ is too large."))
            return archive.read(member)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise FieldFileError(_l("The KMZ file is not a readable zip archive.")) from None


# --- GPX ------------------------------------------------------------------------------------------


def _gpx_points(elements) -> list[FieldPoint]:
    points = []
    for i, el in enumerate(elements, start=1):
        try:
            lat, lon = _number(el.get("lat")), _number(el.get("lon"))
            ele = _child_text(el, "ele")
            alt = _number(ele) if ele is not None else None
        except InvalidOperation:
            raise _BadCoordinate(i, f"lat={el.get('lat')} lon={el.get('lon')}") from None
        points.append(make_point(lon, lat, alt, None, i))
    return points


def read_gpx(data: bytes) -> SourceTable:
    """Each track (all its segments) and route is a line; each waypoint is a point."""
    root = _parse(data, "GPX")
    found = [(el, "track", "trkpt") for el in _descendants(root, "trk")]
    found += [(el, "route", "rtept") for el in _descendants(root, "rte")]
    found += [(el, "waypoint", None) for el in _children(root, "wpt")]
    rows = []
    for number, (element, kind, point_tag) in enumerate(found, start=1):
        values = {"type": kind}
        for name in ("name", "desc", "cmt"):
            if (text := _child_text(element, name)) is not None:
                values[name] = text
        row = SourceRow(number, values)
        try:
            if point_tag is None:
                row.shape = FieldShape("point", _gpx_points([element]))
            else:
                row.shape = FieldShape("line", _gpx_points(_descendants(element, point_tag)))
                if not row.shape.points:
                    row.shape, row.shape_issue = None, ("shape.missing", {})
        except _BadCoordinate as exc:
            row.shape_issue = ("xml.not_numbers", exc.params)
        except OdkTextError as exc:
            row.shape_issue = (exc.rule, exc.params)
        rows.append(row)
    if not rows:
        raise FieldFileError(_l("The GPX file has no tracks, routes or waypoints."))
    return SourceTable(["name", "desc", "cmt", "type", GEOMETRY_COLUMN], rows, has_shapes=True)
