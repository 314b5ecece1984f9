"""The public trace pages a QR code opens: /b/<token> (a bag), /l/<token> (a lot), and GS1
Digital Links /01/<gtin>/10/<lot>[/21/<serial>]?k=<token> resolved to the same pages
(DESIGN.md §5; issue: public trace pages). No login, no cookie, no script.

A blueprint of its own so its rate limit, headers and error pages apply here only. The pages
are rendered once per worker and language and then served from memory until the organisation's
ledger moves on (trace/page_cache.py); every view is logged without any personal data
(trace/scans.py). Responses carry an ETag and `Cache-Control: no-cache`: a phone or a proxy may
keep the page but asks each time whether it changed, so a re-scan costs a 304 and still counts.
"""

import functools
import gzip
import hashlib
import math
import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, make_response, request
from flask_babel import get_locale
from flask_limiter.util import get_remote_address
from limits import parse as parse_limit
from sqlalchemy import func, select

from coopchain import formatting
from coopchain.auth.access import public
from coopchain.auth.models import Organization
from coopchain.clock import today
from coopchain.config import redis_client_options
from coopchain.db import get_session, in_organization
from coopchain.extensions import limiter
from coopchain.ledger.models import LedgerEvent
from coopchain.trace import scans
from coopchain.trace.gs1 import parse_digital_link
from coopchain.trace.local_limit import PublicLimit
from coopchain.trace.page_cache import CachedPage, PageCache
from coopchain.trace.photos import photo_digest
from coopchain.trace.public import (
    Target,
    find_bag,
    find_digital_link,
    find_lot,
    page_facts,
    voided_day,
)

bp = Blueprint("public_trace", __name__)

#: Nothing may load from anywhere: the page is one document with its styles and map inline.
# Images: inline, or the cooperative's photo from this app ('self'); never another host.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


@functools.cache
def _parsed_limit(text: str):
    return parse_limit(text)


@bp.before_request
def _rate_limit():
    """PUBLIC_RATE_LIMIT per client address, counted in this process, or in Redis through
    Flask-Limiter's storage and strategy (in this process while Redis does not answer:
    trace/local_limit.py). Asked directly rather than through Flask-Limiter's decorator: its
    bookkeeping took ~0.7 ms a request, half of what serving a cached page costs, and the issue
    asks for throughput near a trivial route's."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return None
    limit = _parsed_limit(current_app.config["PUBLIC_RATE_LIMIT"])
    allowed, reset_at = current_app.extensions["coopchain.public_limit"].hit(
        limit, get_remote_address()
    )
    if allowed:
        return None
    response = make_response(_render("trace/public_busy.html"), 429)
    # Seconds until the window lets this client in again (at least 1).
    response.headers["Retry-After"] = str(max(1, math.ceil(reset_at - time.time())))
    response.headers["Cache-Control"] = "no-store"
    return _public_headers(response)


@limiter.request_filter
def _counted_here() -> bool:
    """Flask-Limiter's own check skips these pages: they have no limit of its (no decorator,
    no default limits), _rate_limit counts them, and the check cost a cached page ~30 µs for
    nothing (issue 19 §3). Registered once, on import: the limiter is shared by every app."""
    return request.blueprint == bp.name


def init_app(app) -> None:
    """The page cache: in this process, or in Redis for every node when one is configured (and
    in this process while Redis does not answer); the same for the rate limit's counts."""
    cache = PageCache(app.config["PUBLIC_PAGE_CACHE_SIZE"])
    if app.config.get("PUBLIC_PAGE_CACHE_URL"):
        from coopchain.trace.shared_page_cache import RedisPageCache, install_publisher

        cache = RedisPageCache(
            app.config["PUBLIC_PAGE_CACHE_URL"],
            app.config["REDIS_PREFIX"],
            local=cache,
            client_options=redis_client_options(app.config),
        )
        install_publisher(app, cache)
    app.extensions["coopchain.trace_pages"] = cache
    # In memory the count is this worker's either way; the `limits` memory storage starts a
    # timer thread every 10 ms under load (a fifth of a cached page's time in the profile,
    # issue 19 §3), LocalWindows start none (trace/local_limit.py).
    shared = not app.config["RATELIMIT_STORAGE_URI"].startswith("memory://")
    app.extensions["coopchain.public_limit"] = PublicLimit(limiter, shared)
    scans.init_app(app)


def _cache() -> PageCache:
    return current_app.extensions["coopchain.trace_pages"]


def _revision(organization_id: int) -> int:
    """The organisation's newest ledger sequence number: any change moves it."""
    return get_session().scalar(
        select(func.coalesce(func.max(LedgerEvent.seq), 0)).where(
            in_organization(LedgerEvent, organization_id)
        )
    )


def _render(template: str, **context) -> str:
    # The app's context processors read the login session and the database; a public page needs
    # neither, and must not make the response vary on a cookie.
    locale = get_locale()
    return current_app.jinja_env.get_template(template).render(
        lang=str(locale),
        fmt_date=formatting.day,
        country=lambda code: locale.territories.get(code, code),
        decimal_sign=formatting.decimal_symbol(),
        **context,
    )


def _build(key: tuple, target: Target) -> CachedPage:
    organization_id = target.lot.organization_id
    revision = _revision(organization_id)  # read before gathering: a change meanwhile shows next
    _cache().note_revision(organization_id, revision)
    # The bag's cooperative writes the numbers and dates, whoever scans (its locale change is
    # a ledger event, so a cached page is rebuilt with the new formats).
    formatting.use_locale(get_session().get(Organization, organization_id).locale)
    facts = page_facts(get_session(), target)
    body = _render("trace/public_page.html", facts=facts).encode()
    page = CachedPage(
        organization_id=organization_id,
        revision=revision,
        day=today(),
        etag=hashlib.sha256(body).hexdigest()[:32],
        body=body,
        # Compressed once here, not per scan: every phone accepts gzip, and a slow connection
        # carries a quarter of the bytes.
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
        lot_id=target.lot.id,
        bag_id=target.bag.id if target.bag else None,
        shipment_id=target.shipment.id if target.shipment else None,
    )
    _cache().put(key, page)
    return page


def _serve(page: CachedPage, via: str):
    scans.record(
        {
            "organization_id": page.organization_id,
            "lot_id": page.lot_id,
            "bag_id": page.bag_id,
            "shipment_id": page.shipment_id,
            "country": scans.country_of_header(request.headers.get("Accept-Language", "")),
            "language": str(get_locale()),
            "via": via,
        }
    )
    if "gzip" in request.accept_encodings:
        response = make_response(page.gzipped)
        response.headers["Content-Encoding"] = "gzip"
        response.set_etag(page.etag + "-gz")  # a strong ETag names one representation
    else:
        response = make_response(page.body)
        response.set_etag(page.etag)
    response.headers["Cache-Control"] = "public, no-cache"
    response = _public_headers(response)
    response.headers["Vary"] = "Accept-Language, Accept-Encoding"
    return response.make_conditional(request)


def _public_headers(response):
    response.headers["Vary"] = "Accept-Language"
    response.headers["Content-Language"] = str(get_locale())
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _unknown():
    """The same page for every token that leads nowhere — never issued, voided, or a voided
    lot's — so trying tokens teaches nothing."""
    response = make_response(_render("trace/public_unknown.html"), 404)
    response.headers["Cache-Control"] = "no-store"
    return _public_headers(response)


def _voided(voided_on):
    """A bag or lot that existed and was voided says so, with the day: a buyer holding the bag
    learns its label no longer counts (the token is unguessable, so this teaches a guesser
    nothing a 404 would not)."""
    response = make_response(_render("trace/public_voided.html", voided_on=voided_on), 410)
    response.headers["Cache-Control"] = "no-store"
    return _public_headers(response)


def _cached_or_built(key: tuple, target_of) -> CachedPage | None:
    """The page `key` from the cache, else rendered once for everyone asking at the same
    moment (the others wait and take it); None when `target_of()` finds nothing."""
    cache = _cache()
    page = cache.get(key, today(), _revision)
    if page is None:
        with cache.build_lock(key):
            # Another request may have rendered it while this one waited.
            page = cache.get(key, today(), _revision)
            if page is None:
                target = target_of()
                if target is None:
                    cache.drop(key)
                    return None
                page = _build(key, target)
    return page


def _page(kind: str, token: str, find, via: str):
    page = _cached_or_built((kind, token, str(get_locale())), lambda: find(get_session(), token))
    if page is not None:
        return _serve(page, via)
    voided_on = voided_day(get_session(), kind, token)
    return _unknown() if voided_on is None else _voided(voided_on)


@bp.get("/b/<token>")
@public
def bag(token: str):
    return _page("bag", token, find_bag, "bag")


@bp.get("/l/<token>")
@public
def lot(token: str):
    return _page("lot", token, find_lot, "lot")


@bp.get("/01/<path:_rest>")
@public
def digital_link(_rest: str):
    """A GS1 Digital Link (DOMAIN.md §6). The path is parsed as it arrived, still
    percent-encoded, so an encoded "/" in a lot code stays inside its segment."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    path = urlsplit(raw).path if raw else request.path
    parsed = parse_digital_link(path, request.args.get("k"))
    target = find_digital_link(get_session(), parsed) if parsed else None
    if target is None:
        return _unknown()
    kind, token = (
        ("bag", target.bag.public_token) if target.bag else ("lot", target.lot.public_token)
    )
    page = _cached_or_built((kind, token, str(get_locale())), lambda: target)
    return _serve(page, "gs1")


@bp.get("/o/<code>/photo-<digest>.jpg")
@public
def photo(code: str, digest: str):
    """The cooperative's photo on its public pages. The digest names the photo's bytes, so a
    URL never changes meaning and may be cached for a year; an old digest is a 404."""
    organization = get_session().scalar(select(Organization).where(Organization.code == code))
    data = organization.public_photo if organization else None
    if not data or photo_digest(data) != digest:
        return _unknown()
    response = make_response(data)
    response.headers["Content-Type"] = organization.public_photo_type or "image/jpeg"
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.set_etag(digest)
    return _public_headers(response).make_conditional(request)
