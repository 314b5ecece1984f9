"""The mapping step: which column holds the producer, the plot's name, crop and geometry.

A mapping is plain data (a dict in the database, the API and the form); `guess_mapping`
proposes one from the columns and the first rows, and `form_key` names the form a file came
from (its format and column names), so a mapping saved once is offered next time.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, fields

from flask_babel import lazy_gettext as _l

from coopchain.errors import DomainError
from coopchain.farms.geometry import CROPS
from coopchain.fieldtools.rows import GEOMETRY_COLUMN, SUBMISSION_COLUMNS, SourceTable
from coopchain.fieldtools.shapes import GEOMETRY_TYPES, OdkTextError, parse_odk

PRODUCER_KEYS = ("member_code", "national_id")
AREA_UNITS = ("ha", "m2")


@dataclass
class ColumnMapping:
    producer_column: str | None = None
    #: What the producer column holds: the member code or the DNI (national_id).
    producer_key: str = "member_code"
    name_column: str | None = None
    crop_column: str | None = None
    #: The crop of every row when no crop column is mapped.
    crop: str = "coffee"
    geometry_column: str | None = None
    geometry_type: str = "geoshape"
    area_column: str | None = None
    #: ODK's area() gives m² (DOMAIN.md §10); a form may also ask for hectares.
    area_unit: str = "ha"
    #: The user confirmed that lines closing on themselves are plot boundaries.
    lines_as_polygons: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


_COLUMN_FIELDS = ("producer_column", "name_column", "crop_column", "geometry_column", "area_column")
_CHOICES = {
    "producer_key": PRODUCER_KEYS,
    "crop": CROPS,
    "geometry_type": GEOMETRY_TYPES,
    "area_unit": AREA_UNITS,
}


def load_mapping(data: dict, columns: list[str], defaults: ColumnMapping) -> ColumnMapping:
    """A mapping from user input over `defaults`; unknown columns or values raise DomainError
    naming the field (the page and the API show it next to the field)."""
    if not isinstance(data, dict):
        raise DomainError(str(_l("The mapping must be an object of field: column.")))
    values = defaults.to_dict()
    problems: dict[str, list[str]] = {}
    known = {f.name for f in fields(ColumnMapping)}
    for name, value in data.items():
        if name not in known:
            problems[name] = [str(_l("Unknown mapping field."))]
            continue
        if name == "lines_as_polygons":
            values[name] = value in (True, "true", "1", "on", "yes", 1)
        elif name in _COLUMN_FIELDS:
            text = (str(value).strip() or None) if value is not None else None
            if text is not None and text not in columns:
                problems[name] = [str(_l("The file has no column “%(column)s”.", column=text))]
            values[name] = text
        else:
            if value not in _CHOICES[name]:
                allowed = ", ".join(_CHOICES[name])
                problems[name] = [str(_l("Choose one of: %(allowed)s.", allowed=allowed))]
            values[name] = value
    if problems:
        raise DomainError(str(_l("The column mapping has errors.")), problems)
    return ColumnMapping(**values)


def form_key(fmt: str, columns: list[str]) -> str:
    """The same form exports the same columns: that is how a saved mapping is found again."""
    digest = hashlib.sha256("\n".join(sorted(columns)).encode()).hexdigest()[:16]
    return f"{'kobo' if fmt == 'odk' else fmt}:{digest}"


def submission_column(columns: list[str]) -> str | None:
    return next((c for c in SUBMISSION_COLUMNS if c in columns), None)


_PRODUCER_HINTS = re.compile(r"(member|socio|codigo|código|code|productor|producer|dni)", re.I)
_NAME_HINTS = re.compile(r"(plot|parcela|finca|predio|chacra|name|nombre)", re.I)
_CROP_HINTS = re.compile(r"(crop|cultivo)", re.I)
_AREA_HINTS = re.compile(r"(area|área|hect)", re.I)
_GEOMETRY_HINTS = re.compile(
    r"(geo|shape|linder|boundary|limite|límite|poligono|polígono|gps)", re.I
)


def _first(columns: list[str], pattern: re.Pattern, avoid: set[str]) -> str | None:
    last = lambda c: c.rsplit("/", 1)[-1]  # noqa: E731 - Kobo group paths: group/question
    return next((c for c in columns if c not in avoid and pattern.search(last(c))), None)


def _geometry_guess(table: SourceTable) -> tuple[str | None, str]:
    """The column whose first filled values read as ODK geometry, and its likely type."""
    sample = table.rows[:20]
    for column in table.columns:
        counts = []
        for row in sample:
            text = row.values.get(column)
            if text is None:
                continue
            try:
                counts.append(parse_odk(text))
            except OdkTextError:
                counts = []
                break
        if counts and all(points for points in counts):
            if all(len(points) == 1 for points in counts):
                return column, "geopoint"
            closed = all(len(p) > 3 and _same(p[0], p[-1]) for p in counts if len(p) > 1)
            return column, "geoshape" if closed else "geotrace"
    return _first(table.columns, _GEOMETRY_HINTS, set()), "geoshape"


def _same(a, b) -> bool:
    return (a.lon, a.lat) == (b.lon, b.lat)


def guess_mapping(table: SourceTable) -> ColumnMapping:
    columns = table.columns
    if table.has_shapes:
        geometry, kind = GEOMETRY_COLUMN, "geoshape"
    else:
        geometry, kind = _geometry_guess(table)
    taken = {geometry, submission_column(columns)}
    producer = _first(columns, _PRODUCER_HINTS, taken)
    dni = producer is not None and "dni" in producer.lower()
    taken.add(producer)
    name = _first(columns, _NAME_HINTS, taken)
    taken.add(name)
    crop = _first(columns, _CROP_HINTS, taken)
    taken.add(crop)
    area = _first(columns, _AREA_HINTS, taken)
    return ColumnMapping(
        producer_column=producer,
        producer_key="national_id" if dni else "member_code",
        name_column=name,
        crop_column=crop,
        geometry_column=geometry,
        geometry_type=kind,
        area_column=area,
    )
