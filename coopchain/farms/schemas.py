"""Input (load) and output (dump) schemas for the farm registry, shared by forms, API, import."""

from datetime import date

from babel import Locale
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

from coopchain.clock import today
from coopchain.farms.models import (
    AgreementKind,
    AgreementStatus,
    Commitment,
    Crop,
    ProducerStatus,
    Sex,
    VisitResult,
)
from coopchain.payments.rules import cci_digits
from coopchain.schemas import DecimalIn, DecimalOut, LoadSchema

#: ISO 3166-1 alpha-2 codes as CLDR knows them (its territories also hold regions: "001").
COUNTRIES = frozenset(code for code in Locale("en").territories if code.isalpha())
_CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$", error="Letters, digits and . _ / - only.")


def _one_of(enum) -> validate.OneOf:
    return validate.OneOf([member.value for member in enum])


def _not_future(value: date) -> None:
    if value > today():
        raise ValidationError("Cannot be in the future.")


class GeometryField(fields.Field):
    """A GeoJSON object or its text; validated later by the geometry rules."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dict | str):
            return value
        raise ValidationError("Give a GeoJSON object or its text.")


class ProducerIn(LoadSchema):
    member_code = fields.Str(required=True, validate=[validate.Length(1, 32), _CODE])
    first_name = fields.Str(required=True, validate=validate.Length(1, 100))
    last_name = fields.Str(required=True, validate=validate.Length(1, 100))
    national_id = fields.Str(validate=validate.Length(max=32), load_default=None)
    sex = fields.Str(validate=_one_of(Sex), load_default=None)
    community = fields.Str(validate=validate.Length(max=120), load_default=None)
    sector = fields.Str(validate=validate.Length(max=120), load_default=None)
    phone = fields.Str(validate=validate.Length(max=32), load_default=None)
    #: Where payments are transferred (DOMAIN.md §11); stored as its 20 digits.
    cci = fields.Str(validate=validate.Length(max=40), load_default=None)
    joined_on = fields.Date(validate=_not_future, load_default=None)
    public_name_consent = fields.Bool(load_default=False)
    status = fields.Str(validate=_one_of(ProducerStatus), load_default=ProducerStatus.ACTIVE.value)

    @validates("cci")
    def _cci_structure(self, value, **_kwargs):
        if value and cci_digits(value) is None:
            raise ValidationError(
                _l("A CCI has 20 digits (bank 3, branch 3, account 12, check 2).")
            )

    @post_load
    def _cci_as_digits(self, data, **_kwargs):
        if data.get("cci"):
            data["cci"] = cci_digits(data["cci"])
        return data


class AgreementIn(LoadSchema):
    number = fields.Str(required=True, validate=[validate.Length(1, 40), _CODE])
    kind = fields.Str(validate=_one_of(AgreementKind), load_default=AgreementKind.INDIVIDUAL.value)
    protected_area = fields.Str(required=True, validate=validate.Length(1, 120))
    signed_on = fields.Date(required=True, validate=_not_future)
    valid_until = fields.Date(required=True)
    commitments = fields.List(fields.Str(validate=_one_of(Commitment)), load_default=list)
    status = fields.Str(validate=_one_of(AgreementStatus), load_default="active")
    status_reason = fields.Str(validate=validate.Length(max=500), load_default=None)
    status_since = fields.Date(load_default=None)
    producer_ids = fields.List(fields.Int(), required=True, validate=validate.Length(min=1))


class AgreementStatusIn(LoadSchema):
    status = fields.Str(required=True, validate=_one_of(AgreementStatus))
    status_reason = fields.Str(validate=validate.Length(max=500), load_default=None)
    status_since = fields.Date(validate=_not_future, load_default=None)


class VisitIn(LoadSchema):
    visited_on = fields.Date(required=True, validate=_not_future)
    inspector = fields.Str(required=True, validate=validate.Length(1, 120))
    result = fields.Str(required=True, validate=_one_of(VisitResult))
    notes = fields.Str(validate=validate.Length(max=2000), load_default=None)


class PlotIn(LoadSchema):
    producer_id = fields.Int(required=True)
    name = fields.Str(required=True, validate=validate.Length(1, 120))
    crop = fields.Str(required=True, validate=_one_of(Crop))
    geometry = GeometryField(load_default=None)
    declared_area_ha = DecimalIn(
        places=4, validate=validate.Range(min=0, min_inclusive=False, max=10000), load_default=None
    )
    altitude_m = fields.Int(validate=validate.Range(0, 6500), load_default=None)
    varieties = fields.Str(validate=validate.Length(max=200), load_default=None)
    shade_agroforestry = fields.Bool(load_default=False)
    planting_year = fields.Int(validate=validate.Range(1900, 2100), load_default=None)
    organic_conversion_start = fields.Date(validate=_not_future, load_default=None)
    organic_certifier_id = fields.Int(load_default=None, allow_none=True)
    organic_certificate_number = fields.Str(validate=validate.Length(max=60), load_default=None)
    organic_certificate_valid_until = fields.Date(load_default=None)
    expected_yield_kg_ha = DecimalIn(
        places=2, validate=validate.Range(min=0, max=100000), load_default=None
    )


def _country(value: str) -> None:
    if value.upper() not in COUNTRIES:
        raise ValidationError("Give the ISO 3166 two-letter country code, e.g. PE.")


class CertifierIn(LoadSchema):
    """An organic control body: its name, its code (the EU's, e.g. PE-BIO-149) and country."""

    name = fields.Str(required=True, validate=validate.Length(1, 120))
    code = fields.Str(
        validate=[
            validate.Length(max=40),
            validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9./-]*$", error="Letters, digits and . / -"),
        ],
        load_default=None,
    )
    country = fields.Str(required=True, validate=_country)


class CertifierOut(Schema):
    id = fields.Int()
    name = fields.Str()
    code = fields.Str(allow_none=True)
    country = fields.Str(allow_none=True)


class ProducerOut(Schema):
    id = fields.Int()
    member_code = fields.Str()
    first_name = fields.Str()
    last_name = fields.Str()
    national_id = fields.Str(allow_none=True)
    sex = fields.Str(allow_none=True)
    community = fields.Str(allow_none=True)
    sector = fields.Str(allow_none=True)
    phone = fields.Str(allow_none=True)
    cci = fields.Str(allow_none=True)
    joined_on = fields.Date(allow_none=True)
    public_name_consent = fields.Bool()
    status = fields.Str()


class VisitOut(Schema):
    id = fields.Int()
    agreement_id = fields.Int()
    visited_on = fields.Date()
    inspector = fields.Str()
    result = fields.Str()
    notes = fields.Str(allow_none=True)


class AgreementOut(Schema):
    id = fields.Int()
    number = fields.Str()
    kind = fields.Str()
    protected_area = fields.Str()
    signed_on = fields.Date()
    valid_until = fields.Date()
    commitments = fields.List(fields.Str())
    status = fields.Str()
    status_reason = fields.Str(allow_none=True)
    status_since = fields.Date(allow_none=True)
    producer_ids = fields.List(fields.Int())
    active_today = fields.Bool()
    visits = fields.List(fields.Nested(VisitOut))


class GeometryIssueOut(Schema):
    rule = fields.Str()
    severity = fields.Str()
    message = fields.Str()
    params = fields.Dict()


class PlotOut(Schema):
    id = fields.Int()
    producer_id = fields.Int()
    name = fields.Str()
    crop = fields.Str()
    geometry = fields.Dict(allow_none=True)
    declared_area_ha = DecimalOut(places=4, allow_none=True)
    computed_area_ha = DecimalOut(places=4, allow_none=True)
    geometry_issues = fields.List(fields.Nested(GeometryIssueOut))
    altitude_m = fields.Int(allow_none=True)
    varieties = fields.Str(allow_none=True)
    shade_agroforestry = fields.Bool()
    planting_year = fields.Int(allow_none=True)
    organic_conversion_start = fields.Date(allow_none=True)
    organic_since = fields.Date(allow_none=True)
    organic_status_today = fields.Str()
    organic_certifier_id = fields.Int(allow_none=True)
    organic_certifier = fields.Nested(lambda: CertifierOut(), allow_none=True)
    organic_certificate_number = fields.Str(allow_none=True)
    organic_certificate_valid_until = fields.Date(allow_none=True)
    expected_yield_kg_ha = DecimalOut(places=2, allow_none=True)
    #: The plot's own expected yield, or the crop default when it has none.
    expected_yield_effective_kg_ha = DecimalOut(places=2, allow_none=True)
