"""Excel import (all rows or none, every bad row named) and export (formulas neutralised)."""

import io
import json

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from coopchain.farms.models import Agreement, Plot, Producer
from tests import factories

PRODUCER_HEADERS = ["member_code", "first_name", "last_name", "sex", "community", "joined_on"]
AGREEMENT_HEADERS = [
    "number",
    "kind",
    "producer_codes",
    "protected_area",
    "signed_on",
    "valid_until",
    "commitments",
]
PLOT_HEADERS = ["producer_code", "name", "crop", "lon", "lat", "geojson", "declared_area_ha"]


def workbook(producers, agreements=(), plots=()) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, headers, rows in (
        ("Producers", PRODUCER_HEADERS, producers),
        ("Agreements", AGREEMENT_HEADERS, agreements),
        ("Plots", PLOT_HEADERS, plots),
    ):
        sheet = book.create_sheet(title)
        sheet.append(headers)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def producers(n: int):
    return [
        [f"X-{i:03d}", "Rosa", f"Tapia {i}", "female", "Paitoja", "2016-03-01"] for i in range(n)
    ]


def upload(client, data: bytes, name="registro.xlsx"):
    return client.post(
        "/registry/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_import_producers_agreements_and_plots(client, login, db_session):
    login("staff")
    polygon = json.dumps(factories.square(-77.401234, -5.691234))
    data = workbook(
        producers(3),
        [
            [
                "AC-1",
                "collective",
                "X-000, X-001",
                "BP Alto Mayo",
                "2025-01-10",
                "2026-12-31",
                "no_clearing, patrols",
            ]
        ],
        [
            ["X-000", "La Esperanza", "coffee", -77.412345, -5.701234, None, 1.5],
            ["X-001", "El Mirador", "coffee", None, None, polygon, 1.22],
        ],
    )
    response = upload(client, data)
    assert response.status_code == 302, response.data.decode()
    flash = client.get(response.location).data.decode()
    assert "3" in flash and ("producers" in flash or "productores" in flash)
    assert (count(db_session, Producer), count(db_session, Agreement), count(db_session, Plot)) == (
        3,
        1,
        2,
    )
    point = db_session.scalar(select(Plot).where(Plot.name == "La Esperanza"))
    assert point.geometry == {"type": "Point", "coordinates": [-77.412345, -5.701234]}


def test_bad_date_on_row_57_rolls_back_everything(client, login, db_session):
    login("staff")
    rows = producers(70)
    rows[55][5] = "2016-02-30"  # data row 56 is Excel row 57
    response = upload(client, workbook(rows))
    assert response.status_code == 422
    page = response.data.decode()
    assert "<td>Producers</td><td>57</td><td>joined_on</td>" in page
    assert count(db_session, Producer) == 0


def test_every_bad_row_is_listed_across_sheets(client, login, api, db_session, org):
    factories.producer(db_session, org, member_code="X-000")
    data = workbook(
        producers(2),
        [["AC-1", "individual", "NOPE", "BP", "2025-01-10", "2026-12-31", "no_clearing"]],
        [["X-001", "Swapped", "coffee", -5.701234, -77.412345, None, 1.0]],
    )
    response = client.post(
        "/api/v1/producers/import",
        headers=api("staff"),
        data={"file": (io.BytesIO(data), "r.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    where = [(r["sheet"], r["row"], r["column"]) for r in response.json["rows"]]
    assert where == [
        ("Producers", 2, "member_code"),
        ("Agreements", 2, "producer_codes"),
        ("Plots", 2, "lon"),
    ]
    assert count(db_session, Producer) == 1  # only the one that was there before


def test_not_an_xlsx_is_refused_clearly(client, login):
    login("staff")
    response = upload(client, b"member_code,first_name\nA,B\n", "registro.csv")
    assert response.status_code == 422
    assert ".xlsx" in response.data.decode()


def test_missing_sheet_is_named(client, login):
    login("staff")
    book = Workbook()
    book.active.title = "Hoja1"
    buffer = io.BytesIO()
    book.save(buffer)
    response = upload(client, buffer.getvalue())
    assert response.status_code == 422 and "Producers" in response.data.decode()


def test_sixty_megabyte_upload_is_refused_before_parsing(client, login, db_session):
    login("staff")
    response = upload(client, b"\0" * (60 * 1024 * 1024))
    assert response.status_code == 413
    assert "10 MB" in response.data.decode()
    assert count(db_session, Producer) == 0


def test_export_has_every_sheet_and_neutralises_formulas(client, login, db_session, org):
    producer = factories.producer(
        db_session, org, first_name='=HYPERLINK("http://x")', national_id="40001234"
    )
    factories.agreement(db_session, org, [producer])
    factories.plot(db_session, org, producer, name="@SUM(1)")
    login("auditor")
    response = client.get("/registry/producers.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Producers", "Agreements", "Visits", "Plots"]
    rows = list(book["Producers"].values)
    first_name = rows[1][rows[0].index("first_name")]
    assert first_name == '\'=HYPERLINK("http://x")'
    plot_rows = list(book["Plots"].values)
    assert plot_rows[1][plot_rows[0].index("name")] == "'@SUM(1)"
    assert plot_rows[1][plot_rows[0].index("organic_status_today")] == "organic"


def test_export_reimports_into_another_organisation(client, login, db_session, org, other_org):
    producer = factories.producer(db_session, org)
    factories.agreement(db_session, org, [producer])
    factories.plot(db_session, org, producer)
    login("admin")
    exported = client.get("/registry/producers.xlsx").data
    client.delete_cookie("session")
    login("staff", other_org)
    response = upload(client, exported)
    assert response.status_code == 302, response.data.decode()
    moved = db_session.scalar(select(Plot).where(Plot.organization_id == other_org.id))
    assert moved.geometry == factories.square()


def test_template_has_the_three_sheets(client, login):
    login("staff")
    book = load_workbook(io.BytesIO(client.get("/registry/template.xlsx").data))
    assert {"Producers", "Agreements", "Plots"} <= set(book.sheetnames)


def test_neutralised_cells_come_back_as_the_original_text(
    client, login, db_session, org, other_org
):
    factories.producer(db_session, org, last_name="-Rojas", phone="+51942000111")
    login("admin")
    exported = client.get("/registry/producers.xlsx").data
    client.delete_cookie("session")
    login("staff", other_org)
    assert upload(client, exported).status_code == 302
    moved = db_session.scalar(select(Producer).where(Producer.organization_id == other_org.id))
    assert (moved.last_name, moved.phone) == ("-Rojas", "+51942000111")


def test_rule_errors_and_row_errors_are_reported_together(client, login, db_session):
    login("staff")
    rows = producers(2)
    rows[1][5] = "not a date"  # X-001 fails
    data = workbook(
        rows,
        [
            ["AC-1", "individual", "X-000", "BP", "2025-01-10", "2024-01-01", "no_clearing"],
            ["AC-2", "individual", "X-001", "BP", "2025-01-10", "2026-12-31", "no_clearing"],
        ],
    )
    response = upload(client, data)
    assert response.status_code == 422
    page = response.data.decode()
    assert "<td>Producers</td><td>3</td><td>joined_on</td>" in page
    assert "<td>Agreements</td><td>2</td><td>valid_until</td>" in page
    assert "<td>Agreements</td><td>3</td><td>producer_codes</td>" in page
    assert count(db_session, Producer) == 0 and count(db_session, Agreement) == 0
