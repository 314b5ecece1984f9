"""The cooperative's clock: the one source of "now" and "today" for the whole app.

Every stored time is UTC (DESIGN.md §4); "today" is the date where the cooperative works, so a
delivery weighed at 20:00 in Moyobamba is dated that day, not the next UTC day. Tests pin this
clock (tests/conftest.py), so nothing in the suite depends on the day it runs.
"""

import os
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "America/Lima"


def cooperative_zone() -> tzinfo:
    """The cooperative's time zone (COOPCHAIN_TIMEZONE, Peru by default)."""
    return ZoneInfo(os.environ.get("COOPCHAIN_TIMEZONE", DEFAULT_TIMEZONE))


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today where the cooperative works: a UTC date turns over at 19:00 in Peru."""
    return datetime.now(cooperative_zone()).date()
