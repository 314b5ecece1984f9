"""Money arithmetic for paying producers: cents, price units (pure functions, DOMAIN.md §11)."""

import re
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import list_currencies

CENT = Decimal("0.01")
#: ISO 4217 codes Babel knows (CLDR): PEN, USD, EUR…; anything else is refused.
KNOWN_CURRENCIES = frozenset(list_currencies()) - {"XXX", "XTS"}  # "no currency", "testing"
#: A quintal (qq) of parchment coffee in Peru weighs 46 kg (DOMAIN.md §11).
KG_PER_UNIT = {"kg": Decimal("1"), "qq": Decimal("46")}
PRICE_UNITS = tuple(KG_PER_UNIT)


def cents(value) -> Decimal:
    """To the cent, half a cent up (as a cashier rounds)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def price_per_kg(price: Decimal, unit: str) -> Decimal:
    """A price entered per `unit` (kg or qq), per kg to the cent (what Delivery.price_per_kg
    keeps; a delivery's value is computed from the price as entered)."""
    return cents(Decimal(price) / KG_PER_UNIT[unit])


def unit_of(price_units, product_form: str) -> str:
    """The unit a product form is priced in (the PRICE_UNITS setting; per kg by default)."""
    unit = (price_units or {}).get(product_form, "kg")
    return unit if unit in KG_PER_UNIT else "kg"


def intake_price(data: dict, price_units) -> tuple[Decimal | None, str, Decimal | None]:
    """(price as entered, its unit, price per kg) of an intake ticket: `price_entered` in
    `price_unit` (the product form's unit when not given), or the older `price_per_kg`."""
    entered = data.get("price_entered")
    if entered is not None:
        unit = data.get("price_unit") or unit_of(price_units, data.get("product_form"))
        return Decimal(entered), unit, price_per_kg(entered, unit)
    per_kg = data.get("price_per_kg")
    if per_kg is None:
        return None, "kg", None
    return Decimal(per_kg), "kg", Decimal(per_kg)


def intake_price_fields(data: dict, price_units) -> dict:
    """The Delivery columns of an intake ticket's price (see intake_price)."""
    entered, unit, per_kg = intake_price(data, price_units)
    return {"price_entered": entered, "price_unit": unit, "price_per_kg": per_kg}


def cci_digits(text) -> str | None:
    """The 20 digits of a CCI (bank 3, branch 3, account 12, check 2) with spaces and dashes
    removed, or None when it does not have that structure. Only the structure: the check-digit
    algorithm is not verified against a published description (DOMAIN.md §11), and guessing it
    would refuse real accounts."""
    digits = re.sub(r"[\s-]", "", str(text or ""))
    return digits if re.fullmatch(r"\d{20}", digits) else None
