"""What schemathesis found on PostgreSQL (tests/test_api_contract.py): ids between a 32-bit and a
64-bit integer, and a NUL in a search, overflowed or broke the query there (500s) while SQLite
quietly found nothing. Each is now a 4xx on both databases."""

import pytest
from sqlalchemy import func, select

from coopchain.farms.models import Plot
from tests import factories

#: One past the largest PostgreSQL integer, the type of every id column.
PAST_AN_ID = 2**31


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/api/v1/producers/{PAST_AN_ID}"),
        ("put", f"/api/v1/producers/{PAST_AN_ID}"),
        ("post", f"/api/v1/plots/{PAST_AN_ID}/forest-evidence"),
        ("get", f"/api/v1/deliveries/{PAST_AN_ID}"),
    ],
)
def test_an_id_past_a_database_id_is_not_found(client, api, method, path):
    response = getattr(client, method)(path, headers=api("staff"), json={})
    # The route's <int:…> refuses it, so no route takes the request: GET answers 404; for the
    # other methods werkzeug's router answers 405 (it was a 500 on PostgreSQL).
    assert response.status_code == (404 if method == "get" else 405)


def test_an_id_past_a_database_id_in_a_body_names_its_field(client, api, db_session, org):
    producer = factories.producer(db_session, org)
    db_session.flush()
    before = db_session.scalar(select(func.count()).select_from(Plot))
    body = {"producer_id": PAST_AN_ID, "name": "P", "crop": "coffee"}
    response = client.post("/api/v1/plots", headers=api("staff"), json=body)
    assert response.status_code == 422, response.json
    assert "producer_id" in response.json["fields"]
    body["producer_id"] = producer.id
    assert client.post("/api/v1/plots", headers=api("staff"), json=body).status_code == 201
    assert db_session.scalar(select(func.count()).select_from(Plot)) == before + 1


@pytest.mark.parametrize("path", ["/api/v1/lots", "/api/v1/producers", "/api/v1/shipments"])
def test_a_search_with_a_nul_is_refused_and_names_the_parameter(client, api, path):
    response = client.get(path, headers=api("staff"), query_string={"q": "CAF\x00-1"})
    assert response.status_code == 422, response.json
    assert "q" in response.json["fields"]
    assert client.get(path, headers=api("staff"), query_string={"q": "CAF"}).status_code == 200
