"""The scan log: each opening of a public page, so the cooperative sees how often a shipment's
bags are scanned, and where buyers' phones are set to (issue: public trace pages).

What is kept: time, page (lot, bag, shipment), page language, how it was reached, and a country
taken from the Accept-Language header's region only ("de-DE" → DE). No IP address, no user
agent, no cookie: a scan says nothing about who scanned.

Scans are buffered in the worker and written in batches (`SCAN_LOG_BATCH` scans, or when the
oldest waiting scan is `SCAN_LOG_MAX_AGE_S` seconds old, checked on each scan, and when the
worker exits): a write per scan would make every page view a database commit, which on SQLite
means waiting for the one writer. The price is that a worker killed without warning loses at
most one batch of counts; nothing else depends on them.
"""

import atexit
import functools
import logging
import threading
import time
import weakref

from flask import Flask, current_app
from sqlalchemy import func, insert, select
from sqlmodel import Session
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from coopchain.db import begin_write, database, in_organization
from coopchain.trace.models import ScanEvent

log = logging.getLogger(__name__)
#: Scans kept waiting at most, when writing keeps failing (the oldest are dropped first).
MAX_PENDING = 10_000


def country_of(accept_language) -> str | None:
    """The region of the most wanted language tag that has one: "de-DE,de;q=0.9" → "DE".

    Only two-letter regions count (ISO 3166-1 alpha-2); "es-419" (a UN M.49 area) and bare
    languages give nothing, because a language alone does not say where someone is."""
    for tag, _quality in accept_language or ():
        for subtag in tag.replace("_", "-").split("-")[1:]:
            if len(subtag) == 2 and subtag.isascii() and subtag.isalpha():
                return subtag.upper()
    return None


@functools.lru_cache(maxsize=256)
def country_of_header(accept_language: str) -> str | None:
    """country_of an Accept-Language header as sent, remembered per header (as the page's
    language is: extensions.best_language)."""
    return country_of(parse_accept_header(accept_language, LanguageAccept))


class ScanBuffer:
    def __init__(self, batch: int, max_age_s: float):
        self.batch = batch
        self.max_age_s = max_age_s
        self._pending: list[dict] = []
        self._oldest: float | None = None
        self._lock = threading.Lock()

    def add(self, row: dict) -> bool:
        """Keep `row`; True when the buffer should now be written."""
        now = time.monotonic()
        with self._lock:
            self._pending.append(row)
            if self._oldest is None:
                self._oldest = now
            return len(self._pending) >= self.batch or now - self._oldest >= self.max_age_s

    def take(self) -> list[dict]:
        with self._lock:
            rows, self._pending, self._oldest = self._pending, [], None
        return rows

    def give_back(self, rows: list[dict]) -> None:
        with self._lock:
            self._pending = (rows + self._pending)[-MAX_PENDING:]
            if self._oldest is None:
                self._oldest = time.monotonic()


def buffer_of(app: Flask) -> ScanBuffer:
    return app.extensions["coopchain.scans"]


def init_app(app: Flask) -> None:
    app.extensions["coopchain.scans"] = ScanBuffer(
        app.config["SCAN_LOG_BATCH"], app.config["SCAN_LOG_MAX_AGE_S"]
    )
    # A weak reference: the test suite builds hundreds of apps, and none should outlive its test.
    atexit.register(_flush_at_exit, weakref.ref(app))


def record(row: dict) -> None:
    """Log one scan; writes the waiting batch when it is due."""
    app = current_app._get_current_object()
    if buffer_of(app).add(row):
        flush(app)


def flush(app: Flask) -> int:
    """Write every waiting scan in one transaction of its own (the page's request only reads).
    A failure is logged and the scans wait for the next batch; the page is never affected."""
    buffer = buffer_of(app)
    rows = buffer.take()
    if not rows:
        return 0
    # An app context of its own: at exit there is none, and in a request this keeps the
    # scans' transaction apart from the page's.
    with app.app_context():
        return _write(buffer, rows, database().sessionmaker())


def _write(buffer: ScanBuffer, rows: list[dict], session: Session) -> int:
    try:
        begin_write(session)
        # The table, not the model: a plain executemany. The ORM's bulk insert of the same rows
        # cost a cached bag page a quarter more per batch (issue 19 §3), and the scans need
        # nothing it adds (no objects, no identity map; scanned_at is the column's default).
        session.execute(insert(ScanEvent.__table__), rows)
        session.commit()
        return len(rows)
    except Exception:  # a locked or unreachable database must not break a public page
        session.rollback()
        log.warning(
            "Could not write %d scans; they wait for the next batch", len(rows), exc_info=True
        )
        buffer.give_back(rows)
        return 0
    finally:
        session.close()


def _flush_at_exit(app_ref: weakref.ref) -> None:
    app = app_ref()
    if app is None:
        return
    try:
        flush(app)
    except Exception:  # interpreter shutting down; nothing more to do
        log.warning("Scans lost at exit", exc_info=True)


def shipment_scans(session: Session, org_id: int, shipment_id: int) -> dict:
    """How often the shipment's bags were scanned, when last, and from which countries."""
    scoped = (in_organization(ScanEvent, org_id), ScanEvent.shipment_id == shipment_id)
    total, last = session.execute(
        select(func.count(ScanEvent.id), func.max(ScanEvent.scanned_at)).where(*scoped)
    ).one()
    countries = session.execute(
        select(ScanEvent.country, func.count(ScanEvent.id))
        .where(*scoped)
        .group_by(ScanEvent.country)
        .order_by(func.count(ScanEvent.id).desc(), ScanEvent.country)
    ).all()
    return {"total": total, "last_at": last, "countries": [tuple(row) for row in countries]}
