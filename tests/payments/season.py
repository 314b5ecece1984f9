"""A season to pay: two producers, an advance, an organic premium, a retention and a loan."""

from datetime import date
from decimal import Decimal

from coopchain.payments import core, debts, premiums
from tests import factories

CCI = "00221300123456789012"
PERIOD = {"from": "2026-06-01", "to": "2026-06-30"}
PAID_ON = date(2026, 7, 15)


def make_season(db_session, org):
    """Rosa (organic plot, a loan) delivers 500 kg at S/ 14 and got a S/ 1,000 advance;
    Juan delivers 250.5 kg at S/ 13.50."""
    rosa = factories.producer(db_session, org, sex="female")
    juan = factories.producer(db_session, org, sex="male")
    rosa.cci, juan.cci = CCI, "00310200987654321098"
    plot_r = factories.plot(db_session, org, rosa)
    plot_j = factories.plot(db_session, org, juan, organic_conversion_start=None)
    d1, _ = factories.delivery(db_session, org, rosa, plot_r)
    d2, _ = factories.delivery(
        db_session,
        org,
        juan,
        plot_j,
        gross_kg=Decimal("260.5"),
        tare_kg=Decimal("10"),
        price_per_kg=Decimal("13.50"),
    )
    core.record_payment(
        db_session,
        org.id,
        None,
        producer_id=rosa.id,
        method="cash",
        paid_on=date(2026, 6, 1),
        lines=[core.Line("advance", Decimal("1000.00"), d1.id)],
    )
    premiums.create_rule(
        db_session,
        org.id,
        None,
        {"name": "Organic", "kind": "organic", "amount_per_kg": "0.40", "valid_from": "2026-01-01"},
    )
    premiums.create_rule(
        db_session,
        org.id,
        None,
        {
            "name": "Retention",
            "kind": "retention",
            "amount_per_kg": "0.05",
            "valid_from": "2026-01-01",
        },
    )
    debts.record_debt(
        db_session,
        org.id,
        None,
        rosa.id,
        {
            "kind": "loan",
            "principal": "300.00",
            "granted_on": "2026-03-01",
            "description": "Fertiliser",
            "schedule": [
                {"due_on": "2026-07-01", "amount": "100.00"},
                {"due_on": "2026-12-01", "amount": "200.00"},
            ],
        },
    )
    return rosa, juan, d1, d2
