# ruff: noqa: F811 (pytest fixtures imported from the settlement tests are parameters here)
"""The reconciliation covers settlements: a total, a line's amount or a void changed behind the
application's back is named (issue: paying producers, point 3)."""

from decimal import Decimal

import pytest
from sqlalchemy import update

from coopchain.ledger.reconcile import reconcile
from coopchain.payments import settlement as settling
from coopchain.payments.models import Settlement, SettlementLine
from tests.payments.test_settlement import TERMS, english, sold  # noqa: F401 (fixtures)

pytestmark = pytest.mark.usefixtures("app_context")


@pytest.fixture
def settled(db_session, org, sold):
    shipment, _deliveries, _green = sold
    first = settling.confirm(db_session, org.id, None, shipment.reference, TERMS)
    settling.void(db_session, org.id, None, first.id, "Wrong rate")
    second = settling.confirm(db_session, org.id, None, shipment.reference, TERMS)
    return first, second


def _differences(db_session, org):
    db_session.expire_all()
    return [d for d in reconcile(db_session, org.id).differences if d.table == "settlements"]


def test_settlements_written_through_the_service_match_their_events(db_session, org, settled):
    assert _differences(db_session, org) == []


def test_a_changed_total_a_changed_line_and_an_undone_void_are_named(db_session, org, settled):
    voided, live = settled
    db_session.execute(
        update(Settlement).where(Settlement.id == live.id).values(total=Decimal("99999.00"))
    )
    db_session.execute(
        update(SettlementLine)
        .where(SettlementLine.settlement_id == live.id)
        .values(amount=Decimal("1.00"))
    )
    db_session.execute(update(Settlement).where(Settlement.id == voided.id).values(voided_at=None))
    named = {(d.row, d.field, d.stored, d.expected) for d in _differences(db_session, org)}
    assert named == {
        (str(live.id), "total", "99999.00", "16375.05"),
        (str(live.id), "lines_total", "2.00", "16375.05"),
        (str(voided.id), "voided", "no", "yes"),
    }
