"""/api/v1/payments: create, list with filters, read, void (issue: paying producers)."""

from datetime import date
from decimal import Decimal

from coopchain.payments import core
from coopchain.payments.core import Line
from tests import factories


def _body(delivery, amount="250.00", **fields):
    return {
        "producer_id": delivery.producer_id,
        "lines": [{"kind": "advance", "amount": amount, "delivery_id": delivery.id}],
        "method": "cash",
        "paid_on": "2026-06-02",
        **fields,
    }


def test_a_treasurer_pays_and_reads_the_payment(client, api, priced):
    headers = api("treasurer")
    created = client.post("/api/v1/payments", json=_body(priced), headers=headers)
    assert created.status_code == 201, created.json
    payment = created.json
    assert payment["amount"] == "250.00" and payment["currency"] == "PEN"
    assert payment["lines"][0]["amount"] == "250.00"
    assert payment["receipt_url"].startswith("http://localhost:5000/r/")
    again = client.get(f"/api/v1/payments/{payment['number']}", headers=api("auditor"))
    assert again.status_code == 200 and again.json["number"] == payment["number"]


def test_staff_may_not_pay_through_the_api(client, api, priced):
    assert (
        client.post("/api/v1/payments", json=_body(priced), headers=api("staff")).status_code == 403
    )


def test_refusals_name_the_field(client, api, priced):
    headers = api("treasurer")
    for body, field in [
        (_body(priced, "7000.01"), "amount"),
        (_body(priced, "0"), "amount"),
        (_body(priced, currency="ABC"), "currency"),
        (_body(priced, method="bank_transfer", cci="12-34"), "cci"),
    ]:
        response = client.post("/api/v1/payments", json=body, headers=headers)
        assert response.status_code == 422, (body, response.json)
        assert field in response.json["fields"], response.json
    assert client.get("/api/v1/payments", headers=headers).json["total"] == 0


def test_list_filters_by_producer_delivery_and_dates(client, api, db_session, org, farm, priced):
    producer, plot = farm
    second, _ = factories.delivery(db_session, org, producer, plot)
    other = factories.producer(db_session, org)
    other_plot = factories.plot(db_session, org, other)
    theirs, _ = factories.delivery(db_session, org, other, other_plot)
    for delivery, day in ((priced, 2), (second, 10), (theirs, 20)):
        core.record_payment(
            db_session,
            org.id,
            None,
            producer_id=delivery.producer_id,
            lines=[Line(kind="advance", amount=Decimal("10"), delivery_id=delivery.id)],
            method="cash",
            paid_on=date(2026, 6, day),
        )
    headers = api("quality")

    def numbers(query):
        response = client.get(f"/api/v1/payments?{query}", headers=headers)
        assert response.status_code == 200, response.json
        return [item["lines"][0]["delivery_id"] for item in response.json["items"]]

    assert numbers("") == [theirs.id, second.id, priced.id]
    assert numbers(f"producer_id={producer.id}") == [second.id, priced.id]
    assert numbers(f"delivery_id={second.id}") == [second.id]
    assert numbers("from=2026-06-05&to=2026-06-15") == [second.id]
    assert client.get("/api/v1/payments?from=June", headers=headers).status_code == 422


def test_void_returns_the_amount_and_twice_is_a_conflict(client, api, db_session, org, priced):
    headers = api("admin")
    number = client.post("/api/v1/payments", json=_body(priced), headers=headers).json["number"]
    assert core.outstanding(db_session, org.id, [priced.id])[priced.id] == Decimal("6750.00")
    voided = client.post(
        f"/api/v1/payments/{number}/void", json={"reason": "wrong amount"}, headers=headers
    )
    assert voided.status_code == 200 and voided.json["voided_at"]
    assert core.outstanding(db_session, org.id, [priced.id])[priced.id] == Decimal("7000.00")
    twice = client.post(
        f"/api/v1/payments/{number}/void", json={"reason": "again"}, headers=headers
    )
    assert twice.status_code == 409


def test_cci_is_private_to_the_roles_that_see_private_data(client, api, priced):
    body = _body(priced, method="bank_transfer", cci="00219300123456789012")
    number = client.post("/api/v1/payments", json=body, headers=api("treasurer")).json["number"]
    as_lab = client.get(f"/api/v1/payments/{number}", headers=api("quality")).json
    as_treasurer = client.get(f"/api/v1/payments/{number}", headers=api("treasurer")).json
    assert as_lab["cci"] is None and as_treasurer["cci"] == "00219300123456789012"
