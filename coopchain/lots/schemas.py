"""Input (load) and output (dump) schemas for deliveries, lots, transformations and bags;
shared by the HTML forms, the JSON API and the spreadsheet import (one set of rules)."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from coopchain.lots.models import ProductForm
from coopchain.schemas import DecimalIn, DecimalOut, LoadSchema

_FORMS = validate.OneOf([form.value for form in ProductForm])
_KG = {"places": 3, "validate": validate.Range(min=0, min_inclusive=False, max=10_000_000)}
_TEXT = validate.Length(max=500)


class DeliveryIn(LoadSchema):
    """An intake ticket. The producer by id (API) or by member code (forms, spreadsheets)."""

    ticket_number = fields.Str(required=True, validate=validate.Length(1, 40))
    producer_id = fields.Int(load_default=None)
    producer_code = fields.Str(validate=validate.Length(1, 32), load_default=None)
    plot_id = fields.Int(required=True)
    product_form = fields.Str(required=True, validate=_FORMS)
    gross_kg = DecimalIn(required=True, **_KG)
    tare_kg = DecimalIn(places=3, load_default=0, validate=validate.Range(min=0, max=100000))
    # The 0–70 % rule is checked by the service, with the other intake rules.
    moisture_pct = DecimalIn(places=2, load_default=None)
    delivered_on = fields.Date(required=True)
    price_per_kg = DecimalIn(
        places=2, validate=validate.Range(min=0, max=100000), load_default=None
    )
    #: The price in `price_unit` ("kg", or "qq" = 46 kg); the unit defaults to the product
    #: form's (the PRICE_UNITS setting). price_per_kg is then computed from it.
    price_entered = DecimalIn(
        places=4, validate=validate.Range(min=0, max=10000000), load_default=None
    )
    price_unit = fields.Str(validate=validate.OneOf(("kg", "qq")), load_default=None)
    notes = fields.Str(validate=_TEXT, load_default=None)
    #: An advance paid at intake (optional): amount, method, CCI or wallet/bank reference.
    advance_amount = DecimalIn(validate=validate.Range(max=100_000_000), load_default=None)
    advance_method = fields.Str(
        validate=validate.OneOf(("cash", "bank_transfer", "yape", "plin")), load_default=None
    )
    advance_cci = fields.Str(validate=validate.Length(max=40), load_default=None)
    advance_reference = fields.Str(validate=validate.Length(max=60), load_default=None)

    @validates_schema
    def _one_price(self, data, **_kwargs):
        if data.get("price_entered") is not None and data.get("price_per_kg") is not None:
            raise ValidationError(
                "Give the price once: price_entered or price_per_kg.", "price_per_kg"
            )

    @validates_schema
    def _one_producer(self, data, **_kwargs):
        if data.get("producer_id") is None and not data.get("producer_code"):
            raise ValidationError("Give the producer.", "producer_code")


class InputIn(Schema):
    lot = fields.Str(required=True, validate=validate.Length(1, 40))
    #: Omitted: everything the lot has available.
    kg = DecimalIn(load_default=None, **_KG)


class MergeIn(LoadSchema):
    inputs = fields.List(fields.Nested(InputIn), required=True, validate=validate.Length(min=2))
    occurred_on = fields.Date(required=True)
    #: Required to merge lots of different organic status; the output becomes conventional.
    downgrade_reason = fields.Str(validate=_TEXT, load_default=None)
    notes = fields.Str(validate=_TEXT, load_default=None)


class SplitIn(LoadSchema):
    lot = fields.Str(required=True, validate=validate.Length(1, 40))
    outputs = fields.List(DecimalIn(**_KG), required=True, validate=validate.Length(min=2, max=100))
    occurred_on = fields.Date(required=True)
    notes = fields.Str(validate=_TEXT, load_default=None)


class ProcessIn(LoadSchema):
    lot = fields.Str(required=True, validate=validate.Length(1, 40))
    #: Omitted: everything the lot has available.
    input_kg = DecimalIn(load_default=None, **_KG)
    to_form = fields.Str(required=True, validate=_FORMS)
    output_kg = DecimalIn(required=True, **_KG)
    occurred_on = fields.Date(required=True)
    confirm_yield = fields.Bool(load_default=False)
    notes = fields.Str(validate=_TEXT, load_default=None)


class SampleIn(LoadSchema):
    lot = fields.Str(required=True, validate=validate.Length(1, 40))
    #: Omitted: the SAMPLE_KG setting.
    kg = DecimalIn(load_default=None, **_KG)
    occurred_on = fields.Date(required=True)
    notes = fields.Str(validate=_TEXT, load_default=None)


def _kind(kind: str) -> fields.Str:
    return fields.Str(required=True, validate=validate.OneOf([kind]))


# The API's bodies carry their kind (the HTML pages know it from the page they post to), so the
# OpenAPI document can tell them apart with a discriminator and each body validates as a whole.
class MergeApiIn(MergeIn):
    kind = _kind("merge")


class SplitApiIn(SplitIn):
    kind = _kind("split")


class ProcessApiIn(ProcessIn):
    kind = _kind("process")


class SampleApiIn(SampleIn):
    kind = _kind("sample")


class BagsIn(LoadSchema):
    lot = fields.Str(required=True, validate=validate.Length(1, 40))
    count = fields.Int(required=True, validate=validate.Range(1, 2000))
    #: Omitted: the BAG_NET_KG setting for the lot's crop.
    net_kg = DecimalIn(load_default=None, **_KG)


class VoidIn(LoadSchema):
    reason = fields.Str(required=True, validate=validate.Length(1, 500))


# --- output -----------------------------------------------------------------------------------

#: Kilograms to the gram, as the columns keep them (KG = Numeric(12, 3)).
_OUT_KG = {"places": 3}


class DeliveryOut(Schema):
    id = fields.Int()
    ticket_number = fields.Str()
    producer_id = fields.Int()
    producer_code = fields.Str()
    plot_id = fields.Int()
    crop = fields.Str()
    product_form = fields.Str()
    gross_kg = DecimalOut(**_OUT_KG)
    tare_kg = DecimalOut(**_OUT_KG)
    net_kg = DecimalOut(**_OUT_KG)
    moisture_pct = DecimalOut(places=2, allow_none=True)
    delivered_on = fields.Date()
    price_per_kg = DecimalOut(places=2, allow_none=True)
    price_entered = DecimalOut(places=4, allow_none=True)
    price_unit = fields.Str()
    notes = fields.Str(allow_none=True)
    lot_code = fields.Str()
    #: The first live advance paid on this delivery, when one was (its payment number).
    advance_payment = fields.Str(allow_none=True)
    voided_at = fields.DateTime(allow_none=True)
    void_reason = fields.Str(allow_none=True)
    #: Warnings recorded at intake: [{"code": "FOR-LOSS" | "AGR-ACTIVE" | "ORG-ORIGIN" |
    #: "MB-OVER", …facts}]; the API records them and never refuses a ticket for them.
    intake_warnings = fields.List(fields.Dict())


class LotOut(Schema):
    code = fields.Str()
    crop = fields.Str()
    product_form = fields.Str()
    quantity_kg = DecimalOut(**_OUT_KG)
    available_kg = DecimalOut(**_OUT_KG)
    status = fields.Str()
    produced_on = fields.Date()
    delivery_id = fields.Int(allow_none=True)
    transformation_id = fields.Int(allow_none=True)
    downgraded = fields.Bool()


class OriginOut(Schema):
    delivery_id = fields.Int()
    ticket_number = fields.Str()
    delivered_on = fields.Date()
    origin_lot_code = fields.Str()
    product_form = fields.Str()
    delivered_kg = DecimalOut(**_OUT_KG)
    plot_id = fields.Int()
    plot_name = fields.Str()
    plot_area_ha = DecimalOut(places=4, allow_none=True)
    altitude_m = fields.Int(allow_none=True)
    producer_id = fields.Int()
    producer_code = fields.Str()
    producer_name = fields.Str()
    community = fields.Str(allow_none=True)
    organic_status = fields.Str()
    organic_since = fields.Date(allow_none=True)
    agreement_active = fields.Bool()
    agreement_numbers = fields.List(fields.Str())
    #: kg of this lot that come from the delivery.
    kg = DecimalOut(**_OUT_KG)


class LotDetailOut(LotOut):
    consumed_kg = DecimalOut(**_OUT_KG)
    organic_status = fields.Str()
    all_under_agreement = fields.Bool()
    producer_count = fields.Int()
    plot_count = fields.Int()
    origins = fields.List(fields.Nested(OriginOut))


class QuantityOut(Schema):
    lot = fields.Str()
    product_form = fields.Str()
    kg = DecimalOut(**_OUT_KG)


class TransformationOut(Schema):
    id = fields.Int()
    kind = fields.Str()
    occurred_on = fields.Date()
    inputs = fields.List(fields.Nested(QuantityOut))
    outputs = fields.List(fields.Nested(QuantityOut))
    loss_kg = DecimalOut(**_OUT_KG)
    downgrade_reason = fields.Str(allow_none=True)
    yield_confirmed = fields.Bool()
    notes = fields.Str(allow_none=True)
    voided_at = fields.DateTime(allow_none=True)
    void_reason = fields.Str(allow_none=True)


class BagOut(Schema):
    serial = fields.Str()
    lot = fields.Str()
    net_kg = DecimalOut(**_OUT_KG)
    #: Opens the public trace page /b/<token> (issue: public trace pages).
    public_token = fields.Str()
    created_at = fields.DateTime()
    voided_at = fields.DateTime(allow_none=True)
    void_reason = fields.Str(allow_none=True)
