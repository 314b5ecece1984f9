"""The demo now has a season: deliveries, an export lot with bags, a mass-balance red flag."""

from decimal import Decimal

from sqlalchemy import select

from coopchain.auth.models import Organization
from coopchain.demo import load_demo
from coopchain.ledger.services import verify_chain
from coopchain.lots import services
from coopchain.lots.mass_balance import BalanceFlag, mass_balance
from coopchain.lots.models import Bag, Lot
from coopchain.lots.origins import origins_of


def test_the_demo_season_is_traceable_from_bags_to_farms(db_session):
    assert load_demo(db_session, "demo")
    coffee = db_session.scalar(select(Organization).where(Organization.code == "COOPAM"))
    bagged = db_session.scalars(
        select(Lot).join(Bag, Bag.lot_id == Lot.id).where(Lot.organization_id == coffee.id)
    ).first()
    assert bagged.product_form == "green"
    origins = origins_of(db_session, bagged)
    assert origins.organic_status == "organic"
    assert origins.producer_count > 10
    assert sum(o.kg for o in origins.origins) == bagged.quantity_kg
    report = mass_balance(db_session, coffee.id, "2026")
    assert [row.flag for row in report.plots].count(BalanceFlag.OVER) >= 1
    assert verify_chain(db_session, coffee.id)[1] is None
    # 120 bags of 69 kg, a 0.3 kg lab sample and a 0.3 kg cupping sample left the export lot.
    used = services.consumption_of(db_session, bagged)["consumed_kg"]
    assert used == 120 * Decimal("69") + Decimal("0.3") + Decimal("0.3")
    assert bagged.available_kg == bagged.quantity_kg - used
    assert not load_demo(db_session, "demo")  # loading twice changes nothing
