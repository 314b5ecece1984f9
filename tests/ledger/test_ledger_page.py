"""The audit trail page as an auditor reads it: events in words, who did them, a link to what
they are about, and filters (kind, days on the cooperative's clock, subject, author) that the
pager keeps."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from coopchain.ledger.models import LedgerEvent
from coopchain.lots import bags
from coopchain.shipments import services as shipments
from tests import factories
from tests.pinned_clock import PINNED_TODAY

pytestmark = pytest.mark.usefixtures("app_context")


@pytest.fixture
def trail(db_session, org):
    """A producer registered by Marta, a plot, a delivery recorded by Julio, bags and a
    shipment: events of several kinds, subjects and authors."""
    marta = factories.user(db_session, org, "staff")
    marta.name = "Marta Rojas"
    julio = factories.user(db_session, org, "staff")
    julio.name = "Julio Salas"
    from coopchain.farms.producers import create_producer

    producer = create_producer(
        db_session,
        org.id,
        marta.id,
        {
            "member_code": "M-LEDGER",
            "first_name": "Rosa",
            "last_name": "Huamán",
            "status": "active",
            "joined_on": PINNED_TODAY - timedelta(days=900),
        },
    )
    plot = factories.plot(db_session, org, producer)
    factories.agreement(db_session, org, [producer])
    delivery, lot = factories.delivery(db_session, org, producer, plot, product_form="green")
    delivery_event = db_session.scalar(
        select(LedgerEvent).where(LedgerEvent.kind == "delivery.registered")
    )
    delivery_event.user_id = julio.id  # as if Julio had typed it (the factory writes no user)
    (bag,) = bags.create_bags(db_session, org.id, julio.id, lot.code, 1)
    bags.void_bag(db_session, org.id, julio.id, bag.serial, "torn")
    shipments.create_shipment(
        db_session,
        org.id,
        marta.id,
        {"reference": "S-LEDGER", "crop": "coffee", "buyer_name": "B", "buyer_country": "DE"},
    )
    db_session.flush()
    return {
        "producer": producer,
        "plot": plot,
        "lot": lot,
        "bag": bag,
        "marta": marta,
        "julio": julio,
    }


def rows(page: str) -> list[str]:
    body = page.split('<table class="list ledger-events cards">', 1)[1].split("</tbody>", 1)[0]
    return body.split("<tr data-kind=")[1:]


def test_events_read_in_words_with_their_author_and_a_link(client, login, trail):
    login("auditor")
    page = client.get("/ledger").data.decode()
    assert "Entrega registrada" in page and "Productor registrado" in page
    assert "Saco anulado" in page and "Embarque creado" in page
    delivery = next(r for r in rows(page) if r.startswith('"delivery.registered"'))
    assert "Julio Salas" in delivery
    assert f'href="/lots/{trail["lot"].code}"' in delivery
    producer = next(r for r in rows(page) if r.startswith('"producer.created"'))
    assert "Marta Rojas" in producer
    assert f'href="/producers/{trail["producer"].id}"' in producer
    plot = next(r for r in rows(page) if r.startswith('"plot.created"'))
    assert f'href="/plots/{trail["plot"].id}/forest-evidence"' in plot
    bag = next(r for r in rows(page) if r.startswith('"bag.voided"'))
    assert f'href="/lots/{trail["lot"].code}#bags"' in bag and trail["bag"].serial in bag
    shipment = next(r for r in rows(page) if r.startswith('"shipment.created"'))
    assert 'href="/shipments/S-LEDGER"' in shipment
    assert "Verificar el registro" in page or "verify=1" in page  # the check stays


def test_filters_by_kind_subject_and_author(client, login, trail):
    login("auditor")
    page = client.get("/ledger?kind=delivery.registered").data.decode()
    assert [r.split('"')[1] for r in rows(page)] == ["delivery.registered"]
    page = client.get(f"/ledger?subject={trail['lot'].code.lower()}").data.decode()
    kinds = {r.split('"')[1] for r in rows(page)}
    assert kinds == {"delivery.registered", "bags.created"}  # the lot's events, any case typed
    page = client.get(f"/ledger?user={trail['marta'].id}").data.decode()
    assert {r.split('"')[1] for r in rows(page)} == {"producer.created", "shipment.created"}
    page = client.get("/ledger?subject_type=shipment").data.decode()
    assert [r.split('"')[1] for r in rows(page)] == ["shipment.created"]
    # The authors offered are those who wrote events.
    assert "Marta Rojas</option>" in page and "Julio Salas</option>" in page


def test_days_are_the_cooperatives(client, login, db_session, trail):
    """An event at 22:00 in Lima is 03:00 the next day in UTC: it belongs to the Lima day."""
    lima = ZoneInfo("America/Lima")
    late = datetime.combine(PINNED_TODAY, time(22, 0), lima).astimezone(UTC)
    db_session.execute(
        update(LedgerEvent).where(LedgerEvent.kind == "shipment.created").values(event_time=late)
    )
    db_session.expire_all()
    login("auditor")
    today, tomorrow = PINNED_TODAY.isoformat(), (PINNED_TODAY + timedelta(days=1)).isoformat()
    page = client.get(f"/ledger?since={today}&until={today}&kind=shipment.created").data
    assert len(rows(page.decode())) == 1
    page = client.get(f"/ledger?since={tomorrow}&kind=shipment.created").data.decode()
    assert rows(page) == [] and "Ningún evento coincide." in page


def test_the_pager_keeps_the_filters(client, login, db_session, org):
    for _n in range(51):
        factories.producer(db_session, org)
    login("auditor")
    page = client.get("/ledger?kind=producer.created").data.decode()
    assert len(rows(page)) == 50
    assert 'href="/ledger?kind=producer.created&amp;page=2"' in page
    second = client.get("/ledger?kind=producer.created&page=2").data.decode()
    assert len(rows(second)) == 1


def test_a_bad_filter_is_refused_naming_it(client, login, trail):
    login("auditor")
    response = client.get("/ledger?since=16/11/2026")
    assert response.status_code == 400
    assert "since" in response.data.decode()
