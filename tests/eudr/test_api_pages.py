"""The DDS over HTTP: dds.json and dds.xml in the API (and the OpenAPI document), the staff
page with its downloads, the EU settings page, and filing from the page and the API against the
local stub. Bad input gets a 4xx naming the field and changes nothing."""

import json
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from sqlalchemy import select

from coopchain.eudr import filing
from coopchain.eudr import xml as ddsxml
from coopchain.eudr.accounts import get_account
from coopchain.eudr.models import DdsStatement
from tests.eudr.conftest import ACCOUNT, REF


@pytest.fixture
def app(make_app, stub_server):
    urls = {"acceptance": stub_server.base_url, "production": stub_server.base_url}
    return make_app(EUDR_BASE_URLS=urls)


@pytest.fixture
def with_account(client, login, stub):
    login("admin")
    form = ACCOUNT | {
        "username": stub.username,
        "client_id": stub.client_id,
        "auth_key": stub.key,
    }
    response = client.post("/settings/eudr", data=form)
    assert response.status_code == 302, response.data
    client.delete_cookie("session")
    return form


def test_dds_json_has_the_statement_with_the_api_field_names(client, api, shipment, with_account):
    response = client.get(f"/api/v1/shipments/{REF}/dds.json", headers=api("auditor"))
    assert response.status_code == 200, response.json
    assert response.headers["X-DDS-Parts"] == "1"
    [statement] = response.json["statements"]
    assert statement["operatorRole"] == "OPERATOR"
    body = statement["statement"]
    assert body["internalReferenceNumber"] == REF
    assert body["commodities"][0]["descriptors"]["goodsMeasure"]["netWeight"] == "276.000"
    assert response.json["split"] is False and response.json["filed"] == []


def test_dds_xml_is_the_submit_body(client, api, shipment, with_account):
    response = client.get(f"/api/v1/shipments/{REF}/dds.xml", headers=api())
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = etree.fromstring(response.data)
    assert root.tag == f"{{{ddsxml.DDS_NS}}}SubmitDdsRequest"
    for bad in ("2", "0", "abc"):
        refused = client.get(f"/api/v1/shipments/{REF}/dds.xml?part={bad}", headers=api())
        assert refused.status_code == 422 and "part" in refused.json["fields"]


def test_without_eori_the_api_names_the_missing_field(client, api, shipment):
    response = client.get(f"/api/v1/shipments/{REF}/dds.json", headers=api())
    assert response.status_code == 422
    assert response.json["error"] == "dds_invalid" and "eori" in response.json["fields"]


def test_the_openapi_document_describes_the_dds_routes(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "DdsOut" in json.dumps(paths["/api/v1/shipments/{reference}/dds.json"])
    assert "application/xml" in json.dumps(paths["/api/v1/shipments/{reference}/dds.xml"])
    assert "post" in paths["/api/v1/shipments/{reference}/dds/submit"]


def test_the_staff_page_offers_the_downloads(client, login, shipment, with_account):
    login("auditor")
    page = client.get(f"/shipments/{REF}/dds?lang=en").get_data(as_text=True)
    assert f"/shipments/{REF}/dds.json" in page and f"/shipments/{REF}/dds.xml?part=1" in page
    assert "Submit to the EU Information System" not in page  # auditors do not file
    assert client.get(f"/shipments/{REF}/dds.xml?part=1").status_code == 200
    downloaded = client.get(f"/shipments/{REF}/dds.json")
    assert json.loads(downloaded.data)["statements"][0]["operatorRole"] == "OPERATOR"
    shipment_page = client.get(f"/shipments/{REF}").get_data(as_text=True)
    assert f"/shipments/{REF}/dds" in shipment_page


def test_each_producer_s_geojson_downloads(client, login, shipment, with_account, db_session):
    login("staff")
    page = client.get(f"/shipments/{REF}/dds").get_data(as_text=True)
    links = [part.split('"')[0] for part in page.split('href="')[1:] if "/producers/" in part]
    assert len(links) == 2
    geo = json.loads(client.get(links[0]).data)
    assert geo["type"] == "FeatureCollection" and geo["features"]
    assert client.get(f"/shipments/{REF}/dds/producers/NOPE.geojson").status_code == 404
    # Each file reads only its producer's plots, and is exactly what the statement carries.
    from coopchain.eudr.statement import producer_geojson
    from coopchain.eudr.statements import statement_input
    from coopchain.shipments.services import get_shipment

    found = get_shipment(db_session, shipment.organization_id, REF)
    data = statement_input(db_session, shipment.organization_id, found)
    for producer in data.producers:
        url = f"/shipments/{REF}/dds/producers/{producer.code}.geojson"
        expected = json.loads(json.dumps(producer_geojson(producer)))
        assert json.loads(client.get(url).data) == expected


def test_the_page_explains_why_no_statement_can_be_built(client, login, shipment):
    login("staff")
    response = client.get(f"/shipments/{REF}/dds?lang=en")
    assert response.status_code == 200
    assert "IMPORT and EXPORT need the operator&#39;s EORI number." in response.get_data(
        as_text=True
    )


def test_bad_settings_are_refused_naming_the_field(client, login, db_session, org):
    login("admin")
    response = client.post("/settings/eudr?lang=en", data=ACCOUNT | {"eori": "??"})
    assert response.status_code == 422
    assert "An EORI is a two-letter country code" in response.get_data(as_text=True)
    assert get_account(db_session, org.id) is None


def test_filing_from_the_page_puts_the_numbers_on_the_shipment(
    client, login, shipment, with_account, stub, db_session
):
    login("admin")
    response = client.post(f"/shipments/{REF}/dds/submit")
    assert response.status_code == 302, response.data
    response = client.post(f"/shipments/{REF}/dds/refresh")
    assert response.status_code == 302
    db_session.refresh(shipment)
    assert shipment.eudr_dds_reference.startswith("26FR")
    page = client.get(f"/shipments/{REF}/dds").get_data(as_text=True)
    assert shipment.eudr_dds_reference in page and "AVAILABLE" in page
    assert shipment.eudr_dds_reference in client.get(f"/shipments/{REF}").get_data(as_text=True)
    # When it was filed, on the cooperative's clock and labelled (it showed a raw UTC ISO
    # timestamp, "2026-12-03T07:12:45.933473+00:00").
    [row] = filing.statements_of(db_session, shipment.organization_id, shipment)
    local = row.submitted_at.astimezone(ZoneInfo("America/Lima"))
    assert f"{local:%d/%m/%Y} " in page and "(America/Lima)" in page
    assert row.submitted_at.isoformat() not in page
    # Filing twice is refused with the page and the reason (409), nothing sent.
    again = client.post(f"/shipments/{REF}/dds/submit")
    assert again.status_code == 409 and stub.calls == ["submitDds", "getDds"]


def test_filing_through_the_api(client, api, shipment, with_account, stub, db_session):
    admin = api("admin")
    assert client.post(f"/api/v1/shipments/{REF}/dds/submit", headers=api()).status_code == 403
    response = client.post(f"/api/v1/shipments/{REF}/dds/submit", headers=admin)
    assert response.status_code == 201, response.json
    [filed] = response.json["filed"]
    response = client.post(f"/api/v1/shipments/{REF}/dds/refresh", headers=api())
    assert response.json["filed"][0]["reference_number"].startswith("26FR")
    bad = client.post(f"/api/v1/shipments/{REF}/dds/withdraw", headers=admin, json={})
    assert bad.status_code == 422 and "uuid" in bad.json["fields"]
    unknown = client.post(
        f"/api/v1/shipments/{REF}/dds/withdraw", headers=admin, json={"uuid": "nope"}
    )
    assert unknown.status_code == 404
    done = client.post(
        f"/api/v1/shipments/{REF}/dds/withdraw", headers=admin, json={"uuid": filed["uuid"]}
    )
    assert done.status_code == 200 and done.json["filed"][0]["status"] == "WITHDRAWN"
    assert len(db_session.scalars(select(DdsStatement)).all()) == 1


def test_filing_without_credentials_is_refused_and_sends_nothing(client, api, shipment, stub):
    response = client.post(f"/api/v1/shipments/{REF}/dds/submit", headers=api("admin"))
    assert response.status_code == 422 and "credentials" in response.json["fields"]
    assert stub.calls == []
