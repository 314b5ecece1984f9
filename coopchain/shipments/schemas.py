"""Input (load) and output (dump) schemas for shipments and their bags (DESIGN.md §3).

The schemas check types and shapes only; the rules (ISO 6346 check digit, NOP format, Incoterms,
required buyer) live in `fields.clean_fields`, so the form and the API name the same fields
with the same messages.
"""

from marshmallow import Schema, ValidationError, fields, validate

from coopchain.clock import today
from coopchain.farms.models import Crop
from coopchain.schemas import DecimalOut, LoadSchema, PageSchema
from coopchain.shipments.models import ShipmentStatus


def _not_future(value) -> None:
    if value > today():
        raise ValidationError("Cannot be in the future.")


def _text() -> fields.Str:
    # null clears a field on update; a blank string counts as "not given" (LoadSchema). Lengths
    # and formats are checked by the service, which names the field and the expected form.
    return fields.Str(allow_none=True)


class ShipmentUpdateIn(LoadSchema):
    """The fields a PUT may change; fields left out keep their value, null clears one."""

    buyer_name = fields.Str()
    #: ISO 3166-1 alpha-2 (DE, US…).
    buyer_country = fields.Str()
    buyer_address = _text()
    #: An Incoterms 2020 rule (FOB, CIF…).
    incoterm = _text()
    port_of_loading = _text()
    port_of_destination = _text()
    planned_loading_on = fields.Date(allow_none=True)
    planned_arrival_on = fields.Date(allow_none=True)
    vessel = _text()
    bill_of_lading = _text()
    #: ISO 6346, e.g. CSQU3054383; spaces and dashes are ignored, the check digit is verified.
    container_number = _text()
    seal_number = _text()
    #: Country/exporter/serial, e.g. 32/1234/0015.
    ico_marks = _text()
    eu_coi_number = _text()
    #: Organic transaction certificates (TC), numbers separated by commas.
    transaction_certificates = _text()
    #: USDA NOP Import Certificate, NNN-NNNNNNNNNN-NNNNNN.
    nop_certificate_number = _text()
    senasa_certificate_number = _text()
    eudr_dds_reference = _text()
    eudr_dds_verification = _text()
    notes = _text()
    #: Name and address of the bill of lading's consignee (when not the buyer).
    consignee = _text()
    #: Name and address of the party the carrier notifies on arrival.
    notify_party = _text()
    #: The shipping marks on the bags.
    marks_and_numbers = _text()
    #: Harmonized System code, e.g. 0901.11; empty: the crop's.
    hs_code = _text()
    #: kg per empty bag for the gross weight; empty: the organisation's setting.
    tare_per_bag_kg = fields.Decimal(allow_none=True, as_string=True)


class ShipmentIn(ShipmentUpdateIn):
    #: The contract reference, unique in the organisation; no slash (it is part of URLs).
    reference = fields.Str(required=True)
    crop = fields.Str(required=True, validate=validate.OneOf([c.value for c in Crop]))
    buyer_name = fields.Str(required=True)
    buyer_country = fields.Str(required=True)


class AdvanceIn(LoadSchema):
    #: The day the move happened (shipped on, delivered on); today when left out.
    on = fields.Date(load_default=None, validate=_not_future)


class AllocateIn(LoadSchema):
    #: Whole lots: every free bag of each.
    lot_codes = fields.List(fields.Str(validate=validate.Length(1, 40)), load_default=list)
    #: Individual bags by serial.
    serials = fields.List(fields.Str(validate=validate.Length(1, 60)), load_default=list)


class ReleaseIn(LoadSchema):
    serials = fields.List(
        fields.Str(validate=validate.Length(1, 60)), required=True, validate=validate.Length(min=1)
    )


class ShipmentListArgs(PageSchema):
    status = fields.Str(
        load_default=None, validate=validate.OneOf([s.value for s in ShipmentStatus])
    )


# --- output -----------------------------------------------------------------------------------

#: Kilograms to the gram, as the bags keep them.
_KG = {"places": 3}


class ShipmentOut(Schema):
    reference = fields.Str()
    crop = fields.Str()
    status = fields.Str()
    allocation_frozen = fields.Bool()
    buyer_name = fields.Str()
    buyer_country = fields.Str()
    buyer_address = fields.Str(allow_none=True)
    incoterm = fields.Str(allow_none=True)
    port_of_loading = fields.Str(allow_none=True)
    port_of_destination = fields.Str(allow_none=True)
    planned_loading_on = fields.Date(allow_none=True)
    planned_arrival_on = fields.Date(allow_none=True)
    shipped_on = fields.Date(allow_none=True)
    delivered_on = fields.Date(allow_none=True)
    vessel = fields.Str(allow_none=True)
    bill_of_lading = fields.Str(allow_none=True)
    container_number = fields.Str(allow_none=True)
    seal_number = fields.Str(allow_none=True)
    ico_marks = fields.Str(allow_none=True)
    eu_coi_number = fields.Str(allow_none=True)
    transaction_certificates = fields.Str(allow_none=True)
    nop_certificate_number = fields.Str(allow_none=True)
    senasa_certificate_number = fields.Str(allow_none=True)
    eudr_dds_reference = fields.Str(allow_none=True)
    eudr_dds_verification = fields.Str(allow_none=True)
    notes = fields.Str(allow_none=True)
    consignee = fields.Str(allow_none=True)
    notify_party = fields.Str(allow_none=True)
    marks_and_numbers = fields.Str(allow_none=True)
    hs_code = fields.Str(allow_none=True)
    tare_per_bag_kg = DecimalOut(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    #: Running totals of the allocated (live) bags.
    bags = fields.Int()
    net_kg = DecimalOut(**_KG)


class ShipmentLotOut(Schema):
    """One lot's part of the shipment: a packing-list row."""

    lot = fields.Str()
    product_form = fields.Str()
    bags = fields.Int()
    net_kg = DecimalOut(**_KG)
    first_serial = fields.Str()
    last_serial = fields.Str()


class ShipmentDetailOut(ShipmentOut):
    lots = fields.List(fields.Nested(ShipmentLotOut))


class AllocationOut(Schema):
    #: The serials this call put on (allocate) or took off (release) the shipment.
    serials = fields.List(fields.Str())
    shipment = fields.Nested(ShipmentDetailOut)
