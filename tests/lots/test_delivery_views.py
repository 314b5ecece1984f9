"""The intake pages: the delivery form, its plot list, the ticket page, the list and voiding."""

import re
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from coopchain.lots.models import Delivery, Lot
from tests import factories
from tests.lots.conftest import delivery_data


def form_of(producer, plot, **fields) -> dict:
    """delivery_data as the browser posts it: strings, the producer by member code."""
    data = delivery_data(producer, plot, **fields)
    data.pop("producer_id")
    data["producer_code"] = producer.member_code
    return {key: "" if value is None else str(value) for key, value in data.items()}


def count_deliveries(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Delivery))


def test_form_offers_the_active_producers_in_a_datalist(client, login, db_session, org, farm):
    producer, plot = farm
    factories.producer(db_session, org, member_code="M-GONE", status="withdrawn")
    login("staff")
    page = client.get("/deliveries/new").data.decode()
    assert '<datalist id="producer-options">' in page
    assert f'<option value="{producer.member_code}">{producer.member_code} — ' in page
    assert "M-GONE" not in page
    assert 'name="ticket_number"' in page and "autofocus" in page
    assert "inputmode=decimal" in page and 'name="csrf_token"' in page


def test_form_with_a_producer_lists_its_plots_and_preselects_the_only_one(
    client, login, db_session, org, farm
):
    producer, plot = farm
    stranger = factories.producer(db_session, org)
    other_plot = factories.plot(db_session, org, stranger, name="Ajena")
    login("staff")
    page = client.get(f"/deliveries/new?producer={producer.member_code}").data.decode()
    assert f'<option value="{plot.id}" data-crop="coffee" selected>' in page
    assert f'value="{other_plot.id}"' not in page
    # Coffee forms only: pitahaya's fresh fruit is there for JavaScript but disabled.
    assert re.search(r'<option value="fresh_fruit" hidden disabled>', page)


def test_without_javascript_the_refused_form_offers_the_producers_plots(
    client, login, db_session, farm
):
    producer, plot = farm
    login("staff")
    form = form_of(producer, plot, ticket_number="T-7000")
    del form["plot_id"]
    response = client.post("/deliveries/new", data=form)
    assert response.status_code == 422
    page = response.data.decode()
    assert 'href="#plot_id"' in page
    assert f'<option value="{plot.id}" data-crop="coffee" selected>' in page
    assert count_deliveries(db_session) == 0


def test_valid_ticket_creates_the_delivery_and_its_lot(client, login, db_session, org, farm):
    producer, plot = farm
    login("staff")
    form = form_of(producer, plot, ticket_number="T-7001", gross_kg="520,5", notes="Buen grano")
    response = client.post("/deliveries/new", data=form)
    assert response.status_code == 302, response.data
    delivery = db_session.scalar(select(Delivery).where(Delivery.ticket_number == "T-7001"))
    assert delivery.organization_id == org.id and delivery.net_kg == Decimal("500.000")
    lot = db_session.scalar(select(Lot).where(Lot.delivery_id == delivery.id))
    assert response.location.endswith(f"/deliveries/{delivery.id}")
    page = client.get(response.location).data.decode()
    assert "T-7001" in page and "500" in page and lot.code in page
    assert f'href="/lots/{lot.code}"' in page
    assert "7,100.00 PEN" in page  # 500 kg × 14.20 as Peru writes it (es_PE)


def test_success_flash_names_ticket_and_lot(client, login, db_session, farm):
    producer, plot = farm
    login("staff")
    client.get("/lang/en")
    response = client.post(
        "/deliveries/new",
        data=form_of(producer, plot, ticket_number="T-7002"),
        follow_redirects=True,
    )
    lot_code = db_session.scalar(
        select(Lot.code)
        .join(Delivery, Lot.delivery_id == Delivery.id)
        .where(Delivery.ticket_number == "T-7002")
    )
    assert f"Delivery T-7002 recorded: lot {lot_code}." in response.data.decode()
    assert "Net kg" in response.data.decode()


def test_plot_of_another_producer_is_refused_and_values_kept(client, login, db_session, org, farm):
    producer, _plot = farm
    stranger = factories.producer(db_session, org)
    foreign_plot = factories.plot(db_session, org, stranger)
    login("staff")
    form = form_of(producer, foreign_plot, ticket_number="T-7003", notes="Lote de la mañana")
    response = client.post("/deliveries/new", data=form)
    assert response.status_code == 422
    page = response.data.decode()
    assert 'href="#plot_id"' in page and 'class="field invalid"' in page
    assert 'value="T-7003"' in page and 'value="Lote de la mañana"' in page
    assert f'value="{producer.member_code}"' in page and 'value="520.5"' in page
    # Re-shown with this producer's own plots to choose from, not the stranger's.
    assert f'value="{foreign_plot.id}"' not in page
    assert count_deliveries(db_session) == 0


def test_future_date_is_refused(client, login, db_session, farm):
    producer, plot = farm
    login("staff")
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    response = client.post("/deliveries/new", data=form_of(producer, plot, delivered_on=tomorrow))
    assert response.status_code == 422
    assert 'href="#delivered_on"' in response.data.decode()
    assert count_deliveries(db_session) == 0


def test_duplicate_ticket_is_refused(client, login, db_session, org, farm):
    producer, plot = farm
    factories.delivery(db_session, org, producer, plot, ticket_number="T-7004")
    login("staff")
    response = client.post("/deliveries/new", data=form_of(producer, plot, ticket_number="T-7004"))
    assert response.status_code == 422
    assert 'href="#ticket_number"' in response.data.decode()
    assert count_deliveries(db_session) == 1


def test_unknown_producer_and_bad_numbers_are_field_errors(client, login, db_session, farm):
    producer, plot = farm
    login("staff")
    form = {**form_of(producer, plot), "producer_code": "NOBODY", "gross_kg": "mucho"}
    response = client.post("/deliveries/new", data=form)
    assert response.status_code == 422
    assert 'href="#gross_kg"' in response.data.decode()
    response = client.post(
        "/deliveries/new", data={**form_of(producer, plot), "producer_code": "NOBODY"}
    )
    assert response.status_code == 422
    assert 'href="#producer_code"' in response.data.decode()
    assert count_deliveries(db_session) == 0


def test_plot_options_are_the_producers_plots_in_the_org(
    client, login, db_session, org, other_org, farm
):
    producer, plot = farm
    second = factories.plot(db_session, org, producer, name="Pitahayal", crop="pitahaya")
    stranger = factories.producer(db_session, org)
    factories.plot(db_session, org, stranger)
    outsider = factories.producer(db_session, other_org, member_code="X-0001")
    factories.plot(db_session, other_org, outsider)
    login("auditor")
    options = client.get(f"/deliveries/plots?producer={producer.member_code}").get_json()
    assert sorted(o["id"] for o in options) == sorted([plot.id, second.id])
    by_id = {o["id"]: o for o in options}
    assert by_id[plot.id]["forms"] == ["cherry", "wet_parchment", "dry_parchment", "green"]
    assert by_id[second.id] == {
        "id": second.id,
        "name": "Pitahayal",
        "crop": "pitahaya",
        "forms": ["fresh_fruit"],
    }
    assert client.get("/deliveries/plots?producer=X-0001").get_json() == []
    assert client.get("/deliveries/plots?producer=NOBODY").get_json() == []
    assert client.get("/deliveries/plots").get_json() == []


def test_list_searches_by_ticket_and_producer_name(client, login, db_session, org, farm):
    producer, plot = farm
    other = factories.producer(db_session, org, first_name="Eusebio", last_name="Tantaleán")
    other_plot = factories.plot(db_session, org, other)
    factories.delivery(db_session, org, producer, plot, ticket_number="T-8001")
    factories.delivery(db_session, org, other, other_plot, ticket_number="T-8002")
    login("quality")
    page = client.get("/deliveries").data.decode()
    assert "T-8001" in page and "T-8002" in page
    assert "New delivery" not in page and "Nueva entrega" not in page
    page = client.get("/deliveries?q=t-8001").data.decode()
    assert "T-8001" in page and "T-8002" not in page
    page = client.get("/deliveries?q=eusebio tanta").data.decode()
    assert "T-8002" in page and "T-8001" not in page
    assert client.get("/deliveries?page=0").status_code == 200


def test_list_is_scoped_to_the_organisation(client, login, db_session, org, other_org):
    outsider = factories.producer(db_session, other_org)
    outsider_plot = factories.plot(db_session, other_org, outsider)
    delivery, _lot = factories.delivery(
        db_session, other_org, outsider, outsider_plot, ticket_number="T-9009"
    )
    login("staff")
    assert "T-9009" not in client.get("/deliveries").data.decode()
    assert client.get(f"/deliveries/{delivery.id}").status_code == 404
    assert client.post(f"/deliveries/{delivery.id}/void", data={"reason": "x"}).status_code == 404
    assert delivery.voided_at is None


def test_void_with_reason_then_second_void_refused(client, login, db_session, org, farm):
    producer, plot = farm
    delivery, lot = factories.delivery(db_session, org, producer, plot, ticket_number="T-8101")
    login("staff")
    client.get("/lang/en")
    page = client.get(f"/deliveries/{delivery.id}").data.decode()
    assert f'action="/deliveries/{delivery.id}/void"' in page
    response = client.post(f"/deliveries/{delivery.id}/void", data={"reason": ""})
    assert response.status_code == 303
    assert delivery.voided_at is None
    response = client.post(
        f"/deliveries/{delivery.id}/void", data={"reason": "Peso mal leído"}, follow_redirects=True
    )
    page = response.data.decode()
    assert f"Delivery T-8101 voided; lot {lot.code} voided with it." in page
    db_session.refresh(delivery)
    assert delivery.void_reason == "Peso mal leído" and delivery.voided_at is not None
    assert f'action="/deliveries/{delivery.id}/void"' not in page  # no second void form
    response = client.post(
        f"/deliveries/{delivery.id}/void", data={"reason": "otra vez"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "This delivery is already voided." in response.data.decode()
    listing = client.get("/deliveries").data.decode()
    assert 'class="voided"' in listing and "Peso mal leído" in listing


def test_voiding_a_used_lot_is_refused_with_a_message(client, login, db_session, org, farm):
    from coopchain.lots.transformations import take_sample

    producer, plot = farm
    delivery, lot = factories.delivery(db_session, org, producer, plot)
    take_sample(db_session, org.id, None, lot.code, Decimal("0.3"), date(2026, 6, 2))
    login("admin")
    client.get("/lang/en")
    response = client.post(
        f"/deliveries/{delivery.id}/void", data={"reason": "error"}, follow_redirects=True
    )
    assert "has already been used" in response.data.decode()
    db_session.refresh(delivery)
    assert delivery.voided_at is None


def test_auditor_may_read_but_not_record_or_void(client, login, db_session, org, farm):
    producer, plot = farm
    delivery, _lot = factories.delivery(db_session, org, producer, plot)
    login("auditor")
    assert client.get("/deliveries/new").status_code == 403
    assert client.post("/deliveries/new", data=form_of(producer, plot)).status_code == 403
    assert client.post(f"/deliveries/{delivery.id}/void", data={"reason": "x"}).status_code == 403
    page = client.get(f"/deliveries/{delivery.id}").data.decode()
    assert delivery.ticket_number in page and "/void" not in page
    assert count_deliveries(db_session) == 1


def test_hostile_notes_are_escaped(client, login, db_session, farm):
    producer, plot = farm
    hostile = "<script>alert(1)</script>"
    login("staff")
    response = client.post(
        "/deliveries/new", data=form_of(producer, plot, ticket_number="T-<b>1</b>", notes=hostile)
    )
    assert response.status_code == 302
    for url in (response.location, "/deliveries", "/deliveries?q=<b>"):
        page = client.get(url).data
        assert b"<script>alert" not in page and b"<b>1</b>" not in page
    page = client.get(response.location).data
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # And on a refused form, the hostile value comes back escaped too.
    response = client.post(
        "/deliveries/new", data=form_of(producer, plot, notes=hostile, gross_kg="x")
    )
    assert response.status_code == 422 and b"<script>alert" not in response.data


def test_nav_links_to_deliveries(client, login):
    login("auditor")
    assert 'href="/deliveries"' in client.get("/").data.decode()


def test_the_ticket_page_and_the_receipt_pay_the_same_cent(client, login, db_session, org, farm):
    """368,5 kg × 14,21 = 5.236,385: half a cent, rounded up on the receipt the producer keeps,
    so the page the office reads must say the same amount (it said 5.236,38)."""
    producer, plot = farm
    delivery, _lot = factories.delivery(
        db_session,
        org,
        producer,
        plot,
        gross_kg=Decimal("370"),
        tare_kg=Decimal("1.5"),
        price_per_kg=Decimal("14.21"),
    )
    login("staff")
    page = client.get(f"/deliveries/{delivery.id}").data.decode()
    assert "5,236.39 PEN" in page
