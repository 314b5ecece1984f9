"""The offline intake's server side: the lists a device keeps, and sending queued tickets, where
the same device id is recorded once and every ticket ends recorded or needing attention with
its reason (ticket number taken, producer suspended, plot changed, warnings), nothing lost."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from coopchain.clock import today
from coopchain.farms.models import Producer
from coopchain.ledger.models import LedgerEvent
from coopchain.lots.models import Delivery
from coopchain.lots.offline_intake import MAX_BATCH, plot_version
from tests import factories

SEND = "/deliveries/offline-send"


def ticket(producer, plot, **fields) -> dict:
    """A ticket as intake_offline.js sends it: strings, the producer by member code."""
    return {
        "client_id": str(uuid.uuid4()),
        "organization": "COOPAM",
        "ticket_number": f"OFF-{factories.next_number()}",
        "producer_code": producer.member_code,
        "plot_id": str(plot.id),
        "plot_version": plot_version(plot),
        "product_form": "dry_parchment",
        "gross_kg": "46,5",
        "tare_kg": "0.5",
        "moisture_pct": "12",
        "delivered_on": (today() - timedelta(days=1)).isoformat(),
        "price_entered": "",
        "notes": "",
        "acknowledged": [],
        "typed_at": "2026-11-15T14:03:00.000Z",
        **fields,
    }


def send(client, *tickets) -> list[dict]:
    response = client.post(SEND, json={"tickets": list(tickets)})
    assert response.status_code == 200, response.data
    return response.get_json()["results"]


def deliveries(db_session, **where) -> list[Delivery]:
    query = select(Delivery).filter_by(**where)
    return list(db_session.scalars(query))


def events(db_session, kind: str) -> int:
    return db_session.scalar(
        select(func.count()).select_from(LedgerEvent).where(LedgerEvent.kind == kind)
    )


def test_the_device_keeps_the_active_producers_and_their_plots(
    client, login, db_session, org, other_org, farm
):
    producer, plot = farm
    gone = factories.producer(db_session, org, status="withdrawn")
    factories.plot(db_session, org, gone)
    stranger = factories.producer(db_session, other_org)
    login("auditor")  # anyone may read the lists; only writers may send
    data = client.get("/deliveries/offline-data").get_json()
    assert data["organization"] == "COOPAM" and data["csrf_token"]
    codes = [p["code"] for p in data["producers"]]
    assert producer.member_code in codes
    assert gone.member_code not in codes and stranger.member_code not in codes
    (kept,) = [p for p in data["producers"] if p["code"] == producer.member_code]
    assert kept["plots"] == [
        {
            "id": plot.id,
            "name": plot.name,
            "crop": "coffee",
            "forms": ["cherry", "wet_parchment", "dry_parchment", "green"],
            "version": plot_version(plot),
        }
    ]


def test_a_ticket_sent_twice_is_recorded_once_and_the_answer_says_so(
    client, login, db_session, farm
):
    producer, plot = farm
    login("staff")
    typed = ticket(producer, plot)
    (first,) = send(client, typed)
    assert first["status"] == "recorded" and first["duplicate"] is False, first
    assert first["receipt_url"] == f"/deliveries/{first['delivery_id']}/receipt.pdf"
    (again,) = send(client, typed | {"client_id": typed["client_id"].upper()})
    assert again["status"] == "recorded" and again["duplicate"] is True
    assert again["delivery_id"] == first["delivery_id"] and again["lot"] == first["lot"]
    (recorded,) = deliveries(db_session, client_id=typed["client_id"])
    assert recorded.net_kg == 46 and recorded.ticket_number == typed["ticket_number"]
    assert events(db_session, "delivery.registered") == 1  # the resend wrote nothing
    event = db_session.scalar(select(LedgerEvent).where(LedgerEvent.kind == "delivery.registered"))
    assert event.payload["data"]["client_id"] == typed["client_id"]
    # The intake receipt exists already: the same PDF, printable once recorded.
    receipt = client.get(first["receipt_url"])
    assert receipt.status_code == 200 and receipt.data.startswith(b"%PDF")


def test_a_ticket_number_taken_meanwhile_needs_attention_then_is_fixed_and_resent(
    client, login, db_session, org, farm
):
    producer, plot = farm
    login("staff")
    typed = ticket(producer, plot)
    factories.delivery(db_session, org, producer, plot, ticket_number=typed["ticket_number"])
    (answer,) = send(client, typed)
    assert answer["status"] == "attention" and answer["reason"] == "ticket_taken"
    assert typed["ticket_number"] in answer["message"]
    assert "ticket_number" in answer["fields"]
    assert deliveries(db_session, client_id=typed["client_id"]) == []
    (fixed,) = send(client, typed | {"ticket_number": typed["ticket_number"] + "-B"})
    assert fixed["status"] == "recorded" and fixed["duplicate"] is False


def test_a_producer_suspended_meanwhile_needs_attention(client, login, db_session, farm):
    producer, plot = farm
    login("staff")
    db_session.get(Producer, producer.id).status = "inactive"
    db_session.flush()
    (answer,) = send(client, ticket(producer, plot))
    assert answer["status"] == "attention" and answer["reason"] == "producer_inactive"
    assert producer.member_code in answer["message"]
    assert events(db_session, "delivery.registered") == 0


def test_a_plot_changed_meanwhile_needs_attention_until_chosen_again(
    client, login, db_session, org, farm
):
    producer, plot = farm
    login("staff")
    typed = ticket(producer, plot)
    plot.geometry = factories.square(side=0.002)  # the boundary was walked again
    db_session.flush()
    (answer,) = send(client, typed)
    assert answer["status"] == "attention" and answer["reason"] == "plot_changed"
    assert "plot_id" in answer["fields"]
    # Given to another producer: changed too, whatever version the device holds.
    other = factories.producer(db_session, org)
    moved = factories.plot(db_session, org, other)
    (answer,) = send(client, ticket(producer, moved, plot_version=None))
    assert answer["reason"] == "plot_changed"
    # The clerk chooses the plot again (the device has the new lists): recorded.
    (fixed,) = send(client, typed | {"plot_version": plot_version(plot)})
    assert fixed["status"] == "recorded"


def test_warnings_are_shown_and_recorded_once_the_clerk_confirms_them(
    client, login, db_session, org
):
    producer = factories.producer(db_session, org)  # no conservation agreement in force
    plot = factories.plot(db_session, org, producer)
    login("staff")
    typed = ticket(producer, plot)
    (answer,) = send(client, typed)
    assert answer["status"] == "attention" and answer["reason"] == "warnings"
    codes = [w["code"] for w in answer["warnings"]]
    assert "AGR-ACTIVE" in codes and all(w["text"] for w in answer["warnings"])
    assert deliveries(db_session, client_id=typed["client_id"]) == []
    (confirmed,) = send(client, typed | {"acknowledged": codes})
    assert confirmed["status"] == "recorded" and confirmed["warnings"]
    (recorded,) = deliveries(db_session, client_id=typed["client_id"])
    assert "AGR-ACTIVE" in [w["code"] for w in recorded.intake_warnings]


def test_one_bad_ticket_names_its_field_and_holds_back_no_other(client, login, db_session, farm):
    producer, plot = farm
    login("staff")
    future = (today() + timedelta(days=1)).isoformat()
    good = ticket(producer, plot)
    answers = send(
        client,
        ticket(producer, plot, gross_kg="abc"),
        ticket(producer, plot, client_id="not-a-uuid"),
        ticket(producer, plot, delivered_on=future),
        ticket(producer, plot, organization="OTRA"),
        ticket(producer, plot, producer_code="M-NOBODY"),
        "not a ticket",
        good,
    )
    reasons = [a.get("reason") for a in answers]
    assert reasons == [
        "invalid",
        "invalid",
        "invalid",
        "other_organization",
        "producer_unknown",
        "invalid",
        None,
    ]
    assert "gross_kg" in answers[0]["fields"] and "client_id" in answers[1]["fields"]
    assert "delivered_on" in answers[2]["fields"]
    assert answers[-1]["status"] == "recorded"
    assert len(deliveries(db_session)) == 1


@pytest.mark.parametrize(
    "body", [None, {}, {"tickets": []}, {"tickets": "x"}, {"tickets": [{}] * (MAX_BATCH + 1)}]
)
def test_a_request_that_is_not_a_batch_of_tickets_is_refused(client, login, db_session, body):
    login("staff")
    response = client.post(SEND, json=body) if body is not None else client.post(SEND, data="x")
    assert response.status_code == 422
    assert response.get_json()["fields"]["tickets"]
    assert deliveries(db_session) == []


def test_a_days_work_of_two_hundred_tickets_goes_in_four_requests(client, login, db_session, farm):
    producer, plot = farm
    login("staff")
    queued = [ticket(producer, plot, gross_kg="2", tare_kg="0") for _ in range(200)]
    answers = []
    for start in range(0, len(queued), MAX_BATCH):
        answers += send(client, *queued[start : start + MAX_BATCH])
    assert [a["status"] for a in answers] == ["recorded"] * 200
    assert len(deliveries(db_session)) == 200
    assert [a["duplicate"] for a in send(client, *queued[:MAX_BATCH])] == [True] * MAX_BATCH
    assert len(deliveries(db_session)) == 200


def test_sending_needs_the_csrf_token_in_a_header(make_app, db_session, org, farm):
    producer, plot = farm
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    user = factories.user(db_session, org, "staff")
    page = client.get("/login").data.decode()
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"email": user.email, "password": "pw-1234", "csrf_token": token}
    assert client.post("/login", data=form).status_code == 302
    typed = ticket(producer, plot)
    refused = client.post(SEND, json={"tickets": [typed]})
    assert refused.status_code == 400 and deliveries(db_session) == []
    fresh = client.get("/deliveries/offline-data").get_json()["csrf_token"]
    answered = client.post(SEND, json={"tickets": [typed]}, headers={"X-CSRFToken": fresh})
    assert answered.get_json()["results"][0]["status"] == "recorded"


def test_an_ended_session_sends_nothing_and_says_log_in(client, farm, db_session):
    producer, plot = farm
    response = client.post(SEND, json={"tickets": [ticket(producer, plot)]})
    assert response.status_code == 302 and "/login" in response.location
    assert client.get("/deliveries/offline-data").status_code == 302
    assert deliveries(db_session) == []


def test_the_worker_and_manifest_are_served_for_the_intake_scope(client):
    worker = client.get("/deliveries/intake-sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert "no-cache" in worker.headers["Cache-Control"]
    assert b"/deliveries/offline-data" in worker.data
    manifest = client.get("/deliveries/intake.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    body = manifest.get_json()
    assert body["start_url"] == "/deliveries/new" and body["scope"] == "/deliveries/"
    assert body["name"] == "Recepción CoopChain"  # Spanish first
