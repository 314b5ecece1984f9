"""Input and output schemas of the internal control system's forms and API (DESIGN.md §3): the
schemas check types; the services (inspections.py, explanations.py) check the rules and name
every bad field."""

from marshmallow import Schema, fields, validate

from coopchain.ics.inspections import RESULTS, SANCTIONS
from coopchain.schemas import LoadSchema


class InspectionIn(LoadSchema):
    inspected_on = fields.Date(required=True)
    #: The internal inspector's name.
    inspector = fields.Str(required=True)
    #: compliant | minor_nonconformity | major_nonconformity
    result = fields.Str(required=True, validate=validate.OneOf(RESULTS))
    findings = fields.Str(load_default=None)
    #: none | warning | suspension | exclusion; anything but none needs a reason.
    sanction = fields.Str(load_default="none", validate=validate.OneOf(SANCTIONS))
    sanction_reason = fields.Str(load_default=None)
    #: The last day of a suspension.
    sanction_until = fields.Date(load_default=None)


class InspectionApiIn(InspectionIn):
    producer_id = fields.Int(required=True, strict=True)


class ExplanationIn(LoadSchema):
    #: The mass-balance season ("2026", or "2025-26" when seasons start mid-year).
    season = fields.Str(required=True)
    inspector = fields.Str(required=True)
    explanation = fields.Str(required=True)
    #: Today when left out; never in the future.
    explained_on = fields.Date(load_default=None)


class InspectionOut(Schema):
    id = fields.Int()
    producer_id = fields.Int()
    inspected_on = fields.Date()
    inspector = fields.Str()
    result = fields.Str()
    findings = fields.Str(allow_none=True)
    sanction = fields.Str()
    sanction_reason = fields.Str(allow_none=True)
    sanction_until = fields.Date(allow_none=True)


class ExplanationOut(Schema):
    id = fields.Int()
    plot_id = fields.Int()
    season = fields.Str()
    inspector = fields.Str()
    explained_on = fields.Date()
    explanation = fields.Str()
