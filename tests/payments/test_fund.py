"""The Fairtrade Premium fund: income and uses per currency, never a member payment."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from coopchain.errors import DomainError
from coopchain.payments import fund
from coopchain.payments.models import FundEntry, Payment


def _income(session, org, **fields):
    data = {
        "kind": "income",
        "amount": "3968.32",
        "currency": "USD",
        "exchange_rate": "3.75",
        "occurred_on": "2026-09-01",
        "description": "USD 0.20/lb of 19,841.6 lb",
        **fields,
    }
    return fund.record_entry(session, org.id, None, data)


def test_income_and_uses_give_a_balance_per_currency(db_session, org):
    _income(db_session, org)
    fund.record_entry(
        db_session,
        org.id,
        None,
        {
            "kind": "use",
            "amount": "1000.00",
            "currency": "USD",
            "occurred_on": "2026-10-01",
            "plan_item": "Productivity and quality",
            "description": "Pruning tools",
        },
    )
    _income(db_session, org, amount="500.00", currency="PEN", exchange_rate="")
    assert fund.balances(db_session, org.id) == {
        "PEN": Decimal("500.00"),
        "USD": Decimal("2968.32"),
    }
    assert db_session.scalar(select(func.count(Payment.id))) == 0


def test_a_use_cannot_spend_more_than_the_fund_holds(db_session, org):
    _income(db_session, org, amount="100.00")
    with pytest.raises(DomainError) as raised:
        fund.record_entry(
            db_session,
            org.id,
            None,
            {
                "kind": "use",
                "amount": "100.01",
                "currency": "USD",
                "occurred_on": "2026-10-01",
                "plan_item": "Health",
                "description": "Clinic",
            },
        )
    assert "amount" in raised.value.fields


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": "-5"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"currency": "ZZZ"}, "currency"),
        ({"exchange_rate": "0"}, "exchange_rate"),
        ({"kind": "gift"}, "kind"),
        ({"kind": "use"}, "plan_item"),
        ({"shipment": "NO-SUCH"}, "shipment"),
    ],
)
def test_a_bad_entry_names_its_field_and_writes_nothing(db_session, org, fields, field):
    with pytest.raises(DomainError) as raised:
        _income(db_session, org, **fields)
    assert field in raised.value.fields
    assert db_session.scalar(select(func.count(FundEntry.id))) == 0
