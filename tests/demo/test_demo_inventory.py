"""The demo's season inventory balances to the gram, for every organisation and season, and has
stock moving through it (deliveries, processing, shipments)."""

from sqlalchemy import select

from coopchain.auth.models import Organization
from coopchain.lots.inventory import season_inventory
from coopchain.lots.mass_balance import seasons


def test_the_demo_inventory_balances_to_the_gram(db_session):
    checked = 0
    shipped = False
    for org in db_session.scalars(select(Organization)):
        for season in seasons(db_session, org.id):
            report = season_inventory(db_session, org.id, season)
            assert report.differences == [], (org.code, season, report.differences)
            assert all(row.difference_kg == 0 for row in report.rows)
            shipped = shipped or any(row.shipped_kg for row in report.rows)
            checked += len(report.rows)
    assert checked and shipped


def test_the_demo_has_inspections_to_report_and_a_shipper_ruc(db_session):
    from coopchain.clock import today
    from coopchain.ics.inspections import inspection_report

    for org in db_session.scalars(select(Organization)):
        assert org.ruc and len(org.ruc) == 11 and org.address
        report = inspection_report(db_session, org.id, today().year)
        assert report.inspected and report.not_inspected
    coffee = db_session.scalars(select(Organization).order_by(Organization.id)).first()
    assert inspection_report(db_session, coffee.id, today().year).sanctioned


def test_the_inventory_reads_each_lots_organic_status_as_origins_of_does(db_session):
    from coopchain.farms.rules import OrganicStatus
    from coopchain.lots.models import Lot
    from coopchain.lots.origins import origins_of

    for org in db_session.scalars(select(Organization)):
        for season in seasons(db_session, org.id):
            for item in season_inventory(db_session, org.id, season).lots:
                lot = db_session.scalars(
                    select(Lot).where(Lot.organization_id == org.id, Lot.code == item.lot_code)
                ).one()
                found = origins_of(db_session, lot)
                expected = OrganicStatus.CONVENTIONAL if found.downgraded else found.organic_status
                assert item.organic_status == expected.value, item.lot_code
