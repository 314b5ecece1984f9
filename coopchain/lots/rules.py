"""Pure rules for lots: forms and processing steps, yields, seasons, codes, exact kilograms.

No database here, so every rule has a fast unit test (tests/lots/test_rules.py).
"""

import re
from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from coopchain.farms.rules import OrganicStatus
from coopchain.lots.models import ProductForm

GRAM = Decimal("0.001")

#: Forms each crop is delivered and traded in, in processing order (cherry → parchment →
#: green; pitahaya fresh stays fresh). Processing may only move forward along this chain.
FORM_CHAINS: dict[str, tuple[ProductForm, ...]] = {
    "coffee": (
        ProductForm.CHERRY,
        ProductForm.WET_PARCHMENT,
        ProductForm.DRY_PARCHMENT,
        ProductForm.GREEN,
    ),
    "pitahaya": (ProductForm.FRESH_FRUIT,),
}

#: The form an export bag (coffee) or box (pitahaya) is filled with.
BAGGED_FORMS = {"coffee": ProductForm.GREEN, "pitahaya": ProductForm.FRESH_FRUIT}

#: Worst first: a mixture is only as organic as its least organic part.
_ORGANIC_RANK = {
    OrganicStatus.ORGANIC: 0,
    OrganicStatus.IN_CONVERSION: 1,
    OrganicStatus.CONVENTIONAL: 2,
}


def kg(value) -> Decimal:
    """A quantity rounded to the gram (DESIGN.md §4: exact decimals, never float)."""
    return Decimal(value).quantize(GRAM, rounding=ROUND_HALF_UP)


def net_kg(gross_kg: Decimal, tare_kg: Decimal) -> Decimal:
    return kg(gross_kg) - kg(tare_kg)


def amount_due(net_kg: Decimal, price_per_kg: Decimal | None) -> Decimal | None:
    """What a delivery pays: net kg × price, to the cent, half a cent up (as a cashier rounds),
    so the receipt the producer keeps and the pages say the same amount."""
    if price_per_kg is None:
        return None
    return (net_kg * price_per_kg).quantize(Decimal("0.01"), ROUND_HALF_UP)


def form_belongs_to_crop(crop: str, form: str) -> bool:
    return form in FORM_CHAINS.get(crop, ())


def can_process(crop: str, from_form: str, to_form: str) -> bool:
    """Only forward along the crop's chain (no green back to parchment, no same-form step)."""
    chain = FORM_CHAINS.get(crop, ())
    if from_form not in chain or to_form not in chain:
        return False
    return chain.index(to_form) > chain.index(from_form)


def yield_range(
    ranges: Mapping[str, tuple[Decimal, Decimal]], from_form: str, to_form: str
) -> tuple[Decimal, Decimal] | None:
    return ranges.get(f"{from_form}>{to_form}")


def yield_is_plausible(
    ranges: Mapping[str, tuple[Decimal, Decimal]],
    from_form: str,
    to_form: str,
    input_kg: Decimal,
    output_kg: Decimal,
) -> bool:
    """Output/input inside the step's range (settings); a step without a range is plausible."""
    bounds = yield_range(ranges, from_form, to_form)
    if bounds is None:
        return True
    low, high = bounds
    return low <= output_kg / input_kg <= high


def season_of(day: date, start_month: int = 1) -> str:
    """The harvest season a date falls in: "2026" when seasons follow the calendar year,
    "2025-26" when they start in another month (e.g. the ICO coffee year from October)."""
    if start_month == 1:
        return str(day.year)
    first_year = day.year if day.month >= start_month else day.year - 1
    return f"{first_year}-{(first_year + 1) % 100:02d}"


def season_bounds(season: str, start_month: int = 1) -> tuple[date, date]:
    """[first day, first day of the next season) for a label made by season_of."""
    first_year = int(season.split("-")[0])
    start = date(first_year, start_month, 1)
    return start, date(first_year + 1, start_month, 1)


_SEQ_FIELD = re.compile(r"\{seq(:[^}]*)?\}")


def counter_name(pattern: str, *, year: int, org: str) -> str:
    """The counter a pattern draws from: the pattern with {seq} blanked, so codes that share
    their fixed part share a counter and can never collide."""
    return "lot:" + _SEQ_FIELD.sub("#", pattern).format(year=year, org=org)


def format_code(pattern: str, *, year: int, org: str, seq: int) -> str:
    return pattern.format(year=year, org=org, seq=seq)


def bag_serial(org_code: str, year: int, seq: int) -> str:
    """Printed on the bag: PE-<ORG>-<YEAR>-<6 digits>."""
    return f"PE-{org_code}-{year}-{seq:06d}"


def worst_organic_status(statuses) -> OrganicStatus:
    worst = OrganicStatus.ORGANIC
    for status in statuses:
        if _ORGANIC_RANK[OrganicStatus(status)] > _ORGANIC_RANK[worst]:
            worst = OrganicStatus(status)
    return worst


def share_out(total: Decimal, weights: Mapping[object, int | Fraction]) -> dict[object, Decimal]:
    """Split `total` kg in proportion to `weights`, to the gram, summing exactly to `total`.

    Largest remainder: everyone gets their share rounded down to the gram, and the grams left
    over go to the largest remainders. So the origins of a lot always add up to the lot.
    """
    return {key: Decimal(grams) * GRAM for key, grams in share_out_grams(total, weights).items()}


def share_out_grams(total: Decimal, weights: Mapping[object, int | Fraction]) -> dict[object, int]:
    """share_out in whole grams (ints), for callers that sort or sum thousands of shares."""
    whole = sum(weights.values())
    if whole == 0:
        return {key: 0 for key in weights}
    whole = Fraction(whole)
    grams = int(kg(total) / GRAM)
    # grams × weight / whole as integer quotient and remainder over a common denominator:
    # exact, and far cheaper than Fraction arithmetic for thousands of origins.
    floors, remainders = {}, {}
    # Integer weights share one denominator, so their remainders compare as plain integers.
    integers = all(isinstance(weight, int) for weight in weights.values())
    for key, weight in weights.items():
        denominator = weight.denominator * whole.numerator
        floors[key], rest = divmod(grams * weight.numerator * whole.denominator, denominator)
        remainders[key] = rest if integers else Fraction(rest, denominator)
    left = grams - sum(floors.values())
    by_remainder = sorted(weights, key=lambda k: (remainders[k], str(k)), reverse=True)
    for key in by_remainder[:left]:
        floors[key] += 1
    return floors


_TRAILING_NUMBER = re.compile(r"^(.*?)(\d+)$")


def next_ticket(last: str | None) -> str | None:
    """The ticket after `last`: its trailing number plus one, zero padding kept ("C-00041" →
    "C-00042", "T9" → "T10"); None when `last` ends in no number (nothing to count on)."""
    found = _TRAILING_NUMBER.match((last or "").strip())
    if not found:
        return None
    prefix, digits = found.groups()
    return f"{prefix}{int(digits) + 1:0{len(digits)}d}"
