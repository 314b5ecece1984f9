"""Read a field tool's export into rows: Kobo/ODK tables (.xlsx, .csv) and GeoJSON exports.

Pure functions from bytes to a SourceTable. A file that cannot be used at all raises
FieldFileError; problems of one row are found later, when the mapping is applied. KML, KMZ and
GPX are in xml_readers.py.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook

from coopchain.fieldtools import xml_readers
from coopchain.fieldtools.rows import (
    FORMATS,
    GEOMETRY_COLUMN,
    FieldFileError,
    SourceRow,
    SourceTable,
)
from coopchain.fieldtools.shapes import FieldPoint, FieldShape, OdkTextError, make_point
from coopchain.spreadsheets import SpreadsheetError
from coopchain.spreadsheets.reader import MAX_BYTES, MAX_ROWS
from coopchain.spreadsheets.reader import (  # size, encryption and zip-bomb checks
    _check_container as check_container,
)


def read_source(data: bytes, fmt: str) -> SourceTable:
    """Dispatch on the format the user chose; Kobo/ODK may be .xlsx, .csv or GeoJSON."""
    if fmt not in FORMATS:
        raise FieldFileError(_l("Unknown format %(fmt)s.", fmt=fmt))
    if len(data) > MAX_BYTES:
        raise FieldFileError(_l("The file is over %(mb)s MB.", mb=MAX_BYTES // (1024 * 1024)))
    if not data.strip():
        raise FieldFileError(_l("The file is empty."))
    if fmt == "kml":
        table = xml_readers.read_kml(data)
    elif fmt == "gpx":
        table = xml_readers.read_gpx(data)
    elif fmt == "geojson" or data.lstrip(b"\xef\xbb\xbf \r\n\t").startswith(b"{"):
        table = read_geojson(data)
    elif data.startswith(b"PK"):
        table = read_xlsx(data)
    else:
        table = read_csv(data)
    if len(table.rows) > MAX_ROWS:
        raise FieldFileError(_l("More than %(limit)s rows: split the file.", limit=MAX_ROWS))
    return table


def _text(value) -> str | None:
    """A cell as text: Excel gives 7 for member code "7", 7.0 for a whole number."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _table(headers, records, first_row: int) -> SourceTable:
    columns = [_text(h) or "" for h in headers]
    if not any(columns):
        raise FieldFileError(_l("The first row holds no column names."))
    rows = []
    for number, cells in enumerate(records, start=first_row):
        values = {}
        for name, cell in zip(columns, cells, strict=False):
            text = _text(cell)
            if name and text is not None:
                values.setdefault(name, text)
        if values:
            rows.append(SourceRow(number, values))
        if len(rows) > MAX_ROWS:
            raise FieldFileError(_l("More than %(limit)s rows: split the file.", limit=MAX_ROWS))
    if not rows:
        raise FieldFileError(_l("The file has column names but no rows."))
    return _join_split_geopoints(SourceTable([c for c in columns if c], rows))


#: ODK Central's CSV splits a geopoint question into four columns and keeps no text column.
_SPLIT_PARTS = ("-Latitude", "-Longitude", "-Altitude", "-Accuracy")


def _join_split_geopoints(table: SourceTable) -> SourceTable:
    """Add "<question>" as ODK text ("lat lon alt acc") where only its split columns exist."""
    for column in list(table.columns):
        if not column.endswith("-Latitude"):
            continue
        base = column.removesuffix("-Latitude")
        if base in table.columns or f"{base}-Longitude" not in table.columns:
            continue
        table.columns.append(base)
        for row in table.rows:
            parts = [row.values.get(base + part) for part in _SPLIT_PARTS]
            if parts[0] and parts[1]:
                row.values[base] = " ".join(p for p in parts if p)
    return table


def read_xlsx(data: bytes) -> SourceTable:
    """The first sheet of a Kobo/ODK .xlsx export (repeat groups sit in later sheets)."""
    try:
        check_container(data, MAX_BYTES)
    except SpreadsheetError as exc:
        raise FieldFileError(exc.message) from None
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise FieldFileError(_l("The file cannot be read as an Excel workbook (.xlsx).")) from None
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        return _table(next(rows, ()), rows, first_row=2)
    finally:
        book.close()


def read_csv(data: bytes) -> SourceTable:
    """Kobo writes ";"-separated CSV by default, ODK Central ","; the header line tells."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    header = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=header.count)
    try:
        records = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise FieldFileError(_l("The CSV file cannot be read: %(detail)s", detail=exc)) from None
    if not records:
        raise FieldFileError(_l("The file is empty."))
    return _table(records[0], records[1:], first_row=2)


def _geojson_shape(geometry) -> tuple[FieldShape | None, tuple[str, dict] | None]:
    """A GeoJSON geometry ([lon, lat] already) as a FieldShape."""
    if not isinstance(geometry, dict):
        return None, ("shape.missing", {})
    kind, coords = geometry.get("type"), geometry.get("coordinates")

    def points(positions) -> list[FieldPoint]:
        out = []
        for i, pos in enumerate(positions, start=1):
            lon, lat = Decimal(str(pos[0])), Decimal(str(pos[1]))
            alt = Decimal(str(pos[2])) if len(pos) > 2 else None
            out.append(make_point(lon, lat, alt, None, i))
        return out

    try:
        if kind == "Point":
            return FieldShape("point", points([coords])), None
        if kind == "LineString":
            return FieldShape("line", points(coords)), None
        if kind == "Polygon":
            return FieldShape("polygon", points(coords[0]), holes=len(coords) - 1), None
        if kind in ("MultiPolygon", "MultiPoint", "MultiLineString") and len(coords) == 1:
            return _geojson_shape({"type": kind.removeprefix("Multi"), "coordinates": coords[0]})
    except OdkTextError as exc:
        return None, (exc.rule, exc.params)
    except (TypeError, IndexError, KeyError, ValueError, ArithmeticError):
        return None, ("odk.not_numbers", {"vertex": 1, "text": str(coords)[:60]})
    if kind in ("MultiPolygon", "MultiPoint", "MultiLineString", "GeometryCollection"):
        count = len(coords if isinstance(coords, list) else geometry.get("geometries") or [])
        return None, ("shape.multiple", {"count": count})
    return None, ("shape.missing", {})


def read_geojson(data: bytes) -> SourceTable:
    """A Kobo/ODK GeoJSON export: one Feature per submission, the questions as properties."""
    try:
        doc = json.loads(data.decode("utf-8-sig"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise FieldFileError(_l("The file is not valid GeoJSON.")) from None
    features = doc.get("features") if isinstance(doc, dict) else None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        features = [doc]
    if not isinstance(features, list) or not features:
        raise FieldFileError(_l("The GeoJSON has no features."))
    columns: dict[str, None] = {}
    rows = []
    for number, feature in enumerate(features, start=1):
        feature = feature if isinstance(feature, dict) else {}
        props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
        values = {k: t for k, v in props.items() if (t := _text(v)) is not None}
        columns.update(dict.fromkeys(values))
        shape, problem = _geojson_shape(feature.get("geometry"))
        rows.append(SourceRow(number, values, shape, problem))
    return SourceTable([*columns, GEOMETRY_COLUMN], rows, has_shapes=True)
