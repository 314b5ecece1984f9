"""What a scan of a cached public page does not redo (issue 19 §3: its throughput must stay near
a trivial route's) — and that what it still must do is done: the phone's language and country
are read from each header once per process, Flask-Limiter's check is skipped while the page's
own limit still counts, and the scan log is a plain insert."""

import secrets

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session as OrmSession

from coopchain import extensions
from coopchain.extensions import limiter
from coopchain.trace import scans
from coopchain.trace.models import ScanEvent
from tests.trace import public_fixtures
from tests.trace.public_fixtures import get_page, visible_text

# The shared fixtures (public_fixtures.py), named here so pytest finds them.
app, traced = public_fixtures.app, public_fixtures.traced


def bag_path(bag) -> str:
    return f"/b/{bag.public_token}"


def counting(monkeypatch, owner, name: str) -> list:
    """Replace owner.name by a wrapper that notes each call; returns the list of calls."""
    calls, original = [], getattr(owner, name)

    def wrapper(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)
    return calls


def test_each_accept_language_is_parsed_once_and_still_decides(client, traced, monkeypatch):
    extensions.best_language.cache_clear()
    scans.country_of_header.cache_clear()
    for_language = counting(monkeypatch, extensions, "parse_accept_header")
    for_country = counting(monkeypatch, scans, "parse_accept_header")
    english = {"Accept-Language": "en-GB,en;q=0.9"}

    pages = [get_page(client, bag_path(traced.bag), None, english) for _ in range(3)]
    german = get_page(client, bag_path(traced.bag), None, {"Accept-Language": "de-DE,de;q=0.9"})

    assert [page.headers["Content-Language"] for page in pages] == ["en"] * 3
    assert german.headers["Content-Language"] == "es"  # neither language: the default
    assert len(for_language) == 2 and len(for_country) == 2  # one parse per distinct header
    assert scans.country_of_header("en-GB,en;q=0.9") == "GB"
    assert scans.country_of_header("") is None


@pytest.fixture
def limited_app(make_app):
    return make_app(RATELIMIT_ENABLED=True, PUBLIC_RATE_LIMIT="2 per minute")


def test_flask_limiters_check_skips_public_pages_whose_own_limit_counts(
    limited_app, traced, monkeypatch
):
    client = limited_app.test_client()
    resolved = counting(monkeypatch, limiter.limit_manager, "resolve_limits")
    address = {"REMOTE_ADDR": f"10.{secrets.randbelow(254)}.{secrets.randbelow(254)}.9"}

    client.get("/healthz")
    assert resolved  # the hook sees Flask-Limiter's check where it runs
    resolved.clear()
    answers = [
        get_page(client, bag_path(traced.bag), environ_base=address).status_code for _ in range(3)
    ]

    assert answers == [200, 200, 429]
    assert resolved == []


def test_the_scan_log_is_written_as_a_plain_insert(client, db_session, traced):
    """Not through the ORM's bulk insert, which cost each batch a quarter more; the row is the
    same (scanned_at from the column's default)."""
    mapped = []

    def note(state):
        if state.is_insert:
            mapped.extend(state.all_mappers)

    event.listen(OrmSession, "do_orm_execute", note)
    try:
        page = get_page(client, bag_path(traced.bag), headers={"Accept-Language": "de-DE"})
    finally:
        event.remove(OrmSession, "do_orm_execute", note)

    assert page.status_code == 200 and "Net weight" in visible_text(page.text)
    assert mapped == []
    db_session.expire_all()
    (row,) = db_session.scalars(select(ScanEvent)).all()
    assert (row.bag_id, row.country, row.language, row.via) == (traced.bag.id, "DE", "en", "bag")
    assert row.scanned_at is not None
