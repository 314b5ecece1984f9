"""The registry through the JSON API with a personal token."""

from sqlalchemy import func, select

from coopchain.farms.models import Producer
from tests import factories

PRODUCER = {
    "member_code": "API-1",
    "first_name": "Juan",
    "last_name": "Mego",
    "community": "Paitoja",
    "public_name_consent": True,
}


def test_full_registry_journey_through_the_api(client, api):
    headers = api("staff")
    created = client.post("/api/v1/producers", json=PRODUCER, headers=headers)
    assert created.status_code == 201, created.json
    producer_id = created.json["id"]

    agreement = client.post(
        "/api/v1/agreements",
        headers=headers,
        json={
            "number": "AC-API-1",
            "protected_area": "BP Alto Mayo",
            "signed_on": "2025-01-10",
            "valid_until": "2030-12-31",
            "commitments": ["no_clearing", "patrols"],
            "producer_ids": [producer_id],
        },
    )
    assert agreement.status_code == 201, agreement.json
    visit = client.post(
        f"/api/v1/agreements/{agreement.json['id']}/visits",
        headers=headers,
        json={"visited_on": "2025-03-01", "inspector": "G", "result": "minor"},
    )
    assert visit.status_code == 201, visit.json

    plot = client.post(
        "/api/v1/plots",
        headers=headers,
        json={
            "producer_id": producer_id,
            "name": "API plot",
            "crop": "coffee",
            "geometry": factories.square(),
            "organic_conversion_start": "2019-01-01",
        },
    )
    assert plot.status_code == 201, plot.json
    assert plot.json["organic_status_today"] == "organic"
    assert plot.json["organic_since"] == "2022-01-01"
    assert float(plot.json["computed_area_ha"]) > 1.2

    one = client.get(f"/api/v1/agreements/{agreement.json['id']}", headers=headers).json
    assert one["active_today"] is True and one["visits"][0]["result"] == "minor"
    listing = client.get("/api/v1/producers?q=mego&per_page=5", headers=headers).json
    assert listing["total"] == 1 and listing["per_page"] == 5
    assert listing["items"][0]["member_code"] == "API-1"


def test_validation_errors_name_the_fields(client, api, db_session):
    response = client.post(
        "/api/v1/producers",
        headers=api("staff"),
        json={**PRODUCER, "joined_on": "not a date", "colour": "red"},
    )
    assert response.status_code == 422
    assert response.json["error"] == "validation"
    assert set(response.json["fields"]) == {"joined_on", "colour"}
    assert db_session.scalar(select(func.count()).select_from(Producer)) == 0


def test_duplicate_member_code_is_a_conflict(client, api):
    headers = api("staff")
    client.post("/api/v1/producers", json=PRODUCER, headers=headers)
    again = client.post(
        "/api/v1/producers", json=PRODUCER, headers={**headers, "Accept-Language": "en"}
    )
    assert again.status_code == 409
    assert again.json["fields"] == {"member_code": ["Already used by another producer."]}
    spanish = client.post("/api/v1/producers", json=PRODUCER, headers=headers)
    assert spanish.json["fields"] == {"member_code": ["Ya lo usa otro productor."]}


def test_geometry_errors_come_back_as_field_messages(client, api, db_session, org):
    producer = factories.producer(db_session, org)
    response = client.post(
        "/api/v1/plots",
        headers=api("staff"),
        json={
            "producer_id": producer.id,
            "name": "x",
            "crop": "coffee",
            "geometry": {"type": "LineString", "coordinates": [[-77.4, -5.7], [-77.3, -5.6]]},
        },
    )
    assert response.status_code == 422
    assert response.json["error"] == "invalid_geometry"
    assert "LineString" in response.json["fields"]["geometry"][0]


def test_other_organisations_rows_are_invisible(client, api, db_session, other_org):
    theirs = factories.producer(db_session, other_org)
    headers = api("admin")
    assert client.get(f"/api/v1/producers/{theirs.id}", headers=headers).status_code == 404
    assert client.get("/api/v1/producers", headers=headers).json["total"] == 0


def test_revoked_or_bogus_token_is_refused(client, api, db_session):
    from coopchain.auth.models import ApiToken, User
    from coopchain.auth.services import revoke_api_token

    headers = api("staff")
    assert client.get("/api/v1/producers", headers=headers).status_code == 200
    token = db_session.scalars(select(ApiToken)).first()
    revoke_api_token(
        db_session, token.id, db_session.get(User, token.user_id), token.organization_id
    )
    assert client.get("/api/v1/producers", headers=headers).status_code == 401
    assert (
        client.get("/api/v1/producers", headers={"Authorization": "Bearer cc_nope"}).status_code
        == 401
    )


def test_auditor_reads_but_cannot_write(client, api):
    headers = api("auditor")
    assert client.get("/api/v1/plots", headers=headers).status_code == 200
    assert client.post("/api/v1/producers", json=PRODUCER, headers=headers).status_code == 403


def test_openapi_document_lists_resources_and_schemas(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for path in (
        "/api/v1/producers",
        "/api/v1/agreements",
        "/api/v1/plots",
        "/api/v1/ledger",
        "/api/v1/producers/import",
    ):
        assert path in spec["paths"], path
    assert "member_code" in spec["components"]["schemas"]["ProducerIn"]["properties"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_non_json_body_gets_a_clear_error(client, api):
    response = client.post("/api/v1/producers", data="member_code=1", headers=api("staff"))
    assert response.status_code == 422
    assert "JSON" in response.json["message"]


def test_quality_role_does_not_see_national_id_or_phone(client, api, db_session, org, login):
    producer = factories.producer(db_session, org, national_id="40001234", phone="987000111")
    quality = client.get(f"/api/v1/producers/{producer.id}", headers=api("quality")).json
    assert "national_id" not in quality and "phone" not in quality
    auditor = client.get(f"/api/v1/producers/{producer.id}", headers=api("auditor")).json
    assert auditor["national_id"] == "40001234"
    login("quality")
    assert b"40001234" not in client.get(f"/producers/{producer.id}").data
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get("/registry/producers.xlsx").data))
    assert "national_id" not in next(book["Producers"].values)
