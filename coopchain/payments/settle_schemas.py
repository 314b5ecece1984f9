"""Schemas for the settlement and statement API: the terms in (shapes only; settlement.py
checks the rules and names the field), previews, settlements and statements out."""

from marshmallow import Schema, fields

from coopchain.schemas import DecimalIn, DecimalOut, LoadSchema


class SettlementTermsIn(LoadSchema):
    price = DecimalIn(required=True, metadata={"example": "3.25"})
    price_currency = fields.Str(load_default="USD", metadata={"example": "USD"})
    #: lb (of green) or kg of the shipped form.
    price_unit = fields.Str(load_default="lb", metadata={"enum": ["lb", "kg"]})
    exchange_rate = DecimalIn(load_default=None, metadata={"example": "3.7312"})
    rate_on = fields.Date(required=True)
    costs_per_kg = DecimalIn(load_default=None, metadata={"example": "0.50"})
    currency = fields.Str(load_default="PEN", metadata={"example": "PEN"})


class SettlementShareOut(Schema):
    delivery_id = fields.Int()
    ticket_number = fields.Str()
    delivered_on = fields.Date()
    product_form = fields.Str()
    producer_id = fields.Int()
    #: Delivered-form kg behind the shipment (yields undone), to the gram.
    kg = DecimalOut(places=3)
    amount = DecimalOut(places=2)


class SettlementPreviewOut(Schema):
    shipment = fields.Str()
    price = DecimalOut()
    price_currency = fields.Str()
    price_unit = fields.Str()
    price_per_kg = DecimalOut(places=4)
    exchange_rate = DecimalOut()
    rate_on = fields.Date()
    costs_per_kg = DecimalOut()
    currency = fields.Str()
    shipped_kg = DecimalOut(places=3)
    traced_kg = DecimalOut(places=3)
    total = DecimalOut(places=2)
    #: How the cents are shared out.
    remainder_rule = fields.Str()
    shares = fields.List(fields.Nested(SettlementShareOut))


class SettlementOut(SettlementPreviewOut):
    id = fields.Int()
    voided_at = fields.DateTime(allow_none=True)


class StatementLineOut(Schema):
    on = fields.Date()
    kind = fields.Str()
    reference = fields.Str()
    ticket = fields.Str(allow_none=True)
    description = fields.Str(allow_none=True)
    kg = DecimalOut(places=3, allow_none=True)
    price_per_kg = DecimalOut(places=2, allow_none=True)
    earned = DecimalOut(places=2)
    paid = DecimalOut(places=2)
    balance = DecimalOut(places=2)


class StatementOut(Schema):
    producer_id = fields.Int()
    member_code = fields.Str()
    #: Only for roles that see private data; null otherwise.
    name = fields.Str(allow_none=True)
    season = fields.Int()
    currency = fields.Str()
    seasons = fields.List(fields.Int())
    lines = fields.List(fields.Nested(StatementLineOut))
    totals = fields.Dict(keys=fields.Str(), values=fields.Str())
