"""Organic status by date (DOMAIN.md §3: 36 months) and agreements in force by date."""

from datetime import date

from coopchain.farms.rules import (
    OrganicStatus,
    add_months,
    agreement_active_on,
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
