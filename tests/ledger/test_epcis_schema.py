"""The EPCIS 2.0 builder (ledger/epcis.py, epcis_ids.py) on plain rows, and the validator the
export tests rely on: it accepts GS1's own example and refuses broken documents."""

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from coopchain.ledger import epcis
from coopchain.ledger.epcis_ids import Identities, geo_uri, quantity
from tests.helpers.epcis import DATA, assert_valid, errors_of, load, unbalanced

LIMA = ZoneInfo("America/Lima")
RECORDED = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
GS1_IDS = Identities(
    "https://trace.example.coop", "COOPAM", "09506000134352", "9506000000015", "950600"
)
PRIVATE_IDS = Identities("https://trace.example.coop/", "COOPAM")


def _example():
    return json.loads((DATA / "Example_9.6.4-TransformationEvent.jsonld").read_text("utf-8"))


def test_the_validator_accepts_gs1s_own_example():
    assert_valid(_example())


@pytest.mark.parametrize(
    "breakage",
    [
        lambda doc: doc["epcisBody"]["eventList"][0].pop("eventTimeZoneOffset"),
        lambda doc: doc["epcisBody"]["eventList"][0]["inputQuantityList"][0].update(uom="kg"),
        lambda doc: doc["epcisBody"]["eventList"][0].update(eventTime="31/10/2013 14:58"),
        lambda doc: doc["epcisBody"]["eventList"][0].update(bizStep="transforming"),
        lambda doc: doc["epcisBody"]["eventList"][0].update(readPoint={"id": "not a uri"}),
        lambda doc: doc.pop("schemaVersion"),
        lambda doc: doc["epcisBody"]["eventList"][0].update(myField="no namespace prefix"),
    ],
    ids=[
        "no-offset",
        "lower-case-uom",
        "bad-time",
        "unknown-bizstep",
        "bad-uri",
        "no-version",
        "bare-extension",
    ],
)
def test_the_validator_refuses_a_broken_document(breakage):
    document = _example()
    breakage(document)
    assert errors_of(document)


def _row(seq, kind, subject, data, subject_type="lot"):
    return epcis.Row(seq, kind, subject_type, str(subject), RECORDED, f"{seq:064x}", data)


def _rows():
    delivery = {
        "lot": "CAF-2026-000001",
        "net_kg": "500.000",
        "plot_id": 7,
        "product_form": "dry_parchment",
        "delivered_on": "2026-06-01",
        "ticket_number": "T-1",
    }
    second = {**delivery, "lot": "CAF-2026-000002", "net_kg": "250.125", "ticket_number": "T-2"}
    merge = {
        "kind": "merge",
        "occurredOn": "2026-06-03",
        "inputQuantityList": [
            {"lot": "CAF-2026-000001", "quantity": "500.000", "uom": "KGM"},
            {"lot": "CAF-2026-000002", "quantity": "250.125", "uom": "KGM"},
        ],
        "outputQuantityList": [{"lot": "CAF-2026-000003", "quantity": "750.125", "uom": "KGM"}],
        "lossKg": "0.000",
    }
    process = {
        "kind": "process",
        "occurredOn": "2026-06-04",
        "inputQuantityList": [{"lot": "CAF-2026-000003", "quantity": "750.125", "uom": "KGM"}],
        "outputQuantityList": [{"lot": "CAF-2026-000004", "quantity": "586.500", "uom": "KGM"}],
        "lossKg": "163.625",
    }
    sample = {
        "kind": "sample",
        "occurredOn": "2026-06-04",
        "inputQuantityList": [{"lot": "CAF-2026-000004", "quantity": "0.300", "uom": "KGM"}],
        "outputQuantityList": [],
        "lossKg": "0.300",
    }
    bags = {
        "count": 2,
        "netKgEach": "69.000",
        "serials": ["PE-COOPAM-2026-000001", "PE-COOPAM-2026-000002"],
    }
    return [
        _row(1, "delivery.registered", "CAF-2026-000001", delivery),
        _row(2, "delivery.registered", "CAF-2026-000002", second),
        _row(3, "lot.merge", 1, merge, "transformation"),
        _row(4, "lot.process", 2, process, "transformation"),
        _row(5, "lot.sample", 3, sample, "transformation"),
        _row(6, "bags.created", "CAF-2026-000004", bags),
        _row(7, "shipment.created", "BRE-1", {"crop": "coffee"}, "shipment"),
        _row(
            8,
            "shipment.bags_added",
            "BRE-1",
            {"childEPCs": bags["serials"], "container": "CSQU3054383"},
            "shipment",
        ),
        _row(
            9,
            "shipment.shipped",
            "BRE-1",
            {"status": "shipped", "on": "2026-06-10", "container": "CSQU3054383"},
            "shipment",
        ),
        _row(
            10,
            "bag.voided",
            "PE-COOPAM-2026-000003",
            {"lot": "CAF-2026-000004", "errorDeclaration": {"reason": "Torn"}},
            "bag",
        ),
    ]


def _facts(ids):
    serials = ["PE-COOPAM-2026-000001", "PE-COOPAM-2026-000002"]
    return epcis.Facts(
        ids,
        LIMA,
        bag_lots=dict.fromkeys(serials, "CAF-2026-000004"),
        plots={"7": {"geo": geo_uri(-77.412345, -5.701234), "geojson": "https://x/api/v1/plots/7"}},
        shipments={
            "BRE-1": {"container": "CSQU3054383", "bill_of_lading": "MAEU 123", "serials": serials}
        },
    )


@pytest.mark.parametrize("ids", [GS1_IDS, PRIVATE_IDS], ids=["gs1", "private"])
def test_a_chain_of_rows_is_a_valid_balanced_document(ids):
    document = epcis.epcis_document(epcis.events_of(_rows(), _facts(ids)), RECORDED)
    assert_valid(document)
    exact = load(epcis.to_bytes(document))
    assert not unbalanced(exact)
    events = exact["epcisBody"]["eventList"]
    assert [e["type"] for e in events] == [
        "ObjectEvent",
        "ObjectEvent",
        "TransformationEvent",
        "TransformationEvent",
        "TransformationEvent",
        "ObjectEvent",
        "TransactionEvent",
        "AggregationEvent",
        "ObjectEvent",
        "ObjectEvent",
    ]
    assert [e["cc:ledgerSeq"] for e in events] == list(range(1, 11))
    assert all(e["cc:ledgerHash"] == f"{int(e['cc:ledgerSeq']):064x}" for e in events)
    process = events[3]
    assert process["cc:loss"] == {"quantity": Decimal("163.625"), "uom": "KGM"}
    assert process["outputQuantityList"][0]["quantity"] == Decimal("586.5")
    # Business day on the cooperative's clock; the ledger's moment as recordTime.
    assert process["eventTime"] == "2026-06-04T00:00:00-05:00"
    assert process["eventTimeZoneOffset"] == "-05:00"
    assert process["recordTime"] == "2026-12-01T15:30:00+00:00"
    assert events[4]["bizStep"] == "sampling" and "outputQuantityList" not in events[4]
    assert events[0]["ilmd"]["cc:plotGeo"] == "geo:-5.701234,-77.412345"
    shipped = events[8]
    assert shipped["bizStep"] == "shipping" and shipped["disposition"] == "in_transit"
    assert [t["type"] for t in shipped["bizTransactionList"]] == ["po", "bol"]
    assert events[9]["action"] == "DELETE" and events[9]["cc:reason"] == "Torn"
    assert document["@context"][1] == {"cc": "https://ns.coopchain.org/epcis/"}


def test_gs1_keys_make_digital_links_and_sglns():
    events = epcis.events_of(_rows(), _facts(GS1_IDS))
    delivery, bags, shipped = events[0], events[5], events[8]
    assert delivery["quantityList"][0]["epcClass"] == (
        "https://id.gs1.org/01/09506000134352/10/CAF-2026-000001"
    )
    assert delivery["readPoint"]["id"] == "urn:epc:id:sgln:950600.000001.P7"
    assert delivery["bizLocation"]["id"] == "urn:epc:id:sgln:950600.000001.0"
    # The bag's serial without the organisation's prefix (AI 21 holds 20 characters).
    assert bags["epcList"][0] == (
        "https://id.gs1.org/01/09506000134352/10/CAF-2026-000004/21/2026-000001"
    )
    assert shipped["bizTransactionList"][1]["bizTransaction"] == (
        "urn:epcglobal:cbv:bt:9506000000015:MAEU%20123"
    )


def test_without_gs1_keys_identifiers_are_private_uris():
    events = epcis.events_of(_rows(), _facts(PRIVATE_IDS))
    base = "https://trace.example.coop/epcis/COOPAM"
    assert events[0]["quantityList"][0]["epcClass"] == f"{base}/lot/CAF-2026-000001"
    assert events[0]["readPoint"]["id"] == f"{base}/plot/7"
    assert events[5]["epcList"][0] == f"{base}/bag/PE-COOPAM-2026-000001"
    assert events[7]["parentID"] == f"{base}/container/CSQU3054383"
    assert events[8]["bizTransactionList"][0]["bizTransaction"] == f"{base}/po/BRE-1"
    assert events[2]["transformationID"] == f"{base}/transformation/1"


def test_a_void_declares_the_event_it_voids_erroneous():
    rows = _rows()[:4]
    void = _row(
        11,
        "transformation.voided",
        2,
        {"errorDeclaration": {"declarationTime": "2026-12-01", "reason": "Wrong lot"}},
        "transformation",
    )
    events = epcis.events_of([*rows, void], _facts(PRIVATE_IDS))
    assert len(events) == 4  # the void is a declaration on the event, not an event of its own
    declared = events[3]["errorDeclaration"]
    assert declared["reason"] == "did_not_occur" and declared["cc:reason"] == "Wrong lot"
    assert declared["cc:declaredBy"]["cc:ledgerSeq"] == 11
    assert "errorDeclaration" not in events[2]
    assert_valid(epcis.epcis_document(events, RECORDED))


def test_a_standalone_event_validates_on_its_own():
    event = epcis.epcis_event(_rows()[2], _facts(GS1_IDS))
    assert_valid(epcis.standalone(event))
    broken = copy.deepcopy(epcis.standalone(event))
    broken["inputQuantityList"][0]["quantity"] = "500.000"  # EPCIS quantities are numbers
    assert errors_of(broken)


def test_quantities_are_exact_numbers():
    assert quantity(Decimal("1250.500")) == 1250.5 and quantity("69.000") == 69
    assert json.loads(json.dumps(quantity(Decimal("99999999.999"))), parse_float=Decimal) == (
        Decimal("99999999.999")
    )


def test_kinds_filter_by_type_and_step():
    assert epcis.kinds_of("AggregationEvent") == {"shipment.bags_added", "shipment.bags_removed"}
    assert epcis.kinds_of(biz_step="shipping") == {"shipment.shipped"}
    assert "lot.sample" in epcis.kinds_of("TransformationEvent", "sampling")
