"""The demo's clean shipment: coffee an auditor can verify end to end.

The Hamburg shipment keeps a producer whose agreement lapsed (AGR-ACTIVE), so it has findings to
follow. This one is built from the September deliveries the season left unmerged whose lots the
compliance engine finds nothing against (organic, certified, agreement in force, forest-free,
within the mass balance): merged, cupped, hulled to green, bagged, shipped to Bremen, and
certified, so the demo holds an issued certificate to check at /verify and bags whose public
page can say everything a buyer asks.
"""

from datetime import date
from decimal import Decimal

from flask_babel import force_locale
from sqlalchemy import select
from sqlmodel import Session

from coopchain.auth.models import User
from coopchain.certs import compliance, registry
from coopchain.db import owned, settings_of
from coopchain.demo import quality as demo_quality
from coopchain.demo.calendar import DemoCalendar
from coopchain.lots import bags, transformations
from coopchain.lots.models import Delivery, Lot
from coopchain.shipments import services as shipments

#: Green coffee per dry parchment when hulled (DOMAIN.md §4: ~75–80 %).
HULLING_YIELD = Decimal("0.78")


def bremen_reference(harvest_year: int) -> str:
    return f"BRE-{harvest_year}-021"


def _clean_parchment(session: Session, org_id: int) -> list[tuple[Lot, date]]:
    """Whole, unmerged delivery lots with no finding at all, oldest first."""
    rows = session.execute(
        owned(Lot, org_id)
        .add_columns(Delivery.delivered_on)
        .join(Delivery, Delivery.id == Lot.delivery_id)
        .where(
            Lot.product_form == "dry_parchment",
            Lot.voided_at.is_(None),
            Lot.available_kg == Lot.quantity_kg,
        )
        .order_by(Delivery.delivered_on, Lot.id)
    ).all()
    return [
        (lot, day)
        for lot, day in rows
        if not compliance.check_lot(session, org_id, lot.code).findings
    ]


def load_clean_shipment(session: Session, cal: DemoCalendar, org_id: int) -> None:
    clean = _clean_parchment(session, org_id)
    if len(clean) < 2:
        return
    merged_on = max(cal.harvest(10, 1), max(day for _lot, day in clean))
    merge = transformations.merge(
        session,
        org_id,
        None,
        [(lot.code, None) for lot, _day in clean],
        merged_on,
        notes="Bremen contract, September deliveries",
    )
    (parchment,) = transformations.parts_of(session, merge)[1]
    demo_quality.cup_before_hulling(session, merged_on, org_id, parchment)
    session.refresh(parchment)  # the lab's sample left the lot
    # Hulled to whole export bags: the green lot is all shipped, none left to bag again.
    bag_kg = settings_of(session).bag_net_kg["coffee"]
    green_kg = (parchment.available_kg * HULLING_YIELD // bag_kg) * bag_kg
    hulled = transformations.process(
        session, org_id, None, parchment.code, None, "green", green_kg, merged_on
    )
    (green,) = transformations.parts_of(session, hulled)[1]
    bags.create_bags(session, org_id, None, green.code, int(green.available_kg // bag_kg))
    reference = bremen_reference(cal.harvest_year)
    shipments.create_shipment(
        session,
        org_id,
        None,
        {
            "reference": reference,
            "crop": "coffee",
            "buyer_name": "Nordkaffee Rösterei GmbH",
            "buyer_country": "DE",
            "buyer_address": "Überseestadt, 28217 Bremen",
            "incoterm": "FOB",
            "port_of_loading": "Paita",
            "port_of_destination": "Bremerhaven",
            "planned_loading_on": cal.harvest(10, 8),
            "vessel": "Maersk Pelican",
            "container_number": "TGHU8765436",
            "seal_number": "PE-450031",
            "eu_coi_number": f"COI.EU.PE.{cal.harvest_year}.0012377",
            "transaction_certificates": f"TC-CU-{cal.harvest_year}-004433",
        },
    )
    shipments.allocate(session, org_id, None, reference, lot_codes=[green.code])
    shipments.advance_status(session, org_id, None, reference, cal.harvest(10, 8))
    shipments.advance_status(session, org_id, None, reference, cal.harvest(10, 10))
    # Issued in English for the German buyer; the PDF prints the demo's own address to verify.
    with force_locale("en"):
        # Signed by the demo's administrator, whose name and role the signature block prints.
        admin = session.scalar(select(User).where(User.email == "admin@demo.coop"))
        registry.issue_certificate(
            session,
            org_id,
            admin.id if admin else None,
            kind="shipment",
            reference=reference,
            language="en",
        )


def clean_bag_token(session: Session) -> str | None:
    """A bag of the clean shipment: the public page with the whole story."""
    from coopchain.lots.models import Bag
    from coopchain.shipments.models import Shipment

    return session.scalar(
        select(Bag.public_token)
        .join(Shipment, Shipment.id == Bag.shipment_id)
        .where(Shipment.reference.like("BRE-%-021"), Bag.voided_at.is_(None))
        .order_by(Bag.serial)
        .limit(1)
    )
