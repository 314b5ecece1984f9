"""The day the whole suite runs on (tests/conftest.py pins the clock to it).

COOPCHAIN_TEST_TODAY chooses it (2026-11-16 by default: the season the fixtures describe, with
their June deliveries in the past). CI runs the rule and demo tests again on 2028-02-29, a
leap day in another season, to show they do not depend on the day.
"""

import os
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from coopchain.clock import DEFAULT_TIMEZONE

PINNED_TODAY = date.fromisoformat(os.environ.get("COOPCHAIN_TEST_TODAY", "2026-11-16"))
#: Midday in Peru, so "today" is the same date in UTC and in Lima.
PINNED_NOW = datetime.combine(PINNED_TODAY, time(12, 0), ZoneInfo(DEFAULT_TIMEZONE))
