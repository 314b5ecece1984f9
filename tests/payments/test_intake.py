"""The price and the advance at intake: the unit per product form, the advance paid with the
ticket in the same transaction, on the form and through the API (issue: paying producers)."""

from decimal import Decimal

from sqlalchemy import func, select

from coopchain.lots.models import Delivery
from coopchain.payments import core
from coopchain.payments.models import Payment
from tests.lots.conftest import delivery_data

D = Decimal


def form_of(producer, plot, **fields) -> dict:
    data = delivery_data(producer, plot, **fields)
    data.pop("producer_id")
    data["producer_code"] = producer.member_code
    return {key: "" if value is None else str(value) for key, value in data.items()}


def _count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def test_parchment_is_priced_per_quintal_and_valued_from_it(client, login, db_session, farm):
    producer, plot = farm
    login("staff")
    page = client.get(f"/deliveries/new?producer={producer.member_code}").data.decode()
    assert "per quintal (46 kg)" in page or "por quintal (46 kg)" in page
    form = form_of(producer, plot, ticket_number="T-QQ1", price_per_kg=None)
    form["price_entered"] = "650"  # S/ 650 per qq; 500 kg net
    response = client.post("/deliveries/new", data=form)
    assert response.status_code == 302, response.data[:2000]
    delivery = db_session.scalar(select(Delivery).where(Delivery.ticket_number == "T-QQ1"))
    assert (delivery.price_unit, delivery.price_entered) == ("qq", D("650"))
    assert delivery.price_per_kg == D("14.13")  # 650 / 46 = 14.1304…
    assert core.delivery_value(delivery) == D("7065.22")  # 500 / 46 × 650, not 500 × 14.13


def test_cherry_is_priced_per_kg(client, api, db_session, farm):
    producer, plot = farm
    body = delivery_data(producer, plot, product_form="cherry", price_per_kg=None)
    body |= {"price_entered": "2.5"}
    body = {k: str(v) if isinstance(v, D) else v for k, v in body.items() if v is not None}
    body["delivered_on"] = str(body["delivered_on"])
    response = client.post("/api/v1/deliveries", json=body, headers=api("staff"))
    assert response.status_code == 201, response.json
    assert response.json["price_unit"] == "kg" and response.json["price_per_kg"] == "2.50"


def test_an_advance_at_intake_is_a_payment_on_that_delivery(client, login, db_session, farm):
    producer, plot = farm
    login("staff")
    form = form_of(producer, plot, ticket_number="T-ADV1")
    form |= {
        "advance_amount": "1500,50",
        "advance_method": "yape",
        "advance_reference": "987654321",
    }
    response = client.post("/deliveries/new", data=form)
    assert response.status_code == 302, response.data[:2000]
    payment = db_session.scalar(select(Payment))
    assert response.headers["Location"].endswith(f"/payments/{payment.number}")
    assert (payment.amount, payment.method, payment.reference) == (
        D("1500.50"),
        "yape",
        "987654321",
    )
    delivery = db_session.scalar(select(Delivery).where(Delivery.ticket_number == "T-ADV1"))
    # 500 kg × S/ 14.20 = 7,100.00, less the advance
    assert core.outstanding(db_session, delivery.organization_id, [delivery.id]) == {
        delivery.id: D("5599.50")
    }
    page = client.get(response.headers["Location"]).data.decode()
    assert payment.number in page and "1,500.50" in page and "T-ADV1" in page


def test_a_refused_advance_records_neither_advance_nor_delivery(client, login, db_session, farm):
    producer, plot = farm
    login("staff")
    before = (_count(db_session, Delivery), _count(db_session, Payment))
    form = form_of(producer, plot, ticket_number="T-ADV2")
    form |= {"advance_amount": "200", "advance_method": "bank_transfer", "advance_cci": "123"}
    response = client.post("/deliveries/new", data=form)
    assert response.status_code == 422
    page = response.data.decode()
    assert 'name="advance_cci"' in page and ("20 digits" in page or "20 dígitos" in page)
    form |= {"advance_cci": "", "advance_method": "cash", "advance_amount": "7100.01"}
    response = client.post("/deliveries/new", data=form)
    assert response.status_code == 422
    assert "7100.00" in response.data.decode()
    assert (_count(db_session, Delivery), _count(db_session, Payment)) == before


def test_the_api_pays_the_advance_with_the_ticket(client, api, db_session, farm):
    producer, plot = farm
    body = {
        "ticket_number": "T-API-ADV",
        "producer_id": producer.id,
        "plot_id": plot.id,
        "product_form": "dry_parchment",
        "gross_kg": "96",
        "tare_kg": "4",
        "delivered_on": "2026-06-10",
        "price_entered": "690",
        "advance_amount": "500",
        "advance_method": "cash",
    }
    response = client.post("/api/v1/deliveries", json=body, headers=api("staff"))
    assert response.status_code == 201, response.json
    number = response.json["advance_payment"]
    assert number and number.startswith("PAY-COOPAM-2026-")
    assert response.json["price_unit"] == "qq" and response.json["price_entered"] == "690.0000"
    # 92 kg at S/ 690 per qq = 1,380.00; an advance of 1,380.01 would be refused
    refused = client.post(
        "/api/v1/deliveries",
        json=body | {"ticket_number": "T-API-ADV2", "advance_amount": "1380.01"},
        headers=api("staff"),
    )
    assert refused.status_code == 422 and "advance_amount" in refused.json["fields"]
    assert db_session.scalar(select(Delivery).where(Delivery.ticket_number == "T-API-ADV2")) is None


def test_the_intake_receipt_and_page_total_the_quintal_price_exactly(
    client, login, db_session, org, farm
):
    from coopchain.lots.receipt import receipt_context
    from tests import factories

    producer, plot = farm
    delivery, _lot = factories.delivery(
        db_session,
        org,
        producer,
        plot,
        gross_kg=D("92"),
        tare_kg=D("0"),
        price_per_kg=None,
        price_entered=D("650"),
        price_unit="qq",
    )
    context = receipt_context(db_session, org.id, delivery.id)
    # 2 qq × 650 = 1,300.00, where 92 × 14.13 (the rounded price per kg) would be 1,299.96
    assert (context["total_price"], context["price_per_quintal"]) == (D("1300.00"), D("650"))
    login("staff")
    page = client.get(f"/deliveries/{delivery.id}").data.decode()
    assert "1,300.00" in page and f"/payments?delivery_id={delivery.id}" in page
