"""The scan log of the public trace pages: each opening is counted for the cooperative (how often
a shipment's bags are scanned, and where the phones are set to), with nothing that says who
scanned (issue: public trace pages)."""

import pytest
from sqlalchemy import func, inspect, select
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from coopchain.lots.bags import create_bags
from coopchain.shipments import services as shipments
from coopchain.trace import scans
from coopchain.trace.models import ScanEvent
from coopchain.trace.scans import ScanBuffer, country_of, shipment_scans
from tests.trace import public_fixtures
from tests.trace.public_fixtures import (
    get_page,
    green_lot_of,
    grower,
    shipment_with,
)

# The shared fixtures (public_fixtures.py), named here so pytest finds them.
app = public_fixtures.app

GERMAN_PHONE = {"Accept-Language": "de-DE,de;q=0.9"}
#: Where the test requests come from: it must not be stored anywhere.
ADDRESS = "203.0.113.77"


@pytest.fixture
def shipped_bag(db_session, org):
    """A bag on a planned shipment, and a second bag of the same lot on none."""
    lot = green_lot_of(db_session, org, *grower(db_session, org))
    on_shipment, loose = create_bags(db_session, org.id, None, lot.code, 2)
    shipment = shipment_with(db_session, org, [on_shipment])
    db_session.flush()
    return shipment, on_shipment, loose, lot


def scan_rows(db_session) -> list[ScanEvent]:
    db_session.expire_all()
    return list(db_session.scalars(select(ScanEvent).order_by(ScanEvent.id)))


def scan(client, path, lang=None, headers=None):
    response = get_page(client, path, lang, headers, environ_base={"REMOTE_ADDR": ADDRESS})
    assert response.status_code in (200, 304), response.status_code
    return response


# --- what a scan records -----------------------------------------------------------------------


def test_opening_a_bag_page_records_the_scan_without_who_scanned(client, db_session, shipped_bag):
    shipment, bag, _loose, lot = shipped_bag

    scan(client, f"/b/{bag.public_token}", headers=GERMAN_PHONE)

    (row,) = scan_rows(db_session)
    assert (row.organization_id, row.lot_id, row.bag_id, row.shipment_id) == (
        lot.organization_id,
        lot.id,
        bag.id,
        shipment.id,
    )
    assert row.country == "DE"
    assert row.language == "es"  # German is not offered: the page was in Spanish
    assert row.via == "bag"
    assert row.scanned_at is not None
    stored = [str(getattr(row, column)) for column in ScanEvent.model_fields]
    assert not any(ADDRESS in value or "127.0.0.1" in value for value in stored)


def test_the_scan_log_has_no_column_for_an_address_or_a_browser(engine):
    columns = {column["name"] for column in inspect(engine).get_columns("scan_events")}

    assert columns == {
        "id",
        "organization_id",
        "lot_id",
        "bag_id",
        "shipment_id",
        "scanned_at",
        "country",
        "language",
        "via",
    }


def test_a_lot_page_scan_has_no_bag_and_keeps_the_page_language(client, db_session, shipped_bag):
    _shipment, _bag, _loose, lot = shipped_bag

    scan(client, f"/l/{lot.public_token}", "en", {"Accept-Language": "en-US"})

    (row,) = scan_rows(db_session)
    assert (row.lot_id, row.bag_id, row.shipment_id) == (lot.id, None, None)
    assert (row.language, row.country, row.via) == ("en", "US", "lot")


def test_a_code_that_leads_nowhere_is_not_counted(client, db_session):
    response = get_page(client, "/b/not-a-real-token")

    assert response.status_code == 404
    assert scan_rows(db_session) == []


def test_a_rescan_answered_with_304_still_counts(client, db_session, shipped_bag):
    _shipment, bag, _loose, _lot = shipped_bag
    first = scan(client, f"/b/{bag.public_token}")

    again = scan(client, f"/b/{bag.public_token}", headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    assert len(scan_rows(db_session)) == 2


# --- counts per shipment -----------------------------------------------------------------------


def test_shipment_scans_count_the_shipments_bags_by_country(client, db_session, shipped_bag):
    shipment, bag, loose, _lot = shipped_bag
    path = f"/b/{bag.public_token}"
    for _ in range(3):
        scan(client, path, headers=GERMAN_PHONE)
    scan(client, path, headers={"Accept-Language": "en-US,en;q=0.8"})
    for _ in range(2):
        scan(client, path, headers={"Accept-Language": "en"})
    scan(client, f"/b/{loose.public_token}", headers=GERMAN_PHONE)  # not on the shipment

    counted = shipment_scans(db_session, shipment.organization_id, shipment.id)

    assert counted["total"] == 6
    assert counted["countries"] == [("DE", 3), (None, 2), ("US", 1)]
    on_shipment = [row for row in scan_rows(db_session) if row.shipment_id == shipment.id]
    assert counted["last_at"] == max(row.scanned_at for row in on_shipment)


def test_scans_stay_with_the_shipment_the_bag_was_on(client, db_session, shipped_bag):
    shipment, bag, _loose, _lot = shipped_bag
    scan(client, f"/b/{bag.public_token}")

    shipments.release(db_session, shipment.organization_id, None, shipment.reference, [bag.serial])
    scan(client, f"/b/{bag.public_token}")

    assert shipment_scans(db_session, shipment.organization_id, shipment.id)["total"] == 1


def test_another_organisation_sees_no_scans(client, db_session, other_org, shipped_bag):
    shipment, bag, _loose, _lot = shipped_bag
    scan(client, f"/b/{bag.public_token}")

    assert shipment_scans(db_session, other_org.id, shipment.id)["total"] == 0


def test_the_shipment_page_shows_how_often_its_bags_were_scanned(
    client, login, db_session, shipped_bag
):
    shipment, bag, _loose, _lot = shipped_bag
    login("staff")
    page = client.get(f"/shipments/{shipment.reference}").text
    assert 'data-scans="0"' in page

    for _ in range(2):
        scan(client, f"/b/{bag.public_token}", headers=GERMAN_PHONE)

    client.get("/lang/en")
    page = client.get(f"/shipments/{shipment.reference}").text
    assert 'data-scans="2"' in page
    assert "DE (2)" in page


# --- the region of a phone's language ------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "country"),
    [
        ("de-DE", "DE"),
        ("de-DE,de;q=0.9", "DE"),
        ("es-419", None),  # Latin America: an area, not a country
        ("en", None),
        ("zh-Hant-TW", "TW"),
        ("en_GB", "GB"),
        ("es-419,en-US;q=0.5", "US"),  # the most wanted tag that has a region
        ("en;q=0.5,fr-CA;q=0.9", "CA"),  # by quality, not by position
        ("", None),
        ("*", None),
    ],
)
def test_country_of_takes_the_region_of_the_language_tag(header, country):
    assert country_of(parse_accept_header(header, LanguageAccept)) == country


def test_country_of_nothing_is_none():
    assert country_of(None) is None


# --- the buffer ----------------------------------------------------------------------------------


class Clock:
    """time.monotonic, moved by hand (no test waits)."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(scans.time, "monotonic", fake)
    return fake


def test_the_buffer_is_due_when_the_batch_is_full(clock):
    buffer = ScanBuffer(batch=3, max_age_s=60)

    assert [buffer.add({"n": n}) for n in range(3)] == [False, False, True]
    assert buffer.take() == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert buffer.take() == []
    assert buffer.add({"n": 3}) is False  # a new batch starts


def test_the_buffer_is_due_when_its_oldest_scan_is_old_enough(clock):
    buffer = ScanBuffer(batch=100, max_age_s=10)

    assert buffer.add({"n": 1}) is False
    clock.now += 9.9
    assert buffer.add({"n": 2}) is False
    clock.now += 0.1
    assert buffer.add({"n": 3}) is True
    buffer.take()
    assert buffer.add({"n": 4}) is False  # the age counts from the new oldest


def test_rows_given_back_come_before_newer_ones_and_the_oldest_go_first(monkeypatch, clock):
    monkeypatch.setattr(scans, "MAX_PENDING", 3)
    buffer = ScanBuffer(batch=100, max_age_s=60)
    buffer.add({"n": 3})
    buffer.add({"n": 4})

    buffer.give_back([{"n": 1}, {"n": 2}])

    assert buffer.take() == [{"n": 2}, {"n": 3}, {"n": 4}]


class LockedDatabase:
    """A session whose every write fails, as SQLite does when another writer holds the lock."""

    rolled_back = False

    def in_transaction(self):
        return True

    def execute(self, *_args, **_kwargs):
        from sqlalchemy.exc import OperationalError

        raise OperationalError("INSERT INTO scan_events", {}, Exception("database is locked"))

    def rollback(self):
        self.rolled_back = True

    def close(self):
        pass


def scan_count(db_session) -> int:
    return db_session.scalar(select(func.count(ScanEvent.id)))


def test_a_failed_write_keeps_the_scans_for_the_next_batch(make_app, db_session, shipped_bag):
    _shipment, bag, _loose, lot = shipped_bag
    app = make_app(SCAN_LOG_BATCH=100)
    row = {
        "organization_id": lot.organization_id,
        "lot_id": lot.id,
        "bag_id": bag.id,
        "shipment_id": None,
        "country": None,
        "language": "es",
        "via": "bag",
    }
    scans.buffer_of(app).add(dict(row))
    scans.buffer_of(app).add(dict(row, country="DE"))
    database = app.extensions["coopchain.db"]
    working, locked = database.sessionmaker, LockedDatabase()
    database.sessionmaker = lambda: locked

    assert scans.flush(app) == 0

    assert locked.rolled_back
    assert scan_count(db_session) == 0
    database.sessionmaker = working
    assert scans.flush(app) == 2
    assert scan_count(db_session) == 2
    assert scans.flush(app) == 0  # nothing written twice


def test_scans_wait_for_a_full_batch(make_app, db_session, shipped_bag):
    _shipment, bag, _loose, _lot = shipped_bag
    client = make_app(SCAN_LOG_BATCH=3, SCAN_LOG_MAX_AGE_S=3600).test_client()

    for _ in range(2):
        scan(client, f"/b/{bag.public_token}")
    assert scan_count(db_session) == 0

    scan(client, f"/b/{bag.public_token}")
    assert scan_count(db_session) == 3


def test_a_page_opens_even_when_the_scan_log_cannot_be_written(
    client, db_session, shipped_bag, monkeypatch
):

    _shipment, bag, _loose, _lot = shipped_bag

    def locked(_table):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(scans, "insert", locked)

    response = get_page(client, f"/b/{bag.public_token}")

    assert response.status_code == 200
    assert scan_count(db_session) == 0
    assert len(scans.buffer_of(client.application).take()) == 1  # kept for the next batch
