"""Member debts: a schedule that sums to the principal, recovered as it falls due."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from coopchain.errors import Conflict, DomainError
from coopchain.payments import debts
from coopchain.payments.models import ProducerDebt
from tests import factories


def _data(**fields):
    return {
        "kind": "loan",
        "principal": "300.00",
        "currency": "PEN",
        "granted_on": "2026-03-01",
        "description": "Fertiliser",
        "schedule": [
            {"due_on": "2026-07-01", "amount": "100.00"},
            {"due_on": "2026-12-01", "amount": "200.00"},
        ],
        **fields,
    }


def test_due_deductions_take_what_is_due_capped_by_what_is_available(db_session, org):
    producer = factories.producer(db_session, org)
    debt = debts.record_debt(db_session, org.id, None, producer.id, _data())
    assert (
        debts.due_deductions(db_session, org.id, producer.id, date(2026, 6, 30), Decimal("500"))
        == []
    )
    assert debts.due_deductions(
        db_session, org.id, producer.id, date(2026, 7, 1), Decimal("500")
    ) == [(debt, Decimal("100.00"))]
    assert debts.due_deductions(
        db_session, org.id, producer.id, date(2026, 12, 1), Decimal("120.50")
    ) == [(debt, Decimal("120.50"))]


def test_a_voided_debt_is_not_recovered(db_session, org):
    producer = factories.producer(db_session, org)
    debt = debts.record_debt(db_session, org.id, None, producer.id, _data())
    with pytest.raises(DomainError) as raised:
        debts.void_debt(db_session, org.id, None, debt.id, "  ")
    assert "reason" in raised.value.fields
    debts.void_debt(db_session, org.id, None, debt.id, "Recorded twice")
    assert (
        debts.due_deductions(db_session, org.id, producer.id, date(2026, 12, 31), Decimal("500"))
        == []
    )
    with pytest.raises(Conflict):
        debts.void_debt(db_session, org.id, None, debt.id, "again")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"principal": "-300"}, "principal"),
        ({"principal": "0"}, "principal"),
        ({"currency": "ABC"}, "currency"),
        ({"kind": "gift"}, "kind"),
        ({"principal": "350.00"}, "schedule"),
        ({"schedule": []}, "schedule"),
        ({"schedule": [{"due_on": "2026-02-01", "amount": "300.00"}]}, "schedule.0"),
        ({"schedule": [{"due_on": "2026-07-01", "amount": "-300.00"}]}, "schedule.0"),
    ],
)
def test_a_bad_debt_names_its_field_and_writes_nothing(db_session, org, fields, field):
    producer = factories.producer(db_session, org)
    with pytest.raises(DomainError) as raised:
        debts.record_debt(db_session, org.id, None, producer.id, _data(**fields))
    assert field in raised.value.fields
    assert db_session.scalar(select(func.count(ProducerDebt.id))) == 0
