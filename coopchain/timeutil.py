"""The column type for stored moments (every stored time is UTC, DESIGN.md §4); migrations
import it by this path, so it stays here while the clock lives in coopchain.clock."""

from datetime import UTC

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


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
