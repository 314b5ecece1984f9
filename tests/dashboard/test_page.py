"""The dashboard page as staff read it: today's intake, stock, waiting lots with links, the
shipments in progress with what blocks them, the charts; and its query count does not grow with
the season's data."""

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import event

from coopchain.clock import today
from coopchain.lots.bags import create_bags
from coopchain.shipments import services as shipments
from tests import factories


def svgs(page: str) -> list[ET.Element]:
    return [
        ET.fromstring(svg)  # noqa: S314 (the app's own markup)
        for svg in re.findall(r"<svg .*?</svg>", page, re.S)
    ]


def test_the_dashboard_shows_todays_intake_stock_waiting_lots_and_shipments(
    client, login, db_session, org, farm
):
    producer, plot = farm
    on = today()
    factories.delivery(db_session, org, producer, plot, delivered_on=on)
    factories.delivery(db_session, org, producer, plot, delivered_on=on, gross_kg=Decimal("90.5"))
    factories.delivery(db_session, org, producer, plot, delivered_on=on - timedelta(days=7))
    _d, green = factories.delivery(
        db_session, org, producer, plot, delivered_on=on - timedelta(days=7), product_form="green"
    )
    bags = create_bags(db_session, org.id, None, green.code, 2)
    outsider = factories.producer(db_session, org)
    shipments.create_shipment(
        db_session,
        org.id,
        None,
        {"reference": "HH-9", "crop": "coffee", "buyer_name": "Kaffee", "buyer_country": "DE"},
    )
    shipments.allocate(db_session, org.id, None, "HH-9", serials=[b.serial for b in bags])
    factories.plot(db_session, org, outsider)
    login("staff")

    page = client.get("/").data.decode()

    today_card = page[page.index('data-intake="today"') : page.index('data-intake="week"')]
    assert re.search(r'data-figure="tickets">2<', today_card)
    assert 'data-kg="570.500"' in today_card and ">570.5<" in today_card  # 500 + 70.5 kg
    stock = page[page.index('class="compact stock cards"') :]
    assert re.search(r'data-form="dry_parchment" data-organic="organic">.*?1,070.5', stock, re.S)
    waiting = page[page.index('data-waiting="process"') : page.index('data-waiting="bag"')]
    assert 'data-figure="lots">3<' in waiting
    bag = page[page.index('data-waiting="bag"') :]
    assert f'href="/lots/{green.code}"' in bag and "362" in bag  # 500 − 2 × 69
    shipment = page[page.index('data-shipment="HH-9"') :]
    assert 'href="/shipments/HH-9"' in shipment
    assert 'data-code="' in shipment  # its blocking findings, listed by code
    charts = svgs(page)
    assert len(charts) == 2
    bars = [r for r in charts[0].iter("{http://www.w3.org/2000/svg}rect")]
    assert sum(Decimal(r.get("data-value")) for r in bars) == Decimal("1570.5")


def test_a_new_cooperative_reads_that_nothing_happened_yet(client, login):
    login("staff")
    page = client.get("/").data.decode()
    assert page.count("No deliveries.") == 2
    assert "No deliveries this season yet." in page
    assert "No lot was cupped this season yet." in page
    assert "No shipment is planned or loading." in page
    assert re.search(r'data-count="plots_needing_attention">0<', page)


def test_the_number_of_queries_does_not_grow_with_the_seasons_data(
    client, login, db_session, org, farm, engine
):
    producer, plot = farm
    login("staff")

    def queries() -> int:
        seen = []

        def count(*_args):
            seen.append(1)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    factories.delivery(db_session, org, producer, plot, delivered_on=today())
    few = queries()
    for n in range(12):
        other = factories.plot(db_session, org, producer)
        factories.delivery(
            db_session, org, producer, other, delivered_on=today() - timedelta(days=3 * n)
        )
    assert queries() == few
