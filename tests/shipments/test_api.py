"""Shipments through the JSON API with a personal token: create (ISO 6346 checked), edit,
allocate and release bags, move through the statuses, and the shipment's documents."""

import io

import pytest
from openpyxl import load_workbook

REF = "HH-2026-01"


def shipment_body(**fields) -> dict:
    return {
        "reference": REF,
        "crop": "coffee",
        "buyer_name": "Kaffee Rösterei GmbH",
        "buyer_country": "de",
        "buyer_address": "Speicherstadt 1, Hamburg",
        "incoterm": "fob",
        "port_of_loading": "Paita",
        "port_of_destination": "Hamburg",
        "planned_loading_on": "2026-07-01",
        **fields,
    }


def create(client, headers, **fields) -> dict:
    response = client.post("/api/v1/shipments", headers=headers, json=shipment_body(**fields))
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def lot_bags(green_lot):
    """The conftest's green lot with its 5 bags of 69 kg: (lot, serials)."""
    lot, made = green_lot
    return lot, [bag.serial for bag in made]


def test_a_container_number_with_a_wrong_check_digit_is_refused_naming_the_digit(client, api):
    headers = api("staff")
    response = client.post(
        "/api/v1/shipments", headers=headers, json=shipment_body(container_number="CSQU3054384")
    )
    assert response.status_code == 422
    assert response.json["error"] == "invalid"
    [message] = response.json["fields"]["container_number"]
    assert "3" in message and "check digit" in message  # CSQU305438 → check digit 3
    assert client.get(f"/api/v1/shipments/{REF}", headers=headers).status_code == 404


def test_create_read_edit_and_list(client, api):
    headers = api("staff")
    created = create(client, headers, container_number="csqu 305438-3")
    assert created["container_number"] == "CSQU3054383"  # normalised, check digit valid
    assert (created["status"], created["bags"], created["net_kg"]) == ("planned", 0, "0.000")
    assert (created["buyer_country"], created["incoterm"]) == ("DE", "FOB")
    assert created["lots"] == []

    response = client.put(
        f"/api/v1/shipments/{REF}",
        headers=headers,
        json={
            "eudr_dds_reference": "25DEHH1234567",
            "eudr_dds_verification": "ABCD1234",
            "buyer_address": None,
        },
    )
    assert response.status_code == 200, response.json
    assert response.json["eudr_dds_reference"] == "25DEHH1234567"
    assert response.json["buyer_address"] is None  # null clears
    assert response.json["buyer_name"] == "Kaffee Rösterei GmbH"  # left out: kept

    listed = client.get("/api/v1/shipments?q=rösterei", headers=headers).json
    assert [s["reference"] for s in listed["items"]] == [REF] and listed["total"] == 1
    assert client.get("/api/v1/shipments?status=shipped", headers=headers).json["total"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"nop_certificate_number": "123-456"}, "nop_certificate_number"),
        ({"incoterm": "XYZ"}, "incoterm"),
        ({"reference": "HH/2026"}, "reference"),
        ({"unknown": "x"}, "unknown"),
        ({"planned_loading_on": "soon"}, "planned_loading_on"),
    ],
)
def test_bad_fields_are_named(client, api, body, field):
    response = client.post("/api/v1/shipments", headers=api("staff"), json=shipment_body(**body))
    assert response.status_code == 422
    assert field in response.json["fields"]


def test_a_reference_is_used_once(client, api):
    headers = api("staff")
    create(client, headers)
    response = client.post("/api/v1/shipments", headers=headers, json=shipment_body())
    assert response.status_code == 422 and "reference" in response.json["fields"]


def test_allocate_release_and_advance_until_the_bags_are_frozen(client, api, lot_bags):
    lot, serials = lot_bags
    headers = api("staff")
    create(client, headers)

    response = client.post(
        f"/api/v1/shipments/{REF}/allocate", headers=headers, json={"lot_codes": [lot.code]}
    )
    assert response.status_code == 200, response.json
    assert response.json["serials"] == sorted(serials)
    shipment = response.json["shipment"]
    assert (shipment["bags"], shipment["net_kg"]) == (5, "345.000")
    assert shipment["lots"] == [
        {
            "lot": lot.code,
            "product_form": "green",
            "bags": 5,
            "net_kg": "345.000",
            "first_serial": min(serials),
            "last_serial": max(serials),
        }
    ]

    response = client.post(
        f"/api/v1/shipments/{REF}/release", headers=headers, json={"serials": [serials[0]]}
    )
    assert response.status_code == 200, response.json
    assert response.json["serials"] == [serials[0]]
    assert response.json["shipment"]["bags"] == 4

    page = client.get(f"/api/v1/shipments/{REF}/bags?per_page=3&page=2", headers=headers).json
    assert page["total"] == 4 and len(page["items"]) == 1
    assert page["items"][0]["lot"] == lot.code and page["items"][0]["serial"] in serials[1:]

    # A bag on no shipment cannot be released; a bag unknown cannot be allocated.
    response = client.post(
        f"/api/v1/shipments/{REF}/release", headers=headers, json={"serials": [serials[0]]}
    )
    assert response.status_code == 422 and "serials" in response.json["fields"]
    response = client.post(
        f"/api/v1/shipments/{REF}/allocate", headers=headers, json={"serials": ["NOPE-1"]}
    )
    assert response.status_code == 422 and "serials" in response.json["fields"]

    advance = lambda **body: client.post(  # noqa: E731
        f"/api/v1/shipments/{REF}/advance", headers=headers, json=body
    )
    assert advance().json["status"] == "loading"
    blocked = advance()  # shipping needs a container number
    assert blocked.status_code == 409 and "container" in blocked.json["message"]
    client.put(
        f"/api/v1/shipments/{REF}", headers=headers, json={"container_number": "CSQU3054383"}
    )
    shipped = advance(on="2026-07-02")
    assert shipped.status_code == 200, shipped.json
    assert (shipped.json["status"], shipped.json["shipped_on"]) == ("shipped", "2026-07-02")
    assert shipped.json["allocation_frozen"] is True

    frozen = client.post(
        f"/api/v1/shipments/{REF}/allocate", headers=headers, json={"serials": [serials[0]]}
    )
    assert frozen.status_code == 409
    frozen = client.post(
        f"/api/v1/shipments/{REF}/release", headers=headers, json={"serials": [serials[1]]}
    )
    assert frozen.status_code == 409
    assert advance().json["status"] == "delivered"
    assert advance().status_code == 409


def test_an_advance_date_in_the_future_is_refused(client, api):
    headers = api("staff")
    create(client, headers)
    response = client.post(
        f"/api/v1/shipments/{REF}/advance", headers=headers, json={"on": "2999-01-01"}
    )
    assert response.status_code == 422 and "on" in response.json["fields"]


def test_labels_and_packing_list(client, api, lot_bags):
    lot, serials = lot_bags
    headers = api("auditor")  # auditors may download everything
    create(client, api("staff"))
    client.post(
        f"/api/v1/shipments/{REF}/allocate", headers=api("staff"), json={"lot_codes": [lot.code]}
    )

    for layout in ("sheet", "single"):
        response = client.get(
            f"/api/v1/shipments/{REF}/labels.pdf?layout={layout}", headers=headers
        )
        assert response.status_code == 200
        assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    bad = client.get(f"/api/v1/shipments/{REF}/labels.pdf?layout=poster", headers=headers)
    assert bad.status_code == 422 and "layout" in bad.json["fields"]

    response = client.get(f"/api/v1/shipments/{REF}/packing-list.xlsx", headers=headers)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    listed = {row[0] for row in book["Bags"].iter_rows(min_row=2, values_only=True)}
    assert listed == set(serials)
    response = client.get(f"/api/v1/shipments/{REF}/packing-list.pdf", headers=headers)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_a_large_shipments_labels_are_made_by_a_job_through_the_api(client, app, api, lot_bags):
    lot, serials = lot_bags
    headers = api("auditor")
    create(client, api("staff"))
    client.post(
        f"/api/v1/shipments/{REF}/allocate", headers=api("staff"), json={"lot_codes": [lot.code]}
    )
    app.config["JOBS_LABEL_BAGS"] = len(serials) - 1

    refused = client.get(f"/api/v1/shipments/{REF}/labels.pdf?layout=single", headers=headers)
    assert refused.status_code == 409
    start = f"/api/v1/shipments/{REF}/labels/jobs?layout=single"
    assert refused.json["start"] == start
    started = client.post(start, headers=headers)
    assert started.status_code == 202 and started.json["kind"] == "labels.sheet"
    status = client.get(started.headers["Location"], headers=headers).json
    assert (status["status"], status["result"]["bags"]) == ("finished", len(serials))
    pdf = client.get(f"/api/v1/jobs/{status['id']}/file", headers=headers)
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


def test_labels_of_a_shipment_without_bags_say_so(client, api):
    headers = api("staff")
    create(client, headers)
    response = client.get(f"/api/v1/shipments/{REF}/labels.pdf", headers=headers)
    assert response.status_code == 422 and response.json["message"]


def test_roles_auditors_read_and_staff_write(client, api):
    create(client, api("staff"))
    auditor = api("auditor")
    assert client.get(f"/api/v1/shipments/{REF}", headers=auditor).status_code == 200
    for method, path in [
        ("post", "/api/v1/shipments"),
        ("put", f"/api/v1/shipments/{REF}"),
        ("post", f"/api/v1/shipments/{REF}/advance"),
        ("post", f"/api/v1/shipments/{REF}/allocate"),
        ("post", f"/api/v1/shipments/{REF}/release"),
    ]:
        response = getattr(client, method)(path, headers=auditor, json={})
        assert response.status_code == 403, path
    assert client.get(f"/api/v1/shipments/{REF}").status_code == 401


def test_another_organisations_shipment_is_not_found(client, api, other_org, lot_bags):
    lot, _serials = lot_bags
    create(client, api("staff"))
    client.post(
        f"/api/v1/shipments/{REF}/allocate", headers=api("staff"), json={"lot_codes": [lot.code]}
    )
    outsider = api("admin", other_org)
    for path in ["", "/bags", "/labels.pdf", "/packing-list.xlsx", "/packing-list.pdf"]:
        response = client.get(f"/api/v1/shipments/{REF}{path}", headers=outsider)
        assert response.status_code == 404, path
        assert response.json["error"] == "not_found"
    for path in ["/advance", "/allocate", "/release"]:
        response = client.post(
            f"/api/v1/shipments/{REF}{path}",
            headers=outsider,
            json={"lot_codes": [lot.code], "serials": ["x"]},
        )
        assert response.status_code == 404, path
    assert client.put(f"/api/v1/shipments/{REF}", headers=outsider, json={}).status_code == 404
    assert client.get("/api/v1/shipments", headers=outsider).json["total"] == 0


def test_every_shipment_path_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    expected = {
        "/api/v1/shipments": {"get", "post"},
        "/api/v1/shipments/{reference}": {"get", "put"},
        "/api/v1/shipments/{reference}/advance": {"post"},
        "/api/v1/shipments/{reference}/allocate": {"post"},
        "/api/v1/shipments/{reference}/release": {"post"},
        "/api/v1/shipments/{reference}/bags": {"get"},
        "/api/v1/shipments/{reference}/labels.pdf": {"get"},
        "/api/v1/shipments/{reference}/packing-list.xlsx": {"get"},
        "/api/v1/shipments/{reference}/packing-list.pdf": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths.get(path, {})), path
