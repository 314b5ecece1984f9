"""Pure lot rules: forms and steps, yields, seasons, codes and exact sharing of kilograms."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from coopchain.farms.rules import OrganicStatus
from coopchain.lots import rules

RANGES = {"dry_parchment>green": (Decimal("0.70"), Decimal("0.85"))}


def test_net_is_gross_minus_tare_to_the_gram():
    assert rules.net_kg(Decimal("520.5004"), Decimal("20.5")) == Decimal("500.000")
    assert rules.net_kg(Decimal("100"), Decimal("0.0015")) == Decimal("99.998")


@pytest.mark.parametrize(
    ("crop", "source", "target", "allowed"),
    [
        ("coffee", "cherry", "wet_parchment", True),
        ("coffee", "cherry", "green", True),
        ("coffee", "dry_parchment", "green", True),
        ("coffee", "green", "dry_parchment", False),
        ("coffee", "green", "green", False),
        ("coffee", "dry_parchment", "fresh_fruit", False),
        ("pitahaya", "fresh_fruit", "fresh_fruit", False),
        ("pitahaya", "fresh_fruit", "green", False),
    ],
)
def test_processing_moves_only_forward_along_the_crop_chain(crop, source, target, allowed):
    assert rules.can_process(crop, source, target) is allowed


def test_forms_belong_to_their_crop():
    assert rules.form_belongs_to_crop("coffee", "cherry")
    assert not rules.form_belongs_to_crop("coffee", "fresh_fruit")
    assert rules.form_belongs_to_crop("pitahaya", "fresh_fruit")
    assert not rules.form_belongs_to_crop("pitahaya", "green")


@pytest.mark.parametrize(
    ("output", "plausible"),
    [("780", True), ("700", True), ("850", True), ("699.999", False), ("900", False)],
)
def test_yield_outside_the_steps_range_is_implausible(output, plausible):
    assert (
        rules.yield_is_plausible(RANGES, "dry_parchment", "green", Decimal("1000"), Decimal(output))
        is plausible
    )


def test_a_step_without_a_range_is_plausible():
    assert rules.yield_is_plausible(RANGES, "cherry", "green", Decimal("100"), Decimal("1"))


def test_seasons_follow_the_calendar_or_start_in_another_month():
    assert rules.season_of(date(2026, 6, 1)) == "2026"
    assert rules.season_of(date(2026, 9, 30), 10) == "2025-26"
    assert rules.season_of(date(2026, 10, 1), 10) == "2026-27"
    assert rules.season_bounds("2025-26", 10) == (date(2025, 10, 1), date(2026, 10, 1))
    assert rules.season_bounds("2026") == (date(2026, 1, 1), date(2027, 1, 1))


def test_lot_codes_and_their_counters():
    pattern = "CAF-{year}-{seq:06d}"
    assert rules.format_code(pattern, year=2026, org="X", seq=123) == "CAF-2026-000123"
    assert rules.counter_name(pattern, year=2026, org="X") == "lot:CAF-2026-#"
    assert rules.counter_name("{org}/{year}/{seq}", year=2026, org="APAM") == "lot:APAM/2026/#"


def test_bag_serial_format():
    assert rules.bag_serial("COOPAM", 2026, 42) == "PE-COOPAM-2026-000042"


def test_a_mixture_is_as_organic_as_its_least_organic_part():
    assert rules.worst_organic_status(["organic", "organic"]) == OrganicStatus.ORGANIC
    assert rules.worst_organic_status(["organic", "in_conversion"]) == "in_conversion"
    assert rules.worst_organic_status(["conventional", "in_conversion"]) == "conventional"


def test_sharing_out_adds_up_exactly_to_the_gram():
    shares = rules.share_out(Decimal("100.000"), {"a": Fraction(1), "b": Fraction(1), "c": 1})
    assert sum(shares.values()) == Decimal("100.000")
    assert sorted(shares.values()) == [Decimal("33.333"), Decimal("33.333"), Decimal("33.334")]


def test_sharing_out_is_proportional():
    shares = rules.share_out(Decimal("138"), {1: Fraction(500, 600), 2: Fraction(100, 600)})
    assert shares == {1: Decimal("115.000"), 2: Decimal("23.000")}


@pytest.mark.parametrize(
    ("net_kg", "price", "due"),
    [
        ("368.5", "14.21", "5236.39"),  # half a cent goes up, as a cashier rounds
        ("500", "14.20", "7100.00"),
        ("0.001", "0.004", "0.00"),
        ("500", None, None),  # no price agreed yet: nothing to pay on this ticket
    ],
)
def test_amount_due_is_to_the_cent_half_up(net_kg, price, due):
    amount = rules.amount_due(Decimal(net_kg), None if price is None else Decimal(price))
    assert amount == (None if due is None else Decimal(due))
