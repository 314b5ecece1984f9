"""The audit ledger: chained per organisation, and any tampering is found and named."""

import pytest
from sqlalchemy import select, update

from coopchain.ledger.models import LedgerEvent
from coopchain.ledger.services import GENESIS_HASH, append, canonical_json, verify_chain
from tests import factories


def _events(session, org):
    return list(
        session.scalars(
            select(LedgerEvent)
            .where(LedgerEvent.organization_id == org.id)
            .order_by(LedgerEvent.seq)
        )
    )


def test_events_chain_per_organisation(db_session, org, other_org):
    factories.producer(db_session, org)
    factories.producer(db_session, other_org)
    for organization in (org, other_org):
        events = _events(db_session, organization)
        assert events[0].prev_hash == GENESIS_HASH and events[0].seq == 1
        assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
        assert verify_chain(db_session, organization.id) == (len(events), None)


def test_event_is_epcis_shaped(db_session, org):
    event = append(
        db_session, org.id, "test.observed", ("producer", "M-1"), {"kg": "1.500"}, action="OBSERVE"
    )
    body = event.payload
    assert body["type"] == "ObjectEvent" and body["action"] == "OBSERVE"
    assert body["eventTimeZoneOffset"] == "+00:00" and body["eventTime"].endswith("+00:00")


def test_canonical_json_is_stable():
    assert canonical_json({"b": 1, "a": "ñ"}) == '{"a":"ñ","b":1}'


def test_altered_payload_is_detected(db_session, org):
    factories.producer(db_session, org, first_name="Rosa")
    factories.producer(db_session, org)
    target = _events(db_session, org)[1]
    forged = {**target.payload, "data": {**target.payload["data"], "first_name": "Eva"}}
    db_session.execute(
        update(LedgerEvent).where(LedgerEvent.id == target.id).values(payload=forged)
    )
    db_session.expire_all()
    checked, broken = verify_chain(db_session, org.id)
    assert (checked, broken.seq) == (1, 2)
    assert "altered" in broken.reason


def test_deleted_event_is_detected(db_session, org):
    for _ in range(3):
        factories.producer(db_session, org)
    middle = _events(db_session, org)[1]
    db_session.delete(middle)
    db_session.flush()
    _checked, broken = verify_chain(db_session, org.id)
    assert broken.seq == 3 and "missing" in broken.reason


def test_ledger_page_shows_broken_chain(client, login, db_session, org):
    factories.producer(db_session, org)
    login("auditor")
    assert "intact" in client.get("/ledger?lang=en&verify=1").data.decode()
    first = _events(db_session, org)[0]
    db_session.execute(
        update(LedgerEvent).where(LedgerEvent.id == first.id).values(kind="tampered")
    )
    db_session.expire_all()
    page = client.get("/ledger?lang=en&verify=1").data.decode()
    assert "broken at event #1" in page


def test_api_lists_and_verifies(client, api, db_session, org):
    factories.producer(db_session, org)
    headers = api("auditor")
    listing = client.get("/api/v1/ledger", headers=headers).json
    assert listing["total"] >= 2 and listing["items"][0]["seq"] == listing["total"]
    assert client.get("/api/v1/ledger/verify", headers=headers).json["ok"] is True


@pytest.mark.parametrize(
    "column, forged",
    [
        ("action", "DELETE"),
        ("subject_type", "plot"),
        ("event_type", "TransactionEvent"),
        ("subject_id", "M-9999"),
    ],
)
def test_altered_columns_are_detected(db_session, org, column, forged):
    factories.producer(db_session, org)
    first = _events(db_session, org)[0]
    db_session.execute(
        update(LedgerEvent).where(LedgerEvent.id == first.id).values({column: forged})
    )
    db_session.expire_all()
    assert verify_chain(db_session, org.id)[1].seq == 1


def test_altered_event_time_is_detected(db_session, org):
    from datetime import timedelta

    factories.producer(db_session, org)
    first = _events(db_session, org)[0]
    db_session.execute(
        update(LedgerEvent)
        .where(LedgerEvent.id == first.id)
        .values(event_time=first.event_time - timedelta(days=1))
    )
    db_session.expire_all()
    assert verify_chain(db_session, org.id)[1].seq == 1


def test_private_field_change_is_recorded_without_its_value(db_session, org):
    from coopchain.farms import producers

    producer = factories.producer(db_session, org, phone="987654321")
    data = {name: getattr(producer, name) for name in producers.PRODUCER_FIELDS}
    producers.update_producer(db_session, org.id, None, producer.id, {**data, "phone": "911"})
    last = _events(db_session, org)[-1]
    assert last.kind == "producer.updated"
    assert last.payload["data"] == {"phone": {"before": "(private)", "after": "(private)"}}


def test_appended_events_reach_the_shared_page_cache_once_committed(db_session, org):
    """The events go in as one bulk INSERT, never through session.new: the ledger notes the
    newest seq it wrote, and the shared page cache publishes it after the commit (every node
    then sees the public pages as stale), never after a rollback."""
    from coopchain.ledger.services import append_many
    from coopchain.trace.shared_page_cache import PUBLISHER

    published = []
    db_session.info[PUBLISHER] = lambda org_id, seq: published.append((org_id, seq)) or True
    try:
        item = {"kind": "test.bulk", "subject": ("test", 1), "payload": {"n": 1}}
        events = append_many(db_session, org.id, [item, item, item])
        assert [e.seq for e in events] == [events[0].seq + k for k in range(3)]
        assert events[1].prev_hash == events[0].hash and events[0].id is not None
        assert published == []
        db_session.commit()
        assert published == [(org.id, events[-1].seq)]

        append(db_session, org.id, "test.bulk", ("test", 2), {})
        db_session.rollback()
        db_session.commit()
        assert published == [(org.id, events[-1].seq)]
        assert verify_chain(db_session, org.id)[1] is None
    finally:
        db_session.info.pop(PUBLISHER, None)
