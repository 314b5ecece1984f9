"""The organisation's GTIN and what it changes: QR codes carry GS1 Digital Links (DOMAIN.md §6)
that open the same public page as /b/<token>, only when GTIN, lot, serial and token belong
together; an admin sets the GTIN, each change is a ledger event; staff download QR images."""

import io
import secrets
from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from coopchain.auth.models import Organization
from coopchain.ledger.models import LedgerEvent
from coopchain.lots.bags import create_bags, void_bag
from coopchain.lots.services import void_delivery
from coopchain.trace.models import ScanEvent
from coopchain.trace.qr import bag_qr_data, gs1_serial, lot_qr_data, qr_svg
from coopchain.trace.settings import InvalidGtin, set_gtin
from tests import factories
from tests.trace import public_fixtures
from tests.trace.public_fixtures import (
    get_page,
    green_lot_of,
    grower,
    visible_text,
)

# The shared fixtures (public_fixtures.py), named here so pytest finds them.
app = public_fixtures.app

#: The GTIN-14 GS1 uses in its own examples.
GTIN = "09506000134352"
OTHER_GTIN = "04006381333931"  # valid, but not the organisation's
BASE = "http://localhost:5000"  # PUBLIC_BASE_URL in the tests


@pytest.fixture
def bagged(db_session, org):
    """Two bags of one green lot, and a second lot."""
    producer, plot = grower(db_session, org)
    lot = green_lot_of(db_session, org, producer, plot)
    other_lot = green_lot_of(db_session, org, producer, plot)
    bags = create_bags(db_session, org.id, None, lot.code, 2)
    db_session.flush()
    return lot, bags, other_lot


@pytest.fixture
def with_gtin(db_session, org):
    set_gtin(db_session, org.id, None, GTIN)
    db_session.flush()
    return org


def gtin_events(db_session, org) -> list[LedgerEvent]:
    return list(
        db_session.scalars(
            select(LedgerEvent)
            .where(
                LedgerEvent.organization_id == org.id, LedgerEvent.kind == "organization.gtin_set"
            )
            .order_by(LedgerEvent.seq)
        )
    )


def stored_gtin(db_session, org) -> str | None:
    db_session.expire_all()
    return db_session.get(Organization, org.id).gtin


def path_of(url: str) -> str:
    """What a phone requests for a scanned URL: its path and query."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def unknown_page(client) -> bytes:
    response = get_page(client, f"/b/{secrets.token_urlsafe(16)}")
    assert response.status_code == 404
    return response.data


def fresh(client):
    """Forget the rendered pages, so the next request gathers its page from scratch."""
    client.application.extensions["coopchain.trace_pages"].clear()


# --- set_gtin -----------------------------------------------------------------------------------


def test_set_gtin_stores_14_digits_and_records_the_change(db_session, org):
    user = factories.user(db_session, org, "admin")

    assert set_gtin(db_session, org.id, user.id, "9506000134352") == GTIN  # GTIN-13, padded

    assert stored_gtin(db_session, org) == GTIN
    (event,) = gtin_events(db_session, org)
    assert event.payload["data"] == {"gtin": GTIN, "previous": None}
    assert event.user_id == user.id


def test_set_gtin_refuses_a_wrong_gtin_and_says_why(db_session, org, with_gtin):
    with force_locale("en"), pytest.raises(InvalidGtin) as refused:
        set_gtin(db_session, org.id, None, "123")

    assert refused.value.message == "GTIN has 3 digits; a GTIN has 8, 12, 13 or 14."
    assert list(refused.value.fields) == ["gtin"]
    assert refused.value.status == 422
    assert stored_gtin(db_session, org) == GTIN
    assert len(gtin_events(db_session, org)) == 1  # only the first, valid one


def test_set_gtin_unchanged_writes_nothing_and_blank_clears(db_session, org, with_gtin):
    set_gtin(db_session, org.id, None, " 0950-6000-1343-52 ")
    assert len(gtin_events(db_session, org)) == 1

    assert set_gtin(db_session, org.id, None, "  ") is None

    assert stored_gtin(db_session, org) is None
    assert gtin_events(db_session, org)[-1].payload["data"] == {"gtin": None, "previous": GTIN}


# --- what the QR codes hold ----------------------------------------------------------------------


def test_gs1_serial_drops_only_the_organisations_prefix():
    assert gs1_serial("PE-COOPAM-2026-000123", "COOPAM") == "2026-000123"
    assert gs1_serial("PE-OTRA-2026-000123", "COOPAM") == "PE-OTRA-2026-000123"


def test_without_a_gtin_the_qr_holds_the_plain_page_address(db_session, org, bagged):
    lot, (bag, _other), _lot = bagged

    assert bag_qr_data(org, lot, bag) == f"{BASE}/b/{bag.public_token}"
    assert lot_qr_data(org, lot) == f"{BASE}/l/{lot.public_token}"


def test_with_a_gtin_the_qr_holds_a_digital_link_with_the_token(db_session, with_gtin, bagged):
    lot, (bag, _other), _lot = bagged
    serial = bag.serial.removeprefix("PE-COOPAM-")

    assert bag_qr_data(with_gtin, lot, bag) == (
        f"{BASE}/01/{GTIN}/10/{lot.code}/21/{serial}?k={bag.public_token}"
    )
    assert lot_qr_data(with_gtin, lot) == f"{BASE}/01/{GTIN}/10/{lot.code}?k={lot.public_token}"


# --- the resolver ------------------------------------------------------------------------------


def test_a_digital_link_opens_the_same_page_as_the_bags_own_address(
    client, with_gtin, bagged, db_session
):
    lot, (bag, _other), _lot = bagged
    plain = get_page(client, f"/b/{bag.public_token}")
    assert plain.status_code == 200
    fresh(client)

    linked = get_page(client, path_of(bag_qr_data(with_gtin, lot, bag)))

    assert linked.status_code == 200
    assert linked.data == plain.data
    assert db_session.scalars(select(ScanEvent.via).order_by(ScanEvent.id)).all() == ["bag", "gs1"]


def test_a_lot_digital_link_opens_the_lots_page(client, with_gtin, bagged):
    lot, _bags, _lot = bagged
    plain = get_page(client, f"/l/{lot.public_token}")
    fresh(client)

    linked = get_page(client, path_of(lot_qr_data(with_gtin, lot)))

    assert linked.status_code == 200
    assert linked.data == plain.data


def test_a_digital_link_may_spell_the_gtin_with_13_digits(client, with_gtin, bagged):
    lot, (bag, _other), _lot = bagged
    serial = gs1_serial(bag.serial, with_gtin.code)

    response = get_page(client, f"/01/{GTIN[1:]}/10/{lot.code}/21/{serial}?k={bag.public_token}")

    assert response.status_code == 200
    assert bag.serial in visible_text(response.text)


def test_a_digital_link_whose_parts_do_not_belong_together_opens_nothing(client, with_gtin, bagged):
    lot, (bag, other_bag), other_lot = bagged
    serial, other_serial = (gs1_serial(b.serial, with_gtin.code) for b in (bag, other_bag))
    token = bag.public_token
    wrong = {
        "no token": f"/01/{GTIN}/10/{lot.code}/21/{serial}",
        "another token": f"/01/{GTIN}/10/{lot.code}/21/{serial}?k={secrets.token_urlsafe(16)}",
        "another bag's serial": f"/01/{GTIN}/10/{lot.code}/21/{other_serial}?k={token}",
        "another lot": f"/01/{GTIN}/10/{other_lot.code}/21/{serial}?k={token}",
        "another GTIN": f"/01/{OTHER_GTIN}/10/{lot.code}/21/{serial}?k={token}",
        "a wrong check digit": f"/01/{GTIN[:-1]}3/10/{lot.code}/21/{serial}?k={token}",
        "the full serial": f"/01/{GTIN}/10/{lot.code}/21/{bag.serial}?k={token}",
        "a bag token on a lot link": f"/01/{GTIN}/10/{lot.code}?k={token}",
        "a lot token on a bag link": f"/01/{GTIN}/10/{lot.code}/21/{serial}?k={lot.public_token}",
        "parts in the wrong order": f"/01/{GTIN}/21/{serial}/10/{lot.code}?k={token}",
    }
    expected = unknown_page(client)

    for why, path in wrong.items():
        response = get_page(client, path)
        assert response.status_code == 404, why
        assert response.data == expected, why
    assert get_page(client, path_of(bag_qr_data(with_gtin, lot, bag))).status_code == 200


def test_a_digital_link_opens_nothing_once_the_gtin_is_removed(client, db_session, org, bagged):
    lot, (bag, _other), _lot = bagged
    set_gtin(db_session, org.id, None, GTIN)
    link = path_of(bag_qr_data(org, lot, bag))
    assert get_page(client, link).status_code == 200

    set_gtin(db_session, org.id, None, "")

    assert get_page(client, link).status_code == 404


def test_a_voided_bags_digital_link_opens_nothing(client, db_session, with_gtin, bagged):
    lot, (bag, _other), _lot = bagged
    link = path_of(bag_qr_data(with_gtin, lot, bag))
    assert get_page(client, link).status_code == 200

    void_bag(db_session, with_gtin.id, None, bag.serial, "Torn")

    response = get_page(client, link)
    assert response.status_code == 404
    assert response.data == unknown_page(client)


# --- QR images for staff ------------------------------------------------------------------------


def decode_png(data: bytes) -> str:
    import zxingcpp
    from PIL import Image

    (code,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))
    return code.text


def test_a_bags_qr_png_holds_its_digital_link_which_opens_its_page(
    client, login, with_gtin, bagged
):
    lot, (bag, _other), _lot = bagged
    login("staff")

    response = client.get(f"/bags/{bag.serial}/qr.png")

    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert f"qr-{bag.serial}.png" in response.headers["Content-Disposition"]
    scanned = decode_png(response.data)
    assert scanned == bag_qr_data(with_gtin, lot, bag)
    assert f"/01/{GTIN}/10/{lot.code}/21/" in scanned
    page = get_page(client, path_of(scanned))
    assert page.status_code == 200
    assert bag.serial in visible_text(page.text)


def test_without_a_gtin_the_qr_png_holds_the_page_address(client, login, bagged):
    _lot, (bag, _other), _other_lot = bagged
    login("auditor")  # every reader may download

    response = client.get(f"/bags/{bag.serial}/qr.png")

    assert response.status_code == 200
    assert decode_png(response.data) == f"{BASE}/b/{bag.public_token}"


def test_a_lots_qr_svg_is_the_lots_digital_link(client, login, with_gtin, bagged):
    lot, _bags, _other_lot = bagged
    login("staff")

    response = client.get(f"/lots/{lot.code}/qr.svg")

    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.data == qr_svg(lot_qr_data(with_gtin, lot)).encode()


def test_qr_images_are_refused_when_they_would_lead_nowhere(
    client, login, db_session, org, other_org, bagged
):
    lot, (bag, other_bag), _other_lot = bagged
    foreign_producer, foreign_plot = grower(db_session, other_org)
    # Lot codes count per organisation: the third lot's code is not one of ours.
    *_, foreign_lot = (
        green_lot_of(db_session, other_org, foreign_producer, foreign_plot) for _ in range(3)
    )
    (foreign_bag,) = create_bags(db_session, other_org.id, None, foreign_lot.code, 1)
    void_bag(db_session, org.id, None, other_bag.serial, "Torn")
    login("staff")

    assert client.get(f"/bags/{other_bag.serial}/qr.png").status_code == 409
    assert client.get(f"/bags/{foreign_bag.serial}/qr.png").status_code == 404
    assert client.get(f"/lots/{foreign_lot.code}/qr.svg").status_code == 404
    assert client.get(f"/bags/{bag.serial}/qr.gif").status_code == 404
    assert client.get(f"/lots/{lot.code}/qr.jpg").status_code == 404


def test_qr_images_need_a_login(client, bagged):
    lot, (bag, _other), _other_lot = bagged

    for path in (f"/bags/{bag.serial}/qr.png", f"/lots/{lot.code}/qr.svg"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/login" in response.headers["Location"], path


# --- the settings page --------------------------------------------------------------------------


@pytest.fixture
def admin(client, login):
    user = login("admin")
    client.get("/lang/en")
    return user


def test_an_admin_sets_the_gtin(client, db_session, org, admin):
    page = client.get("/settings/public-trace")
    assert page.status_code == 200
    assert '<strong id="current-gtin">none</strong>' in page.text

    response = client.post("/settings/public-trace", data={"gtin": "0950-6000-1343-52"})

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/settings/public-trace")
    assert stored_gtin(db_session, org) == GTIN
    (event,) = gtin_events(db_session, org)
    assert event.payload["data"] == {"gtin": GTIN, "previous": None}
    assert event.user_id == admin.id
    page = client.get("/settings/public-trace").text
    assert f'<strong id="current-gtin">{GTIN}</strong>' in page
    assert "GTIN saved" in page


def test_a_wrong_gtin_is_shown_with_the_reason_and_nothing_changes(
    client, db_session, org, with_gtin, admin
):

    response = client.post("/settings/public-trace", data={"gtin": "09506000134353"})

    assert response.status_code == 422
    assert "GTIN check digit should be 2, not 3." in response.text
    assert 'value="09506000134353"' in response.text  # what was typed, to correct it
    assert 'aria-invalid="true"' in response.text
    assert stored_gtin(db_session, org) == GTIN
    assert len(gtin_events(db_session, org)) == 1


def test_each_change_is_a_ledger_event_and_saving_the_same_is_none(client, db_session, org, admin):
    for typed in (GTIN, GTIN, "", OTHER_GTIN):
        assert client.post("/settings/public-trace", data={"gtin": typed}).status_code == 302

    assert [event.payload["data"] for event in gtin_events(db_session, org)] == [
        {"gtin": GTIN, "previous": None},
        {"gtin": None, "previous": GTIN},
        {"gtin": OTHER_GTIN, "previous": None},
    ]
    assert stored_gtin(db_session, org) == OTHER_GTIN


@pytest.mark.parametrize("role", ["staff", "auditor", "quality"])
def test_only_admins_reach_the_gtin_setting(client, login, db_session, org, role):
    login(role)

    assert client.get("/settings/public-trace").status_code == 403
    assert client.post("/settings/public-trace", data={"gtin": GTIN}).status_code == 403
    assert stored_gtin(db_session, org) is None
    assert gtin_events(db_session, org) == []


def test_a_voided_lot_gets_no_qr_code(client, login, db_session, org):
    producer, plot = grower(db_session, org)
    delivery, lot = factories.delivery(db_session, org, producer, plot)
    void_delivery(db_session, org.id, None, delivery.id, "Wrong ticket")
    login("staff")

    assert client.get(f"/lots/{lot.code}/qr.svg").status_code == 409
    page = client.get(f"/lots/{lot.code}")
    assert b'id="public-page"' not in page.data
