"""Time helpers: every stored time is UTC (DESIGN.md §4)."""

import os
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today where the cooperative works: a UTC date turns over at 19:00 in Peru."""
    zone = os.environ.get("COOPCHAIN_TIMEZONE", "America/Lima")
    return datetime.now(ZoneInfo(zone)).date()


class UTCDateTime(TypeDecorator):
    """timestamptz on PostgreSQL; on SQLite (no time zones) values come back tagged as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime refused: store UTC-aware times")
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value
