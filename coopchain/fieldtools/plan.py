"""What an import would do, row by row, before anything is written: the preview.

`plan_rows` applies a mapping to the rows of a field export and checks each one: producer
found, name and crop given, geometry converted (shapes.py) and checked by the plot geometry
rules (farms/geometry_validation.py, DOMAIN.md §2), GPS accuracy, and whether the submission
was imported before. Problems name the row, the column and the vertex.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from coopchain.farms.geometry import GeometryIssue, _plain
from coopchain.farms.geometry_validation import GeometryReport, validate_plot_geometry
from coopchain.fieldtools.mapping import ColumnMapping, submission_column
from coopchain.fieldtools.rows import GEOMETRY_COLUMN, SourceRow, SourceTable
from coopchain.fieldtools.shapes import (
    FieldIssue,
    FieldShape,
    OdkTextError,
    accuracies,
    issue,
    parse_odk,
    poor_accuracy,
    shape_from_odk,
    to_geojson,
)

#: Words field forms use for the crops (Spanish and English, any case).
CROP_WORDS = {
    "coffee": "coffee",
    "cafe": "coffee",
    "café": "coffee",
    "pitahaya": "pitahaya",
    "pitaya": "pitahaya",
    "pitajaya": "pitahaya",
}
#: Peruvian DNIs have 8 digits; a spreadsheet drops the leading zeros of 01234567.
DNI_DIGITS = 8
Progress = Callable[[int, int], None]


@dataclass
class ProducerRef:
    id: int
    member_code: str
    name: str


@dataclass
class PlanRow:
    row: int
    submission_id: str
    status: str = "new"  # new | imported_before | error
    name: str | None = None
    crop: str | None = None
    producer_text: str | None = None
    producer: ProducerRef | None = None
    declared_area_ha: Decimal | None = None
    #: The geometry with exact Decimal coordinates (what is stored) and as floats (the map).
    exact_geometry: dict | None = None
    accuracies: list = field(default_factory=list)
    issues: list[FieldIssue] = field(default_factory=list)
    #: The plot geometry rules' verdict on exact_geometry (DOMAIN.md §2), kept for the write.
    report: GeometryReport | None = None

    @property
    def errors(self) -> list[FieldIssue]:
        return [i for i in self.issues if i.severity == "error"]

    def feature(self) -> dict | None:
        if self.exact_geometry is None:
            return None
        return {
            "type": "Feature",
            "geometry": _plain(self.exact_geometry),
            "properties": {
                "row": self.row,
                "name": self.name,
                "status": self.status,
                "producer": self.producer.name if self.producer else self.producer_text,
                "member_code": self.producer.member_code if self.producer else None,
                "issues": [i.message for i in self.issues],
            },
        }


def _text(row: SourceRow, column: str | None) -> str | None:
    return row.values.get(column) if column else None


def submission_of(row: SourceRow, id_column: str | None) -> str:
    """Kobo's _uuid and ODK's "uuid:…" instanceID name the same submission (DOMAIN.md §10).
    Files without one (KML, GPX) are identified by what they say: name and coordinates."""
    value = _text(row, id_column)
    if value:
        return value.removeprefix("uuid:")[:120]
    shape = row.shape
    points = [(str(p.lon), str(p.lat)) for p in shape.points] if shape else []
    content = json.dumps([sorted(row.values.items()), points])
    return "sha256:" + hashlib.sha256(content.encode()).hexdigest()[:40]


def _producer_key(text: str, key: str) -> str:
    if key == "national_id" and text.isdigit() and len(text) < DNI_DIGITS:
        return text.zfill(DNI_DIGITS)
    return text


def _area(text: str, unit: str) -> Decimal:
    value = Decimal(text.replace(",", ".").strip())  # staff type either decimal mark
    if not value.is_finite() or value < 0:
        raise InvalidOperation(text)
    return (value / 10_000 if unit == "m2" else value).quantize(Decimal("0.0001"))


def _geometry_issue(row: int, column: str, found: GeometryIssue, index: list[int], severity):
    """The rule's message with its vertex numbers as the field tool counted them."""
    params = dict(found.params)
    vertex = None
    for name in ("vertex", "edge_a", "edge_b"):
        value = params.get(name)
        if isinstance(value, int) and 0 <= value < len(index):
            params[name] = index[value] - 1  # GeometryIssue counts from 0, shows from 1
            vertex = vertex or index[value]
    shown = GeometryIssue(found.rule, params)
    return FieldIssue(row, column, found.rule, shown.message, vertex, severity)


class RowChecker:
    """Checks rows one by one against the organisation's producers and what was imported."""

    def __init__(
        self,
        table: SourceTable,
        mapping: ColumnMapping,
        producers: dict[str, ProducerRef],
        imported: set[str],
        max_accuracy_m: float,
    ):
        self.table, self.mapping = table, mapping
        self.producers, self.imported = producers, imported
        self.max_accuracy_m = max_accuracy_m
        self.id_column = submission_column(table.columns)
        self.seen: dict[str, int] = {}

    def check(self, source: SourceRow) -> PlanRow:
        m = self.mapping
        plan = PlanRow(source.row, submission_of(source, self.id_column))
        plan.name = _text(source, m.name_column)
        if plan.submission_id in self.imported:
            # Nothing is checked or updated (DOMAIN.md §10); it is only drawn, in grey.
            plan.status = "imported_before"
            self._geometry(source, plan, check=False)
            plan.issues = []
            return plan
        add = plan.issues.append
        if plan.submission_id in self.seen:
            add(self._error(source, self.id_column, "repeat", first=self.seen[plan.submission_id]))
        self.seen.setdefault(plan.submission_id, source.row)
        self._producer(source, plan)
        if not plan.name:
            add(self._error(source, m.name_column, "name"))
        elif len(plan.name) > 120:
            add(self._error(source, m.name_column, "name_long"))
        crop_text = _text(source, m.crop_column) if m.crop_column else m.crop
        plan.crop = CROP_WORDS.get((crop_text or "").strip().lower())
        if plan.crop is None:
            add(self._error(source, m.crop_column, "crop", value=crop_text or ""))
        area_text = _text(source, m.area_column)
        if area_text:
            try:
                plan.declared_area_ha = _area(area_text, m.area_unit)
            except InvalidOperation:
                add(self._error(source, m.area_column, "area", value=area_text[:40]))
        self._geometry(source, plan)
        plan.status = "error" if plan.errors else "new"
        return plan

    def _error(self, source: SourceRow, column, kind: str, **params) -> FieldIssue:
        message = str(_ROW_MESSAGES[kind]) % params
        return FieldIssue(source.row, column, f"row.{kind}", message)

    def _producer(self, source: SourceRow, plan: PlanRow) -> None:
        m = self.mapping
        text = _text(source, m.producer_column)
        plan.producer_text = text
        if not text:
            plan.issues.append(self._error(source, m.producer_column, "producer_empty"))
            return
        plan.producer = self.producers.get(_producer_key(text, m.producer_key))
        if plan.producer is None:
            kind = "producer_dni" if m.producer_key == "national_id" else "producer_code"
            plan.issues.append(self._error(source, m.producer_column, kind, value=text))

    def _shape(self, source: SourceRow, column: str) -> FieldShape | FieldIssue:
        if self.table.has_shapes:
            if source.shape_issue is not None:
                rule, params = source.shape_issue
                return issue(source.row, column, rule, **params)
            return source.shape
        text = _text(source, column)
        if not text or not text.replace(";", "").strip():
            return issue(source.row, column, "shape.missing")
        try:
            points = parse_odk(text)
        except OdkTextError as exc:
            return issue(source.row, column, exc.rule, **exc.params)
        return shape_from_odk(points, self.mapping.geometry_type)

    def _geometry(self, source: SourceRow, plan: PlanRow, check: bool = True) -> None:
        column = GEOMETRY_COLUMN if self.table.has_shapes else self.mapping.geometry_column
        shape = self._shape(source, column)
        if isinstance(shape, FieldIssue):
            plan.issues.append(shape)
            return
        plan.accuracies = accuracies(shape.points)
        geometry, index, rule = to_geojson(
            shape,
            lines_as_polygons=self.mapping.lines_as_polygons,
            tolerance_m=self.max_accuracy_m,
        )
        if rule is not None:
            plan.issues.append(issue(source.row, column, rule, holes=shape.holes))
            return
        if not check:
            plan.exact_geometry = geometry
            return
        report = validate_plot_geometry(
            geometry, crop=plan.crop or "coffee", declared_area_ha=plan.declared_area_ha
        )
        for found in report.errors:
            plan.issues.append(_geometry_issue(source.row, column, found, index, "error"))
        for found in report.warnings:
            plan.issues.append(_geometry_issue(source.row, column, found, index, "warning"))
        for params in poor_accuracy(shape.points, self.max_accuracy_m):
            plan.issues.append(issue(source.row, column, "accuracy.poor", "warning", **params))
        # Drawn on the preview map even when refused: a crossing is easier to see than read.
        plan.exact_geometry, plan.report = geometry, report


_ROW_MESSAGES = {
    "repeat": _l("The same submission is already in row %(first)s."),
    "producer_empty": _l("No producer given."),
    "producer_code": _l("No producer with member code %(value)s."),
    "producer_dni": _l("No producer with DNI %(value)s."),
    "name": _l("The plot has no name."),
    "name_long": _l("The plot name is longer than 120 characters."),
    "crop": _l("“%(value)s” is not a crop: coffee (café) or pitahaya."),
    "area": _l("The area “%(value)s” is not a number."),
}
