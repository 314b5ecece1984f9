"""The intake receipt a producer takes home: one ticket on an 80 mm thermal roll.

Two steps (DESIGN.md §3, §6): `receipt_context` reads the database into a plain dict, and
`render_receipt_pdf` turns that dict into PDF bytes with WeasyPrint, touching neither the
database nor the network nor the file system (its url_fetcher refuses every URL).
"""

from sqlalchemy import select
from sqlmodel import Session

from coopchain.auth.models import Organization
from coopchain.clock import utcnow
from coopchain.db import in_organization, settings_of
from coopchain.farms.models import Plot, Producer
from coopchain.lots import services
from coopchain.lots.origins import origins_of
from coopchain.payments.core import delivery_value
from coopchain.pdf import render_pdf

TEMPLATE = "pdf/receipt.html"


def receipt_context(session: Session, org_id: int, delivery_id: int) -> dict:
    """Everything the receipt shows, as plain values (no ORM objects reach the template)."""
    delivery = services.get_delivery(session, org_id, delivery_id)
    organization = session.get(Organization, org_id)
    producer = session.scalar(
        select(Producer).where(
            Producer.id == delivery.producer_id, in_organization(Producer, org_id)
        )
    )
    plot = session.scalar(
        select(Plot).where(Plot.id == delivery.plot_id, in_organization(Plot, org_id))
    )
    lot = services.lot_of_delivery(session, delivery)
    price = delivery.price_per_kg
    # From the price as agreed (per quintal when priced so), exactly as payments value it.
    total = delivery_value(delivery)
    return {
        "organization_name": organization.name,
        "locale": organization.locale,
        "organization_code": organization.code,
        "ticket_number": delivery.ticket_number,
        "delivered_on": delivery.delivered_on,
        "producer_code": producer.member_code,
        "producer_name": producer.full_name,
        "plot_name": plot.name,
        "crop": delivery.crop,
        "product_form": delivery.product_form,
        "gross_kg": delivery.gross_kg,
        "tare_kg": delivery.tare_kg,
        "net_kg": delivery.net_kg,
        "moisture_pct": delivery.moisture_pct,
        "price_per_kg": price,
        "price_per_quintal": delivery.price_entered if delivery.price_unit == "qq" else None,
        "total_price": total,
        "currency": settings_of(session).currency,
        "lot_code": lot.code,
        # The lot's status for the delivery date, from the one origins function.
        "organic_status": origins_of(session, lot).organic_status.value,
        "voided": delivery.voided_at is not None,
        "void_reason": delivery.void_reason,
        "notes": delivery.notes,
        "printed_at": utcnow(),
    }


def render_receipt_pdf(context: dict) -> bytes:
    """The receipt as PDF bytes, in the current Babel locale."""
    return render_pdf(TEMPLATE, r=context, locale=context.get("locale"))
