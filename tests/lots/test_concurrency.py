"""Two clerks take from the same lot at the same moment: exactly one succeeds (DESIGN.md §4).

Unlike the rest of the suite this test commits for real, on separate connections, because
row locks only matter between transactions; it removes what it created afterwards.
"""

import threading
import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, select
from sqlmodel import Session

from coopchain.auth.models import Organization
from coopchain.db import begin_write
from coopchain.farms.models import (
    Agreement,
    AgreementProducer,
    AgreementStatusChange,
    Plot,
    Producer,
)
from coopchain.ledger.models import LedgerEvent
from coopchain.lots import transformations
from coopchain.lots.errors import InsufficientQuantity
from coopchain.lots.models import Delivery, Lot, Sequence, Transformation, TransformationInput
from tests import factories


def _committed_lot(engine, settings) -> tuple[int, str]:
    with Session(engine, info={"settings": settings}) as session:
        org = factories.organization(session, f"C{uuid.uuid4().hex[:8].upper()}")
        producer = factories.producer(session, org)
        plot = factories.plot(session, org, producer)
        _delivery, lot = factories.delivery(session, org, producer, plot)  # 500 kg
        session.commit()
        return org.id, lot.code


def _remove_organization(engine, org_id: int) -> None:
    with Session(engine) as session:
        transformation_ids = select(Transformation.id).where(
            Transformation.organization_id == org_id
        )
        session.execute(
            delete(TransformationInput).where(
                TransformationInput.transformation_id.in_(transformation_ids)
            )
        )
        session.execute(delete(Lot).where(Lot.organization_id == org_id))
        for model in (Transformation, Delivery, Sequence, LedgerEvent, Plot):
            session.execute(delete(model).where(model.organization_id == org_id))
        agreement_ids = select(Agreement.id).where(Agreement.organization_id == org_id)
        session.execute(
            delete(AgreementProducer).where(AgreementProducer.agreement_id.in_(agreement_ids))
        )
        session.execute(
            delete(AgreementStatusChange).where(AgreementStatusChange.organization_id == org_id)
        )
        session.execute(delete(Agreement).where(Agreement.organization_id == org_id))
        session.execute(delete(Producer).where(Producer.organization_id == org_id))
        session.execute(delete(Organization).where(Organization.id == org_id))
        session.commit()


def test_two_transactions_taking_the_same_kilograms_one_wins(app, engine):
    settings = app.extensions["coopchain.db"].settings  # what the app's sessions carry
    org_id, code = _committed_lot(engine, settings)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def clerk():
        with app.app_context(), Session(engine, info={"settings": settings}) as session:
            barrier.wait(timeout=10)
            try:
                begin_write(session)  # what every POST request does (coopchain/db.py)
                # 300 of 500 kg: both cannot have it.
                transformations.take_sample(
                    session, org_id, None, code, Decimal("300"), date(2026, 6, 2)
                )
                session.commit()
                outcomes.append("took")
            except InsufficientQuantity:
                session.rollback()
                outcomes.append("refused")
            except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
                outcomes.append(f"crashed: {exc!r}")

    try:
        clerks = [threading.Thread(target=clerk) for _ in range(2)]
        for thread in clerks:
            thread.start()
        for thread in clerks:
            thread.join(timeout=30)
        assert sorted(outcomes) == ["refused", "took"]
        with Session(engine) as session:
            lot = session.scalar(select(Lot).where(Lot.code == code, Lot.organization_id == org_id))
            assert lot.available_kg == Decimal("200")
    finally:
        _remove_organization(engine, org_id)
