"""The lot list and the merge page say what a clerk picks lots by: organic status, how many
plots they come from, the cupping score, and (merge) the kilograms selected; quantities rounded
for reading, exact in the title and in exports."""

from datetime import date
from decimal import Decimal

import pytest

from coopchain.formatting import kg_rounded
from coopchain.lots import transformations
from tests import factories
from tests.trace.public_fixtures import cupped

JUNE = date(2026, 6, 15)


def row_of(page: str, code: str) -> str:
    start = page.index(f">{code}<")
    return page[page.rindex("<tr", 0, start) : page.index("</tr>", start)]


@pytest.fixture
def lots(db_session, org, farm):
    """A cupped green lot from one organic plot, a merge of two plots' lots, and a lot from a
    plot in conversion."""
    producer, plot = farm
    _d, green = factories.delivery(
        db_session, org, producer, plot, product_form="green", gross_kg=Decimal("4524.36")
    )
    cupped(db_session, org, green, final="84.25", held_on=JUNE)
    other = factories.producer(db_session, org)
    factories.agreement(db_session, org, [other])
    other_plot = factories.plot(db_session, org, other)
    _d, a = factories.delivery(db_session, org, producer, plot, gross_kg=Decimal("72.55"))
    _d, b = factories.delivery(db_session, org, other, other_plot)
    merged = transformations.merge(db_session, org.id, None, [(a.code, None), (b.code, None)], JUNE)
    (blend,) = transformations.parts_of(db_session, merged)[1]
    converting = factories.plot(
        db_session, org, producer, organic_conversion_start=date(2025, 1, 1)
    )
    _d, young = factories.delivery(db_session, org, producer, converting)
    split = transformations.split(
        db_session, org.id, None, green.code, [Decimal("100"), Decimal("200")], JUNE
    )
    part, _rest = transformations.parts_of(db_session, split)[1]
    return {"green": green, "blend": blend, "young": young, "part": part}


def test_the_lot_list_shows_organic_status_origins_and_score(client, login, lots):
    login("staff")
    page = client.get("/lots").data.decode()
    green = row_of(page, lots["green"].code)
    assert "orgánico" in green and "1 parcela" in green and "84.25" in green
    # 4,504.36 kg (4,524.36 gross − 20 tare; es_PE, the default locale) read as whole
    # kilograms, exact in the title;
    # 0.3 kg went to the cupping sample and 300 kg to the split.
    assert 'title="4,504.36 kg">4,504<' in green and 'title="4,204.06 kg">4,204<' in green
    blend = row_of(page, lots["blend"].code)
    assert "2 parcelas · 2 productores" in blend and "—" in blend
    young = row_of(page, lots["young"].code)
    assert "en conversión" in young
    # A part of the cupped lot inherits its score, marked as derived.
    assert "≈ 84.25" in row_of(page, lots["part"].code)


def test_the_merge_page_shows_the_facts_and_the_selected_total(
    client, login, db_session, org, farm
):
    producer, plot = farm
    _d, a = factories.delivery(db_session, org, producer, plot, gross_kg=Decimal("72.55"))
    _d, b = factories.delivery(db_session, org, producer, plot)
    login("staff")
    page = client.get(f"/lots/merge?lot={a.code}&lot={b.code}").data.decode()
    assert "orgánico" in row_of(page, a.code) and "1 parcela" in row_of(page, b.code)
    # Without JavaScript: the lots picked when the page opened, all they have available.
    assert 'id="merge-count">2<' in page
    assert 'data-group="," data-decimal="."' in page
    assert ">553 kg</output>" in page  # 52.55 + 500, whole kilograms from 100 kg
    assert 'data-available="52.550"' in page and 'data-available="500.000"' in page
    assert '<script src="/static/merge.js"></script>' in page


def test_kilograms_for_reading_are_rounded_to_what_matters(app_context):
    assert kg_rounded(Decimal("4504.36")) == "4,504"
    assert kg_rounded(Decimal("52.55")) == "52.6"
    assert kg_rounded(Decimal("0.3")) == "0.3"
    assert kg_rounded(None) == "—"
