"""The shipment page's download buttons: the EUDR GeoJSON, the EPCIS 2.0 document, the packing
list, the labels and the certificate, with the staff session (no API token), for everyone who
may read."""

import json

import pytest

from coopchain.certs import registry
from tests.shipments.conftest import VALID_CONTAINER, bagged_lot, new_shipment


@pytest.fixture
def loaded(db_session, org, farm, green_lot):
    lot, _made = green_lot
    shipment = new_shipment(db_session, org, reference="C-DL-1", container_number=VALID_CONTAINER)
    from coopchain.shipments import services as shipments

    shipments.allocate(db_session, org.id, None, shipment.reference, lot_codes=[lot.code])
    return shipment


def buttons(page: str) -> list[str]:
    """The hrefs of the page's download buttons, in order."""
    section = page.split('class="row documents downloads"', 1)[1].split("</p>", 1)[0]
    return [part.split('"', 1)[0] for part in section.split('href="')[1:]]


def test_the_shipment_page_offers_the_documents_as_buttons(client, login, loaded):
    login("staff")
    page = client.get("/shipments/C-DL-1").get_data(as_text=True)
    assert buttons(page) == [
        "/shipments/C-DL-1/packing-list.pdf",
        "/shipments/C-DL-1/packing-list.xlsx",
        "/shipments/C-DL-1/labels.pdf",
        "/shipments/C-DL-1/labels.pdf?layout=single",
        "/shipments/C-DL-1/eudr.geojson",
        "/shipments/C-DL-1/epcis.jsonld",
    ]
    assert "EUDR GeoJSON" in page and "Bag labels (A4 sheet)" in page


@pytest.mark.parametrize("role", ["staff", "auditor", "quality", "admin"])
def test_every_reader_downloads_the_eudr_geojson_with_the_session(client, login, loaded, role):
    login(role)
    response = client.get("/shipments/C-DL-1/eudr.geojson")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/geo+json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "eudr-C-DL-1.geojson" in response.headers["Content-Disposition"]
    package = json.loads(response.data)
    assert package["type"] == "FeatureCollection" and len(package["features"]) == 1
    assert set(package["features"][0]["properties"]) == {
        "ProducerName",
        "ProducerCountry",
        "ProductionPlace",
        "Area",
    }
    # The same bytes the API serves to a token.
    for url in ("/shipments/C-DL-1/labels.pdf", "/shipments/C-DL-1/packing-list.pdf"):
        document = client.get(url)
        assert document.status_code == 200 and document.data.startswith(b"%PDF"), url


def test_without_a_session_the_download_sends_to_the_login(client, loaded):
    response = client.get("/shipments/C-DL-1/eudr.geojson")
    assert response.status_code == 302 and "/login" in response.location


def test_another_organisations_shipment_is_not_found(client, login, other_org, loaded):
    login("staff")
    assert client.get("/shipments/C-DL-1/eudr.geojson").status_code == 200
    client.delete_cookie("session")
    login("admin", other_org)
    assert client.get("/shipments/C-DL-1/eudr.geojson").status_code == 404


def test_a_part_that_does_not_exist_is_refused_naming_it(client, login, loaded):
    login("staff")
    response = client.get("/shipments/C-DL-1/eudr.geojson?part=3")
    assert response.status_code == 422 and "There is no part 3" in response.get_data(as_text=True)


def test_the_issued_certificate_is_a_button_too(client, login, db_session, org, loaded):
    certificate = registry.issue_certificate(
        db_session,
        org.id,
        None,
        kind="shipment",
        reference="C-DL-1",
        override_reason="Test",
        may_override=True,
    )
    login("auditor")
    page = client.get("/shipments/C-DL-1").get_data(as_text=True)
    href = f"/certificates/{certificate.number}/certificate.pdf"
    # The signed bundle (certs/bundle.py) comes with the certificate.
    assert buttons(page)[-2:] == [href, "/shipments/C-DL-1/bundle.zip"]
    assert client.get(href).data == certificate.pdf


def test_no_eudr_button_for_pitahaya_nor_labels_without_bags(client, login, db_session, org, farm):
    producer, _plot = farm
    new_shipment(db_session, org, reference="P-DL-1", crop="pitahaya")
    login("staff")
    page = client.get("/shipments/P-DL-1").get_data(as_text=True)
    assert buttons(page) == [
        "/shipments/P-DL-1/packing-list.pdf",
        "/shipments/P-DL-1/packing-list.xlsx",
    ]
    response = client.get("/shipments/P-DL-1/eudr.geojson")
    assert response.status_code == 422 and "outside the EUDR" in response.get_data(as_text=True)


def test_a_split_package_is_offered_part_by_part(
    client, login, db_session, org, farm, loaded, monkeypatch
):
    from functools import partial

    from coopchain.certs import eudr, eudr_shipment
    from coopchain.shipments import services as shipments
    from tests import factories

    other = factories.producer(db_session, org)
    factories.agreement(db_session, org, [other])
    other_plot = factories.plot(db_session, org, other, geometry=factories.square(lat=-5.71))
    lot, _bags = bagged_lot(db_session, org, other, other_plot, 2)
    shipments.allocate(db_session, org.id, None, "C-DL-1", lot_codes=[lot.code])
    # One producer per part, as if the EU limit were 1 producer per statement.
    monkeypatch.setattr(
        eudr_shipment, "build_package", partial(eudr.build_package, max_producers=1)
    )
    login("auditor")
    page = client.get("/shipments/C-DL-1/eudr.geojson")
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "2 parts" in text or "2 partes" in text
    assert 'href="/shipments/C-DL-1/eudr.geojson?part=2"' in text
    second = client.get("/shipments/C-DL-1/eudr.geojson?part=2")
    assert second.mimetype == "application/geo+json"
    assert "eudr-C-DL-1-part2of2.geojson" in second.headers["Content-Disposition"]
    assert len(json.loads(second.data)["features"]) == 1
