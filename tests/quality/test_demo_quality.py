"""The demo tells the quality story: a measured export lot, derived blends, gradings."""

from decimal import Decimal

from sqlalchemy import select

from coopchain.auth.models import Organization
from coopchain.demo import load_demo
from coopchain.lots.models import Bag, Lot
from coopchain.quality import gradings, sessions
from coopchain.quality.lot_quality import cupping_of


def test_the_demo_has_cupped_and_graded_lots(db_session):
    assert load_demo(db_session, "demo")
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
        select(Lot).where(Lot.organization_id == coffee.id, Lot.product_form == "dry_parchment",
                          Lot.transformation_id.is_not(None)).order_by(Lot.id.desc())
    )  # fmt: skip
    derived = cupping_of(db_session, blend)
    assert derived.derived and len(derived.measured_lots) == 2

    listed, total = sessions.list_sessions(db_session, coffee.id)
    assert total == 3 and [s.status for s in listed].count("open") == 1

    pitahaya = db_session.scalar(select(Organization).where(Organization.code != "COOPAM"))
    boxed = db_session.scalars(
        select(Lot).join(Bag, Bag.lot_id == Lot.id).where(Lot.organization_id == pitahaya.id)
    ).first()
    assert gradings.latest_grading(db_session, boxed, "pitahaya").codex_class == "class_i"
