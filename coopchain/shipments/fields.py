"""The shipment form's fields: which a user may set, and how each is checked (ISO 6346,
Incoterms, NOP format…) so create and edit, form and API, name every bad field the same way.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from coopchain.errors import DomainError
from coopchain.farms.models import Crop
from coopchain.shipments import rules

#: Fields a user sets (status, crop and reference have their own rules).
EDITABLE = (
    "buyer_name",
    "buyer_country",
    "buyer_address",
    "incoterm",
    "port_of_loading",
    "port_of_destination",
    "planned_loading_on",
    "planned_arrival_on",
    "vessel",
    "bill_of_lading",
    "container_number",
    "seal_number",
    "ico_marks",
    "eu_coi_number",
    "transaction_certificates",
    "nop_certificate_number",
    "senasa_certificate_number",
    "eudr_dds_reference",
    "eudr_dds_verification",
    "notes",
    "consignee",
    "notify_party",
    "marks_and_numbers",
    "hs_code",
    "tare_per_bag_kg",
)
MAX_LENGTHS = {
    "reference": 40,
    "buyer_name": 200,
    "buyer_address": 500,
    "port_of_loading": 120,
    "port_of_destination": 120,
    "vessel": 120,
    "bill_of_lading": 60,
    "seal_number": 40,
    "ico_marks": 40,
    "eu_coi_number": 60,
    "transaction_certificates": 200,
    "senasa_certificate_number": 60,
    "eudr_dds_reference": 60,
    "eudr_dds_verification": 60,
    "notes": 1000,
    "consignee": 500,
    "notify_party": 500,
    "marks_and_numbers": 500,
}
#: Empty-bag weight accepted on a shipment, kg (a jute bag weighs about 0.7 kg, a box more).
MAX_TARE_KG = Decimal("5")


def _refuse(errors: dict) -> DomainError:
    return DomainError(str(_l("Some fields need attention.")), errors)


def _text(value) -> str | None:
    if value is None:
        return None
    return str(value).strip() or None


def _tare(value, errors: dict) -> Decimal | None:
    """Kilograms per empty bag, 0 to MAX_TARE_KG to the gram; empty uses the organisation's."""
    if value is None or value == "":
        return None
    try:
        tare = Decimal(str(value))
    except (InvalidOperation, ValueError):
        tare = None
    if tare is None or not tare.is_finite() or not 0 <= tare <= MAX_TARE_KG:
        errors["tare_per_bag_kg"] = [
            str(_l("Kilograms per empty bag, 0 to %(max)s.", max=MAX_TARE_KG))
        ]
        return None
    if tare != tare.quantize(Decimal("0.001")):
        errors["tare_per_bag_kg"] = [str(_l("At most 3 decimals (grams)."))]
        return None
    return tare


def clean_fields(data: dict, *, creating: bool) -> dict:
    """The editable fields of `data` (only those present), trimmed and checked; every bad field
    is named at once."""
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    names = (("reference", "crop") if creating else ()) + EDITABLE
    for name in names:
        if name not in data:
            continue
        value = data[name]
        if name == "tare_per_bag_kg":
            cleaned[name] = _tare(value, errors)
            continue
        if name in ("planned_loading_on", "planned_arrival_on"):
            if value is not None and not isinstance(value, date):
                errors[name] = [str(_l("Not a valid date."))]
            cleaned[name] = value
            continue
        value = _text(value)
        if value and name in MAX_LENGTHS and len(value) > MAX_LENGTHS[name]:
            errors[name] = [str(_l("At most %(n)s characters.", n=MAX_LENGTHS[name]))]
        elif name == "reference" and value and "/" in value:
            # The reference names the shipment in URLs (/shipments/<reference>): a slash
            # would make its pages unreachable.
            errors[name] = [str(_l("No slash (/): the reference is part of web addresses."))]
        elif name == "buyer_country" and value:
            value = value.upper()
            if not rules.COUNTRY_PATTERN.match(value):
                errors[name] = [str(_l("Two letters, ISO 3166 (DE, US, PE…)."))]
        elif name == "incoterm" and value:
            value = value.upper()
            if value not in rules.INCOTERMS:
                errors[name] = [
                    str(_l("An Incoterms 2020 rule: %(rules)s.", rules=", ".join(rules.INCOTERMS)))
                ]
        elif name == "container_number" and value:
            value = rules.normalise_container(value)
            problem = rules.container_number_error(value)
            if problem == "format":
                errors[name] = [
                    str(
                        _l(
                            "ISO 6346: 3 letters, U/J/Z, 6 digits and a check digit "
                            "(e.g. CSQU3054383)."
                        )
                    )
                ]
            elif problem:
                digit = rules.iso6346_check_digit(value[:10])
                errors[name] = [
                    str(
                        _l(
                            "The check digit does not match (ISO 6346): it should be %(digit)s.",
                            digit=digit,
                        )
                    )
                ]
        elif name == "nop_certificate_number" and value and not rules.NOP_PATTERN.match(value):
            errors[name] = [str(_l("Format NNN-NNNNNNNNNN-NNNNNN (21 characters)."))]
        elif name == "ico_marks" and value and not rules.ICO_PATTERN.match(value):
            errors[name] = [str(_l("Country/exporter/serial, e.g. 32/1234/0015."))]
        elif name == "hs_code" and value and not rules.HS_PATTERN.match(value):
            errors[name] = [str(_l("4 to 10 digits, e.g. 0901.11."))]
        elif name == "crop" and value not in set(Crop):
            errors[name] = [str(_l("Coffee or pitahaya."))]
        cleaned[name] = value
    if creating:
        for required in ("reference", "crop", "buyer_name", "buyer_country"):
            if not cleaned.get(required) and required not in errors:
                errors[required] = [str(_l("Required."))]
    elif any(name in cleaned and not cleaned[name] for name in ("buyer_name", "buyer_country")):
        for name in ("buyer_name", "buyer_country"):
            if name in cleaned and not cleaned[name]:
                errors[name] = [str(_l("Required."))]
    if errors:
        raise _refuse(errors)
    return cleaned
