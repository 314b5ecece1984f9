"""Demo forest evidence and shipments (after the demo season, demo/season.py).

Every plot gets forest evidence typed from a map review (as staff would before CoopChain
measures rasters). One shade-coffee plot reads "more information needed" until a ranger's
visit confirms it; the in-conversion plot shows loss after 2020, so its coffee could never go
into an EUDR shipment. COOPAM's export lot is loading for Hamburg, and its clean September
coffee has shipped to Bremen with a certificate (demo/clean_shipment.py); APAM has a pitahaya
shipment planned for Rotterdam that still lacks its SENASA certificate.
"""

from sqlalchemy import select
from sqlmodel import Session

from coopchain.db import in_organization, owned
from coopchain.demo.calendar import LOADING_STARTS, DemoCalendar
from coopchain.demo.clean_shipment import load_clean_shipment
from coopchain.eudr.accounts import save_account
from coopchain.farms.models import Plot
from coopchain.forest.evidence import record_evidence
from coopchain.lots.models import Bag, Lot
from coopchain.shipments import services as shipments
from coopchain.shipments.models import Shipment
from coopchain.trace.settings import set_gtin

DEMO_GTIN = "09506000134352"
DEMO_EUDR_ACCOUNT = {
    "operator_role": "OPERATOR",
    "activity_type": "IMPORT",
    "country_of_activity": "DE",
    "eori": "DE4711000000815",
    "environment": "acceptance",
}


def hamburg_reference(harvest_year: int) -> str:
    """The demo's Hamburg shipment: loading now, its bags the ones a buyer would scan."""
    return f"HH-{harvest_year}-014"


MAP_REVIEW = "Global Forest Watch, Hansen GFC 2024 v1.12 map review"


def _evidence(session: Session, cal: DemoCalendar, org_id: int) -> None:
    plots = session.scalars(owned(Plot, org_id).order_by(Plot.id)).all()
    for n, plot in enumerate(plots):
        late_conversion = (
            plot.organic_conversion_start
            and plot.organic_conversion_start.year >= cal.harvest_year - 1
        )
        if late_conversion:
            result, loss = "loss_after_cutoff", "0.35"
        elif n == 3:
            result, loss = "more_info_needed", None
        else:
            result, loss = "deforestation_free", None
        record_evidence(
            session,
            org_id,
            None,
            plot.id,
            {
                "kind": "manual",
                "result": result,
                "loss_after_cutoff_ha": loss,
                "source": MAP_REVIEW,
                "observed_on": cal.harvest(3, 15),
            },
        )
        if n == 3:
            record_evidence(
                session,
                org_id,
                None,
                plot.id,
                {
                    "kind": "field",
                    "result": "deforestation_free",
                    "source": f"SERNANP ranger visit, report BPAM-{cal.harvest_year}-118",
                    "observed_on": cal.harvest(5, 20),
                    "notes": "Shade coffee under inga and native trees; no clearing.",
                },
            )


def _bagged_lots(session: Session, org_id: int) -> list[Lot]:
    return list(
        session.scalars(
            select(Lot)
            .where(Lot.id.in_(select(Bag.lot_id).where(in_organization(Bag, org_id))))
            .order_by(Lot.id)
        )
    )


def load_demo_shipments(session: Session, cal: DemoCalendar, org_id: int, crop: str) -> None:
    _evidence(session, cal, org_id)
    lots = _bagged_lots(session, org_id)
    if crop == "coffee":
        shipment = shipments.create_shipment(
            session,
            org_id,
            None,
            {
                "reference": hamburg_reference(cal.harvest_year),
                "crop": "coffee",
                "buyer_name": "Hanseatic Coffee Importers GmbH",
                "buyer_country": "DE",
                "buyer_address": "Am Sandtorkai 4, 20457 Hamburg",
                "incoterm": "FOB",
                "port_of_loading": "Paita",
                "port_of_destination": "Hamburg",
                "planned_loading_on": cal.planned_loading_on,
                "planned_arrival_on": cal.planned_arrival_on,
                "vessel": "MSC Lucia",
                "container_number": "CSQU3054383",
                "seal_number": "PE-449215",
                "eu_coi_number": f"COI.EU.PE.{cal.harvest_year}.0012345",
                "transaction_certificates": f"TC-CU-{cal.harvest_year}-004417",
            },
        )
        shipments.allocate(session, org_id, None, shipment.reference, lot_codes=[lots[0].code])
        shipments.advance_status(
            session, org_id, None, shipment.reference, cal.harvest(*LOADING_STARTS)
        )
        # GS1's own example GTIN (prefix 950: GS1 Global Office, used in its documentation), so
        # the demo's bag labels carry GS1 Digital Links as a member with a real GTIN would.
        set_gtin(session, org_id, None, DEMO_GTIN)
        load_clean_shipment(session, cal, org_id)
        # Who files the EUDR due diligence statements: the EU importer, with its (made-up)
        # EORI, so the demo's statements build; no credentials, so nothing is ever sent.
        save_account(session, org_id, None, DEMO_EUDR_ACCOUNT, None)
    else:
        shipment = shipments.create_shipment(
            session,
            org_id,
            None,
            {
                "reference": f"RTM-{cal.harvest_year}-003",
                "crop": "pitahaya",
                "buyer_name": "Fruta Verde BV",
                "buyer_country": "NL",
                "incoterm": "CFR",
                "port_of_loading": "Callao",
                "port_of_destination": "Rotterdam",
                "planned_loading_on": max(cal.harvest(12, 5), cal.in_days(19)),
            },
        )
        serials = session.scalars(
            select(Bag.serial).where(Bag.lot_id == lots[0].id).order_by(Bag.serial).limit(50)
        ).all()
        shipments.allocate(session, org_id, None, shipment.reference, serials=serials)


def sample_bag_token(session: Session) -> str | None:
    """A bag whose public page the demo command prints: one of the clean, certified Bremen
    shipment (demo/clean_shipment.py), else one on the Hamburg shipment."""
    from coopchain.demo.clean_shipment import clean_bag_token

    return clean_bag_token(session) or session.scalar(
        select(Bag.public_token)
        .join(Shipment, Shipment.id == Bag.shipment_id)
        .where(Shipment.reference.like("HH-%-014"), Bag.voided_at.is_(None))
        .order_by(Bag.serial)
        .limit(1)
    )
