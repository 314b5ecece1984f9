"""The arithmetic of a settlement: the sale price per kg, the total, and its fair split to the
cent (pure functions, exact Decimal and Fraction arithmetic)."""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

#: The international avoirdupois pound, exactly (DOMAIN.md §11: contracts in USD per lb green).
KG_PER_LB = Decimal("0.45359237")
PRICE_UNITS = ("lb", "kg")
CENT = Decimal("0.01")


def price_per_kg(price: Decimal, unit: str) -> Fraction:
    """The price per kg of the shipped form, exact (a price per lb ÷ 0.45359237)."""
    if unit == "lb":
        return Fraction(price) / Fraction(KG_PER_LB)
    return Fraction(price)


def settlement_total(
    shipped_kg: Decimal, price: Decimal, unit: str, rate: Decimal, costs_per_kg: Decimal
) -> Decimal:
    """shipped kg × (price per kg × rate − costs per kg), to the cent (half up), computed
    exactly before the one rounding so no intermediate rounding moves a cent."""
    exact = Fraction(shipped_kg) * (
        price_per_kg(price, unit) * Fraction(rate) - Fraction(costs_per_kg)
    )
    return to_cent(exact)


def to_cent(value: Fraction) -> Decimal:
    """A Fraction to the cent, half up (away from zero)."""
    cents, rest = divmod(abs(value) * 100, 1)
    cents = int(cents) + (1 if rest >= Fraction(1, 2) else 0)
    return (Decimal(cents if value >= 0 else -cents) / 100).quantize(CENT, ROUND_HALF_UP)


def largest_remainder(total: Decimal, weights: dict[int, Fraction]) -> dict[int, Decimal]:
    """Split `total` (≥ 0, to the cent) in proportion to `weights`, to the cent, so that the
    parts add up to `total` exactly.

    Largest remainder (Hamilton's method): everyone gets their exact share rounded down to the
    cent; the cents left over go one each to the largest remainders. Equal remainders are
    served by ascending key (delivery id), so the split never depends on dict order.
    """
    whole = sum(weights.values(), Fraction(0))
    if whole <= 0:
        return {key: Decimal("0.00") for key in weights}
    cents = int(total * 100)
    floors: dict[int, int] = {}
    remainders: dict[int, Fraction] = {}
    for key, weight in weights.items():
        exact = Fraction(cents) * weight / whole
        floors[key] = exact.numerator // exact.denominator
        remainders[key] = exact - floors[key]
    left = cents - sum(floors.values())
    for key in sorted(weights, key=lambda k: (-remainders[k], k))[:left]:
        floors[key] += 1
    return {key: (Decimal(value) / 100).quantize(CENT) for key, value in floors.items()}
