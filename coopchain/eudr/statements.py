"""A shipment's due diligence statement(s), read from the database into statement.py's plain
input: the shipment's bags and net weight, its origins (``origins_of_many``, the function every
document uses), each producer's plots as the EU GeoJSON (certs/eudr_shipment.py) and share of
the net weight, and the organisation's EU account (who files, EORI, activity).
"""

from collections import defaultdict
from decimal import Decimal

from flask_babel import gettext as _
from sqlmodel import Session

from coopchain.auth.models import Organization
from coopchain.certs.eudr_shipment import eudr_totals, shipment_plots
from coopchain.errors import NotFound
from coopchain.eudr.accounts import get_account
from coopchain.eudr.statement import (
    GREEN_COFFEE_HEADING,
    MAX_DESCRIPTION,
    DdsInput,
    DdsPlan,
    DdsProducer,
    build_statements,
)
from coopchain.lots.origins import origins_of_many
from coopchain.lots.rules import GRAM, share_out
from coopchain.shipments.models import Shipment
from coopchain.shipments.services import get_shipment


def _description(shipment: Shipment, bags: int, net_kg: Decimal) -> str:
    """descriptionOfGoods (≤ 150): what the customs papers say, in English for the EU."""
    text = (
        f"Green coffee, not roasted, not decaffeinated (HS 0901.11): {bags} bags, "
        f"{net_kg} kg net, shipment {shipment.reference}"
    )
    return text[:MAX_DESCRIPTION]


def _producer_kg(lines, found: dict) -> dict[str, Decimal]:
    """Each producer's kg of the shipment: every line's net kg shared out over its lot's
    origins (`found`, origins_of_many's) to the gram, so the producers add up to the shipment
    exactly."""
    total: dict[str, Decimal] = defaultdict(lambda: Decimal("0.000"))
    for line in lines:
        weights: dict[str, int] = defaultdict(int)
        for origin in found[line.lot.id].origins:
            weights[origin.producer_code] += int(origin.kg / GRAM)
        for code, kg in share_out(line.net_kg, weights).items():
            total[code] += kg
    return total


def statement_input(session: Session, org_id: int, shipment: Shipment) -> DdsInput:
    totals = eudr_totals(session, shipment)
    organization = session.get(Organization, org_id)
    lots = [line.lot for line in totals.lines]
    found = origins_of_many(session, org_id, lots)
    plots = shipment_plots(session, org_id, shipment, lots, found=found)
    by_producer = defaultdict(list)
    for plot in plots:
        by_producer[plot.producer_code].append(plot)
    kg = _producer_kg(totals.lines, found)
    producers = [
        DdsProducer(
            code=code,
            name=group[0].producer_name or code,
            country=organization.country,
            plots=group,
            net_kg=kg.get(code, Decimal("0.000")),
        )
        for code, group in by_producer.items()
    ]
    account = get_account(session, org_id)
    represented = None
    if account and account.operator_role == "REPRESENTATIVE_OPERATOR":
        represented = {
            "referenceNumber": {
                "identifierType": "eori",
                "identifierValue": account.represented_eori,
            },
            "name": account.represented_name or shipment.buyer_name,
            "country": shipment.buyer_country,
        }
    return DdsInput(
        internal_reference=shipment.reference,
        # Without an account the EU importer files as operator, importing into the buyer's
        # country (DOMAIN.md §8: what we owe them is a complete statement to file).
        operator_role=account.operator_role if account else "OPERATOR",
        activity_type=account.activity_type if account else "IMPORT",
        country_of_activity=(account and account.country_of_activity) or shipment.buyer_country,
        eori=account.eori if account else None,
        description_of_goods=_description(shipment, totals.bags, totals.net_kg),
        hs_heading=GREEN_COFFEE_HEADING,
        net_kg=totals.net_kg,
        producers=producers,
        represented_operator=represented,
        geo_location_confidential=bool(account and account.geo_location_confidential),
    )


def producer_input(session: Session, org_id: int, shipment: Shipment, code: str) -> DdsProducer:
    """One producer of the shipment's statement with its plots, for its own GeoJSON file: only
    its plots are read (a shipment may have 20,000); NotFound when it has none here. Its net kg
    is the statement's to compute (statement_input) and is left at 0 here."""
    lots = [line.lot for line in eudr_totals(session, shipment).lines]
    plots = shipment_plots(session, org_id, shipment, lots, producer_code=code)
    if not plots:
        raise NotFound(_("No such producer on this shipment."))
    organization = session.get(Organization, org_id)
    return DdsProducer(
        code=code,
        name=plots[0].producer_name or code,
        country=organization.country,
        plots=plots,
        net_kg=Decimal("0.000"),
    )


def shipment_statements(session: Session, org_id: int, reference: str) -> tuple[Shipment, DdsPlan]:
    """The shipment and its statement(s); raises DdsInvalid naming every broken rule."""
    shipment = get_shipment(session, org_id, reference)
    return shipment, build_statements(statement_input(session, org_id, shipment))
