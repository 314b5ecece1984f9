"""Shipment pages as the export office (staff), an auditor and another organisation use them:
create, allocate, advance, and the packing list as .xlsx and PDF."""

import io
import os
import shutil
import subprocess
from decimal import Decimal

import pytest
from flask import url_for
from openpyxl import load_workbook
from sqlalchemy import func, select

from coopchain.lots.models import Bag
from coopchain.shipments import services as shipments
from coopchain.shipments.models import Shipment
from tests.shipments.conftest import VALID_CONTAINER, bagged_lot, new_shipment

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None and not os.environ.get("CI"),
    reason="pdftotext (Debian poppler-utils) not installed",
)


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "packing.pdf"
    path.write_bytes(data)
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout


def count_shipments(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Shipment))


def on_shipment(db_session, shipment) -> int:
    return db_session.scalar(
        select(func.count()).select_from(Bag).where(Bag.shipment_id == shipment.id)
    )


FORM = {
    "reference": "C-2026-100",
    "crop": "coffee",
    "buyer_name": "Kaffee Import GmbH",
    "buyer_country": "de",
    "buyer_address": "Am Sandtorkai 1\n20457 Hamburg",
    "incoterm": "FOB",
    "port_of_loading": "Paita",
    "port_of_destination": "Hamburg",
    "planned_loading_on": "2026-09-01",
    "planned_arrival_on": "2026-10-05",
    "vessel": "MSC Lima",
    "bill_of_lading": "MEDU1234567",
    "container_number": "csqu 305438-3",
    "seal_number": "SL-778",
    "ico_marks": "32/1234/0015",
    "eu_coi_number": "COI.PE.2026.0001",
    "nop_certificate_number": "123-1234567890-123456",
    "senasa_certificate_number": "",
    "notes": "Two layers of GrainPro.",
}


# --- create, list, edit -----------------------------------------------------------------------


def test_the_export_office_creates_a_shipment_with_the_form(client, login, db_session):
    login("staff")
    page = client.get("/shipments/new").get_data(as_text=True)
    assert 'name="container_number"' in page and 'value="CIF"' in page
    assert "Pitahaya shipments only" in page  # SENASA shown on the new form, with its hint
    response = client.post("/shipments/new", data=FORM)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/shipments/C-2026-100")
    page = client.get("/shipments/C-2026-100").get_data(as_text=True)
    for shown in (
        VALID_CONTAINER,
        "Kaffee Import GmbH",
        "MSC Lima",
        "32/1234/0015",
        "123-1234567890-123456",
        "Paita",
        "Mark as loading",
        "planned",
    ):
        assert shown in page, shown
    listing = client.get("/shipments").get_data(as_text=True)
    assert "C-2026-100" in listing and 'href="/shipments"' in listing  # the nav link


def test_a_wrong_check_digit_is_named_and_nothing_is_written(client, login, db_session):
    login("staff")
    before = count_shipments(db_session)
    response = client.post(
        "/shipments/new",
        data=FORM
        | {
            "container_number": "CSQU3054384",
            "nop_certificate_number": "123-45",
            "planned_arrival_on": "2026-13-45",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "it should be 3" in page
    assert "NNN-NNNNNNNNNN-NNNNNN" in page and "Not a valid date" in page
    assert 'value="CSQU3054384"' in page  # what was typed comes back to be corrected
    assert count_shipments(db_session) == before


def test_the_list_searches_and_filters_by_status(client, login, db_session, org):
    new_shipment(db_session, org, reference="C-ALPHA", buyer_name="Alpha Roasters")
    beta = new_shipment(db_session, org, reference="C-BETA", buyer_name="Beta Coffee")
    shipments.advance_status(db_session, org.id, None, beta.reference)
    login("auditor")
    page = client.get("/shipments?q=alpha").get_data(as_text=True)
    assert "C-ALPHA" in page and "C-BETA" not in page
    page = client.get("/shipments?status=loading").get_data(as_text=True)
    assert "C-BETA" in page and "C-ALPHA" not in page
    assert "New shipment" not in page  # an auditor only reads


def test_editing_records_the_dds_numbers(client, login, db_session, org, shipment):
    login("staff")
    page = client.get(f"/shipments/{shipment.reference}/edit").get_data(as_text=True)
    assert 'name="eudr_dds_reference"' in page and 'value="Kaffee Import GmbH"' in page
    assert 'name="senasa_certificate_number"' not in page  # coffee: no phytosanitary number
    data = {
        "buyer_name": "Kaffee Import GmbH",
        "buyer_country": "DE",
        "eudr_dds_reference": "25DEXX1234567",
        "eudr_dds_verification": "VRF-88",
    }
    response = client.post(f"/shipments/{shipment.reference}/edit", data=data)
    assert response.status_code == 302
    db_session.refresh(shipment)
    assert (shipment.eudr_dds_reference, shipment.eudr_dds_verification) == (
        "25DEXX1234567",
        "VRF-88",
    )
    bad = data | {"eudr_dds_reference": "CHANGED", "nop_certificate_number": "1-2-3"}
    response = client.post(f"/shipments/{shipment.reference}/edit", data=bad)
    assert response.status_code == 422
    db_session.refresh(shipment)
    assert shipment.eudr_dds_reference == "25DEXX1234567"


# --- allocate, release, advance ---------------------------------------------------------------


def test_allocating_lots_and_bags_shows_the_running_totals(
    client, login, db_session, org, farm, green_lot, shipment
):
    lot, made = green_lot
    producer, plot = farm
    other_lot, other_bags = bagged_lot(db_session, org, producer, plot, 3)
    login("staff")
    page = client.get(f"/shipments/{shipment.reference}").get_data(as_text=True)
    assert f'name="lot_pick" value="{lot.code}"' in page  # suggested: coffee with free bags
    response = client.post(
        f"/shipments/{shipment.reference}/allocate",
        data={"lot_pick": [lot.code], "serials": f"{other_bags[0].serial}\n{other_bags[2].serial}"},
    )
    assert response.status_code == 302
    assert on_shipment(db_session, shipment) == 7
    page = client.get(f"/shipments/{shipment.reference}").get_data(as_text=True)
    assert "483" in page  # 7 × 69 kg
    assert f'href="/lots/{lot.code}"' in page and f'href="/lots/{other_lot.code}"' in page
    # The other lot's serials are shown as two runs: the bag in between is not on board.
    assert f"{other_bags[0].serial}</span>, <span" in page
    assert f'name="lot_pick" value="{lot.code}"' not in page  # no free bags left


def test_a_refused_allocation_names_the_bag_and_writes_nothing(
    client, login, db_session, org, green_lot, shipment
):
    lot, made = green_lot
    taken = new_shipment(db_session, org)
    shipments.allocate(db_session, org.id, None, taken.reference, serials=[made[0].serial])
    login("staff")
    response = client.post(
        f"/shipments/{shipment.reference}/allocate",
        data={"lot_codes": "NO-SUCH-LOT", "serials": f"{made[1].serial}\n{made[0].serial}"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "NO-SUCH-LOT" in page and "another shipment" in page
    assert on_shipment(db_session, shipment) == 0


def test_removing_bags_and_a_whole_lot(client, login, db_session, org, green_lot, shipment):
    lot, made = green_lot
    shipments.allocate(db_session, org.id, None, shipment.reference, lot_codes=[lot.code])
    login("staff")
    response = client.post(
        f"/shipments/{shipment.reference}/release", data={"serials": [made[0].serial]}
    )
    assert response.status_code == 302 and on_shipment(db_session, shipment) == 4
    response = client.post(f"/shipments/{shipment.reference}/release", data={"lot_code": lot.code})
    assert response.status_code == 302 and on_shipment(db_session, shipment) == 0


def test_advancing_to_shipped_freezes_the_page(client, login, db_session, org, green_lot, shipment):
    lot, _made = green_lot
    shipments.allocate(db_session, org.id, None, shipment.reference, lot_codes=[lot.code])
    login("staff")
    assert client.post(f"/shipments/{shipment.reference}/advance").status_code == 302
    response = client.post(f"/shipments/{shipment.reference}/advance", data={"on": "2026-09-03"})
    assert response.status_code == 409
    assert "container number" in response.get_data(as_text=True)
    shipments.update_shipment(
        db_session, org.id, None, shipment.reference, {"container_number": VALID_CONTAINER}
    )
    response = client.post(f"/shipments/{shipment.reference}/advance", data={"on": "2026-09-03"})
    assert response.status_code == 302
    db_session.refresh(shipment)
    assert (shipment.status, str(shipment.shipped_on)) == ("shipped", "2026-09-03")
    page = client.get(f"/shipments/{shipment.reference}").get_data(as_text=True)
    assert "allocation is frozen" in page and "Mark as delivered" in page
    assert "/allocate" not in page and "/release" not in page
    response = client.post(f"/shipments/{shipment.reference}/release", data={"lot_code": lot.code})
    assert response.status_code == 409 and on_shipment(db_session, shipment) == 5


def test_a_bad_or_future_date_for_the_status_change_is_refused(client, login, db_session, shipment):
    login("staff")
    client.post(f"/shipments/{shipment.reference}/advance")  # loading
    for wrong in ("03/09/2026", "2999-01-01"):  # not a date; in the future
        response = client.post(f"/shipments/{shipment.reference}/advance", data={"on": wrong})
        assert response.status_code == 422, wrong
    db_session.refresh(shipment)
    assert shipment.status == "loading"


def test_a_long_bag_list_is_folded_and_paged(client, login, db_session, org, farm, shipment):
    producer, plot = farm
    lot, made = bagged_lot(db_session, org, producer, plot, 101, gross_kg=Decimal("7100"))
    shipments.allocate(db_session, org.id, None, shipment.reference, lot_codes=[lot.code])
    login("auditor")
    page = client.get(f"/shipments/{shipment.reference}").get_data(as_text=True)
    assert '<details id="bags" class="card bag-list">' in page  # folded: 101 bags
    assert made[99].serial in page and f'<td class="code">{made[100].serial}</td>' not in page
    page = client.get(f"/shipments/{shipment.reference}?bag_page=2").get_data(as_text=True)
    assert f'<td class="code">{made[100].serial}</td>' in page
    assert f'<td class="code">{made[0].serial}</td>' not in page
    assert "6,969" in page  # 101 × 69 kg in the running total


# --- documents --------------------------------------------------------------------------------


@pytest.fixture
def loaded(db_session, org, farm, green_lot):
    """A shipment carrying 5 bags of one lot and 2 of another (one bag of it left behind)."""
    producer, plot = farm
    lot, _made = green_lot
    second, second_bags = bagged_lot(db_session, org, producer, plot, 3)
    shipment = new_shipment(
        db_session,
        org,
        reference="C-2026-PL",
        buyer_name="Café Ñandú S.A.",
        container_number=VALID_CONTAINER,
        seal_number="SL-9",
        vessel="MSC Lima",
        port_of_loading="Paita",
        port_of_destination="Hamburg",
        ico_marks="32/1234/0015",
    )
    shipments.allocate(
        db_session,
        org.id,
        None,
        shipment.reference,
        lot_codes=[lot.code],
        serials=[second_bags[0].serial, second_bags[2].serial],
    )
    return shipment, lot, second, second_bags


def test_the_packing_list_workbook_has_numbers_and_every_bag(client, login, loaded):
    shipment, lot, second, second_bags = loaded
    login("auditor")
    response = client.get(f"/shipments/{shipment.reference}/packing-list.xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    book = load_workbook(io.BytesIO(response.data))
    header = {row[0]: row[1] for row in book["Shipment"].iter_rows(min_row=2, values_only=True)}
    assert header["container_number"] == VALID_CONTAINER and header["total_bags"] == 7
    lots = list(book["Lots"].iter_rows(values_only=True))
    assert lots[0][:6] == ("lot_code", "crop", "product_form", "organic_status", "bags", "net_kg")
    by_code = {row[0]: row for row in lots[1:]}
    assert by_code[lot.code][4] == 5 and by_code[lot.code][5] == 345
    assert isinstance(by_code[lot.code][5], int | float | Decimal)
    assert by_code[lot.code][3] == "organic"
    assert by_code["total"][4:6] == (7, 483)
    assert second_bags[1].serial not in by_code[second.code][8]  # the gap shows
    bags = list(book["Bags"].iter_rows(min_row=2, values_only=True))
    assert len(bags) == 7 and all(isinstance(row[4], int | float) for row in bags)
    assert {row[0] for row in bags} >= {second_bags[0].serial, second_bags[2].serial}


@needs_pdftotext
def test_the_packing_list_pdf_reads_like_a_packing_list(client, login, loaded, tmp_path):
    shipment, lot, second, _bags = loaded
    login("staff")
    response = client.get(f"/shipments/{shipment.reference}/packing-list.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = pdf_text(response.data, tmp_path)
    for shown in (
        "Packing list C-2026-PL",
        "Café Ñandú S.A.",
        VALID_CONTAINER,
        "SL-9",
        "MSC Lima",
        "Hamburg",
        "32/1234/0015",
        lot.code,
        second.code,
        "483",
        "Page 1 of 1",
    ):
        assert shown in text, shown


@needs_pdftotext
def test_markup_typed_into_a_shipment_prints_as_text(client, login, db_session, org, tmp_path):
    hostile = '<img src="file:///etc/passwd">'
    new_shipment(db_session, org, reference="C-EVIL", buyer_name=hostile)
    login("staff")
    response = client.get("/shipments/C-EVIL/packing-list.pdf")
    assert response.status_code == 200
    assert hostile in pdf_text(response.data, tmp_path)
    page = client.get("/shipments/C-EVIL").get_data(as_text=True)
    assert hostile not in page and "&lt;img" in page


# --- who may do what --------------------------------------------------------------------------


def test_an_auditor_reads_but_may_not_change(client, login, db_session, org, green_lot, shipment):
    lot, made = green_lot
    login("auditor")
    page = client.get(f"/shipments/{shipment.reference}").get_data(as_text=True)
    assert "Allocate bags" not in page and "Mark as loading" not in page
    assert client.get(f"/shipments/{shipment.reference}/packing-list.pdf").status_code == 200
    posts = {
        "/shipments/new": FORM,
        f"/shipments/{shipment.reference}/edit": {"buyer_name": "X", "buyer_country": "DE"},
        f"/shipments/{shipment.reference}/allocate": {"lot_codes": lot.code},
        f"/shipments/{shipment.reference}/release": {"serials": made[0].serial},
        f"/shipments/{shipment.reference}/advance": {},
    }
    for url, data in posts.items():
        assert client.post(url, data=data).status_code == 403, url
    assert client.get("/shipments/new").status_code == 403
    db_session.refresh(shipment)
    assert shipment.status == "planned" and on_shipment(db_session, shipment) == 0


def test_another_organisations_shipment_is_not_found(
    client, login, db_session, other_org, green_lot, shipment
):
    login("admin", other_org)
    base = f"/shipments/{shipment.reference}"
    for url in (base, f"{base}/edit", f"{base}/packing-list.xlsx", f"{base}/packing-list.pdf"):
        assert client.get(url).status_code == 404, url
    lot, _made = green_lot
    assert client.post(f"{base}/allocate", data={"lot_codes": lot.code}).status_code == 404
    assert client.post(f"{base}/advance").status_code == 404
    assert shipment.reference not in client.get("/shipments").get_data(as_text=True)


def test_the_compliance_link_appears_once_its_page_exists(client, app, login, shipment):
    def stub(reference):
        return reference

    # A stand-in for the certs page, unless the app already serves the real one.
    if "certs.shipment_compliance" not in app.view_functions:
        app.add_url_rule(
            "/stub/compliance/<reference>", endpoint="certs.shipment_compliance", view_func=stub
        )
    login("staff")
    page = client.get(f"/shipments/{shipment.reference}").get_data(as_text=True)
    with app.test_request_context():
        href = url_for("certs.shipment_compliance", reference=shipment.reference)
        assert f'href="{href}"' in page
    assert "packing-list.xlsx" in page and "packing-list.pdf" in page
