"""One search box: accents and case aside, by code, name, DNI and phone (only for the roles that
see private data), lot code, bag serial, ticket and shipment reference; each result a link."""

import re

import pytest

from coopchain.lots.bags import create_bags
from coopchain.shipments import services as shipments
from tests import factories


@pytest.fixture
def registry(db_session, org):
    """Rosa Vásquez Ñaupari (DNI 45123456, phone 942 118 307), her green lot with a bag, its
    ticket, a shipment; a producer of another cooperative with the same name."""
    rosa = factories.producer(
        db_session,
        org,
        member_code="CAF-0042",
        first_name="Rosa",
        last_name="Vásquez Ñaupari",
        community="San José de Alto Mayo",
        national_id="45123456",
        phone="942 118 307",
    )
    factories.producer(db_session, org, member_code="CAF-0043", last_name="Tapia")
    plot = factories.plot(db_session, org, rosa)
    delivery, lot = factories.delivery(
        db_session, org, rosa, plot, product_form="green", ticket_number="B-004711"
    )
    (bag,) = create_bags(db_session, org.id, None, lot.code, 1)
    shipment = shipments.create_shipment(
        db_session,
        org.id,
        None,
        {
            "reference": "CT-2026-017",
            "crop": "coffee",
            "buyer_name": "Kaffee Grün GmbH",
            "buyer_country": "DE",
        },
    )
    other = factories.organization(db_session, "OTRA")
    factories.producer(db_session, other, member_code="OT-1", last_name="Vásquez Otra")
    return rosa, lot, bag, delivery, shipment


def links(page: str, path: str) -> list[str]:
    return re.findall(rf'<a href="({re.escape(path)}[^"]*)"', page)


@pytest.mark.parametrize("typed", ["vasquez", "VASQUEZ", "Vásquez", "naupari", "rosa vasquez"])
def test_a_name_is_found_without_its_accents_or_capitals(client, login, registry, typed):
    rosa = registry[0]
    login("quality")
    page = client.get("/search", query_string={"q": typed}).get_data(as_text=True)
    assert links(page, "/producers/") == [f"/producers/{rosa.id}"]  # not the other cooperative's
    assert "Vásquez Ñaupari" in page


def test_the_producer_list_forgives_accents_too(client, login, registry):
    rosa = registry[0]
    login("staff")
    page = client.get("/producers", query_string={"q": "vasquez"}).get_data(as_text=True)
    assert f'href="/producers/{rosa.id}"' in page and "Tapia" not in page
    page = client.get("/producers", query_string={"q": "san jose"}).get_data(as_text=True)
    assert f'href="/producers/{rosa.id}"' in page


@pytest.mark.parametrize(
    ("typed", "group"),
    [
        ("caf-0042", "producers"),
        ("b-004711", "deliveries"),
        ("ct-2026-017", "shipments"),
        ("kaffee grun", "shipments"),
    ],
)
def test_codes_tickets_and_shipments_from_one_box(client, login, registry, typed, group):
    login("auditor")
    page = client.get("/search", query_string={"q": typed}).get_data(as_text=True)
    assert f'data-group="{group}"' in page


def test_lot_codes_and_bag_serials_link_to_the_lot(client, login, registry):
    _rosa, lot, bag, _delivery, _shipment = registry
    login("staff")
    page = client.get("/search", query_string={"q": lot.code.lower()}).get_data(as_text=True)
    assert f'href="/lots/{lot.code}"' in page
    page = client.get("/search", query_string={"q": bag.serial[-8:]}).get_data(as_text=True)
    assert 'data-group="bags"' in page and bag.serial in page


@pytest.mark.parametrize(
    ("role", "finds"), [("staff", True), ("auditor", True), ("admin", True), ("quality", False)]
)
def test_dni_and_phone_find_a_producer_only_for_roles_that_see_private_data(
    client, login, registry, role, finds
):
    rosa = registry[0]
    login(role)
    for typed in ("45123456", "942118307", "942-118-307"):
        page = client.get("/search", query_string={"q": typed}).get_data(as_text=True)
        assert (f'href="/producers/{rosa.id}"' in page) is finds, (role, typed)
        page = client.get("/producers", query_string={"q": typed}).get_data(as_text=True)
        assert (f'href="/producers/{rosa.id}"' in page) is finds, (role, typed)


def test_nothing_found_says_so_and_hostile_text_stays_text(client, login, registry):
    login("staff")
    page = client.get("/search", query_string={"q": "<b>zzz%_"}).get_data(as_text=True)
    assert "&lt;b&gt;zzz%_" in page and "<b>zzz" not in page
    assert "data-group" not in page
    assert client.get("/search", query_string={"q": "a\x00b"}).status_code == 200


def test_the_search_box_include_goes_to_the_search_page(app):
    with app.test_request_context():
        html = app.jinja_env.get_template("_search_box.html").render(q="vasquez")
    assert 'action="/search"' in html and 'name="q"' in html and 'value="vasquez"' in html


def test_ten_thousand_producers_are_searched_whole(db_session, org):
    """The folding must not cost a scan with string functions per row (it took 350 ms)."""
    from datetime import date

    from sqlalchemy import insert

    from coopchain.farms.models import Producer
    from coopchain.search.services import search_all

    db_session.execute(
        insert(Producer),
        [
            {
                "organization_id": org.id,
                "member_code": f"CAF-{i:05d}",
                "first_name": "Juan",
                "last_name": ("Vásquez" if i % 50 == 0 else "Huamán") + f" {i}",
                "national_id": f"4{i:07d}",
                "sex": "male",
                "community": "Nuevo Edén",
                "phone": f"9{i:08d}",
                "joined_on": date(2020, 1, 1),
                "public_name_consent": False,
                "status": "active",
            }
            for i in range(10_000)
        ],
    )
    # Speed is a benchmark's business, not a test's (no timed assertions): this checks that
    # 10,000 rows are searched whole and every accent-insensitive match is found.
    (producers,) = search_all(db_session, org.id, "juan vasquez", private=True)
    assert producers.total == 200
