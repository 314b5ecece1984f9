"""The rows every field reader produces, and the error for a file that cannot be used."""

from __future__ import annotations

from dataclasses import dataclass, field

from coopchain.fieldtools.shapes import FieldShape

FORMATS = ("kobo", "odk", "geojson", "kml", "gpx")
#: Columns that identify a submission, making re-imports idempotent (DOMAIN.md §10): Kobo's
#: _uuid, ODK's meta/instanceID (ODK Central's CSV writes meta-instanceID, and KEY).
SUBMISSION_COLUMNS = ("_uuid", "meta/instanceID", "meta-instanceID", "instanceID", "KEY", "__id")
#: The column name given to a geometry that a file carries itself (GeoJSON, KML, GPX).
GEOMETRY_COLUMN = "geometry"


class FieldFileError(Exception):
    """The file as a whole cannot be read; .message is shown to the user."""

    def __init__(self, message):
        self.message = str(message)
        super().__init__(self.message)


@dataclass
class SourceRow:
    #: The row as the user finds it: Excel/CSV row (header is 1), or feature/placemark number.
    row: int
    values: dict[str, str] = field(default_factory=dict)
    #: The geometry the file carries itself (GeoJSON, KML, GPX); tables keep it as text.
    shape: FieldShape | None = None
    shape_issue: tuple[str, dict] | None = None


@dataclass
class SourceTable:
    columns: list[str]
    rows: list[SourceRow]
    #: True when rows carry their own geometry (no geometry column to map).
    has_shapes: bool = False
