"""Deliveries, lots, transformations and bags through the JSON API with a personal token."""

from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

import pytest

from coopchain.clock import today
from coopchain.lots import bags, transformations
from tests import factories
from tests.lots.conftest import delivery_data

DAY = date(2026, 6, 1)
LATER = "2026-06-15"


@pytest.fixture
def in_app(app):
    """For the few rows built with the lot services directly (they read app settings)."""

    @contextmanager
    def context():
        with app.app_context():
            yield

    return context


def as_json(data: dict) -> dict:
    return {
        key: value.isoformat()
        if isinstance(value, date)
        else str(value)
        if isinstance(value, Decimal)
        else value
        for key, value in data.items()
    }


def deliver(client, headers, producer, plot, **fields) -> dict:
    """Register a delivery of 500 kg net through the API; returns its JSON."""
    response = client.post(
        "/api/v1/deliveries", headers=headers, json=as_json(delivery_data(producer, plot, **fields))
    )
    assert response.status_code == 201, response.json
    return response.json


def transform(client, headers, kind: str, **body):
    return client.post(
        "/api/v1/transformations",
        headers=headers,
        json={"kind": kind, "occurred_on": LATER, **body},
    )


def lot(client, headers, code: str) -> dict:
    response = client.get(f"/api/v1/lots/{code}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


@pytest.fixture
def second_farm(db_session, org):
    """Another organic producer under agreement, with a coffee plot."""
    producer = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, producer)
    factories.agreement(db_session, org, [producer])
    return producer, plot


# --- deliveries -------------------------------------------------------------------------------


def test_delivery_computes_net_weight_and_creates_its_origin_lot(client, api, farm):
    producer, plot = farm
    headers = api("staff")
    created = deliver(client, headers, producer, plot, ticket_number="T-100")
    assert created["net_kg"] == "500.000" and created["gross_kg"] == "520.500"
    assert created["lot_code"] == "CAF-2026-000001"
    assert created["producer_code"] == producer.member_code
    assert created["voided_at"] is None

    again = client.get(f"/api/v1/deliveries/{created['id']}", headers=headers).json
    assert again == created
    origin_lot = lot(client, headers, "CAF-2026-000001")
    assert origin_lot["quantity_kg"] == origin_lot["available_kg"] == "500.000"
    assert origin_lot["status"] == "available" and origin_lot["delivery_id"] == created["id"]
    assert origin_lot["consumed_kg"] == "0.000"
    assert origin_lot["organic_status"] == "organic" and origin_lot["all_under_agreement"]
    (origin,) = origin_lot["origins"]
    assert origin["ticket_number"] == "T-100" and origin["kg"] == "500.000"
    assert origin["agreement_numbers"] and origin["producer_code"] == producer.member_code


def test_delivery_by_member_code(client, api, farm):
    producer, plot = farm
    data = as_json(delivery_data(producer, plot))
    del data["producer_id"]
    response = client.post(
        "/api/v1/deliveries",
        headers=api("staff"),
        json={**data, "producer_code": producer.member_code},
    )
    assert response.status_code == 201, response.json
    assert response.json["producer_id"] == producer.id


def test_duplicate_ticket_is_a_conflict_on_the_ticket(client, api, farm):
    producer, plot = farm
    headers = {**api("staff"), "Accept-Language": "en"}
    deliver(client, headers, producer, plot, ticket_number="T-7")
    again = client.post(
        "/api/v1/deliveries",
        headers=headers,
        json=as_json(delivery_data(producer, plot, ticket_number="T-7")),
    )
    assert again.status_code == 409
    assert again.json["error"] == "conflict"
    assert set(again.json["fields"]) == {"ticket_number"}
    assert client.get("/api/v1/deliveries", headers=headers).json["total"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"delivered_on": today() + timedelta(days=1)}, "delivered_on"),
        ({"moisture_pct": Decimal("80")}, "moisture_pct"),
        ({"producer_id": None, "producer_code": "NOBODY"}, "producer_code"),
        ({"gross_kg": Decimal("20"), "tare_kg": Decimal("20")}, "tare_kg"),
        ({"product_form": "fresh_fruit"}, "product_form"),
        ({"plot_id": "other"}, "plot_id"),
    ],
)
def test_intake_rules_refuse_the_ticket_naming_the_field(
    client, api, farm, second_farm, change, field
):
    producer, plot = farm
    if change.get("plot_id") == "other":  # a plot that belongs to another producer
        change = {"plot_id": second_farm[1].id}
    data = {k: v for k, v in as_json(delivery_data(producer, plot, **change)).items() if v}
    headers = api("staff")
    response = client.post("/api/v1/deliveries", headers=headers, json=data)
    assert response.status_code == 422, response.json
    assert field in response.json["fields"], response.json
    assert client.get("/api/v1/deliveries", headers=headers).json["total"] == 0


def test_badly_typed_body_is_a_validation_error(client, api, farm):
    producer, plot = farm
    response = client.post(
        "/api/v1/deliveries",
        headers=api("staff"),
        json={**as_json(delivery_data(producer, plot)), "gross_kg": "lots", "colour": "red"},
    )
    assert response.status_code == 422
    assert response.json["error"] == "validation"
    assert set(response.json["fields"]) == {"gross_kg", "colour"}
    not_json = client.post("/api/v1/deliveries", headers=api("staff"), data="x")
    assert not_json.status_code == 422 and not_json.json["error"] == "invalid"


def test_deliveries_are_paginated_and_searchable(client, api, farm):
    producer, plot = farm
    headers = api("staff")
    for n in range(3):
        deliver(client, headers, producer, plot, ticket_number=f"PG-{n}")
    page = client.get("/api/v1/deliveries?per_page=2&page=2", headers=headers).json
    assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (3, 2, 2, 1)
    found = client.get("/api/v1/deliveries?q=pg-1", headers=headers).json
    assert [d["ticket_number"] for d in found["items"]] == ["PG-1"]
    assert found["items"][0]["lot_code"].startswith("CAF-2026-")
    by_lot = client.get("/api/v1/deliveries?q=CAF-2026-000003", headers=headers).json
    assert [d["ticket_number"] for d in by_lot["items"]] == ["PG-2"]
    for bad in ("per_page=500", "page=0", "page=x"):
        assert client.get(f"/api/v1/deliveries?{bad}", headers=headers).status_code == 422, bad


# --- transformations, bags, origins -----------------------------------------------------------


def test_merge_process_and_bag_then_the_lot_knows_its_origins(client, api, farm, second_farm):
    headers = api("staff")
    first = deliver(client, headers, *farm)["lot_code"]
    second = deliver(client, headers, *second_farm)["lot_code"]

    merged = transform(client, headers, "merge", inputs=[{"lot": first}, {"lot": second}])
    assert merged.status_code == 201, merged.json
    assert [i["kg"] for i in merged.json["inputs"]] == ["500.000", "500.000"]
    ((merged_code, merged_kg),) = [(o["lot"], o["kg"]) for o in merged.json["outputs"]]
    assert merged_kg == "1000.000"
    assert lot(client, headers, first)["status"] == "depleted"

    processed = transform(
        client, headers, "process", lot=merged_code, to_form="green", output_kg="780"
    )
    assert processed.status_code == 201, processed.json
    assert processed.json["loss_kg"] == "220.000"
    (green,) = processed.json["outputs"]
    assert green["product_form"] == "green" and green["kg"] == "780.000"

    filled = client.post("/api/v1/bags", headers=headers, json={"lot": green["lot"], "count": 2})
    assert filled.status_code == 201, filled.json
    serials = [b["serial"] for b in filled.json["items"]]
    assert all(s.startswith(f"PE-COOPAM-{today().year}-") for s in serials)
    assert {b["net_kg"] for b in filled.json["items"]} == {"69.000"}
    assert all(
        b["lot"] == green["lot"] and len(b["public_token"]) >= 20 for b in filled.json["items"]
    )

    detail = lot(client, headers, green["lot"])
    assert detail["available_kg"] == "642.000" and detail["consumed_kg"] == "138.000"
    assert detail["organic_status"] == "organic" and detail["all_under_agreement"] is True
    assert (detail["producer_count"], detail["plot_count"]) == (2, 2)
    assert sum(Decimal(o["kg"]) for o in detail["origins"]) == Decimal("780")
    assert {o["origin_lot_code"] for o in detail["origins"]} == {first, second}

    origins = client.get(f"/api/v1/lots/{green['lot']}/origins", headers=headers).json
    assert origins["origins_kg"] == origins["quantity_kg"] == "780.000"
    assert origins["lot"] == green["lot"] and len(origins["origins"]) == 2

    listed = client.get("/api/v1/transformations", headers=headers).json
    assert [t["kind"] for t in listed["items"]] == ["process", "merge"]
    one = client.get(f"/api/v1/transformations/{merged.json['id']}", headers=headers).json
    assert one == merged.json
    in_lot = client.get(f"/api/v1/bags?lot={green['lot']}", headers=headers).json
    assert in_lot["total"] == 2 and [b["serial"] for b in in_lot["items"]] == serials
    bag = client.get(f"/api/v1/bags/{serials[0]}", headers=headers).json
    assert bag["lot"] == green["lot"] and bag["voided_at"] is None
    greens = client.get("/api/v1/lots?product_form=green&status=available", headers=headers).json
    assert [x["code"] for x in greens["items"]] == [green["lot"]]


def test_split_and_sample(client, api, farm):
    headers = api("staff")
    code = deliver(client, headers, *farm)["lot_code"]
    split = transform(client, headers, "split", lot=code, outputs=["100", "150.5"])
    assert split.status_code == 201, split.json
    assert [o["kg"] for o in split.json["outputs"]] == ["100.000", "150.500"]
    assert lot(client, headers, code)["available_kg"] == "249.500"
    sample = transform(client, headers, "sample", lot=code)
    assert sample.status_code == 201, sample.json
    assert sample.json["outputs"] == [] and sample.json["loss_kg"] == "0.300"
    assert lot(client, headers, code)["consumed_kg"] == "250.800"


def test_organic_and_conventional_cannot_be_merged_without_a_downgrade(
    client, api, db_session, org, farm
):
    conventional = factories.producer(db_session, org)
    conventional_plot = factories.plot(db_session, org, conventional, organic_conversion_start=None)
    headers = {**api("staff"), "Accept-Language": "en"}
    organic_lot = deliver(client, headers, *farm)["lot_code"]
    other_lot = deliver(client, headers, conventional, conventional_plot)["lot_code"]
    inputs = [{"lot": organic_lot}, {"lot": other_lot}]

    refused = transform(client, headers, "merge", inputs=inputs)
    assert refused.status_code == 422
    assert refused.json["error"] == "commingled_organic"
    assert organic_lot in refused.json["message"] and "downgrade_reason" in refused.json["fields"]
    assert lot(client, headers, organic_lot)["available_kg"] == "500.000"
    assert client.get("/api/v1/transformations", headers=headers).json["total"] == 0

    merged = transform(
        client, headers, "merge", inputs=inputs, downgrade_reason="Sold as conventional"
    )
    assert merged.status_code == 201, merged.json
    assert merged.json["downgrade_reason"] == "Sold as conventional"
    output = lot(client, headers, merged.json["outputs"][0]["lot"])
    assert output["organic_status"] == "conventional" and output["downgraded"] is True


def test_taking_more_than_is_available_is_a_conflict(client, api, farm):
    headers = api("staff")
    code = deliver(client, headers, *farm)["lot_code"]
    too_much = transform(client, headers, "split", lot=code, outputs=["300", "300"])
    assert too_much.status_code == 409
    assert too_much.json["error"] == "insufficient_quantity"
    green = deliver(client, headers, *farm, product_form="green")["lot_code"]
    bags_ = client.post("/api/v1/bags", headers=headers, json={"lot": green, "count": 8})
    assert bags_.status_code == 409 and "count" in bags_.json["fields"]
    assert lot(client, headers, code)["available_kg"] == "500.000"
    assert lot(client, headers, green)["available_kg"] == "500.000"


def test_implausible_yield_needs_confirming(client, api, farm):
    headers = api("staff")
    code = deliver(client, headers, *farm)["lot_code"]
    body = {"lot": code, "to_form": "green", "output_kg": "100"}
    refused = transform(client, headers, "process", **body)
    assert refused.status_code == 422 and refused.json["error"] == "implausible_yield"
    confirmed = transform(client, headers, "process", **body, confirm_yield=True)
    assert confirmed.status_code == 201 and confirmed.json["yield_confirmed"] is True


@pytest.mark.parametrize("kind", [None, "blend", ["merge"]])
def test_transformation_kind_is_required(client, api, kind):
    body = {"lot": "CAF-2026-000001", "occurred_on": LATER}
    if kind is not None:
        body["kind"] = kind
    response = client.post("/api/v1/transformations", headers=api("staff"), json=body)
    assert response.status_code == 422
    assert list(response.json["fields"]) == ["kind"]


def test_transformation_body_is_validated_for_its_kind(client, api):
    response = transform(client, api("staff"), "merge", inputs=[{"lot": "A"}], to_form="green")
    assert response.status_code == 422
    assert set(response.json["fields"]) == {"inputs", "to_form"}


# --- voids ------------------------------------------------------------------------------------


def test_voiding_a_delivery_voids_its_lot_once(client, api, farm):
    headers = api("staff")
    created = deliver(client, headers, *farm)
    path = f"/api/v1/deliveries/{created['id']}/void"
    no_reason = client.post(path, headers=headers, json={})
    assert no_reason.status_code == 422 and "reason" in no_reason.json["fields"]
    voided = client.post(path, headers=headers, json={"reason": "Wrong producer"})
    assert voided.status_code == 200, voided.json
    assert voided.json["voided_at"] and voided.json["void_reason"] == "Wrong producer"
    voided_lot = lot(client, headers, created["lot_code"])
    assert voided_lot["status"] == "voided" and voided_lot["available_kg"] == "0.000"
    assert client.post(path, headers=headers, json={"reason": "again"}).status_code == 409
    listed = client.get("/api/v1/lots?status=voided", headers=headers).json
    assert [x["code"] for x in listed["items"]] == [created["lot_code"]]
    assert client.get("/api/v1/lots?status=lost", headers=headers).status_code == 422


def test_a_used_delivery_cannot_be_voided(client, api, farm):
    headers = api("staff")
    created = deliver(client, headers, *farm)
    transform(client, headers, "sample", lot=created["lot_code"], kg="1")
    response = client.post(
        f"/api/v1/deliveries/{created['id']}/void", headers=headers, json={"reason": "x"}
    )
    assert response.status_code == 409
    assert lot(client, headers, created["lot_code"])["status"] == "available"


def test_voiding_a_transformation_gives_the_kilograms_back(client, api, farm):
    headers = api("staff")
    code = deliver(client, headers, *farm)["lot_code"]
    split = transform(client, headers, "split", lot=code, outputs=["200", "300"]).json
    assert lot(client, headers, code)["available_kg"] == "0.000"
    voided = client.post(
        f"/api/v1/transformations/{split['id']}/void", headers=headers, json={"reason": "Typo"}
    )
    assert voided.status_code == 200, voided.json
    assert voided.json["void_reason"] == "Typo"
    assert lot(client, headers, code)["available_kg"] == "500.000"
    assert {lot(client, headers, o["lot"])["status"] for o in split["outputs"]} == {"voided"}


def test_voiding_a_bag_returns_its_kilograms_to_the_lot(client, api, farm):
    headers = api("staff")
    green = deliver(client, headers, *farm, product_form="green")["lot_code"]
    made = client.post(
        "/api/v1/bags", headers=headers, json={"lot": green, "count": 2, "net_kg": "60"}
    ).json["items"]
    assert lot(client, headers, green)["available_kg"] == "380.000"
    path = f"/api/v1/bags/{made[0]['serial']}/void"
    voided = client.post(path, headers=headers, json={"reason": "Torn"})
    assert voided.status_code == 200, voided.json
    assert voided.json["voided_at"] and voided.json["lot"] == green
    assert lot(client, headers, green)["available_kg"] == "440.000"
    assert client.post(path, headers=headers, json={"reason": "Torn"}).status_code == 409


def test_only_green_coffee_is_bagged(client, api, farm):
    headers = api("staff")
    parchment = deliver(client, headers, *farm)["lot_code"]
    response = client.post("/api/v1/bags", headers=headers, json={"lot": parchment, "count": 1})
    assert response.status_code == 422


# --- access -----------------------------------------------------------------------------------


def test_another_organisations_records_are_not_found(client, api, db_session, other_org, in_app):
    producer = factories.producer(db_session, other_org)
    plot = factories.plot(db_session, other_org, producer)
    with in_app():
        delivery, their_lot = factories.delivery(
            db_session, other_org, producer, plot, product_form="green"
        )
        (bag,) = bags.create_bags(db_session, other_org.id, None, their_lot.code, 1)
        sample = transformations.take_sample(
            db_session, other_org.id, None, their_lot.code, None, DAY
        )
    headers = api("admin")
    for path in (
        f"/api/v1/deliveries/{delivery.id}",
        f"/api/v1/lots/{their_lot.code}",
        f"/api/v1/lots/{their_lot.code}/origins",
        f"/api/v1/transformations/{sample.id}",
        f"/api/v1/bags/{bag.serial}",
    ):
        assert client.get(path, headers=headers).status_code == 404, path
        if not path.startswith("/api/v1/lots"):
            voided = client.post(f"{path}/void", headers=headers, json={"reason": "x"})
            assert voided.status_code == 404, path
    for path in ("deliveries", "lots", "transformations", "bags"):
        assert client.get(f"/api/v1/{path}", headers=headers).json["total"] == 0, path
    taken = client.post("/api/v1/bags", headers=headers, json={"lot": their_lot.code, "count": 1})
    assert taken.status_code == 404
    assert transform(client, headers, "sample", lot=their_lot.code).status_code == 404


@pytest.mark.parametrize("role", ["quality", "auditor"])
def test_read_only_roles_may_read_but_not_write(client, api, role):
    headers = api(role)
    for path in (
        "/api/v1/deliveries",
        "/api/v1/deliveries/1/void",
        "/api/v1/transformations",
        "/api/v1/transformations/1/void",
        "/api/v1/bags",
        "/api/v1/bags/PE-COOPAM-2026-000001/void",
    ):
        assert client.post(path, headers=headers, json={}).status_code == 403, path
    for path in ("deliveries", "lots", "transformations", "bags"):
        assert client.get(f"/api/v1/{path}", headers=headers).status_code == 200, path


def test_without_a_token_the_api_refuses(client):
    assert client.get("/api/v1/lots").status_code == 401


def test_openapi_describes_the_lots_api(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = spec["paths"]
    for path, method in [
        ("/api/v1/deliveries", "post"),
        ("/api/v1/deliveries/{delivery_id}/void", "post"),
        ("/api/v1/lots", "get"),
        ("/api/v1/lots/{code}", "get"),
        ("/api/v1/lots/{code}/origins", "get"),
        ("/api/v1/transformations", "post"),
        ("/api/v1/transformations/{transformation_id}", "get"),
        ("/api/v1/bags/{serial}/void", "post"),
    ]:
        assert method in paths[path], (path, method)
    (code,) = paths["/api/v1/lots/{code}"]["get"]["parameters"]
    assert code["schema"] == {"type": "string"}
    lot_filters = {p["name"] for p in paths["/api/v1/lots"]["get"]["parameters"]}
    assert {"product_form", "status", "page", "q"} <= lot_filters
    bag_filters = {p["name"] for p in paths["/api/v1/bags"]["get"]["parameters"]}
    assert bag_filters == {"lot", "page", "per_page"}
    body = paths["/api/v1/transformations"]["post"]["requestBody"]["content"]["application/json"]
    assert len(body["schema"]["oneOf"]) == 4
    assert "200" in paths["/api/v1/bags/{serial}/void"]["post"]["responses"]
    schemas = spec["components"]["schemas"]
    assert {"DeliveryIn", "LotDetailOut", "OriginOut", "MergeApiIn", "BagsOut"} <= set(schemas)
