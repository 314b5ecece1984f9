"""The demo tells the cooperative's story on whatever day it is loaded: a season traceable from
bags to farms, cupped and graded lots, shipments with findings an auditor can follow, and dates
that make sense around the load day. The demo is loaded once (conftest.py)."""

from decimal import Decimal

from sqlalchemy import func, select

from coopchain.auth.models import Organization
from coopchain.certs import compliance
from coopchain.clock import today
from coopchain.demo import load_demo
from coopchain.demo.calendar import calendar_for
from coopchain.demo.shipments import hamburg_reference
from coopchain.farms.models import Agreement
from coopchain.ledger.services import verify_chain
from coopchain.lots import consumption
from coopchain.lots.mass_balance import BalanceFlag, mass_balance
from coopchain.lots.models import Bag, Delivery, Lot, Transformation
from coopchain.lots.origins import origins_of
from coopchain.quality import cupping_sessions as sessions
from coopchain.quality import gradings
from coopchain.quality.lot_quality import cupping_of
from coopchain.shipments.models import Shipment

#: The demo was loaded on the suite's pinned day (tests/pinned_clock.py).
CALENDAR = calendar_for(today())


def test_the_demo_season_is_traceable_from_bags_to_farms(db_session):
    coffee = db_session.scalar(select(Organization).where(Organization.code == "COOPAM"))
    bagged = db_session.scalars(
        select(Lot).join(Bag, Bag.lot_id == Lot.id).where(Lot.organization_id == coffee.id)
    ).first()
    assert bagged.product_form == "green"
    origins = origins_of(db_session, bagged)
    assert origins.organic_status == "organic"
    assert origins.producer_count > 10
    assert sum(o.kg for o in origins.origins) == bagged.quantity_kg
    report = mass_balance(db_session, coffee.id, str(CALENDAR.harvest_year))
    assert [row.flag for row in report.plots].count(BalanceFlag.OVER) >= 1
    assert verify_chain(db_session, coffee.id)[1] is None
    # 120 bags of 69 kg, a 0.3 kg lab sample and a 0.3 kg cupping sample left the export lot.
    used = consumption.consumption_of(db_session, bagged)["consumed_kg"]
    assert used == 120 * Decimal("69") + Decimal("0.3") + Decimal("0.3")
    assert bagged.available_kg == bagged.quantity_kg - used


def test_the_demo_has_cupped_and_graded_lots(db_session):
    coffee = db_session.scalar(select(Organization).where(Organization.code == "COOPAM"))
    export_lot = db_session.scalars(
        select(Lot).join(Bag, Bag.lot_id == Lot.id).where(Lot.organization_id == coffee.id)
    ).first()
    measured = cupping_of(db_session, export_lot)
    assert not measured.derived and measured.cupper_count == 3
    assert measured.score >= Decimal("80")  # a specialty export lot
    assert gradings.latest_grading(db_session, export_lot, "green").grade == "specialty"

    # The blend the export lot was hulled from was never cupped itself: derived from the
    # two half-year lots cupped before blending.
    blend = db_session.scalar(
        select(Lot)
        .join(Transformation, Transformation.id == Lot.transformation_id)
        .where(
            Lot.organization_id == coffee.id,
            Lot.product_form == "dry_parchment",
            Transformation.notes.like("Export lot%"),
        )
    )
    derived = cupping_of(db_session, blend)
    assert derived.derived and len(derived.measured_lots) == 2

    listed, total = sessions.list_sessions(db_session, coffee.id)
    assert total == 4 and [s.status for s in listed].count("open") == 1

    pitahaya = db_session.scalar(select(Organization).where(Organization.code != "COOPAM"))
    boxed = db_session.scalars(
        select(Lot).join(Bag, Bag.lot_id == Lot.id).where(Lot.organization_id == pitahaya.id)
    ).first()
    assert gradings.latest_grading(db_session, boxed, "pitahaya").codex_class == "class_i"


def test_the_demo_shipments_have_findings_an_auditor_can_follow(db_session):
    coffee = db_session.scalar(select(Organization).where(Organization.code == "COOPAM"))
    report = compliance.check_shipment(
        db_session, coffee.id, hamburg_reference(CALENDAR.harvest_year)
    )
    assert report.subject.bags == 120 and report.subject.shipment.status == "loading"
    codes = {f.code for f in report.findings}
    # Some demo producers' agreements ended in March; the ranger visit resolved the one
    # "more information needed" plot, and the in-conversion plot never reached the export lot.
    assert "AGR-ACTIVE" in codes
    # Every organic origin plot holds a certificate, so the bag a buyer scans may say
    # "certified organic" (the public page takes that claim from these findings).
    assert not codes & {
        "FOR-MISSING",
        "FOR-LOSS",
        "FOR-MORE-INFO",
        "ORG-ORIGIN",
        "ORG-CERTIFICATE",
        "CUP-MISSING",
    }
    fruit = db_session.scalar(select(Organization).where(Organization.code != "COOPAM"))
    pitahaya = compliance.check_shipment(db_session, fruit.id, f"RTM-{CALENDAR.harvest_year}-003")
    assert "SHP-PHYTO" in {f.code for f in pitahaya.findings}
    assert "EUDR-GEO" not in {f.code for f in pitahaya.findings}


def test_the_demo_is_dated_around_the_day_it_was_loaded(db_session):
    day = today()
    deliveries = db_session.execute(
        select(func.min(Delivery.delivered_on), func.max(Delivery.delivered_on))
    ).one()
    assert deliveries[0].year == deliveries[1].year == CALENDAR.harvest_year
    assert deliveries[1] < day
    shipments = {s.reference: s for s in db_session.scalars(select(Shipment))}
    hamburg = shipments[hamburg_reference(CALENDAR.harvest_year)]
    assert hamburg.status == "loading"
    assert day < hamburg.planned_loading_on < hamburg.planned_arrival_on
    pitahaya = shipments[f"RTM-{CALENDAR.harvest_year}-003"]
    assert pitahaya.status == "planned" and pitahaya.planned_loading_on > day
    active = db_session.scalars(select(Agreement).where(Agreement.status == "active")).all()
    assert active and all(a.signed_on <= day <= a.valid_until for a in active)


def test_loading_the_demo_twice_changes_nothing(db_session):
    assert not load_demo(db_session, "demo")


def test_the_demo_has_a_clean_shipment_with_an_issued_certificate(db_session):
    from coopchain.certs.models import Certificate
    from coopchain.demo import sample_bag_token
    from coopchain.demo.clean_shipment import bremen_reference

    coffee = db_session.scalar(select(Organization).where(Organization.code == "COOPAM"))
    reference = bremen_reference(CALENDAR.harvest_year)
    report = compliance.check_shipment(db_session, coffee.id, reference)
    shipment = report.subject.shipment

    assert report.subject.bags > 10
    assert not report.findings  # nothing stops an auditor's certificate, nothing to warn of
    assert shipment.status == "shipped"
    assert CALENDAR.harvest(9, 1) < shipment.shipped_on <= today()
    certificate = db_session.scalar(select(Certificate).where(Certificate.subject_ref == reference))
    assert certificate.status == "valid" and certificate.override_reason is None
    assert certificate.pdf.startswith(b"%PDF")
    # The page the demo command prints is one of this shipment's bags.
    bag = db_session.scalar(select(Bag).where(Bag.public_token == sample_bag_token(db_session)))
    assert bag.shipment_id == shipment.id


def test_the_demo_bag_page_says_where_when_and_that_it_is_deforestation_free(db_session):
    from coopchain.demo import sample_bag_token
    from coopchain.trace.public import find_bag, page_facts

    facts = page_facts(db_session, find_bag(db_session, sample_bag_token(db_session)))

    assert facts["headline"]["region"] == "Alto Mayo, San Martín"
    assert facts["headline"]["country"] == "PE" and facts["headline"]["agreements"]
    assert facts["eudr"]["deforestation_free"] and facts["organic"]["certified"]
    dates = facts["dates"]
    assert dates["harvest_from"] <= dates["harvest_to"] < dates["processed_on"]
    assert dates["processed_on"] < dates["exported_on"] <= today()
    assert facts["story"] and facts["certificate"]["subject_kind"] == "shipment"
    assert facts["cupping"]["derived"] and facts["cupping"]["score"] >= 80
