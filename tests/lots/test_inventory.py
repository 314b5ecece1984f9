"""Season inventory per form and organic status, and per lot: balances to the gram, and a
difference an auditor would find (a bag removed or changed underneath) names its lot."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, update

from coopchain.errors import DomainError
from coopchain.lots import transformations
from coopchain.lots.bags import create_bags
from coopchain.lots.inventory import season_inventory
from coopchain.lots.models import Bag, Lot
from coopchain.shipments import services as shipments
from tests import factories

CONTAINER = "CSQU3054383"


@pytest.fixture
def season(db_session, org, farm):
    """1,000 kg of organic parchment hulled to 780 kg green (220 kg loss), a 0.3 kg sample,
    five 69 kg bags of which three left on a shipment on 1 July."""
    producer, plot = farm
    _delivery, parchment = factories.delivery(
        db_session,
        org,
        producer,
        plot,
        gross_kg=Decimal("1000"),
        tare_kg=Decimal("0"),
        delivered_on=date(2026, 5, 4),
    )
    process = transformations.process(
        db_session, org.id, None, parchment.code, None, "green", Decimal("780"), date(2026, 6, 1)
    )
    green = db_session.scalars(select(Lot).where(Lot.transformation_id == process.id)).one()
    transformations.take_sample(db_session, org.id, None, green.code, None, date(2026, 6, 2))
    made = create_bags(db_session, org.id, None, green.code, 5)
    shipments.create_shipment(
        db_session,
        org.id,
        None,
        {
            "reference": "HAM-1",
            "crop": "coffee",
            "buyer_name": "B",
            "buyer_country": "DE",
            "container_number": CONTAINER,
        },
    )
    shipments.allocate(db_session, org.id, None, "HAM-1", serials=[bag.serial for bag in made[:3]])
    shipments.advance_status(db_session, org.id, None, "HAM-1", date(2026, 6, 30))
    shipments.advance_status(db_session, org.id, None, "HAM-1", date(2026, 7, 1))
    return parchment, green, made


def row(report, form):
    [found] = [r for r in report.rows if r.product_form == form]
    return found


def test_the_season_balances_to_the_gram_per_form_and_status(db_session, org, season):
    parchment, green, _bags = season
    report = season_inventory(db_session, org.id, "2026")

    assert report.balanced and report.differences == []
    dry = row(report, "dry_parchment")
    assert dry.organic_status == "organic"
    assert (dry.opening_kg, dry.deliveries_kg, dry.transformed_out_kg) == (0, 1000, 780)
    assert (dry.processing_losses_kg, dry.closing_kg, dry.difference_kg) == (220, 0, 0)
    sample = Decimal(str(db_session.info["settings"].sample_kg))
    grn = row(report, "green")
    assert grn.transformed_in_kg == 780 and grn.samples_kg == sample
    assert grn.shipped_kg == Decimal("207")
    assert grn.closing_kg == Decimal("780") - sample - Decimal("207")
    assert grn.difference_kg == 0
    [factor] = report.factors
    assert (factor.from_form, factor.to_form, factor.factor) == (
        "dry_parchment",
        "green",
        Decimal("0.7800"),
    )
    assert {item.lot_code for item in report.lots} == {parchment.code, green.code}


def test_the_next_season_opens_with_the_closing_stock(db_session, org, season):
    _parchment, green, _bags = season
    closing = row(season_inventory(db_session, org.id, "2026"), "green").closing_kg
    later = season_inventory(db_session, org.id, "2027")
    grn = row(later, "green")
    assert grn.opening_kg == closing == grn.closing_kg and grn.deliveries_kg == 0
    assert later.balanced


def test_a_bag_row_removed_underneath_names_its_lot(db_session, org, season):
    _parchment, green, made = season
    db_session.execute(delete(Bag).where(Bag.id == made[4].id))
    db_session.expire_all()

    report = season_inventory(db_session, org.id, "2026")

    assert not report.balanced
    [difference] = report.differences
    assert difference.lot_codes == (green.code,) and difference.source == "lot"
    assert difference.difference_kg == Decimal("69.000")
    assert row(report, "green").difference_kg == Decimal("69.000")
    assert row(report, "dry_parchment").difference_kg == 0


def test_a_bag_quantity_changed_underneath_names_its_lot(db_session, org, season):
    _parchment, green, made = season
    db_session.execute(update(Bag).where(Bag.id == made[0].id).values(net_kg=Decimal("68.999")))
    db_session.expire_all()

    [difference] = season_inventory(db_session, org.id, "2026").differences
    assert difference.lot_codes == (green.code,)
    assert difference.difference_kg == Decimal("0.001")


def test_a_transformation_that_loses_kilograms_names_its_lots(db_session, org, season):
    parchment, green, _made = season
    db_session.execute(update(Lot).where(Lot.id == green.id).values(quantity_kg=Decimal("781")))
    db_session.expire_all()

    report = season_inventory(db_session, org.id, "2026")
    sources = {(d.source, d.lot_codes) for d in report.differences}
    assert ("transformation", (green.code,)) in sources
    assert ("lot", (green.code,)) in sources


def test_voided_records_count_nowhere(db_session, org, season):
    _parchment, green, made = season
    from coopchain.lots.bags import void_bag

    void_bag(db_session, org.id, None, made[4].serial, "torn")
    report = season_inventory(db_session, org.id, "2026")
    assert report.balanced


def test_an_unknown_season_is_refused_naming_the_field(db_session, org):
    with pytest.raises(DomainError) as caught:
        season_inventory(db_session, org.id, "20x6")
    assert "season" in caught.value.fields


def test_the_page_api_and_workbook_show_the_difference_by_lot(
    client, login, api, db_session, org, season
):
    import io

    from openpyxl import load_workbook

    _parchment, green, made = season
    db_session.execute(delete(Bag).where(Bag.id == made[4].id))
    db_session.expire_all()
    login("auditor")
    response = client.get("/reports/inventory?season=2026")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert green.code in page and '<td class="num">69</td>' in page
    sheet = client.get("/reports/inventory.xlsx?season=2026")
    book = load_workbook(io.BytesIO(sheet.data))
    differences = list(book["Differences"].iter_rows(values_only=True))
    assert differences[1][1:3] == ("lot", green.code) and differences[1][6] == 69
    body = client.get("/api/v1/reports/inventory?season=2026", headers=api("auditor")).get_json()
    assert body["balanced"] is False
    assert body["differences"][0]["lot_codes"] == [green.code]
    assert body["differences"][0]["difference_kg"] == "69.000"
    bad = client.get("/api/v1/reports/inventory?season=nope", headers=api("auditor"))
    assert bad.status_code in (400, 422) and "season" in bad.get_json()["fields"]
