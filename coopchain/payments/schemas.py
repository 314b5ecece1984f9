"""Input and output schemas for payments (API and forms); amounts travel as decimal strings."""

from marshmallow import Schema, fields, validate

from coopchain.payments.models import AllocationKind, PaymentMethod
from coopchain.schemas import DecimalIn, DecimalOut, LoadSchema, PageSchema

_METHODS = validate.OneOf([m.value for m in PaymentMethod])
_KINDS = validate.OneOf([k.value for k in AllocationKind])
#: Zero, negative and sub-cent amounts reach the service, which names the rule they break.
_AMOUNT = {"validate": validate.Range(min=-100_000_000, max=100_000_000)}


class LineIn(LoadSchema):
    kind = fields.Str(required=True, validate=_KINDS)
    #: > 0 paid; < 0 for a deduction. Exact to the cent.
    amount = DecimalIn(required=True, **_AMOUNT)
    delivery_id = fields.Int(load_default=None, validate=validate.Range(min=1))
    description = fields.Str(load_default=None, validate=validate.Length(max=200))


class PaymentIn(LoadSchema):
    """A payment to one producer: its lines (what it pays for), how and when."""

    producer_id = fields.Int(required=True, validate=validate.Range(min=1))
    lines = fields.List(
        fields.Nested(LineIn), required=True, validate=validate.Length(min=1, max=500)
    )
    method = fields.Str(required=True, validate=_METHODS)
    paid_on = fields.Date(required=True)
    currency = fields.Str(load_default="PEN", validate=validate.Length(3, 3))
    #: Bank transfers: 20 digits (spaces and dashes allowed); empty: the producer's CCI.
    cci = fields.Str(load_default=None, validate=validate.Length(max=40))
    #: Yape/Plin phone, bank operation number…
    reference = fields.Str(load_default=None, validate=validate.Length(max=60))
    notes = fields.Str(load_default=None, validate=validate.Length(max=500))
    #: An advance may exceed what the delivery is still owed when paid on account.
    on_account = fields.Bool(load_default=False)


class PaymentListArgs(PageSchema):
    producer_id = fields.Int(load_default=None, validate=validate.Range(min=1, max=2**31 - 1))
    delivery_id = fields.Int(load_default=None, validate=validate.Range(min=1, max=2**31 - 1))
    #: paid_on from / to, inclusive.
    date_from = fields.Date(load_default=None, data_key="from")
    date_to = fields.Date(load_default=None, data_key="to")


class PaymentVoidIn(LoadSchema):
    reason = fields.Str(required=True, validate=validate.Length(1, 500))


class LineOut(Schema):
    kind = fields.Str()
    amount = DecimalOut(places=2)
    delivery_id = fields.Int(allow_none=True)
    ticket_number = fields.Str(allow_none=True)
    premium_rule_id = fields.Int(allow_none=True)
    debt_id = fields.Int(allow_none=True)
    settlement_id = fields.Int(allow_none=True)
    description = fields.Str(allow_none=True)


class PaymentOut(Schema):
    number = fields.Str()
    producer_id = fields.Int()
    producer_code = fields.Str()
    run_id = fields.Int(allow_none=True)
    amount = DecimalOut(places=2)
    currency = fields.Str()
    method = fields.Str()
    cci = fields.Str(allow_none=True)
    reference = fields.Str(allow_none=True)
    paid_on = fields.Date()
    notes = fields.Str(allow_none=True)
    #: The public receipt page its QR code opens (amount, date, cooperative; no names).
    receipt_url = fields.Str()
    created_at = fields.DateTime()
    voided_at = fields.DateTime(allow_none=True)
    void_reason = fields.Str(allow_none=True)
    lines = fields.List(fields.Nested(LineOut))
