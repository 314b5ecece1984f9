"""The buyer's five seconds on a bag's page: where it is from (region, country, the protected
forest the families farm beside) first; the harvest, processing and export dates; the lot's EUDR
line; a map with the forest's outline; and the cooperative's own story and photo."""

import re
from datetime import date
from decimal import Decimal

import pytest

from coopchain.farms.models import ProtectedArea
from coopchain.forest import evidence as forest
from coopchain.lots import transformations
from coopchain.lots.bags import create_bags
from tests import factories
from tests.trace import public_fixtures
from tests.trace.public_fixtures import (
    english_date,
    forest_checked,
    get_page,
    grower,
    shipment_with,
    visible_text,
)

app, traced = public_fixtures.app, public_fixtures.traced

FOREST = "Alto Mayo Protection Forest"
#: North of the fixtures' plots (lat -5.70 to -5.72): the forest they border.
FOREST_RING = [[-77.5, -5.69], [-77.35, -5.69], [-77.35, -5.6], [-77.5, -5.6], [-77.5, -5.69]]


def bag_path(bag) -> str:
    return f"/b/{bag.public_token}"


def protected_area(db_session, org, name=FOREST, kind="protected_area", ring=FOREST_RING):
    area = ProtectedArea(
        organization_id=org.id,
        name=name,
        kind=kind,
        geometry={"type": "Polygon", "coordinates": [ring]},
        approximate=True,
        source="test outline",
    )
    db_session.add(area)
    db_session.flush()
    return area


@pytest.fixture
def in_alto_mayo(db_session, traced):
    traced.org.region = "Alto Mayo, San Martín"
    db_session.add(traced.org)
    protected_area(db_session, traced.org)
    return traced


def first_line(html: str) -> str:
    found = re.search(r'<p class="origin-line">(.*?)</p>', html, re.S)
    assert found, "no origin line"
    return visible_text(found.group(1))


# --- where it is from, first --------------------------------------------------------------------


def test_the_page_opens_with_region_country_and_the_protected_forest(client, in_alto_mayo):
    html = get_page(client, bag_path(in_alto_mayo.bag)).text

    assert first_line(html) == (
        "Alto Mayo, San Martín, Peru — grown by 2 families under conservation agreements "
        f"with the {FOREST}"
    )
    # First: before the product's name and everything else on the page.
    assert html.index('class="origin-line"') < html.index("<h1>")


def test_the_first_line_in_spanish(client, in_alto_mayo):
    html = get_page(client, bag_path(in_alto_mayo.bag), lang="es").text

    assert first_line(html) == (
        "Alto Mayo, San Martín, Perú — cultivado por 2 familias con acuerdos de conservación "
        f"con el área protegida {FOREST}"
    )


def test_without_a_protected_area_the_forest_is_not_named(client, db_session, traced):
    traced.org.region = "Alto Mayo, San Martín"
    protected_area(db_session, traced.org, name="Zona de amortiguamiento", kind="buffer_zone")

    line = first_line(get_page(client, bag_path(traced.bag)).text)

    assert line == "Alto Mayo, San Martín, Peru — grown by 2 families under conservation agreements"


def test_agreements_are_claimed_only_when_the_engine_says_they_held(client, db_session, org):
    org.region = "Alto Mayo, San Martín"
    protected_area(db_session, org)
    # Signed after the delivery (1 June 2026): not in force when it delivered (AGR-ACTIVE).
    producer, plot = grower(db_session, org, agreement_signed=date(2026, 7, 1))
    lot = public_fixtures.green_lot_of(db_session, org, producer, plot)
    (bag,) = create_bags(db_session, org.id, None, lot.code, 1)

    html = get_page(client, bag_path(bag)).text

    assert first_line(html) == "Alto Mayo, San Martín, Peru — grown by 1 family"
    assert FOREST not in first_line(html)


def test_without_a_region_the_country_alone(client, traced):
    assert first_line(get_page(client, bag_path(traced.bag)).text).startswith("Peru — grown by")


# --- dates and the EUDR line ----------------------------------------------------------------------


def test_harvest_processing_and_export_dates(client, db_session, org):
    producer, plot = grower(db_session, org)
    forest_checked(db_session, org, plot)
    lots = [
        factories.delivery(
            db_session, org, producer, plot, delivered_on=day, gross_kg=Decimal("520")
        )[1]
        for day in (date(2026, 5, 4), date(2026, 6, 20))
    ]
    made = transformations.merge(
        db_session, org.id, None, [(lot.code, None) for lot in lots], date(2026, 6, 25)
    )
    parchment = transformations.parts_of(db_session, made)[1][0]
    hulled = transformations.process(
        db_session, org.id, None, parchment.code, None, "green", Decimal("780"), date(2026, 7, 2)
    )
    green = transformations.parts_of(db_session, hulled)[1][0]
    (bag,) = create_bags(db_session, org.id, None, green.code, 1)
    shipment_with(db_session, org, [bag], "shipped", shipped_on=date(2026, 7, 20))

    text = visible_text(get_page(client, bag_path(bag)).text)

    assert (
        f"Harvest 2026 · delivered {english_date(date(2026, 5, 4))} – "
        f"{english_date(date(2026, 6, 20))}"
    ) in text
    assert f"Processed {english_date(date(2026, 7, 2))}" in text
    assert f"Shipped {english_date(date(2026, 7, 20))} → Hamburg, Germany" in text
    spanish = visible_text(get_page(client, bag_path(bag), lang="es").text)
    assert "Procesado 02/07/2026" in spanish  # es_PE, the default locale
    assert "entregado del 04/05/2026 al 20/06/2026" in spanish


def eudr_line(html: str) -> str:
    found = re.search(r'<p class="eudr[^"]*">(.*?)</p>', html, re.S)
    assert found, "no EUDR line"
    return visible_text(found.group(1))


def test_the_eudr_line_follows_the_forest_evidence(client, db_session, traced):
    # The second plot has no forest evidence yet: the engine finds FOR-MISSING.
    before = eudr_line(get_page(client, bag_path(traced.bag)).text)
    assert before == (
        "EUDR · Not yet shown deforestation-free: some of its farms have no forest evidence."
    )

    forest_checked(db_session, traced.org, traced.second[1], on=date(2026, 5, 20))

    after = eudr_line(get_page(client, bag_path(traced.bag)).text)
    assert after == (
        "EUDR · Deforestation-free: no forest loss after 31 December 2020 on any of its farms, "
        f"per the forest evidence up to {english_date(date(2026, 5, 20))} ✓"
    )
    spanish = eudr_line(get_page(client, bag_path(traced.bag), lang="es").text)
    assert spanish.startswith("EUDR · Libre de deforestación: ninguna de sus fincas perdió bosque")
    assert "según la evidencia forestal hasta el 20/05/2026" in spanish


def test_forest_loss_is_said_plainly(client, db_session, traced):
    forest.record_evidence(
        db_session,
        traced.org.id,
        None,
        traced.second[1].id,
        {
            "kind": "manual",
            "result": "loss_after_cutoff",
            "loss_after_cutoff_ha": "0.3",
            "source": "GFW 2024 review",
            "observed_on": date(2026, 5, 1),
        },
    )

    line = eudr_line(get_page(client, bag_path(traced.bag)).text)

    assert line == "EUDR · Not deforestation-free: forest loss after 2020 on some of its farms."


# --- the map ------------------------------------------------------------------------------------


def test_the_map_draws_the_forest_outline_without_coordinates(client, in_alto_mayo):
    html = get_page(client, bag_path(in_alto_mayo.bag)).text

    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    outline = re.search(r'<path class="area"[^>]* d="([^"]+)"', svg)
    assert outline and outline.group(1).startswith("M")
    assert "-77." not in svg and "-5.6" not in svg and "-5.7" not in svg  # relative units only
    assert re.search(r">\d+ (k?m)</text>", svg)  # the scale bar
    caption = re.search(r"<figcaption>(.*?)</figcaption>", html, re.S).group(1)
    assert f"{FOREST} (approximate outline)" in visible_text(caption)
