"""Pure rules about plots and agreements, answerable for any date (no database access)."""

import calendar
import functools
import unicodedata
from datetime import date, timedelta
from enum import StrEnum

#: Perennial crops need 36 months from the start of conversion before a harvest is organic
#: (EU 2018/848 Annex II Part I 1.7; USDA 7 CFR 205.202(b); DOMAIN.md §3).
ORGANIC_CONVERSION_MONTHS = 36


class OrganicStatus(StrEnum):
    ORGANIC = "organic"
    IN_CONVERSION = "in_conversion"
    CONVENTIONAL = "conventional"


def add_months(start: date, months: int) -> date:
    """Same day `months` later; the 29–31st fall back to the month's last day."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@functools.lru_cache(maxsize=4096)  # pure, and asked once per origin of a lot: thousands
def organic_since(conversion_start: date | None) -> date | None:
    """The first day a harvest from the plot may be sold as organic."""
    if conversion_start is None:
        return None
    return add_months(conversion_start, ORGANIC_CONVERSION_MONTHS)


def organic_status(conversion_start: date | None, on: date) -> OrganicStatus:
    """Organic, in conversion or conventional on date `on` (DOMAIN.md §3, 36 months)."""
    if conversion_start is None or on < conversion_start:
        return OrganicStatus.CONVENTIONAL
    if on >= organic_since(conversion_start):
        return OrganicStatus.ORGANIC
    return OrganicStatus.IN_CONVERSION


def agreement_active_on(
    *,
    signed_on: date,
    valid_until: date,
    history: list[tuple[date, str]],
    on: date,
) -> bool:
    """Was the agreement in force on `on`? Signed, not expired, and active on that day.

    `history` is [(effective_on, status)]: each status holds from its date until the next
    one's, so a suspension from March to September leaves June "not active" for good, whatever
    the status is today (DOMAIN.md §1). Before the first change the agreement is active.
    """
    return in_periods(agreement_periods(signed_on, valid_until, history), on)


def agreement_periods(
    signed_on: date, valid_until: date, history: list[tuple[date, str]]
) -> list[tuple[date, date]]:
    """The days the agreement was in force, as [(first day, last day)] in order: what
    agreement_active_on answers for every day at once, for callers that ask about thousands of
    days (a lot's origins). Changes on the same day apply in sorted order, the last one holding."""
    periods = []
    start, status = signed_on, "active"
    for effective_on, changed_to in sorted(history):
        if effective_on > valid_until:
            break
        if effective_on > start and status == "active":
            periods.append((start, effective_on - timedelta(days=1)))
        start, status = max(start, effective_on), changed_to
    if status == "active" and start <= valid_until:
        periods.append((start, valid_until))
    return periods


def in_periods(periods: list[tuple[date, date]], on: date) -> bool:
    return any(first <= on <= last for first, last in periods)


def certifier_key(name: str) -> str:
    """A control body's name folded for comparison: no case, no accents, single spaces, so
    "Control Union Perú " and "control union peru" are the same certifier."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())
