"""Builders and fixtures for the public trace page tests (/b/<token>, /l/<token>, /01/...).

The tests read the pages as a buyer would: in English (?lang=en), as visible text or by the
page's structure, never by the internal ids. Import the fixtures into a test module:
`from tests.trace.public_fixtures import app, traced  # noqa: F401`.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html import unescape

import pytest

from coopchain.forest import evidence as forest
from coopchain.lots import transformations
from coopchain.lots.bags import create_bags
from coopchain.quality import cupping_sessions as sessions
from coopchain.quality import rules as quality_rules
from coopchain.shipments import services as shipments
from tests import factories

DELIVERED_ON = date(2026, 6, 1)
CUPPED_ON = date(2026, 6, 15)
VALID_CONTAINER = "CSQU3054383"  # ISO 6346, DOMAIN.md §6
#: What a script kiddie types into a name field; it must come out as text.
HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def app(make_app):
    """The app the tests' `client` and `login` use: scans are written at once (a batch of 1)
    and the page cache re-reads the organisation's revision on every request, so a change shows
    on the very next request without waiting for REVISION_TTL."""
    built = make_app(SCAN_LOG_BATCH=1)
    built.extensions["coopchain.trace_pages"].revision_ttl = 0
    return built


# --- building an origin -----------------------------------------------------------------------


def grower(
    db_session,
    org,
    *,
    lon: float = -77.412345,
    lat: float = -5.701234,
    side: float = 0.001,
    altitude: int = 1200,
    certifier: str | None = None,
    valid_until: date | None = None,
    certificate: bool = True,
    conversion_start: date | None = date(2015, 1, 1),
    agreement_signed: date = date(2025, 1, 10),
    crop: str = "coffee",
    **producer_fields,
):
    """A producer with one plot of `crop` (a square of `side` degrees at lon/lat) under an
    agreement signed on `agreement_signed`, certified by `certifier` (with a certificate number
    unless `certificate` is False). Returns (producer, plot)."""
    producer = factories.producer(db_session, org, **producer_fields)
    plot = factories.plot(
        db_session,
        org,
        producer,
        crop=crop,
        geometry=factories.square(lon, lat, side),
        altitude_m=altitude,
        organic_conversion_start=conversion_start,
        organic_certifier_id=factories.certifier(db_session, org, certifier).id
        if certifier
        else None,
        organic_certificate_valid_until=valid_until,
        organic_certificate_number="PE-BIO-149-0042" if certifier and certificate else None,
    )
    factories.agreement(db_session, org, [producer], signed_on=agreement_signed)
    return producer, plot


def green_lot_of(db_session, org, producer, plot, net_kg="500", delivered_on=DELIVERED_ON):
    """A green coffee lot of `net_kg` from one delivery."""
    _delivery, lot = factories.delivery(
        db_session,
        org,
        producer,
        plot,
        product_form="green",
        gross_kg=Decimal(net_kg) + 20,
        tare_kg=Decimal("20"),
        delivered_on=delivered_on,
    )
    return lot


def merged(db_session, org, lots, on=DELIVERED_ON):
    """One lot made by merging all of each of `lots`."""
    made = transformations.merge(
        db_session, org.id, None, [(lot.code, lot.available_kg) for lot in lots], on
    )
    return transformations.parts_of(db_session, made)[1][0]


def forest_checked(db_session, org, plot, result="deforestation_free", on=date(2026, 5, 1)):
    return forest.record_evidence(
        db_session,
        org.id,
        None,
        plot.id,
        {"kind": "manual", "result": result, "source": "GFW 2024 review", "observed_on": on},
    )


def _sca_scores(final: str) -> dict:
    """A clean SCA 2004 sheet (uniform, clean cup, sweet) whose final score is `final`."""
    quarters = int((Decimal(final) - 30 - 7 * quality_rules.SCA_MIN) / quality_rules.SCA_STEP)
    scores = {}
    for name in quality_rules.SCA_ATTRIBUTES:
        step = min(quarters, 16)
        scores[name] = str(quality_rules.SCA_MIN + step * quality_rules.SCA_STEP)
        quarters -= step
    assert quarters == 0
    return {**scores, "uniformity": 10, "clean_cup": 10, "sweetness": 10}


def cupped(db_session, org, lot, final: str = "84.25", held_on=CUPPED_ON):
    """A closed SCA 2004 session in which one cupper scored `lot` at `final`."""
    session = sessions.open_session(
        db_session,
        org.id,
        None,
        {"held_on": held_on, "protocol": "sca_2004", "guest_cuppers": ["Cupper 1"]},
    )
    (cupper,) = sessions.cuppers_of(db_session, session)
    sample = sessions.add_sample(db_session, org.id, None, session, lot.code)
    sessions.save_sheet(
        db_session,
        org.id,
        None,
        session,
        {"sample_id": sample.id, "cupper_id": cupper.id, "scores": _sca_scores(final)},
    )
    sessions.close_session(db_session, org.id, None, session)
    return session


def shipment_with(db_session, org, bags, status: str = "planned", shipped_on=date(2026, 7, 20)):
    """A shipment to Hamburg, Germany, holding `bags`, moved on to `status`."""
    reference = f"C-2026-{factories.next_number():03d}"
    shipments.create_shipment(
        db_session,
        org.id,
        None,
        {
            "reference": reference,
            "crop": "coffee",
            "buyer_name": "Kaffee Import GmbH",
            "buyer_country": "DE",
            "port_of_destination": "Hamburg",
            "container_number": VALID_CONTAINER,
        },
    )
    shipments.allocate(db_session, org.id, None, reference, serials=[b.serial for b in bags])
    order = ["planned", "loading", "shipped", "delivered"]
    for _step in range(order.index(status)):
        shipments.advance_status(db_session, org.id, None, reference, on=shipped_on)
    return shipments.get_shipment(db_session, org.id, reference)


@dataclass
class Traced:
    """A bag of green coffee from two families' plots, cupped, with forest evidence on one."""

    org: object
    first: object  # (producer, plot) giving 600 kg, organic certified by Control Union
    second: object  # (producer, plot) giving 400 kg, certified by BioLatina, no evidence
    lot: object
    bag: object
    evidence: object


@pytest.fixture
def traced(db_session, org) -> Traced:
    first = grower(
        db_session,
        org,
        first_name="Rosa",
        last_name="Quispe Tello",
        community="Nuevo Edén",
        national_id="70918273",
        phone="951753852",
        side=0.0012,
        altitude=1350,
        certifier="Control Union Peru",
        valid_until=date(2030, 12, 31),
        agreement_signed=date(2025, 1, 10),
    )
    second = grower(
        db_session,
        org,
        first_name="Julio",
        last_name="Mamani Cruz",
        community="Alto Mayo",
        national_id="80213546",
        phone="962147258",
        lon=-77.431987,
        lat=-5.723456,
        side=0.0008,
        altitude=1620,
        certifier="BioLatina",
        valid_until=date(2029, 3, 31),
        agreement_signed=date(2023, 5, 2),
        conversion_start=date(2016, 4, 1),
    )
    lots = [
        green_lot_of(db_session, org, *first, "600"),
        green_lot_of(db_session, org, *second, "400"),
    ]
    lot = merged(db_session, org, lots)
    cupped(db_session, org, lot, "84.25")
    evidence = forest_checked(db_session, org, first[1])
    (bag,) = create_bags(db_session, org.id, None, lot.code, 1)
    db_session.flush()
    return Traced(org, first, second, lot, bag, evidence)


# --- reading pages -----------------------------------------------------------------------------


def get_page(client, path: str, lang: str | None = "en", headers: dict | None = None, **kw):
    """GET a public page, in `lang` (?lang=) unless None."""
    if lang:
        path += ("&" if "?" in path else "?") + f"lang={lang}"
    return client.get(path, headers=headers or {}, **kw)


def visible_text(html: str) -> str:
    """The words a person reads: no <style>, no <svg>, no tags, whitespace collapsed."""
    html = re.sub(r"<(style|svg)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def english_date(day: date) -> str:
    """A date on the English page: as the bag's cooperative writes it (es_PE, dd/mm/yyyy)."""
    return day.strftime("%d/%m/%Y")


def plot_items(html: str) -> list[str]:
    """The visible text of each plot row of the page, in order."""
    found = re.search(r'<ul class="plots">(.*?)</ul>', html, re.S)
    assert found, "no plot list on the page"
    return [visible_text(item) for item in re.findall(r"<li>(.*?)</li>", found[1], re.S)]
