"""Hostile input gets a 4xx naming the field, and nothing is written (issue: trust): integers
beyond a database integer, JSON nested a thousand deep, control characters and lone
surrogates in names."""

import json
import math

import pytest
from marshmallow import ValidationError, fields
from sqlalchemy import func, select

from coopchain.farms.models import Plot, Producer
from coopchain.lots.models import Lot
from coopchain.schemas import LoadSchema
from coopchain.shipments.models import Shipment
from coopchain.web.input_limits import json_depth
from tests import factories

PRODUCER = {
    "member_code": "H-1",
    "first_name": "Juan",
    "last_name": "Mego",
    "community": "Paitoja",
    "public_name_consent": True,
}


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    "path",
    ["/api/v1/producers/99999999999999999999999", f"/api/v1/plots/{2**63}"],
)
def test_an_id_beyond_a_database_integer_is_not_found(client, api, path):
    assert client.get(path, headers=api("staff")).status_code == 404


def test_an_integer_beyond_a_database_integer_in_a_body_names_its_field(client, api, db_session):
    before = count(db_session, Plot)
    response = client.post(
        "/api/v1/plots",
        headers=api("staff"),
        json={
            "producer_id": 2**64,
            "name": "P",
            "crop": "coffee",
            "declared_area_ha": "1",
            "geometry": factories.square(),
        },
    )
    assert response.status_code == 422, response.json
    assert "producer_id" in response.json["fields"]
    assert count(db_session, Plot) == before


def test_json_nested_a_thousand_deep_is_refused_before_parsing(client, api, db_session):
    deep = "[" * 1000 + "]" * 1000
    body = '{"producer_id": 1, "name": "P", "crop": "coffee", "geometry": {"type": "Polygon", '
    body += f'"coordinates": {deep}}}}}'
    response = client.post(
        "/api/v1/plots",
        headers={**api("staff"), "Content-Type": "application/json"},
        data=body,
    )
    assert response.status_code == 422
    assert "_body" in response.json["fields"]
    assert count(db_session, Plot) == 0


@pytest.mark.parametrize(
    "name", ["Ju\x00an", "Ju\x07an", "Ju\x1ban", "Juan\r\nMego", "Ju\ud800an"], ids=repr
)
def test_control_characters_and_lone_surrogates_in_a_name_are_refused(
    client, api, db_session, name
):
    payload = json.dumps({**PRODUCER, "first_name": name}, ensure_ascii=True)
    response = client.post(
        "/api/v1/producers",
        headers={**api("staff"), "Content-Type": "application/json"},
        data=payload,
    )
    assert response.status_code == 422, response.json
    assert "first_name" in response.json["fields"]
    assert count(db_session, Producer) == 0


class NoteIn(LoadSchema):
    name = fields.Str()
    notes = fields.Str()


def test_a_note_may_have_several_lines_a_name_only_one():
    assert NoteIn().load({"name": "Rosa", "notes": "uno\ndos\r\ntres\tfin"})["notes"]
    with pytest.raises(ValidationError) as refused:
        NoteIn().load({"name": "Rosa\nHuamán", "notes": "nul \x00 here"})
    assert set(refused.value.messages) == {"name", "notes"}


def test_a_page_number_beyond_reason_is_refused(client, api):
    response = client.get(f"/api/v1/producers?page={10**30}", headers=api("staff"))
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("text", "depth"),
    [("{}", 1), ('{"a": [[1]]}', 3), ('"[[[["', 0), ('["\\\\", [{}]]', 3), ("1", 0)],
)
def test_json_depth_counts_brackets_outside_strings(text, depth):
    assert json_depth(text) == depth


def test_a_delivery_dated_in_the_year_1_is_refused_naming_the_date(client, api, db_session, org):
    producer = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, producer)
    body = {
        "ticket_number": "T-1",
        "producer_id": producer.id,
        "plot_id": plot.id,
        "product_form": "dry_parchment",
        "gross_kg": "100",
        "tare_kg": "1",
        "delivered_on": "0001-01-01",
    }
    response = client.post("/api/v1/deliveries", headers=api("staff"), json=body)
    assert response.status_code == 422, response.json
    assert "delivered_on" in response.json["fields"]
    assert count(db_session, Lot) == 0  # no lot CAF-1-000001


def test_a_shipment_loading_in_the_year_9999_is_refused_naming_the_date(client, api, db_session):
    body = {
        "reference": "HH-9999",
        "crop": "coffee",
        "buyer_name": "B",
        "buyer_country": "de",
        "planned_loading_on": "9999-12-31",
    }
    response = client.post("/api/v1/shipments", headers=api("staff"), json=body)
    assert response.status_code == 422, response.json
    assert "planned_loading_on" in response.json["fields"]
    assert count(db_session, Shipment) == 0


def test_a_polygon_of_twenty_thousand_vertices_is_refused_naming_the_limit(
    client, api, db_session, org
):
    producer = factories.producer(db_session, org)
    ring = [
        [
            -77.4 + 0.001 * math.cos(2 * math.pi * n / 20_000),
            -5.7 + 0.001 * math.sin(2 * math.pi * n / 20_000),
        ]
        for n in range(20_000)
    ]
    ring.append(ring[0])
    body = {
        "producer_id": producer.id,
        "name": "P",
        "crop": "coffee",
        "declared_area_ha": "1",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    response = client.post("/api/v1/plots", headers=api("staff"), json=body)
    assert response.status_code == 422, response.json
    assert "10000" in str(response.json["fields"]["geometry"]).replace(",", "")
    assert count(db_session, Plot) == 0
