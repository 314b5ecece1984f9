"""Organic control bodies as records (issue: trust, part 6): one record per body, kept per
organisation, chosen on a plot by id, named in the register workbook by code or name, exposed
by the API, and every write in the ledger."""

import io
import json

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from coopchain.errors import DomainError
from coopchain.farms.certifiers import create_certifier, find_certifier, update_certifier
from coopchain.farms.models import Certifier, Plot
from coopchain.ledger.models import LedgerEvent
from tests import factories
from tests.farms.test_registry_xlsx import PRODUCER_HEADERS, producers, upload

CONTROL_UNION = {"name": "Control Union Perú", "code": "PE-BIO-149", "country": "PE"}


def events(db_session, kind: str) -> list[LedgerEvent]:
    return list(db_session.scalars(select(LedgerEvent).where(LedgerEvent.kind == kind)))


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


# --- the service ----------------------------------------------------------------------------


def test_a_body_spelt_another_way_is_the_same_record(db_session, org):
    recorded = create_certifier(db_session, org.id, None, CONTROL_UNION)

    assert find_certifier(db_session, org.id, "  control union PERU ") == recorded
    assert find_certifier(db_session, org.id, "pe-bio-149") == recorded
    assert find_certifier(db_session, org.id, "BioLatina") is None
    with pytest.raises(DomainError) as refused:
        create_certifier(db_session, org.id, None, {"name": "Control Union Peru", "country": "PE"})
    assert list(refused.value.fields) == ["name"]


def test_a_code_names_one_body_and_other_organisations_are_apart(db_session, org, other_org):
    create_certifier(db_session, org.id, None, CONTROL_UNION)
    other = create_certifier(db_session, org.id, None, {"name": "BioLatina", "country": "PE"})

    with pytest.raises(DomainError) as refused:
        update_certifier(db_session, org.id, None, other.id, {**CONTROL_UNION, "name": "Bio"})
    assert list(refused.value.fields) == ["code"]
    # Another cooperative keeps its own record of the same body.
    theirs = create_certifier(db_session, other_org.id, None, CONTROL_UNION)
    assert find_certifier(db_session, other_org.id, "PE-BIO-149") == theirs
    assert find_certifier(db_session, org.id, "BioLatina").organization_id == org.id


def test_every_write_is_in_the_ledger(db_session, org):
    certifier = create_certifier(db_session, org.id, None, {**CONTROL_UNION, "code": None})
    update_certifier(db_session, org.id, None, certifier.id, CONTROL_UNION)

    (created,) = events(db_session, "certifier.created")
    (updated,) = events(db_session, "certifier.updated")
    assert created.payload["data"]["name"] == "Control Union Perú"
    assert updated.payload["data"] == {"code": {"before": None, "after": "PE-BIO-149"}}


def test_a_plot_cannot_point_at_another_organisations_certifier(db_session, org, other_org):
    theirs = create_certifier(db_session, other_org.id, None, CONTROL_UNION)
    producer = factories.producer(db_session, org)

    with pytest.raises(DomainError) as refused:
        factories.plot(db_session, org, producer, organic_certifier_id=theirs.id)
    assert list(refused.value.fields) == ["organic_certifier_id"]


# --- pages ----------------------------------------------------------------------------------


def test_admins_record_a_certifier_and_staff_choose_it_on_a_plot(client, login, db_session, org):
    login("admin")
    response = client.post(
        "/certifiers/new",
        data={"name": "Control Union Perú", "code": "pe-bio-149", "country": "pe"},
    )
    assert response.status_code == 302
    certifier = db_session.scalar(select(Certifier))
    assert (certifier.code, certifier.country) == ("PE-BIO-149", "PE")
    listing = client.get("/certifiers").data.decode()
    assert "Control Union Perú" in listing and "PE-BIO-149" in listing

    producer = factories.producer(db_session, org)
    login("staff")
    form = client.get(f"/producers/{producer.id}/plots/new").data.decode()
    assert f'<option value="{certifier.id}">Control Union Perú (PE-BIO-149)</option>' in form
    response = client.post(
        f"/producers/{producer.id}/plots/new",
        data={
            "producer_id": producer.id,
            "name": "La Esperanza",
            "crop": "coffee",
            "geometry": json.dumps(factories.square()),
            "organic_certifier_id": certifier.id,
        },
    )
    assert response.status_code == 302, response.data.decode()
    assert db_session.scalar(select(Plot.organic_certifier_id)) == certifier.id


def test_a_duplicate_name_is_refused_on_the_form(client, login, db_session, org):
    create_certifier(db_session, org.id, None, CONTROL_UNION)
    login("admin")

    response = client.post("/certifiers/new", data={"name": "control union peru", "country": "PE"})

    assert response.status_code == 422
    assert count(db_session, Certifier) == 1


def test_an_unknown_country_is_refused(client, login, db_session):
    login("admin")

    response = client.post("/certifiers/new", data={"name": "Kiwa BCS", "country": "XX"})

    assert response.status_code == 422
    assert count(db_session, Certifier) == 0


# --- the workbook ---------------------------------------------------------------------------

PLOT_HEADERS = ["producer_code", "name", "crop", "lon", "lat", "organic_certifier"]


def workbook(plots) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, headers, rows in (
        ("Producers", PRODUCER_HEADERS, producers(2)),
        ("Plots", PLOT_HEADERS, plots),
    ):
        sheet = book.create_sheet(title)
        sheet.append(headers)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_import_takes_the_certifier_by_code_or_name(client, login, db_session, org):
    certifier = create_certifier(db_session, org.id, None, CONTROL_UNION)
    login("staff")

    response = upload(
        client,
        workbook(
            [
                ["X-000", "Alta", "coffee", -77.412345, -5.701234, "pe-bio-149"],
                ["X-001", "Baja", "coffee", -77.402345, -5.701234, "Control Union Peru "],
                ["X-001", "Media", "coffee", -77.392345, -5.701234, None],
            ]
        ),
    )

    assert response.status_code == 302, response.data.decode()
    chosen = dict(db_session.execute(select(Plot.name, Plot.organic_certifier_id)).all())
    assert chosen == {"Alta": certifier.id, "Baja": certifier.id, "Media": None}


def test_an_unknown_certifier_names_sheet_row_and_column_and_imports_nothing(
    client, login, db_session, org
):
    create_certifier(db_session, org.id, None, CONTROL_UNION)
    login("staff")

    response = upload(
        client,
        workbook(
            [
                ["X-000", "Alta", "coffee", -77.412345, -5.701234, "PE-BIO-149"],
                ["X-001", "Baja", "coffee", -77.402345, -5.701234, "Bio Latina SAC"],
            ]
        ),
    )

    assert response.status_code == 422
    page = response.data.decode()
    assert "<td>Plots</td><td>3</td><td>organic_certifier</td>" in page
    assert "Bio Latina SAC" in page
    assert count(db_session, Plot) == 0 and count(db_session, Certifier) == 1


def test_the_export_writes_the_certifier(client, login, db_session, org):
    certifier = create_certifier(db_session, org.id, None, CONTROL_UNION)
    producer = factories.producer(db_session, org)
    factories.plot(db_session, org, producer, organic_certifier_id=certifier.id)
    login("staff")

    data = client.get("/registry/producers.xlsx").data

    sheet = load_workbook(io.BytesIO(data))["Plots"]
    header = [cell.value for cell in sheet[1]]
    row = [cell.value for cell in sheet[2]]
    assert row[header.index("organic_certifier")] == "PE-BIO-149"


# --- the API --------------------------------------------------------------------------------


def test_the_api_plot_names_its_certifier(client, api, db_session, org):
    certifier = create_certifier(db_session, org.id, None, CONTROL_UNION)
    producer = factories.producer(db_session, org)

    response = client.post(
        "/api/v1/plots",
        headers=api("staff"),
        json={
            "producer_id": producer.id,
            "name": "Alta",
            "crop": "coffee",
            "geometry": factories.square(),
            "organic_certifier_id": certifier.id,
        },
    )

    assert response.status_code == 201, response.json
    assert response.json["organic_certifier_id"] == certifier.id
    assert response.json["organic_certifier"] == {
        "id": certifier.id,
        "name": "Control Union Perú",
        "code": "PE-BIO-149",
        "country": "PE",
    }
    listed = client.get("/api/v1/plots", headers=api("auditor")).json["items"]
    assert listed[0]["organic_certifier"]["code"] == "PE-BIO-149"
