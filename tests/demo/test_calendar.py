"""The demo's story is dated relative to the day it is loaded: whatever the day, the harvest is
over, the export lot is loading, plans lie ahead and agreements are in force (pure rules)."""

from datetime import date, timedelta

import pytest

from coopchain.demo.calendar import LOADING_STARTS, calendar_for
from coopchain.demo.season import SEASON_DAYS
from tests.pinned_clock import PINNED_TODAY

#: Every seventh day of two years, a leap day, the day before loading starts and the day it
#: does, and the suite's own pinned day.
DAYS = [date(2027, 1, 1) + timedelta(days=n) for n in range(0, 731, 7)] + [
    date(2028, 2, 29),
    date(2026, 10, 17),
    date(2026, 10, 18),
    PINNED_TODAY,
]


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_the_demo_story_fits_around_any_load_day(day):
    cal = calendar_for(day)
    first_delivery = cal.harvest(4, 1)
    last_delivery = first_delivery + timedelta(days=SEASON_DAYS - 1)
    loading_began = cal.harvest(*LOADING_STARTS)
    # The harvest and loading happened; one season (calendar year) holds every delivery.
    assert first_delivery.year == last_delivery.year == cal.harvest_year
    assert last_delivery < loading_began <= day
    # Plans lie ahead: a shipment that has not "arrived" before it left.
    assert day < cal.planned_loading_on < cal.planned_arrival_on
    # The newest harvest that fits: the next one would not have reached loading yet.
    assert day < date(cal.harvest_year + 1, *LOADING_STARTS)
    assert cal.agreements_valid_until > day and cal.certificates_valid_until > day


def test_a_load_day_in_june_tells_last_years_harvest():
    assert calendar_for(date(2027, 6, 15)).harvest_year == 2026
    assert calendar_for(date(2027, 10, 18)).harvest_year == 2027
