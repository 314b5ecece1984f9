"""Intake without friction: the warnings a clerk sees before saving (and what is kept of them),
the producer found by a typed name, and the suggested ticket number."""

import io
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from coopchain.forest.evidence import record_evidence
from coopchain.ledger.models import LedgerEvent
from coopchain.ledger.reconcile import reconcile
from coopchain.lots import rules, services
from coopchain.lots.lots_xlsx import DELIVERY_COLUMNS, import_deliveries
from coopchain.lots.models import Delivery
from coopchain.spreadsheets import write_workbook
from tests import factories
from tests.lots.conftest import delivery_data
from tests.lots.test_delivery_views import form_of

JUNE = date(2026, 6, 10)


def codes(delivery) -> list[str]:
    return [w["code"] for w in delivery.intake_warnings]


def deliver(db_session, org, producer, plot, **fields):
    return services.register_delivery(
        db_session, org.id, None, delivery_data(producer, plot, **fields)
    )


def count(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Delivery))


@pytest.fixture
def troubled(db_session, org):
    """A producer without any agreement, whose plot converts since 2025 and shows forest loss
    after 2020: three warnings for any delivery of June 2026."""
    producer = factories.producer(db_session, org, first_name="Eva", last_name="Pizarro")
    plot = factories.plot(
        db_session, org, producer, name="La Quebrada", organic_conversion_start=date(2025, 3, 1)
    )
    record_evidence(
        db_session,
        org.id,
        None,
        plot.id,
        {
            "result": "loss_after_cutoff",
            "loss_after_cutoff_ha": Decimal("0.35"),
            "source": "GFW map review",
            "observed_on": date(2026, 3, 15),
        },
    )
    return producer, plot


# --- each cause --------------------------------------------------------------------------------


def test_a_clean_delivery_has_no_warnings(db_session, org, farm):
    assert deliver(db_session, org, *farm).intake_warnings == []


def test_forest_loss_after_2020_is_a_warning_with_its_evidence(db_session, org, farm):
    producer, plot = farm
    record_evidence(
        db_session,
        org.id,
        None,
        plot.id,
        {
            "result": "loss_after_cutoff",
            "loss_after_cutoff_ha": Decimal("0.5"),
            "source": "Hansen GFC review",
            "observed_on": date(2026, 2, 1),
        },
    )
    [warning] = deliver(db_session, org, producer, plot).intake_warnings
    assert warning["code"] == "FOR-LOSS" and warning["plot"] == plot.name
    assert warning["observed_on"] == "2026-02-01" and warning["source"] == "Hansen GFC review"
    assert Decimal(warning["loss_after_cutoff_ha"]) == Decimal("0.5")


def test_no_agreement_in_force_on_the_delivery_date_is_a_warning(db_session, org):
    producer = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, producer)
    # Signed after the delivery: not in force on the day, whatever it is today.
    factories.agreement(db_session, org, [producer], signed_on=date(2026, 7, 1))
    delivery = deliver(db_session, org, producer, plot)
    assert delivery.intake_warnings == [{"code": "AGR-ACTIVE", "on": "2026-06-10"}]


def test_a_plot_not_organic_on_the_delivery_date_is_a_warning(db_session, org):
    producer = factories.producer(db_session, org)
    factories.agreement(db_session, org, [producer])
    plot = factories.plot(db_session, org, producer, organic_conversion_start=date(2025, 3, 1))
    [warning] = deliver(db_session, org, producer, plot).intake_warnings
    assert warning == {
        "code": "ORG-ORIGIN",
        "plot": plot.name,
        "status": "in_conversion",
        "on": "2026-06-10",
        "organic_since": "2028-03-01",
    }


def test_a_plot_over_its_mass_balance_this_season_is_a_warning(db_session, org, farm):
    producer, plot = farm  # ~1.22 ha × 700 kg/ha + 20 %: about 1,025 kg of dry parchment
    first = deliver(db_session, org, producer, plot, gross_kg=Decimal("620"))
    assert first.intake_warnings == []
    second = deliver(db_session, org, producer, plot, gross_kg=Decimal("520"))
    [warning] = second.intake_warnings
    assert warning["code"] == "MB-OVER" and warning["season"] == "2026"
    assert Decimal(warning["delivered_kg"]) == Decimal("1099.000")  # 599.5 + 499.5, this one too
    assert Decimal(warning["ratio_pct"]) > 120 and warning["tolerance_pct"] == "20"


def test_the_ledger_event_carries_the_warnings_and_reconciles(db_session, org, troubled):
    delivery = deliver(db_session, org, *troubled)
    assert codes(delivery) == ["FOR-LOSS", "AGR-ACTIVE", "ORG-ORIGIN"]
    event = db_session.scalar(
        select(LedgerEvent)
        .where(LedgerEvent.kind == "delivery.registered")
        .order_by(LedgerEvent.seq.desc())
    )
    assert event.payload["data"]["intake_warnings"] == delivery.intake_warnings
    assert reconcile(db_session, org.id).differences == []

    db_session.execute(
        update(Delivery).where(Delivery.id == delivery.id).values(intake_warnings=[])
    )
    db_session.expire_all()
    [difference] = reconcile(db_session, org.id).differences
    assert difference.field == "warnings" and difference.stored == ""
    assert difference.expected == "FOR-LOSS, AGR-ACTIVE, ORG-ORIGIN"


# --- the form ----------------------------------------------------------------------------------


def test_the_form_shows_the_warnings_and_saves_nothing(client, login, db_session, troubled):
    login("staff")
    response = client.post("/deliveries/new", data=form_of(*troubled, ticket_number="W-1"))
    assert response.status_code == 422
    page = response.data.decode()
    assert 'id="intake-warnings"' in page
    assert "La Quebrada" in page and "0.35 ha" in page and "GFW map review" in page
    assert "no tiene un acuerdo de conservación vigente" in page
    assert 'name="warnings_seen" value="FOR-LOSS,AGR-ACTIVE,ORG-ORIGIN"' in page
    assert (
        'name="save_anyway"' in page and "checked" not in page.split('name="save_anyway"')[1][:40]
    )
    assert count(db_session) == 0


def test_saved_anyway_the_delivery_keeps_its_warnings(client, login, db_session, troubled):
    login("staff")
    form = form_of(*troubled, ticket_number="W-2")
    form |= {"save_anyway": "1", "warnings_seen": "FOR-LOSS,AGR-ACTIVE,ORG-ORIGIN"}
    response = client.post("/deliveries/new", data=form)
    assert response.status_code == 302, response.data.decode()[:2000]
    delivery = db_session.scalar(select(Delivery).where(Delivery.ticket_number == "W-2"))
    assert codes(delivery) == ["FOR-LOSS", "AGR-ACTIVE", "ORG-ORIGIN"]
    event = db_session.scalar(
        select(LedgerEvent).where(
            LedgerEvent.kind == "delivery.registered",
            LedgerEvent.subject_id == services.lot_of_delivery(db_session, delivery).code,
        )
    )
    assert [w["code"] for w in event.payload["data"]["intake_warnings"]] == codes(delivery)
    page = client.get(response.location).data.decode()
    assert "Advertencias confirmadas en el acopio" in page and "La Quebrada" in page


def test_confirming_other_warnings_than_those_found_saves_nothing(
    client, login, db_session, troubled
):
    login("staff")
    form = form_of(*troubled, ticket_number="W-3")
    form |= {"save_anyway": "1", "warnings_seen": "AGR-ACTIVE"}  # seen for another plot
    response = client.post("/deliveries/new", data=form)
    assert response.status_code == 422 and 'id="intake-warnings"' in response.data.decode()
    # Ticking without having seen them is not enough either.
    form |= {"warnings_seen": ""}
    assert client.post("/deliveries/new", data=form).status_code == 422
    assert count(db_session) == 0


def test_without_warnings_the_delivery_is_saved_at_once(client, login, db_session, farm):
    login("staff")
    response = client.post("/deliveries/new", data=form_of(*farm, ticket_number="W-4"))
    assert response.status_code == 302
    delivery = db_session.scalar(select(Delivery).where(Delivery.ticket_number == "W-4"))
    assert delivery.intake_warnings == []


def test_the_api_and_the_import_record_warnings_without_refusing(
    client, api, db_session, org, troubled
):
    producer, plot = troubled
    body = {
        key: value.isoformat() if isinstance(value, date) else str(value)
        for key, value in delivery_data(producer, plot, ticket_number="API-1").items()
        if value is not None
    }
    response = client.post("/api/v1/deliveries", headers=api("staff"), json=body)
    assert response.status_code == 201, response.json
    assert [w["code"] for w in response.json["intake_warnings"]] == [
        "FOR-LOSS",
        "AGR-ACTIVE",
        "ORG-ORIGIN",
    ]
    row = {
        "ticket_number": "XL-1",
        "producer_code": producer.member_code,
        "plot_id": plot.id,
        "plot_name": None,
        "product_form": "dry_parchment",
        "gross_kg": 100,
        "tare_kg": 0,
        "moisture_pct": None,
        "delivered_on": JUNE,
        "price_per_kg": None,
        "notes": None,
    }
    data = write_workbook([("Deliveries", DELIVERY_COLUMNS, [[row[c] for c in DELIVERY_COLUMNS]])])
    [imported] = import_deliveries(db_session, org.id, None, data)
    assert codes(imported) == ["FOR-LOSS", "AGR-ACTIVE", "ORG-ORIGIN"]


def test_the_import_page_says_which_tickets_have_warnings(client, login, db_session, troubled):
    producer, plot = troubled
    row = [
        "XL-2",
        producer.member_code,
        plot.id,
        None,
        "dry_parchment",
        100,
        0,
        None,
        JUNE,
        None,
        None,
    ]
    login("staff")
    response = client.post(
        "/deliveries/import",
        data={
            "file": (
                io.BytesIO(write_workbook([("Deliveries", DELIVERY_COLUMNS, [row])])),
                "d.xlsx",
            )
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = client.get(response.location).data.decode()
    assert "1 de ellas tiene advertencias de acopio, guardadas en su ticket: XL-2." in page


# --- the producer by name ----------------------------------------------------------------------


def test_a_typed_full_name_finds_the_producer(client, login, db_session, org):
    producer = factories.producer(db_session, org, first_name="Rosa", last_name="Huamán")
    plot = factories.plot(db_session, org, producer)
    factories.agreement(db_session, org, [producer])
    factories.producer(db_session, org, first_name="Rosa", last_name="Huamán Tello")
    login("staff")
    form = form_of(producer, plot, ticket_number="N-1") | {"producer_code": " rosa  HUAMAN "}
    response = client.post("/deliveries/new", data=form)
    assert response.status_code == 302, response.data.decode()[:3000]
    delivery = db_session.scalar(select(Delivery).where(Delivery.ticket_number == "N-1"))
    assert delivery.producer_id == producer.id
    # The JavaScript asks for the plots with the name as typed.
    options = client.get("/deliveries/plots?producer=Rosa Huamán").json
    assert [o["id"] for o in options] == [plot.id]


def test_a_name_matching_several_producers_lists_them(client, login, db_session, org, farm):
    producer, plot = farm
    factories.producer(db_session, org, member_code="M-ROSA", first_name="Rosa", last_name="Tello")
    login("staff")
    form = form_of(producer, plot, ticket_number="N-2") | {"producer_code": "Rosa"}
    response = client.post("/deliveries/new", data=form)
    assert response.status_code == 422
    page = response.data.decode()
    assert "2 productores coinciden con “Rosa”" in page
    assert f"{producer.member_code} {producer.full_name}" in page and "M-ROSA Rosa Tello" in page
    assert count(db_session) == 0


def test_a_name_matching_nobody_says_so(client, login, db_session, farm):
    producer, plot = farm
    login("staff")
    form = form_of(producer, plot, ticket_number="N-3") | {"producer_code": "Juan Nadie"}
    response = client.post("/deliveries/new", data=form)
    assert response.status_code == 422
    assert "Ningún productor activo tiene el código o nombre “Juan Nadie”" in response.data.decode()
    assert count(db_session) == 0


# --- the ticket number -------------------------------------------------------------------------


def test_next_ticket_keeps_the_prefix_and_the_padding():
    assert rules.next_ticket("C-00041") == "C-00042"
    assert rules.next_ticket("T9") == "T10"
    assert rules.next_ticket("0999") == "1000"
    assert rules.next_ticket("sin número") is None


def test_the_form_suggests_the_next_free_ticket(client, login, db_session, org, farm):
    login("staff")
    page = client.get("/deliveries/new").data.decode()
    assert 'id="ticket_number" value="1"' in page  # the first ticket
    factories.delivery(db_session, org, *farm, ticket_number="C-00043")
    factories.delivery(db_session, org, *farm, ticket_number="C-00041", gross_kg=Decimal("100"))
    page = client.get("/deliveries/new").data.decode()
    assert 'id="ticket_number" value="C-00042"' in page  # after the latest entered
    factories.delivery(db_session, org, *farm, ticket_number="C-00042", gross_kg=Decimal("100"))
    page = client.get("/deliveries/new").data.decode()
    assert 'id="ticket_number" value="C-00044"' in page  # C-00043 is taken
