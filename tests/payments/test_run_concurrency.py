"""Two treasurers confirm a run over the same deliveries at the same moment: exactly one pays.

Commits for real on separate connections (row locks only matter between transactions), on the
file-backed SQLite database and, when COOPCHAIN_TEST_POSTGRES_URL is set, on PostgreSQL too (the
`engine` fixture is parametrised); it removes what it created afterwards.
"""

import threading
import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlmodel import Session

from coopchain.db import begin_write
from coopchain.errors import Conflict
from coopchain.payments import core, runs
from coopchain.payments.models import Payment, PaymentAllocation, PaymentRun, PremiumRule
from tests import factories
from tests.lots.test_concurrency import _remove_organization

PERIOD = {"from": "2026-06-01", "to": "2026-06-30"}


def _season(engine, settings) -> int:
    with Session(engine, info={"settings": settings}) as session:
        org = factories.organization(session, f"P{uuid.uuid4().hex[:8].upper()}")
        for _ in range(3):
            producer = factories.producer(session, org)
            plot = factories.plot(session, org, producer)
            factories.delivery(session, org, producer, plot)  # 500 kg × S/ 14
        session.commit()
        return org.id


def _remove(engine, org_id: int) -> None:
    with Session(engine) as session:
        payments = select(Payment.id).where(Payment.organization_id == org_id)
        session.execute(delete(PaymentAllocation).where(PaymentAllocation.payment_id.in_(payments)))
        for model in (Payment, PaymentRun, PremiumRule):
            session.execute(delete(model).where(model.organization_id == org_id))
        session.commit()
    _remove_organization(engine, org_id)


def test_two_concurrent_runs_over_the_same_deliveries_pay_once(app, engine):
    settings = app.extensions["coopchain.db"].settings
    org_id = _season(engine, settings)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def treasurer():
        with app.app_context(), Session(engine, info={"settings": settings}) as session:
            barrier.wait(timeout=10)
            try:
                begin_write(session)  # what every POST request does (coopchain/db.py)
                runs.confirm(session, org_id, None, PERIOD, date(2026, 7, 1), "PEN", "cash")
                session.commit()
                outcomes.append("paid")
            except Conflict:
                session.rollback()
                outcomes.append("nothing left")
            except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
                session.rollback()
                outcomes.append(f"crashed: {exc!r}")

    try:
        threads = [threading.Thread(target=treasurer) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(outcomes) == ["nothing left", "paid"]
        with Session(engine) as session:
            paid = session.scalar(
                select(func.sum(Payment.amount)).where(Payment.organization_id == org_id)
            )
            assert paid == Decimal("21000.00")  # 3 × 7,000, once
            assert (
                session.scalar(
                    select(func.count(PaymentRun.id)).where(PaymentRun.organization_id == org_id)
                )
                == 1
            )
            ids = session.scalars(
                select(PaymentAllocation.delivery_id)
                .join(Payment)
                .where(Payment.organization_id == org_id)
            ).all()
            assert set(core.outstanding(session, org_id, ids).values()) == {Decimal("0.00")}
    finally:
        _remove(engine, org_id)
