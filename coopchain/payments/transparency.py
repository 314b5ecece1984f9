"""Price transparency on the public bag page (off by default, an organisation's choice): what
the families whose coffee is in the lot were paid per kg of the delivered form, weighted by the
kilograms each delivery contributed to the lot (its traced origins), against the market
reference of the day an admin entered. Only the average is shown: no price of any one person.
"""

from decimal import Decimal

from sqlmodel import Session

from coopchain.db import owned
from coopchain.lots.models import Delivery
from coopchain.payments.rules import KG_PER_UNIT, cents

_TENTH = Decimal("0.1")


def _exact_price_per_kg(delivery: Delivery) -> Decimal | None:
    """The price per kg as agreed (a quintal price divided exactly, not the rounded column)."""
    if delivery.price_entered is not None:
        return Decimal(delivery.price_entered) / KG_PER_UNIT.get(delivery.price_unit, Decimal(1))
    return None if delivery.price_per_kg is None else Decimal(delivery.price_per_kg)


def price_facts(session: Session, organization, origins, currency: str) -> dict | None:
    """{paid_per_kg, product_form, reference_per_kg, reference_on, difference_pct, currency} for
    the page, or None when the organisation does not show prices or nothing traced is priced.

    `origins`: (Origin, kg in the lot) pairs. With deliveries of several forms, the form that
    gave the lot most kilograms is the one compared (the reference is per kg of one form)."""
    reference = organization.market_reference_per_kg
    if not organization.price_transparency or not reference or reference <= 0:
        return None
    kg_by_delivery: dict[int, Decimal] = {}
    for origin, kg in origins:
        kg_by_delivery[origin.delivery_id] = kg_by_delivery.get(origin.delivery_id, 0) + kg
    if not kg_by_delivery:
        return None
    deliveries = session.scalars(
        owned(Delivery, organization.id).where(Delivery.id.in_(list(kg_by_delivery)))
    ).all()
    by_form: dict[str, list[tuple[Decimal, Decimal]]] = {}
    for delivery in deliveries:
        price = _exact_price_per_kg(delivery)
        if price is not None and delivery.voided_at is None:
            by_form.setdefault(delivery.product_form, []).append(
                (price, Decimal(kg_by_delivery[delivery.id]))
            )
    if not by_form:
        return None
    form, priced = max(by_form.items(), key=lambda item: sum(kg for _p, kg in item[1]))
    total_kg = sum((kg for _p, kg in priced), Decimal(0))
    if total_kg <= 0:
        return None
    paid = cents(sum((price * kg for price, kg in priced), Decimal(0)) / total_kg)
    difference = ((paid - reference) / reference * 100).quantize(_TENTH)
    return {
        "paid_per_kg": paid,
        "product_form": form,
        "currency": currency,
        "reference_per_kg": Decimal(reference),
        "reference_on": organization.market_reference_on,
        "difference_pct": difference,
    }
