"""The staff pages: forms, errors shown next to fields, escaping, search and paging."""

import io
import json

from sqlalchemy import func, select

from coopchain.farms.models import Plot, Producer
from tests import factories

PRODUCER_FORM = {
    "member_code": "CAF-0100",
    "first_name": "Rosa",
    "last_name": "Huamán Tapia",
    "sex": "female",
    "community": "Nuevo Edén",
    "joined_on": "2016-03-01",
    "status": "active",
    "public_name_consent": "y",
}


def test_register_producer_by_form(client, login, db_session, org):
    login("staff")
    response = client.post("/producers/new", data=PRODUCER_FORM)
    assert response.status_code == 302
    page = client.get(response.location)
    assert "Rosa Huamán Tapia".encode() in page.data
    producer = db_session.scalar(select(Producer).where(Producer.member_code == "CAF-0100"))
    assert producer.public_name_consent is True and producer.organization_id == org.id


def test_form_errors_are_shown_and_nothing_saved(client, login, db_session, org):
    login("staff")
    factories.producer(db_session, org, member_code="CAF-0100")
    response = client.post("/producers/new", data={**PRODUCER_FORM, "joined_on": "2016-13-45"})
    assert response.status_code == 422
    assert b'class="field invalid"' in response.data
    response = client.post("/producers/new", data=PRODUCER_FORM)
    assert response.status_code == 422
    assert b"member_code" in response.data
    assert db_session.scalar(select(func.count()).select_from(Producer)) == 1


def test_hostile_name_is_stored_as_text_and_escaped(client, login, db_session):
    login("staff")
    hostile = "<script>alert(1)</script>"
    response = client.post("/producers/new", data={**PRODUCER_FORM, "last_name": hostile})
    producer = db_session.scalar(select(Producer).where(Producer.member_code == "CAF-0100"))
    assert producer.last_name == hostile
    for url in (response.location, "/producers", "/producers?q=script"):
        page = client.get(url).data
        assert b"<script>alert" not in page
        assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_producer_page_shows_agreements_visits_and_plot_outlines(client, login, db_session, org):
    producer = factories.producer(db_session, org)
    agreement = factories.agreement(db_session, org, [producer])
    from datetime import date

    from coopchain.farms.agreements import add_visit

    add_visit(
        db_session,
        org.id,
        None,
        agreement.id,
        {
            "visited_on": date(2025, 3, 15),
            "inspector": "Guardaparque Mego",
            "result": "compliant",
            "notes": "Sin tala",
        },
    )
    factories.plot(db_session, org, producer, name="La Esperanza", declared_area_ha=None)
    login("auditor")
    page = client.get(f"/producers/{producer.id}").data.decode()
    assert agreement.number in page and "Guardaparque Mego" in page
    assert "La Esperanza" in page and "<svg" in page and "<path" in page
    assert "1,22 ha" in page or "1.22 ha" in page


def test_add_plot_by_pasting_geojson(client, login, db_session, org):
    producer = factories.producer(db_session, org)
    login("staff")
    response = client.post(
        f"/producers/{producer.id}/plots/new",
        data={
            "producer_id": producer.id,
            "name": "El Mirador",
            "crop": "coffee",
            "geometry": json.dumps(factories.square()),
            "declared_area_ha": "1.2",
        },
    )
    assert response.status_code == 302, response.data
    plot = db_session.scalar(select(Plot).where(Plot.name == "El Mirador"))
    assert plot.geometry == factories.square()


def test_add_plot_by_uploading_geojson_file(client, login, db_session, org):
    producer = factories.producer(db_session, org)
    login("staff")
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Point", "coordinates": [-77.412345, -5.701234]},
    }
    response = client.post(
        f"/producers/{producer.id}/plots/new",
        data={
            "producer_id": producer.id,
            "name": "Punto",
            "crop": "coffee",
            "geometry_file": (io.BytesIO(json.dumps(feature).encode()), "plot.geojson"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.data
    plot = db_session.scalar(select(Plot).where(Plot.name == "Punto"))
    assert plot.geometry == feature["geometry"]


def test_bow_tie_in_the_form_shows_the_crossing_edges(client, login, db_session, org):
    producer = factories.producer(db_session, org)
    login("staff")
    bow_tie = {
        "type": "Polygon",
        "coordinates": [
            [
                [-77.410001, -5.700001],
                [-77.400001, -5.710001],
                [-77.400001, -5.700001],
                [-77.410001, -5.710001],
                [-77.410001, -5.700001],
            ]
        ],
    }
    response = client.post(
        f"/producers/{producer.id}/plots/new",
        data={
            "producer_id": producer.id,
            "name": "Cruzada",
            "crop": "coffee",
            "geometry": json.dumps(bow_tie),
        },
    )
    assert response.status_code == 422
    assert "el lado 1 toca el lado 3" in response.data.decode()
    assert db_session.scalar(select(func.count()).select_from(Plot)) == 0


def test_producer_list_pages_and_searches(client, login, db_session, org):
    for n in range(30):
        factories.producer(db_session, org, member_code=f"P-{n:03d}")
    login("quality")
    first = client.get("/producers").data.decode()
    assert "P-000" in first and "P-024" in first and "P-025" not in first
    second = client.get("/producers?page=2").data.decode()
    assert "P-025" in second and "P-029" in second
    found = client.get("/producers?q=p-017").data.decode()
    assert "P-017" in found and "P-016" not in found


def test_language_switch_and_spanish_default(client, login):
    login("staff")
    assert 'lang="es"' in client.get("/").data.decode()
    client.get("/lang/en?next=/")
    assert 'lang="en"' in client.get("/").data.decode()


def test_language_switch_refuses_foreign_redirects(client):
    for target in ("//evil.example/", "/%09/evil.example", "/\\evil.example", "https://e.x/"):
        response = client.get(f"/lang/en?next={target}")
        assert response.location == "/", target
    assert client.get("/lang/en?next=/producers%3Fq%3Dx").location == "/producers?q=x"


def test_suspending_an_agreement_needs_a_reason_and_shows_on_the_page(
    client, login, db_session, org
):
    producer = factories.producer(db_session, org)
    agreement = factories.agreement(db_session, org, [producer])
    login("staff")
    url = f"/agreements/{agreement.id}/status"
    refused = client.post(url, data={"status": "suspended", "producer": producer.id})
    assert refused.status_code == 303
    assert "active" == db_session.get(type(agreement), agreement.id).status
    client.post(
        url,
        data={
            "status": "suspended",
            "status_reason": "Tala en la parcela 2",
            "status_since": "2026-01-05",
            "producer": producer.id,
        },
    )
    db_session.expire_all()
    page = client.get(f"/producers/{producer.id}").data.decode()
    assert "Tala en la parcela 2" in page and "05/01/2026" in page


def test_stored_geometry_warnings_follow_the_reader_language(client, login, db_session, org):
    from decimal import Decimal

    producer = factories.producer(db_session, org)
    factories.plot(db_session, org, producer, declared_area_ha=Decimal("3"))
    login("staff")
    spanish = client.get(f"/producers/{producer.id}").data.decode()
    assert "difiere en más del 10 %" in spanish
    english = client.get(f"/producers/{producer.id}?lang=en").data.decode()
    assert "differs from the mapped" in english and "by over 10 %" in english


def test_error_messages_quoting_user_input_are_escaped(client, login, db_session, org):
    from tests.farms.test_registry_xlsx import upload, workbook

    login("staff")
    hostile = "<img src=x onerror=alert(1)>"
    response = upload(
        client,
        workbook(
            [["X-1", "Rosa", "Tapia", "female", "Paitoja", "2016-03-01"]],
            [["AC-1", "individual", "X-1", "BP", "2025-01-10", "2026-12-31", "50% off"]],
            [[hostile, "p", "coffee", -77.412345, -5.701234, None, 1]],
        ),
    )
    page = response.data.decode()
    assert response.status_code == 422
    assert hostile not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "50% off" in page
    producer = factories.producer(db_session, org)
    form = client.post(
        f"/producers/{producer.id}/agreements/new",
        data={
            "number": "A-9",
            "kind": "individual",
            "producer_codes": hostile,
            "protected_area": "BP",
            "signed_on": "2025-01-10",
            "valid_until": "2026-01-01",
        },
    )
    assert form.status_code == 422
    assert hostile not in form.data.decode()


def test_dashboard_links_to_the_plots_needing_attention(client, login, db_session, org):
    from decimal import Decimal

    producer = factories.producer(db_session, org)
    factories.plot(db_session, org, producer, name="Bien")
    factories.plot(db_session, org, producer, name="Mal medida", declared_area_ha=Decimal("3"))
    login("auditor")
    assert b"/plots/attention" in client.get("/").data
    page = client.get("/plots/attention?cause=geometry").data.decode()
    assert "Mal medida" in page and "Bien" not in page
