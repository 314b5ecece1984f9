"""Premium rules: who earns what, per kg, to the cent; bad rules are refused and write nothing."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from coopchain.clock import today
from coopchain.errors import Conflict, DomainError
from coopchain.payments import premiums
from coopchain.payments.models import PremiumRule
from tests import factories


def _rule(session, org, **fields):
    data = {
        "name": "Organic",
        "kind": "organic",
        "amount_per_kg": "0.50",
        "currency": "PEN",
        "valid_from": "2026-01-01",
        **fields,
    }
    return premiums.create_rule(session, org.id, None, data)


@pytest.fixture
def farm(db_session, org):
    woman = factories.producer(db_session, org, sex="female")
    man = factories.producer(db_session, org, sex="male")
    organic_plot = factories.plot(db_session, org, woman, organic_conversion_start=date(2020, 1, 1))
    plain_plot = factories.plot(db_session, org, man, organic_conversion_start=None)
    return woman, man, organic_plot, plain_plot


def test_organic_and_womens_premiums_go_to_the_deliveries_that_earn_them(db_session, org, farm):
    woman, man, organic_plot, plain_plot = farm
    organic = _rule(db_session, org)
    womens = _rule(db_session, org, name="Women", kind="womens", amount_per_kg="0.333")
    hers, _ = factories.delivery(
        db_session, org, woman, organic_plot, gross_kg=Decimal("121.5"), tare_kg=Decimal("0")
    )
    his, _ = factories.delivery(db_session, org, man, plain_plot)
    found = premiums.premiums_for(db_session, org.id, [hers, his])
    # 121.5 kg × 0.50 = 60.75; × 0.333 = 40.4595 → 40.46 (half up)
    assert found[hers.id] == [(organic, Decimal("60.75")), (womens, Decimal("40.46"))]
    assert found[his.id] == []


def test_retention_is_negative_and_differential_applies_to_its_product_form(db_session, org, farm):
    _woman, man, _organic_plot, plain_plot = farm
    retention = _rule(db_session, org, name="Retention", kind="retention", amount_per_kg="0.10")
    differential = _rule(
        db_session,
        org,
        name="RA SD",
        kind="sustainability_differential",
        amount_per_kg="0.20",
        product_form="dry_parchment",
    )
    _rule(
        db_session,
        org,
        name="Cherry only",
        kind="sustainability_differential",
        product_form="cherry",
    )
    delivery, _ = factories.delivery(db_session, org, man, plain_plot)  # 500 kg
    found = premiums.premiums_for(db_session, org.id, [delivery])
    assert found[delivery.id] == [(retention, Decimal("-50.00")), (differential, Decimal("100.00"))]


def test_a_rule_applies_by_the_delivery_date(db_session, org, farm):
    _woman, man, _organic_plot, plain_plot = farm
    _rule(db_session, org, kind="sustainability_differential", valid_from="2026-06-02")
    early, _ = factories.delivery(db_session, org, man, plain_plot, delivered_on=date(2026, 6, 1))
    late, _ = factories.delivery(db_session, org, man, plain_plot, delivered_on=date(2026, 6, 2))
    found = premiums.premiums_for(db_session, org.id, [early, late])
    assert found[early.id] == [] and len(found[late.id]) == 1


def test_plot_in_conversion_earns_no_organic_premium(db_session, org, farm):
    woman, _man, _organic_plot, _plain = farm
    converting = factories.plot(db_session, org, woman, organic_conversion_start=date(2025, 1, 1))
    _rule(db_session, org)
    delivery, _ = factories.delivery(db_session, org, woman, converting)
    assert premiums.premiums_for(db_session, org.id, [delivery])[delivery.id] == []


def test_ending_a_rule_keeps_it_listed_and_valid_until_today(db_session, org, farm):
    _woman, man, _organic_plot, plain_plot = farm
    rule = _rule(db_session, org, kind="sustainability_differential")
    premiums.end_rule(db_session, org.id, None, rule.id)
    assert rule in premiums.list_rules(db_session, org.id)
    assert rule.ended_at is not None and rule.valid_until == today()  # the pinned day
    earlier, _ = factories.delivery(db_session, org, man, plain_plot)
    assert len(premiums.premiums_for(db_session, org.id, [earlier])[earlier.id]) == 1
    with pytest.raises(Conflict):
        premiums.end_rule(db_session, org.id, None, rule.id)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount_per_kg": "-0.5"}, "amount_per_kg"),
        ({"amount_per_kg": "0"}, "amount_per_kg"),
        ({"currency": "ABC"}, "currency"),
        ({"kind": "bonus"}, "kind"),
        ({"valid_until": "2025-01-01"}, "valid_until"),
        ({"kind": "quality"}, "min_score"),
        ({"kind": "quality", "min_score": "86", "max_score": "84"}, "max_score"),
    ],
)
def test_a_bad_rule_names_its_field_and_writes_nothing(db_session, org, fields, field):
    with pytest.raises(DomainError) as raised:
        _rule(db_session, org, **fields)
    assert field in raised.value.fields
    assert db_session.scalar(select(func.count(PremiumRule.id))) == 0


def test_quality_premium_follows_the_score_band_of_the_deliverys_lot(db_session, org, farm):
    from tests.quality.test_lot_quality_page import cup

    _woman, man, _organic_plot, plain_plot = farm
    specialty = _rule(
        db_session, org, name="84+", kind="quality", amount_per_kg="1.00", min_score="84"
    )
    _rule(
        db_session,
        org,
        name="80-84",
        kind="quality",
        amount_per_kg="0.50",
        min_score="80",
        max_score="84",
    )
    high, high_lot = factories.delivery(db_session, org, man, plain_plot, product_form="green")
    low, low_lot = factories.delivery(db_session, org, man, plain_plot, product_form="green")
    uncupped, _ = factories.delivery(db_session, org, man, plain_plot, product_form="green")
    cup(db_session, org, [(high_lot, ["84.00", "85.00"]), (low_lot, ["78.00"])])
    found = premiums.premiums_for(db_session, org.id, [high, low, uncupped])
    assert found[high.id] == [(specialty, Decimal("500.00"))]  # panel mean 84.50, 500 kg
    assert found[low.id] == [] and found[uncupped.id] == []
