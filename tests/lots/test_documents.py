"""Receipt, delivery import, lot export and mass balance as staff and API clients get them."""

import io
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import func, select

from coopchain.lots.models import Delivery
from tests import factories
from tests.lots.test_lots_xlsx import row, workbook


def _deliveries(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Delivery))


def test_the_receipt_is_a_pdf_for_this_organisation_only(
    client, login, db_session, org, other_org, farm
):
    producer, plot = farm
    delivery, _lot = factories.delivery(db_session, org, producer, plot)
    login("staff")
    response = client.get(f"/deliveries/{delivery.id}/receipt.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.mimetype == "application/pdf"
    client.delete_cookie("session")
    login("admin", other_org)
    assert client.get(f"/deliveries/{delivery.id}/receipt.pdf").status_code == 404


def test_importing_deliveries_in_the_browser_is_all_or_nothing(
    client, login, db_session, org, farm
):
    producer, plot = farm
    login("staff")
    before = _deliveries(db_session)
    bad = workbook([row(producer, plot), row(producer, plot, delivered_on=date(2099, 1, 1))])
    response = client.post(
        "/deliveries/import",
        data={"file": (io.BytesIO(bad), "d.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "delivered_on" in response.get_data(as_text=True)
    assert _deliveries(db_session) == before
    good = workbook([row(producer, plot), row(producer, plot)])
    response = client.post(
        "/deliveries/import",
        data={"file": (io.BytesIO(good), "d.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and _deliveries(db_session) == before + 2


def test_a_missing_file_is_explained(client, login):
    login("staff")
    page = client.get("/deliveries/import").get_data(as_text=True)
    assert 'href="/deliveries/template.xlsx"' in page
    response = client.post("/deliveries/import", data={})
    assert response.status_code == 400


def test_the_lot_export_lists_origins(client, login, db_session, org, farm):
    producer, plot = farm
    _d, lot = factories.delivery(db_session, org, producer, plot)
    login("auditor")
    response = client.get("/lots/export.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    codes = [cell.value for cell in book["Lots"]["A"]]
    assert lot.code in codes
    assert producer.member_code in [
        cell.value for row_cells in book["Origins"].iter_rows() for cell in row_cells
    ]


def test_the_mass_balance_page_flags_a_plot_over_its_yield(client, login, db_session, org, farm):
    producer, plot = farm  # 1.2 ha declared, 700 kg/ha: 840 kg expected
    factories.delivery(db_session, org, producer, plot, gross_kg=Decimal("1220"))  # 1,200 kg
    login("auditor")
    page = client.get("/reports/mass-balance?season=2026").get_data(as_text=True)
    assert 'class="flagged"' in page and plot.name in page
    sheet = client.get("/reports/mass-balance.xlsx?season=2026")
    assert sheet.status_code == 200 and sheet.data[:2] == b"PK"


def test_the_api_reports_mass_balance_and_bad_import_rows(client, api, db_session, org, farm):
    producer, plot = farm
    factories.delivery(db_session, org, producer, plot)
    headers = api("auditor")
    report = client.get("/api/v1/reports/mass-balance?season=2026", headers=headers).get_json()
    line = next(p for p in report["plots"] if p["plot_id"] == plot.id)
    assert line["delivered_equivalent_kg"] == "500.000" and line["flag"] == "ok"
    staff = api("staff")
    bad = workbook([row(producer, plot, moisture_pct=80)])
    response = client.post("/api/v1/deliveries/import", data=bad, headers=staff)
    assert response.status_code == 422
    assert response.get_json()["rows"][0]["column"] == "moisture_pct"
    good = workbook([row(producer, plot)])
    response = client.post("/api/v1/deliveries/import", data=good, headers=staff)
    assert response.status_code == 201 and response.get_json()["deliveries"] == 1
    receipt = client.get(
        f"/api/v1/deliveries/{_last_delivery(db_session)}/receipt.pdf", headers=headers
    )
    assert receipt.data.startswith(b"%PDF")


def _last_delivery(db_session) -> int:
    return db_session.scalar(select(func.max(Delivery.id)))


def test_a_big_delivery_import_runs_as_a_job(client, app, login, db_session, farm):
    """Above JOBS_IMPORT_ROWS rows the page answers at once with the job's page; the job
    records every ticket, and its result links to the deliveries."""
    producer, plot = farm
    app.config["JOBS_IMPORT_ROWS"] = 2
    login("staff")
    before = _deliveries(db_session)
    good = workbook([row(producer, plot) for _ in range(3)])
    response = client.post(
        "/deliveries/import",
        data={"file": (io.BytesIO(good), "d.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and "/jobs/" in response.location
    status = client.get(response.location + ".json").get_json()
    assert (status["kind"], status["status"]) == ("import.deliveries", "finished"), status
    assert status["result_url"] == "/deliveries"
    assert _deliveries(db_session) == before + 3


def test_a_big_delivery_import_through_the_api_is_a_job(client, app, api, db_session, farm):
    producer, plot = farm
    app.config["JOBS_IMPORT_ROWS"] = 2
    headers = api("staff")
    before = _deliveries(db_session)
    good = workbook([row(producer, plot) for _ in range(3)])
    response = client.post(
        "/api/v1/deliveries/import",
        data={"file": (io.BytesIO(good), "d.xlsx")},
        content_type="multipart/form-data",
        headers=headers,
    )
    assert response.status_code == 202 and response.get_json()["kind"] == "import.deliveries"
    status = client.get(response.headers["Location"], headers=headers).get_json()
    assert status["status"] == "finished" and status["result"]["deliveries"] == 3, status
    assert _deliveries(db_session) == before + 3
