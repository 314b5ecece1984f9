"""EPCIS 2.0 events and documents from the ledger (DOMAIN.md §9): a pure function from plain
ledger rows and the facts they point at to JSON-LD bytes.

How each ledger event reads in EPCIS (docs/API.md, "EPCIS 2.0"):
- delivery.registered → ObjectEvent ADD, bizStep commissioning: the delivery lot's quantity
  (quantityList, KGM), readPoint the plot, its geolocation in ilmd (`geo:` URI, GeoJSON link);
- lot.merge / lot.split / lot.process → TransformationEvent, bizStep commissioning (CBV 2.0 has
  no "transforming"; GS1's example 9.6.4 commissions its outputs the same way) with input and
  output quantityLists and the loss as `cc:loss`, so inputs = outputs + loss to the gram;
  lot.sample → TransformationEvent, bizStep sampling, inputs only;
- bags.created → ObjectEvent ADD commissioning of the bags (instance-level ids);
  bag.voided → ObjectEvent DELETE decommissioning;
- shipment.created → TransactionEvent ADD (purchase order); shipment.bags_added/_removed →
  AggregationEvent ADD/DELETE (bags into/out of the container), bizStep packing/unpacking;
  shipment.shipped → ObjectEvent OBSERVE shipping, in_transit, with the purchase order and
  bill of lading; shipment.delivered → ObjectEvent OBSERVE arriving;
- delivery.voided / transformation.voided → the event they void, again, with an
  errorDeclaration (EPCIS 2.0 §7.4.1.2: corrections are declared, never edited).
Every event carries its ledger sequence and hash (`cc:ledgerSeq`, `cc:ledgerHash`) so a receiver
can check it against GET /api/v1/ledger.

eventTime is the business day the event happened on (delivery, transformation, shipping date)
at 00:00 on the cooperative's clock, or when it was recorded for events without one;
recordTime is always when our ledger recorded it.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from coopchain.ledger.epcis_ids import (
    CONTEXT,
    Identities,
    ext,
    local_midnight,
    offset_text,
    quantity,
)

KGM = "KGM"
TRANSFORMATION_KINDS = ("lot.merge", "lot.split", "lot.process", "lot.sample")
VOID_KINDS = {"delivery.voided": "delivery.registered", "transformation.voided": None}

#: Ledger kind → (EPCIS event type, bizStep). Every other kind is no supply-chain event.
MAPPING = {
    "delivery.registered": ("ObjectEvent", "commissioning"),
    "lot.merge": ("TransformationEvent", "commissioning"),
    "lot.split": ("TransformationEvent", "commissioning"),
    "lot.process": ("TransformationEvent", "commissioning"),
    "lot.sample": ("TransformationEvent", "sampling"),
    "bags.created": ("ObjectEvent", "commissioning"),
    "bag.voided": ("ObjectEvent", "decommissioning"),
    "shipment.created": ("TransactionEvent", None),
    "shipment.bags_added": ("AggregationEvent", "packing"),
    "shipment.bags_removed": ("AggregationEvent", "unpacking"),
    "shipment.shipped": ("ObjectEvent", "shipping"),
    "shipment.delivered": ("ObjectEvent", "arriving"),
    # Shown as the event they void (errorDeclaration): the same type and bizStep.
    "delivery.voided": ("ObjectEvent", "commissioning"),
    "transformation.voided": ("TransformationEvent", "commissioning"),
}
EXPORTED_KINDS = frozenset(MAPPING)
EVENT_TYPES = ("ObjectEvent", "AggregationEvent", "TransformationEvent", "TransactionEvent")
BIZ_STEPS = tuple(sorted({step for _type, step in MAPPING.values() if step}))


def kinds_of(event_type: str | None = None, biz_step: str | None = None) -> set[str]:
    """The ledger kinds that read as events of this EPCIS type and bizStep."""
    return {
        kind
        for kind, (type_, step) in MAPPING.items()
        if event_type in (None, type_) and biz_step in (None, step)
    }


@dataclass(frozen=True)
class Row:
    """One ledger event as plain data (LedgerEvent's columns and hashed body)."""

    seq: int
    kind: str
    subject_type: str
    subject_id: str
    recorded_at: datetime
    hash: str
    data: dict


@dataclass
class Facts:
    """What the events point at, read from the rows they name."""

    ids: Identities
    zone: object
    #: bag serial → its lot code (AggregationEvents name bags by serial only).
    bag_lots: dict[str, str] = field(default_factory=dict)
    #: plot id (str) → {"geo": "geo:lat,lon" or None, "geojson": URL}
    plots: dict[str, dict] = field(default_factory=dict)
    #: shipment reference → {"container", "bill_of_lading", "serials": [...]}
    shipments: dict[str, dict] = field(default_factory=dict)


def _times(row: Row, day: str | None, zone) -> dict:
    recorded = row.recorded_at.astimezone(UTC)
    moment = local_midnight(day, zone) if day else recorded
    return {
        "eventTime": moment.isoformat(),
        "eventTimeZoneOffset": offset_text(moment),
        "recordTime": recorded.isoformat(),
    }


def _common(row: Row, facts: Facts, event_type: str, day: str | None = None) -> dict:
    return {
        "type": event_type,
        **_times(row, day, facts.zone),
        "eventID": facts.ids.event(row.seq),
        ext("ledgerSeq"): row.seq,
        ext("ledgerHash"): row.hash,
        ext("ledgerKind"): row.kind,
    }


def _qty(ids: Identities, lot: str, kg) -> dict:
    return {"epcClass": ids.lot(lot), "quantity": quantity(kg), "uom": KGM}


def _bags(facts: Facts, serials, lot: str | None = None) -> list[str]:
    return [facts.ids.bag(s, lot or facts.bag_lots.get(s)) for s in serials]


def _delivery(row: Row, facts: Facts) -> dict:
    data, ids = row.data, facts.ids
    plot = facts.plots.get(str(data.get("plot_id")), {})
    ilmd = {ext("productForm"): data.get("product_form")}
    if plot.get("geo"):
        ilmd[ext("plotGeo")] = plot["geo"]
    if plot.get("geojson"):
        ilmd[ext("plotGeoJSON")] = plot["geojson"]
    return {
        **_common(row, facts, "ObjectEvent", data.get("delivered_on")),
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        # The event's subject names the same lot, should a body lack it.
        "quantityList": [_qty(ids, data.get("lot") or row.subject_id, data["net_kg"])],
        "readPoint": {"id": ids.plot(data.get("plot_id"))},
        "bizLocation": {"id": ids.site()},
        "ilmd": ilmd,
        ext("ticket"): data.get("ticket_number"),
    }


def _transformation(row: Row, facts: Facts) -> dict:
    data, ids = row.data, facts.ids
    event = {
        **_common(row, facts, "TransformationEvent", data.get("occurredOn")),
        "inputQuantityList": [
            _qty(ids, item["lot"], item["quantity"]) for item in data["inputQuantityList"]
        ],
    }
    if data.get("outputQuantityList"):
        event["outputQuantityList"] = [
            _qty(ids, item["lot"], item["quantity"]) for item in data["outputQuantityList"]
        ]
    event.update(
        {
            "transformationID": ids.transformation(row.subject_id),
            "bizStep": MAPPING[row.kind][1],
            "disposition": "active",
            "bizLocation": {"id": ids.site()},
            ext("transformationKind"): data.get("kind"),
            ext("loss"): {"quantity": quantity(data.get("lossKg") or 0), "uom": KGM},
        }
    )
    if data.get("downgradedToConventional"):
        event[ext("downgradedToConventional")] = True
    return event


def _bags_created(row: Row, facts: Facts) -> dict:
    lot = row.subject_id
    return {
        **_common(row, facts, "ObjectEvent"),
        "epcList": _bags(facts, row.data.get("serials", []), lot),
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        "bizLocation": {"id": facts.ids.site()},
        "ilmd": {
            ext("lot"): facts.ids.lot(lot),
            ext("netWeight"): {"quantity": quantity(row.data["netKgEach"]), "uom": KGM},
        },
    }


def _bag_voided(row: Row, facts: Facts) -> dict:
    reason = (row.data.get("errorDeclaration") or {}).get("reason")
    return {
        **_common(row, facts, "ObjectEvent"),
        "epcList": _bags(facts, [row.subject_id], row.data.get("lot")),
        "action": "DELETE",
        "bizStep": "decommissioning",
        "disposition": "inactive",
        "bizLocation": {"id": facts.ids.site()},
        ext("reason"): reason,
    }


def _transactions(facts: Facts, reference: str) -> list[dict]:
    found = [{"type": "po", "bizTransaction": facts.ids.transaction("po", reference)}]
    bill = facts.shipments.get(reference, {}).get("bill_of_lading")
    if bill:
        found.append({"type": "bol", "bizTransaction": facts.ids.transaction("bol", bill)})
    return found


def _shipment(row: Row, facts: Facts) -> dict:
    reference, data = row.subject_id, row.data
    shipment = facts.shipments.get(reference, {})
    if row.kind == "shipment.created":
        return {
            **_common(row, facts, "TransactionEvent"),
            "bizTransactionList": _transactions(facts, reference)[:1],
            "epcList": [],
            "action": "ADD",
            "bizLocation": {"id": facts.ids.site()},
        }
    if row.kind in ("shipment.bags_added", "shipment.bags_removed"):
        container = data.get("container") or shipment.get("container")
        return {
            **_common(row, facts, "AggregationEvent"),
            "parentID": facts.ids.container(container, reference),
            "childEPCs": _bags(facts, data.get("childEPCs", [])),
            "action": "ADD" if row.kind == "shipment.bags_added" else "DELETE",
            "bizStep": MAPPING[row.kind][1],
            "disposition": "in_progress",
            "bizLocation": {"id": facts.ids.site()},
        }
    shipped = row.kind == "shipment.shipped"
    event = {
        **_common(row, facts, "ObjectEvent", data.get("on")),
        # Shipped bags are frozen on the shipment (shipments/models.py): today's are those.
        "epcList": _bags(facts, shipment.get("serials", [])),
        "action": "OBSERVE",
        "bizStep": MAPPING[row.kind][1],
        "disposition": "in_transit" if shipped else "active",
        "bizTransactionList": _transactions(facts, reference),
    }
    if shipped:
        event["readPoint"] = {"id": facts.ids.site()}
    if data.get("container"):
        event[ext("container")] = facts.ids.container(data["container"], reference)
    return event


BUILDERS = {
    "delivery.registered": _delivery,
    "bags.created": _bags_created,
    "bag.voided": _bag_voided,
    **dict.fromkeys(TRANSFORMATION_KINDS, _transformation),
    **dict.fromkeys(
        (
            "shipment.created",
            "shipment.bags_added",
            "shipment.bags_removed",
            "shipment.shipped",
            "shipment.delivered",
        ),
        _shipment,
    ),
}


def epcis_event(row: Row, facts: Facts, voided_by: Row | None = None) -> dict:
    """The EPCIS event a ledger event reads as; `voided_by` declares it erroneous."""
    event = BUILDERS[row.kind](row, facts)
    if voided_by is not None:
        declared = voided_by.data.get("errorDeclaration") or {}
        event["errorDeclaration"] = {
            "declarationTime": voided_by.recorded_at.astimezone(UTC).isoformat(),
            "reason": "did_not_occur",
            ext("reason"): declared.get("reason"),
            ext("declaredBy"): {
                ext("ledgerSeq"): voided_by.seq,
                ext("ledgerHash"): voided_by.hash,
            },
        }
    return event


def voided_key(row: Row) -> tuple[str, str]:
    """What a void names: the (subject type, id) of the event it voids."""
    return (row.subject_type, row.subject_id)


def events_of(rows: list[Row], facts: Facts) -> list[dict]:
    """The EPCIS events of ledger rows in ledger order; a void marks the event it voids."""
    voids = {voided_key(r): r for r in rows if r.kind in VOID_KINDS}
    events = []
    for row in rows:
        if row.kind in VOID_KINDS or row.kind not in BUILDERS:
            continue
        void = voids.get((row.subject_type, row.subject_id))
        voided = void if void is not None and _voids(void, row) else None
        events.append(epcis_event(row, facts, voided))
    return events


def _voids(void: Row, row: Row) -> bool:
    """Whether `void` voids `row` (a delivery void names the lot its bags also name)."""
    original = VOID_KINDS[void.kind]
    return row.kind == original if original else row.kind in TRANSFORMATION_KINDS


def epcis_document(events: list[dict], created: datetime) -> dict:
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": created.astimezone(UTC).isoformat(),
        "epcisBody": {"eventList": events},
    }


def standalone(event: dict) -> dict:
    """An event that stands alone (a query result item): with its own @context."""
    return {"@context": CONTEXT, **event}


def to_bytes(document) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
