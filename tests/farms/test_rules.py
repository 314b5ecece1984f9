"""Organic status by date (DOMAIN.md §3: 36 months) and agreements in force by date."""

import random
from datetime import date, timedelta

from coopchain.farms.rules import (
    OrganicStatus,
    add_months,
    agreement_active_on,
    agreement_periods,
    in_periods,
    organic_since,
    organic_status,
)


def test_no_conversion_start_is_conventional():
    assert organic_status(None, date(2026, 1, 1)) is OrganicStatus.CONVENTIONAL


def test_before_conversion_start_is_conventional():
    assert organic_status(date(2024, 5, 1), date(2024, 4, 30)) is OrganicStatus.CONVENTIONAL


def test_organic_exactly_36_months_after_conversion_start():
    start = date(2022, 3, 15)
    assert organic_status(start, date(2025, 3, 14)) is OrganicStatus.IN_CONVERSION
    assert organic_status(start, date(2025, 3, 15)) is OrganicStatus.ORGANIC
    assert organic_since(start) == date(2025, 3, 15)


def test_leap_day_start_ends_on_last_day_of_february():
    assert add_months(date(2024, 2, 29), 36) == date(2027, 2, 28)
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)


def _active(on, history=()):
    return agreement_active_on(
        signed_on=date(2025, 1, 10), valid_until=date(2025, 12, 31), history=list(history), on=on
    )


def test_agreement_in_force_between_signing_and_expiry():
    assert not _active(date(2025, 1, 9))
    assert _active(date(2025, 1, 10))
    assert _active(date(2025, 12, 31))
    assert not _active(date(2026, 1, 1))


def test_suspension_applies_from_its_date_only():
    suspended = [(date(2025, 6, 1), "suspended")]
    assert _active(date(2025, 5, 31), suspended)
    assert not _active(date(2025, 6, 1), suspended)
    assert not _active(date(2025, 8, 1), [(date(2025, 6, 1), "ended")])


def test_a_lifted_suspension_still_answers_for_the_months_it_held():
    history = [(date(2025, 9, 1), "active"), (date(2025, 3, 1), "suspended")]  # any order
    assert _active(date(2025, 2, 28), history)
    assert not _active(date(2025, 6, 1), history)
    assert _active(date(2025, 9, 1), history)


def _active_day_by_day(signed_on, valid_until, history, on):
    """The rule as DOMAIN.md §1 states it, one day at a time: the reference the periods
    (computed once per agreement for a lot's thousands of origins) must agree with."""
    if not (signed_on <= on <= valid_until):
        return False
    status = "active"
    for effective_on, changed_to in sorted(history):
        if effective_on > on:
            break
        status = changed_to
    return status == "active"


def test_agreement_periods_answer_every_day_as_the_rule_does():
    chooser = random.Random(19)
    signed_on, valid_until = date(2025, 1, 10), date(2025, 3, 20)
    days = [date(2024, 12, 25) + timedelta(days=n) for n in range(100)]
    for _case in range(300):
        history = [
            (chooser.choice(days), chooser.choice(["active", "suspended", "ended"]))
            for _change in range(chooser.randint(0, 5))
        ]
        periods = agreement_periods(signed_on, valid_until, history)
        for on in days:
            expected = _active_day_by_day(signed_on, valid_until, history, on)
            assert in_periods(periods, on) == expected, (history, on)


def test_agreement_periods_of_a_suspension_and_its_lifting():
    history = [(date(2025, 3, 1), "suspended"), (date(2025, 9, 1), "active")]
    assert agreement_periods(date(2025, 1, 10), date(2025, 12, 31), history) == [
        (date(2025, 1, 10), date(2025, 2, 28)),
        (date(2025, 9, 1), date(2025, 12, 31)),
    ]
