"""insert_all (coopchain/bulk_insert.py): the rows come back as entities in the order given,
with the defaults the model's constructor would have given them, on SQLite and PostgreSQL."""

from datetime import date
from decimal import Decimal

from coopchain.bulk_insert import insert_all
from coopchain.clock import utcnow
from coopchain.lots.models import Lot


def test_rows_come_back_in_order_with_the_models_defaults(db_session, org):
    before = utcnow()
    rows = [
        {
            "organization_id": org.id,
            "code": f"CAF-2026-9{index:05d}",
            "crop": "coffee",
            "product_form": "cherry",
            "quantity_kg": Decimal("60.5") + index,
            "available_kg": Decimal("60.5") + index,
            "produced_on": date(2026, 6, 1),
        }
        for index in range(250)
    ]

    lots = insert_all(db_session, Lot, rows)

    assert [lot.code for lot in lots] == [row["code"] for row in rows]
    assert [lot.quantity_kg for lot in lots] == [row["quantity_kg"] for row in rows]
    assert all(lot.id is not None and lot in db_session for lot in lots)
    # default_factory called once per row (a token each), constants as the model says.
    assert len({lot.public_token for lot in lots}) == 250
    assert {lot.downgraded for lot in lots} == {False}
    assert all(lot.created_at >= before for lot in lots)
    db_session.expire_all()
    assert db_session.get(Lot, lots[-1].id).code == rows[-1]["code"]


def test_nothing_to_insert_is_an_empty_list(db_session):
    assert insert_all(db_session, Lot, []) == []
