"""A producer's statement per season: every figure from hand-built data, lines in order, and
totals that add up (issue: paying producers, point 6)."""

from datetime import date
from decimal import Decimal

import pytest

from coopchain.payments import core
from coopchain.payments.core import Line
from coopchain.payments.models import PremiumRule, Settlement, SettlementLine
from coopchain.payments.reports import owed_report, premiums_report
from coopchain.payments.statement import producer_statement, seasons_of
from coopchain.shipments import services as shipments
from tests import factories

D = Decimal


def _pay(session, org, producer, lines, on):
    return core.record_payment(
        session, org.id, None, producer_id=producer.id, lines=lines, method="cash", paid_on=on
    )


@pytest.fixture
def season(db_session, org, farm):
    """2026: 500 kg at S/ 14/kg (7,000.00) and 300 kg at S/ 600/qq (3,913.04); 2025: 100 kg.
    Paid: an advance of 1,000.00, then 6,000.00 balance with a 50.00 premium and a 200.00
    deduction; a settlement share of 321.45; a voided advance of 999.00."""
    producer, plot = farm
    first, _ = factories.delivery(db_session, org, producer, plot, delivered_on=date(2026, 6, 1))
    second, _ = factories.delivery(
        db_session, org, producer, plot, gross_kg=D("320"), delivered_on=date(2026, 6, 20)
    )
    second.price_entered, second.price_unit = D("600"), "qq"
    old, _ = factories.delivery(
        db_session, org, producer, plot, gross_kg=D("120"), delivered_on=date(2025, 7, 1)
    )
    db_session.flush()
    _pay(db_session, org, producer, [Line("advance", D("1000.00"), first.id)], date(2026, 6, 1))
    wrong = _pay(
        db_session, org, producer, [Line("advance", D("999"), second.id)], date(2026, 6, 21)
    )
    core.void_payment(db_session, org.id, None, wrong.number, "Typed twice")
    _pay(
        db_session,
        org,
        producer,
        [
            Line("balance", D("6000.00"), first.id),
            Line("premium", D("50.00"), first.id, description="Organic"),
            Line("deduction", D("-200.00"), None, description="Fertiliser credit"),
        ],
        date(2026, 7, 15),
    )
    _pay(db_session, org, producer, [Line("advance", D("500"), old.id)], date(2025, 7, 1))
    shipment = shipments.create_shipment(
        db_session,
        org.id,
        None,
        {"reference": "C-ST-1", "crop": "coffee", "buyer_name": "B", "buyer_country": "DE"},
    )
    settlement = Settlement(
        organization_id=org.id,
        shipment_id=shipment.id,
        price=D("3.25"),
        price_currency="USD",
        price_unit="lb",
        exchange_rate=D("3.75"),
        rate_on=date(2026, 10, 12),
        currency="PEN",
        total=D("321.45"),
    )
    db_session.add(settlement)
    db_session.flush()
    db_session.add(
        SettlementLine(
            settlement_id=settlement.id,
            delivery_id=first.id,
            producer_id=producer.id,
            kg=D("12.5"),
            amount=D("321.45"),
        )
    )
    db_session.flush()
    return producer, first, second


def test_statement_lines_in_order_and_totals_that_add_up(db_session, org, season):
    producer, first, second = season
    statement = producer_statement(db_session, org.id, producer.id, 2026)
    assert [(line.kind, line.earned, line.paid) for line in statement.lines] == [
        ("delivery", D("7000.00"), D("0.00")),
        ("advance", D("0.00"), D("1000.00")),
        ("delivery", D("3913.04"), D("0.00")),  # 300 kg × 600 / 46
        ("balance", D("0.00"), D("6000.00")),
        ("premium", D("50.00"), D("50.00")),
        ("deduction", D("-200.00"), D("-200.00")),
        ("settlement_share", D("321.45"), D("0.00")),
    ]
    assert statement.lines[2].price_per_kg == D("13.04")
    totals = statement.totals
    assert totals["kg"] == D("800.000")
    assert totals["value"] == D("10913.04")
    assert totals["advances"] == D("1000.00")  # the voided 999.00 is not there
    assert totals["premiums"] == D("50.00") and totals["deductions"] == D("-200.00")
    assert totals["handed_over"] == D("6850.00")
    # Owed: 10,913.04 + 321.45 − 7,000.00
    assert statement.balance == D("4234.49") == statement.lines[-1].balance
    assert seasons_of(db_session, org.id, producer.id) == [2026, 2025]


def test_another_season_holds_only_its_deliveries(db_session, org, season):
    producer, _first, _second = season
    statement = producer_statement(db_session, org.id, producer.id, 2025)
    assert [line.kind for line in statement.lines] == ["delivery", "advance"]
    assert statement.balance == D("1400.00") - D("500.00")


def test_owed_report_matches_each_statement_balance(db_session, org, season, farm):
    producer, _first, _second = season
    other = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, other)
    factories.delivery(db_session, org, other, plot, delivered_on=date(2026, 6, 3))  # 7,000.00
    rows = owed_report(db_session, org.id, 2026)
    assert [(row.member_code, row.owed) for row in rows] == [
        (other.member_code, D("7000.00")),
        (producer.member_code, D("4234.49")),
    ]
    mine = rows[1]
    assert (mine.value, mine.settlement, mine.paid) == (D("10913.04"), D("321.45"), D("7000.00"))
    assert mine.owed == producer_statement(db_session, org.id, producer.id, 2026).balance


def test_premiums_report_per_season_and_rule(db_session, org, season):
    producer, first, _second = season
    rule = PremiumRule(
        organization_id=org.id,
        name="Orgánico 2026",
        kind="organic",
        amount_per_kg=D("0.30"),
        valid_from=date(2026, 1, 1),
    )
    db_session.add(rule)
    db_session.flush()
    _pay(
        db_session,
        org,
        producer,
        [Line("premium", D("150.00"), first.id, premium_rule_id=rule.id)],
        date(2026, 8, 1),
    )
    rows = premiums_report(db_session, org.id)
    assert [(r.season, r.rule, r.kind, r.producers, r.deliveries, r.amount) for r in rows] == [
        (2026, "Organic", "", 1, 1, D("50.00")),
        (2026, "Orgánico 2026", "organic", 1, 1, D("150.00")),
    ]
