"""Two treasurers pay the same delivery at the same moment: exactly one payment goes through,
and the delivery is never paid beyond its value (issue: paying producers; DESIGN.md §4).

Commits for real on separate connections, as tests/lots/test_concurrency.py does (row locks
only matter between transactions), and removes what it created afterwards."""

import threading
import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, select
from sqlmodel import Session

from coopchain.db import begin_write
from coopchain.errors import DomainError
from coopchain.payments import core
from coopchain.payments.core import Line
from coopchain.payments.models import Payment, PaymentAllocation
from tests import factories
from tests.lots.test_concurrency import _remove_organization


def test_two_payments_of_the_same_outstanding_amount_one_wins(app, engine):
    settings = app.extensions["coopchain.db"].settings
    with app.app_context(), Session(engine, info={"settings": settings}) as session:
        org = factories.organization(session, f"P{uuid.uuid4().hex[:8].upper()}")
        producer = factories.producer(session, org)
        plot = factories.plot(session, org, producer)
        delivery, _lot = factories.delivery(session, org, producer, plot)  # worth S/ 7,000.00
        session.commit()
        org_id, producer_id, delivery_id = org.id, producer.id, delivery.id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def treasurer():
        with app.app_context(), Session(engine, info={"settings": settings}) as session:
            barrier.wait(timeout=10)
            try:
                begin_write(session)  # what every POST request does (coopchain/db.py)
                core.record_payment(
                    session,
                    org_id,
                    None,
                    producer_id=producer_id,
                    # 4,000 of 7,000: both cannot be paid.
                    lines=[Line(kind="balance", amount=Decimal("4000"), delivery_id=delivery_id)],
                    method="cash",
                    paid_on=date(2026, 6, 30),
                )
                session.commit()
                outcomes.append("paid")
            except DomainError:
                session.rollback()
                outcomes.append("refused")
            except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
                outcomes.append(f"crashed: {exc!r}")

    try:
        threads = [threading.Thread(target=treasurer) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(outcomes) == ["paid", "refused"]
        with app.app_context(), Session(engine, info={"settings": settings}) as session:
            assert core.outstanding(session, org_id, [delivery_id]) == {
                delivery_id: Decimal("3000.00")
            }
    finally:
        with Session(engine) as session:
            ids = select(Payment.id).where(Payment.organization_id == org_id)
            session.execute(delete(PaymentAllocation).where(PaymentAllocation.payment_id.in_(ids)))
            session.execute(delete(Payment).where(Payment.organization_id == org_id))
            session.commit()
        _remove_organization(engine, org_id)
