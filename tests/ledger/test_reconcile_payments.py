"""The reconciliation covers payments: a payment's amount, producer, void status or lines
changed behind the application's back is named (issue: paying producers)."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import update

from coopchain.ledger.reconcile import reconcile
from coopchain.payments import core
from coopchain.payments.core import Line
from coopchain.payments.models import Payment, PaymentAllocation
from tests import factories

pytestmark = pytest.mark.usefixtures("app_context")


@pytest.fixture
def payments(db_session, org):
    producer = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, producer)
    delivery, _lot = factories.delivery(db_session, org, producer, plot)

    def pay(amount):
        return core.record_payment(
            db_session,
            org.id,
            None,
            producer_id=producer.id,
            lines=[Line(kind="advance", amount=Decimal(amount), delivery_id=delivery.id)],
            method="cash",
            paid_on=date(2026, 6, 2),
        )

    kept, voided = pay("1200.00"), pay("300.00")
    core.void_payment(db_session, org.id, None, voided.number, "paid twice")
    return kept, voided


def _differences(db_session, org):
    db_session.expire_all()
    return [d for d in reconcile(db_session, org.id).differences if d.table == "payments"]


def test_payments_written_through_the_service_match_their_events(db_session, org, payments):
    assert _differences(db_session, org) == []


def test_a_payment_amount_changed_in_the_database_is_named(db_session, org, payments):
    kept, _ = payments
    db_session.execute(
        update(Payment).where(Payment.id == kept.id).values(amount=Decimal("2200.00"))
    )
    (difference,) = _differences(db_session, org)
    assert (difference.row, difference.field) == (kept.number, "amount")
    assert (difference.stored, difference.expected) == ("2200.00", "1200.00")
    assert "amount is 2200.00, its events say 1200.00" in difference.describe()


def test_a_voided_payment_made_live_again_and_a_changed_line_are_named(db_session, org, payments):
    kept, voided = payments
    db_session.execute(update(Payment).where(Payment.id == voided.id).values(voided_at=None))
    db_session.execute(
        update(PaymentAllocation)
        .where(PaymentAllocation.payment_id == kept.id)
        .values(amount=Decimal("1.00"))
    )
    named = {(d.row, d.field, d.stored) for d in _differences(db_session, org)}
    assert named == {(voided.number, "voided", "no"), (kept.number, "allocations", "1.00")}
