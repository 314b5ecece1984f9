"""Entry without friction: decimals as staff type them, each error once by its label, parser
messages in the reader's language, a suggested member code."""

import io
import json
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from coopchain.farms.models import Plot, Producer
from coopchain.lots.models import Delivery
from tests import factories
from tests.lots.conftest import delivery_data


def post_plot(client, producer, **fields):
    data = {
        "producer_id": producer.id,
        "name": "El Mirador",
        "crop": "coffee",
        "geometry": json.dumps(factories.square()),
        **fields,
    }
    return client.post(f"/producers/{producer.id}/plots/new", data=data)


def errors_box(page: str) -> str:
    found = re.search(r'<div class="errors".*?</div>', page, re.S)
    return found[0] if found else ""


@pytest.mark.parametrize(
    ("area", "yield_", "stored_area", "stored_yield"),
    [
        ("1,2", "850", "1.2", "850"),  # a Spanish phone's decimal comma
        ("1.2", "850,5", "1.2", "850.5"),
        ("0,75", "4,504.36", "0.75", "4504.36"),  # Peru's own grouping (es_PE)
        (" 2,5 ", "4.504,36", "2.5", "4504.36"),  # Spain's, unambiguous with both marks
    ],
)
def test_the_plot_form_reads_decimals_in_either_convention(
    client, login, db_session, org, area, yield_, stored_area, stored_yield
):
    producer = factories.producer(db_session, org)
    login("staff")
    response = post_plot(client, producer, declared_area_ha=area, expected_yield_kg_ha=yield_)
    assert response.status_code == 302, errors_box(response.get_data(as_text=True))
    plot = db_session.scalar(select(Plot).where(Plot.producer_id == producer.id))
    assert plot.declared_area_ha == Decimal(stored_area)
    assert plot.expected_yield_kg_ha == Decimal(stored_yield)


def test_an_ambiguous_number_is_refused_showing_both_readings_once(client, login, db_session, org):
    producer = factories.producer(db_session, org)
    login("staff")
    response = post_plot(client, producer, declared_area_ha="1,234")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert page.count("“1,234” se puede leer de dos maneras: 1234 o 1.234") == 1
    # The summary names the field by its label and links to it; no raw field name.
    assert '<a href="#declared_area_ha">Área declarada (ha)</a>' in errors_box(page)
    assert "declared_area_ha:" not in page and "<code>" not in errors_box(page)
    assert 'value="1,234"' in page  # what was typed is kept
    assert db_session.scalar(select(Plot).where(Plot.producer_id == producer.id)) is None


def test_the_delivery_form_agrees_with_the_plot_form(client, login, db_session, org):
    producer = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, producer)
    login("staff")

    def post(ticket, gross):
        data = delivery_data(producer, plot, ticket_number=ticket, gross_kg=gross)
        data.pop("producer_id")
        data["producer_code"] = producer.member_code
        form = {key: "" if value is None else str(value) for key, value in data.items()}
        response = client.post("/deliveries/new", data=form)
        # The bare factory producer has no agreement: confirm the intake warnings the form
        # shows, as a clerk would (lots/intake_warnings.py); the numbers are what is tested.
        seen = re.search(r'name="warnings_seen" value="([^"]*)"', response.get_data(as_text=True))
        if response.status_code == 422 and seen:
            form |= {"save_anyway": "1", "warnings_seen": seen.group(1)}
            response = client.post("/deliveries/new", data=form)
        return response

    assert post("T-9001", "352,5").status_code == 302
    assert post("T-9002", "1,352.5").status_code == 302
    refused = post("T-9003", "1,234")
    assert refused.status_code == 422
    assert "1234 o 1.234" in refused.get_data(as_text=True)
    saved = db_session.scalars(select(Delivery.gross_kg).order_by(Delivery.ticket_number))
    assert list(saved) == [Decimal("352.5"), Decimal("1352.5")]


def test_a_message_is_said_once_under_its_field(client, login, db_session, org):
    """It was "declared_area_ha: …" in the summary and again under the field."""
    producer = factories.producer(db_session, org)
    login("staff")
    page = post_plot(client, producer, declared_area_ha="-3", altitude_m="alto").get_data(
        as_text=True
    )
    box = errors_box(page)
    assert '<a href="#altitude_m">Altitud (msnm)</a>' in box
    assert "altitude_m" not in re.sub(r'href="#\w+"', "", box)
    for message in re.findall(r'<span class="error">(.*?)</span>', page):
        assert page.count(message) == 1, message


@pytest.mark.parametrize(
    ("upload", "expected"),
    [
        (b"", "El archivo está vacío: elija un archivo GeoJSON o pegue la geometría."),
        (b"{nope", "(línea 1, columna 2): aquí se esperaba un nombre entre comillas dobles."),
        (b'{"type": "Point"} x', "hay más texto después del final"),
    ],
)
def test_parser_messages_are_translated(client, login, db_session, org, upload, expected):
    producer = factories.producer(db_session, org)
    login("staff")
    response = client.post(
        f"/producers/{producer.id}/plots/new",
        data={
            "producer_id": producer.id,
            "name": "El Mirador",
            "crop": "coffee",
            "geometry_file": (io.BytesIO(upload), "parcela.geojson"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert expected in page and page.count(expected) == 1
    assert "Expecting" not in page and "Illegal" not in page


def test_the_new_producer_form_suggests_the_next_member_code(client, login, db_session, org):
    for code in ("CAF-0040", "CAF-0042", "CAF-0041", "OLD-7"):
        factories.producer(db_session, org, member_code=code)
    login("staff")
    page = client.get("/producers/new").get_data(as_text=True)
    assert 'name="member_code" id="member_code" value="CAF-0043"' in page
    # Editable, and the uniqueness rule still decides: someone took it meanwhile.
    factories.producer(db_session, org, member_code="CAF-0043")
    form = {
        "member_code": "CAF-0043",
        "first_name": "Ana",
        "last_name": "Ríos",
        "joined_on": "2020-01-01",
        "status": "active",
    }
    response = client.post("/producers/new", data=form)
    assert response.status_code == 422
    assert '<a href="#member_code">Código de socio</a>' in errors_box(
        response.get_data(as_text=True)
    )
    assert db_session.scalar(select(Producer).where(Producer.first_name == "Ana")) is None
    assert 'value="CAF-0044"' in client.get("/producers/new").get_data(as_text=True)


def test_no_suggestion_without_numbered_codes(client, login, db_session, org):
    login("staff")
    page = client.get("/producers/new").get_data(as_text=True)
    assert 'name="member_code" id="member_code" value=""' in page


def test_the_merge_page_reads_kilograms_like_every_form(client, login, db_session, org):
    producer = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, producer)
    lots = [factories.delivery(db_session, org, producer, plot)[1] for _ in range(2)]
    login("staff")
    form = {"lot": [lot.code for lot in lots], "occurred_on": "2026-06-02"}
    refused = client.post(
        "/lots/merge", data={**form, f"kg_{lots[0].code}": "1,234", f"kg_{lots[1].code}": "2,5"}
    )
    assert refused.status_code == 422
    assert refused.get_data(as_text=True).count("1234 o 1.234") == 1
    merged = client.post(
        "/lots/merge", data={**form, f"kg_{lots[0].code}": "1,5", f"kg_{lots[1].code}": "2.5"}
    )
    assert merged.status_code == 302
    db_session.expire_all()
    assert [lot.available_kg for lot in lots] == [Decimal("498.5"), Decimal("497.5")]
