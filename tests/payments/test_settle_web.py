# ruff: noqa: F811 (pytest fixtures imported from test_settlement.py are parameters here)
"""The settlement, statement and report pages and their API, as the treasurer, an auditor and
the quality lab use them (issue: paying producers, points 3 and 6)."""

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.payments.test_settlement import TERMS, english, sold  # noqa: F401 (fixtures)

D = Decimal


@pytest.fixture
def login(login, client):
    def do_login(*args, **kwargs):
        user = login(*args, **kwargs)
        client.get("/lang/en")
        return user

    return do_login


def test_treasurer_previews_confirms_and_pays_from_the_shipment_page(client, login, sold):
    shipment, deliveries, _green = sold
    login("treasurer")
    page = client.get(f"/shipments/{shipment.reference}").get_data(as_text=True)
    assert f"/shipments/{shipment.reference}/settlement" in page
    preview = client.get(
        f"/shipments/{shipment.reference}/settlement",
        query_string=TERMS | {"price": "3,25"},  # typed with a decimal comma
    )
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "16,375.05" in text and "10,234.41" in text and "6,140.64" in text
    assert "485.156" in text  # parchment kg behind the shipment
    confirmed = client.post(f"/shipments/{shipment.reference}/settlement", data=TERMS)
    assert confirmed.status_code == 302
    page = client.get(f"/shipments/{shipment.reference}/settlement").get_data(as_text=True)
    assert "Pay the settlement" in page
    settlement_id = page.split("/settlements/")[1].split("/")[0]
    paid = client.post(
        f"/settlements/{settlement_id}/pay", data={"method": "cash", "paid_on": "2026-10-20"}
    )
    assert paid.status_code == 302
    again = client.post(
        f"/settlements/{settlement_id}/pay", data={"method": "cash", "paid_on": "2026-10-20"}
    )
    assert again.status_code == 409
    assert "Every producer of this settlement has been paid" in again.get_data(as_text=True)


def test_zero_rate_is_refused_on_the_page_naming_the_field(client, login, sold):
    shipment, _deliveries, _green = sold
    login("treasurer")
    response = client.post(
        f"/shipments/{shipment.reference}/settlement", data=TERMS | {"exchange_rate": "0"}
    )
    assert response.status_code == 422
    assert "The exchange rate must be more than zero." in response.get_data(as_text=True)


def test_staff_cannot_open_the_settlement(client, login, sold):
    shipment, _deliveries, _green = sold
    login("staff")
    assert client.get(f"/shipments/{shipment.reference}/settlement").status_code == 403
    page = client.get(f"/shipments/{shipment.reference}").get_data(as_text=True)
    assert "/settlement" not in page


def test_api_preview_confirm_and_refusals(client, api, sold):
    shipment, deliveries, _green = sold
    headers = api("treasurer") | {"Accept-Language": "en"}
    url = f"/api/v1/shipments/{shipment.reference}/settlement"
    got = client.get(url, query_string=TERMS, headers=headers)
    assert got.status_code == 200, got.json
    assert got.json["total"] == "16375.05"
    assert {s["delivery_id"]: s["amount"] for s in got.json["shares"]} == {
        deliveries[0].id: "10234.41",
        deliveries[1].id: "6140.64",
    }
    assert client.post(url + "/preview", json=TERMS, headers=headers).json == got.json
    bad = client.post(url, json=TERMS | {"currency": "XYZ"}, headers=headers)
    assert bad.status_code == 422 and "currency" in bad.json["fields"]
    made = client.post(url, json=TERMS, headers=headers)
    assert made.status_code == 201 and made.json["total"] == "16375.05"
    assert client.post(url, json=TERMS, headers=headers).status_code == 409


def test_statement_page_pdf_xlsx_and_api(client, login, api, db_session, org, sold):
    shipment, deliveries, _green = sold
    producer_id = deliveries[0].producer_id
    login("treasurer")
    client.post(f"/shipments/{shipment.reference}/settlement", data=TERMS)
    page = client.get(f"/producers/{producer_id}/statement?season=2026").get_data(as_text=True)
    assert "Settlement share" in page and "10,234.41" in page
    # 500 kg × 14.00 = 7,000.00 and the share 10,234.41, nothing paid: 17,234.41 owed.
    assert "17,234.41" in page
    pdf = client.get(f"/producers/{producer_id}/statement.pdf?season=2026")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    xlsx = client.get(f"/producers/{producer_id}/statement.xlsx?season=2026")
    sheet = load_workbook(io.BytesIO(xlsx.data))["Totals"]
    totals = {row[0]: row[1] for row in sheet.iter_rows(values_only=True)}
    assert D(str(totals["Balance owed to the producer"])) == D("17234.41")
    quality = client.get(
        f"/api/v1/producers/{producer_id}/statement?season=2026", headers=api("quality")
    )
    assert quality.status_code == 200
    assert quality.json["name"] is None  # the lab does not see personal data
    assert quality.json["totals"]["balance"] == "17234.41"
    treasurer = client.get(
        f"/api/v1/producers/{producer_id}/statement", headers=api("treasurer")
    ).json
    assert treasurer["name"] and treasurer["season"] == 2026


def test_reports_for_the_treasurer_and_auditors_only(client, login, sold):
    _shipment, deliveries, _green = sold
    login("auditor")
    owed = client.get("/reports/owed?season=2026").get_data(as_text=True)
    assert "7,000.00" in owed and "4,200.00" in owed  # 500 and 300 kg at S/ 14
    assert client.get("/reports/premiums").status_code == 200
    book = load_workbook(io.BytesIO(client.get("/reports/owed.xlsx?season=2026").data))
    assert sum(D(str(row[6])) for row in book.active.iter_rows(min_row=2, values_only=True)) == D(
        "14000.00"
    )
    login("quality")
    assert client.get("/reports/owed").status_code == 403
    assert date(2026, 1, 1)


def test_void_needs_a_reason_then_the_shipment_can_be_settled_again(client, login, sold):
    shipment, _deliveries, _green = sold
    login("treasurer")
    client.post(f"/shipments/{shipment.reference}/settlement", data=TERMS)
    page = client.get(f"/shipments/{shipment.reference}/settlement").get_data(as_text=True)
    settlement_id = page.split("/settlements/")[1].split("/")[0]
    refused = client.post(f"/settlements/{settlement_id}/void", data={"reason": " "})
    assert refused.status_code == 422
    assert "Say why the settlement is voided." in refused.get_data(as_text=True)
    voided = client.post(f"/settlements/{settlement_id}/void", data={"reason": "Wrong rate"})
    assert voided.status_code == 302
    page = client.get(f"/shipments/{shipment.reference}/settlement").get_data(as_text=True)
    assert "voided" in page and "Wrong rate" in page and 'id="terms"' in page
