"""A shipment's and a lot's chain as GS1 EPCIS 2.0 from the database, through the API: valid
against GS1's schema, balanced to the gram, cross-checkable with the ledger; the events query
paginates and filters (both databases)."""

from datetime import date
from decimal import Decimal
from urllib.parse import quote

import pytest
from sqlalchemy import select

from coopchain.db import owned
from coopchain.ledger.models import LedgerEvent
from coopchain.lots import bags, transformations
from coopchain.lots.models import Bag
from coopchain.shipments import services as shipments
from coopchain.trace.settings import set_gs1_location, set_gtin
from tests import factories
from tests.helpers.epcis import assert_valid, load, unbalanced

GTIN = "09506000134352"
GLN = "9506000000015"


@pytest.fixture
def chain(db_session, org):
    """Two deliveries merged, hulled to green, bagged, packed and shipped: the shipment's
    reference, the green lot, and the merge."""
    producer = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, producer)
    _d1, first = factories.delivery(db_session, org, producer, plot, gross_kg=Decimal("520.4"))
    _d2, second = factories.delivery(db_session, org, producer, plot, gross_kg=Decimal("300.25"))
    merge = transformations.merge(
        db_session, org.id, None, [(first.code, None), (second.code, None)], date(2026, 6, 3)
    )
    (parchment,) = transformations.parts_of(db_session, merge)[1]
    hulled = transformations.process(
        db_session,
        org.id,
        None,
        parchment.code,
        None,
        "green",
        Decimal("600.000"),
        date(2026, 6, 4),
    )
    (green,) = transformations.parts_of(db_session, hulled)[1]
    bags.create_bags(db_session, org.id, None, green.code, 8)
    shipments.create_shipment(
        db_session,
        org.id,
        None,
        {
            "reference": "BRE-2026-001",
            "crop": "coffee",
            "buyer_name": "Nordkaffee",
            "buyer_country": "DE",
            "container_number": "CSQU3054383",
            "bill_of_lading": "MAEU240061",
        },
    )
    shipments.allocate(db_session, org.id, None, "BRE-2026-001", lot_codes=[green.code])
    shipments.advance_status(db_session, org.id, None, "BRE-2026-001", date(2026, 6, 8))
    shipments.advance_status(db_session, org.id, None, "BRE-2026-001", date(2026, 6, 10))
    return "BRE-2026-001", green, merge


def _get(client, api, url, role="auditor"):
    response = client.get(url, headers=api(role))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def test_the_shipments_chain_is_valid_epcis_and_balances(client, api, db_session, org, chain):
    reference, green, _merge = chain
    response = _get(client, api, f"/api/v1/shipments/{reference}/epcis.jsonld")
    assert response.mimetype == "application/ld+json"
    assert "epcis-BRE-2026-001.jsonld" in response.headers["Content-Disposition"]
    document = load(response.data)
    assert_valid(response.get_json())
    assert not unbalanced(document)
    events = document["epcisBody"]["eventList"]
    kinds = [e["cc:ledgerKind"] for e in events]
    assert kinds == [
        "delivery.registered",
        "delivery.registered",
        "lot.merge",
        "lot.process",
        "bags.created",
        "shipment.created",
        "shipment.bags_added",
        "shipment.shipped",
    ]
    # Every event's hash is its ledger event's: a receiver can cross-check each one.
    ledger = {e.seq: e.hash for e in db_session.scalars(owned(LedgerEvent, org.id))}
    assert all(ledger[int(e["cc:ledgerSeq"])] == e["cc:ledgerHash"] for e in events)
    hulling = events[3]
    assert hulling["inputQuantityList"][0]["quantity"] == Decimal("780.65")
    assert hulling["cc:loss"]["quantity"] == Decimal("180.65")
    packed, shipped = events[6], events[7]
    serials = db_session.scalars(select(Bag.serial).where(Bag.lot_id == green.id)).all()
    assert len(packed["childEPCs"]) == len(shipped["epcList"]) == len(serials) == 8
    assert packed["parentID"].endswith("/container/CSQU3054383")
    assert [t["type"] for t in shipped["bizTransactionList"]] == ["po", "bol"]
    assert shipped["eventTime"] == "2026-06-10T00:00:00-05:00"
    delivery = events[0]
    assert delivery["ilmd"]["cc:plotGeo"].startswith("geo:-5.70")
    # Without a GLN: a private URI under the public address (here the test server's).
    assert f"/epcis/{org.code}/plot/" in delivery["readPoint"]["id"]


def test_with_gs1_keys_the_chain_carries_digital_links_and_sglns(
    client, api, db_session, org, chain
):
    reference, green, _merge = chain
    set_gtin(db_session, org.id, None, GTIN)
    set_gs1_location(db_session, org.id, None, GLN, "950600")
    document = _get(client, api, f"/api/v1/shipments/{reference}/epcis.jsonld").get_json()
    assert_valid(document)
    events = document["epcisBody"]["eventList"]
    assert events[3]["outputQuantityList"][0]["epcClass"] == (
        f"https://id.gs1.org/01/{GTIN}/10/{green.code}"
    )
    assert events[4]["epcList"][0].startswith(f"https://id.gs1.org/01/{GTIN}/10/{green.code}/21/")
    assert events[0]["readPoint"]["id"].startswith("urn:epc:id:sgln:950600.000001.P")
    assert events[7]["bizTransactionList"][1]["bizTransaction"] == (
        f"urn:epcglobal:cbv:bt:{GLN}:MAEU240061"
    )


def test_a_lots_chain_is_its_ancestry(client, api, chain):
    _reference, green, merge = chain
    document = load(_get(client, api, f"/api/v1/lots/{green.code}/epcis.jsonld").data)
    kinds = [e["cc:ledgerKind"] for e in document["epcisBody"]["eventList"]]
    assert kinds == [
        "delivery.registered",
        "delivery.registered",
        "lot.merge",
        "lot.process",
        "bags.created",
    ]
    (parchment_code,) = {
        e["epcClass"].rsplit("/", 1)[1]
        for e in document["epcisBody"]["eventList"][2]["outputQuantityList"]
    }
    parchment = load(_get(client, api, f"/api/v1/lots/{parchment_code}/epcis.jsonld").data)
    assert len(parchment["epcisBody"]["eventList"]) == 3
    assert not unbalanced(parchment)


def test_a_voided_transformation_is_declared_erroneous(client, api, db_session, org):
    producer = factories.producer(db_session, org)
    plot = factories.plot(db_session, org, producer)
    _d, lot = factories.delivery(db_session, org, producer, plot)
    split = transformations.split(
        db_session, org.id, None, lot.code, [Decimal("200"), Decimal("300")], date(2026, 6, 2)
    )
    transformations.void_transformation(db_session, org.id, None, split.id, "Wrong scale")
    document = _get(client, api, f"/api/v1/lots/{lot.code}/epcis.jsonld").get_json()
    assert [e["cc:ledgerKind"] for e in document["epcisBody"]["eventList"]] == [
        "delivery.registered"
    ]
    page = _get(client, api, "/api/v1/epcis/events?eventType=TransformationEvent").get_json()
    # As EPCIS 2.0 §7.4.1.2 has it: the event as captured, then its copy declaring it erroneous.
    original, declared = page["items"]
    assert original["cc:ledgerKind"] == declared["cc:ledgerKind"] == "lot.split"
    assert "errorDeclaration" not in original
    assert declared["eventID"] == original["eventID"]
    assert declared["errorDeclaration"]["cc:reason"] == "Wrong scale"
    assert_valid(declared)


def test_the_events_query_pages_and_filters(client, api, org, chain):
    _reference, green, _merge = chain
    first = _get(client, api, "/api/v1/epcis/events?per_page=3").get_json()
    assert first["total"] == 8 and first["per_page"] == 3 and len(first["items"]) == 3
    for item in first["items"]:
        assert_valid(item)
    seqs = [item["cc:ledgerSeq"] for item in first["items"]]
    assert seqs == sorted(seqs)  # oldest first
    last = _get(client, api, "/api/v1/epcis/events?per_page=3&page=3").get_json()
    assert len(last["items"]) == 2
    steps = _get(client, api, "/api/v1/epcis/events?EQ_bizStep=shipping").get_json()
    assert [i["bizStep"] for i in steps["items"]] == ["shipping"]
    aggregations = _get(client, api, "/api/v1/epcis/events?eventType=AggregationEvent").json
    assert aggregations["total"] == 1
    of_lot = _get(client, api, f"/api/v1/epcis/events?lot={green.code}").get_json()
    assert of_lot["total"] == 5
    recorded = first["items"][0]["recordTime"]
    later = _get(client, api, f"/api/v1/epcis/events?LT_recordTime={quote(recorded)}").get_json()
    assert later["total"] == 0  # nothing was recorded before the first
    since = _get(client, api, "/api/v1/epcis/events", role="treasurer").get_json()
    assert since["total"] == 8


@pytest.mark.parametrize(
    "query, field",
    [
        ("eventType=Shipment", "eventType"),
        ("EQ_bizStep=transforming", "EQ_bizStep"),
        ("GE_recordTime=yesterday", "GE_recordTime"),
        ("GE_recordTime=2026-06-01T10:00:00", "GE_recordTime"),  # no offset: ambiguous
        ("per_page=500", "per_page"),
    ],
)
def test_a_bad_filter_is_refused_naming_it(client, api, query, field):
    response = client.get(f"/api/v1/epcis/events?{query}", headers=api())
    assert response.status_code == 422
    assert field in response.get_json()["fields"]


def test_an_unknown_lot_or_shipment_is_not_found(client, api):
    for url in (
        "/api/v1/lots/NOPE/epcis.jsonld",
        "/api/v1/shipments/NOPE/epcis.jsonld",
        "/api/v1/epcis/events?lot=NOPE",
    ):
        assert client.get(url, headers=api()).status_code == 404


def test_an_empty_shipment_is_a_valid_document(client, api, db_session, org):
    shipments.create_shipment(
        db_session,
        org.id,
        None,
        {"reference": "S 1 ü", "crop": "coffee", "buyer_name": "B", "buyer_country": "DE"},
    )
    response = _get(client, api, "/api/v1/shipments/S%201%20%C3%BC/epcis.jsonld")
    assert 'filename="epcis-S-1.jsonld"' in response.headers["Content-Disposition"]
    document = response.get_json()
    assert_valid(document)
    assert [e["type"] for e in document["epcisBody"]["eventList"]] == ["TransactionEvent"]


def test_the_shipment_and_lot_pages_offer_the_same_document(client, login, chain):
    reference, green, _merge = chain
    login("auditor")
    page = client.get(f"/shipments/{reference}").text
    assert f'href="/shipments/{reference}/epcis.jsonld"' in page
    download = client.get(f"/shipments/{reference}/epcis.jsonld")
    assert download.status_code == 200 and download.mimetype == "application/ld+json"
    assert_valid(download.get_json())
    assert not unbalanced(load(download.data))
    assert f'href="/lots/{green.code}/epcis.jsonld"' in client.get(f"/lots/{green.code}").text
    lot = client.get(f"/lots/{green.code}/epcis.jsonld")
    assert lot.status_code == 200
    assert len(lot.get_json()["epcisBody"]["eventList"]) == 5
