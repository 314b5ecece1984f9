"""Rows against events: does the ledger still describe the data? (issue: trust, part 5)

The hash chain proves the events were not rewritten; it says nothing of a row changed behind
the application's back (`UPDATE deliveries SET net_kg = …`). Every service that writes appends
an event saying what it wrote, so replaying one organisation's events, oldest first, rebuilds
what every delivery, lot, transformation, bag, shipment allocation, certificate and payment
must be now.
`reconcile` compares that with the stored rows and lists each difference, first found first.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session

from coopchain.certs.models import Certificate
from coopchain.db import in_organization, owned
from coopchain.ledger import reconcile_origins, reconcile_payments, reconcile_settlements
from coopchain.ledger.models import LedgerEvent
from coopchain.lots.models import Bag, Delivery, Lot, Transformation, TransformationInput
from coopchain.shipments.models import Shipment

_GRAM = Decimal("0.001")


def _kg(value) -> str:
    return str(Decimal(str(value)).quantize(_GRAM))


@dataclass(frozen=True)
class Difference:
    table: str
    row: str
    field: str
    stored: str | None
    expected: str | None
    #: The event that last set the expected value (seq), when one did.
    seq: int | None = None
    #: What the expected value comes from: "events", or "recomputation" (lot origin shares
    #: rebuilt from the genealogy, reconcile_origins.py).
    against: str = "events"

    def describe(self) -> str:
        if self.against == "recomputation":
            if self.field == "(row)":
                if self.stored is None:
                    return f"{self.table} {self.row}: the genealogy gives it, no row holds it"
                return f"{self.table} {self.row}: the row exists but the genealogy gives none"
            return (
                f"{self.table} {self.row}: {self.field} is {self.stored}, "
                f"recomputed from the genealogy {self.expected}"
            )
        if self.field == "(row)":
            if self.stored is None:
                return f"{self.table} {self.row}: events record it (#{self.seq}), no row holds it"
            return f"{self.table} {self.row}: the row exists but no event records it"
        since = f" (event #{self.seq})" if self.seq else ""
        return (
            f"{self.table} {self.row}: {self.field} is {self.stored}, "
            f"its events say {self.expected}{since}"
        )


@dataclass
class Replay:
    """What the events say each row must hold: table -> row key -> field -> (value, seq)."""

    rows: dict[str, dict[str, dict[str, tuple]]] = field(default_factory=dict)

    def set(self, table: str, key, seq: int, **values) -> None:
        row = self.rows.setdefault(table, {}).setdefault(str(key), {})
        for name, value in values.items():
            row[name] = (value, seq)

    def get(self, table: str, key, name: str):
        return self.rows[table][str(key)][name][0]

    def add_kg(self, table: str, key, name: str, delta, seq: int) -> None:
        if str(key) in self.rows.get(table, {}):
            current = Decimal(self.get(table, key, name))
            self.set(table, key, seq, **{name: _kg(current + Decimal(str(delta)))})


def _delivery_registered(replay: Replay, seq: int, data: dict, _subject: str) -> None:
    replay.set(
        "deliveries",
        data["delivery_id"],
        seq,
        ticket=data["ticket_number"],
        producer_id=str(data["producer_id"]),
        plot_id=str(data["plot_id"]),
        product_form=data["product_form"],
        gross_kg=_kg(data["gross_kg"]),
        tare_kg=_kg(data["tare_kg"]),
        net_kg=_kg(data["net_kg"]),
        delivered_on=data["delivered_on"],
        voided="no",
    )
    if "intake_warnings" in data:  # events before intake warnings existed do not say
        replay.set("deliveries", data["delivery_id"], seq, warnings=_codes(data["intake_warnings"]))
    net = _kg(data["net_kg"])
    replay.set("lots", data["lot"], seq, quantity_kg=net, available_kg=net, voided="no")


def _codes(warnings) -> str:
    return ", ".join(w.get("code", "?") for w in warnings or [])


def _delivery_voided(replay: Replay, seq: int, data: dict, subject: str) -> None:
    replay.set("deliveries", data["delivery_id"], seq, voided="yes")
    replay.set("lots", subject, seq, available_kg=_kg(0), voided="yes")


def _transformed(replay: Replay, seq: int, data: dict, subject: str) -> None:
    inputs = {}
    for item in data["inputQuantityList"]:
        replay.add_kg("lots", item["lot"], "available_kg", -Decimal(str(item["quantity"])), seq)
        inputs[item["lot"]] = _kg(item["quantity"])
    for item in data["outputQuantityList"]:
        quantity = _kg(item["quantity"])
        replay.set(
            "lots", item["lot"], seq, quantity_kg=quantity, available_kg=quantity, voided="no"
        )
    replay.set(
        "transformations",
        subject,
        seq,
        kind=data["kind"],
        loss_kg=_kg(data["lossKg"]),
        inputs=", ".join(f"{code} {kg}" for code, kg in sorted(inputs.items())),
        voided="no",
    )


def _transformation_voided(replay: Replay, seq: int, data: dict, subject: str) -> None:
    for item in data["returned"]:
        replay.add_kg("lots", item["lot"], "available_kg", item["quantity"], seq)
    for code in data["voidedLots"]:
        replay.set("lots", code, seq, available_kg=_kg(0), voided="yes")
    replay.set("transformations", subject, seq, voided="yes")


def _bags_created(replay: Replay, seq: int, data: dict, subject: str) -> None:
    replay.add_kg("lots", subject, "available_kg", -Decimal(str(data["quantity"])), seq)
    for serial in data["serials"]:
        replay.set(
            "bags",
            serial,
            seq,
            lot=subject,
            net_kg=_kg(data["netKgEach"]),
            voided="no",
            shipment="-",
        )


def _bag_voided(replay: Replay, seq: int, data: dict, subject: str) -> None:
    replay.add_kg("lots", data["lot"], "available_kg", data["returnedKg"], seq)
    replay.set("bags", subject, seq, voided="yes")


def _bags_added(replay: Replay, seq: int, data: dict, subject: str) -> None:
    for serial in data["childEPCs"]:
        replay.set("bags", serial, seq, shipment=subject)


def _bags_removed(replay: Replay, seq: int, data: dict, _subject: str) -> None:
    for serial in data["childEPCs"]:
        replay.set("bags", serial, seq, shipment="-")


def _certificate_issued(replay: Replay, seq: int, data: dict, subject: str) -> None:
    replay.set(
        "certificates",
        subject,
        seq,
        subject=f"{data['subject']['kind']} {data['subject']['reference']}",
        sha256=data["sha256"],
        status="valid",
    )


def _certificate_revoked(replay: Replay, seq: int, _data: dict, subject: str) -> None:
    replay.set("certificates", subject, seq, status="revoked")


#: Event kind -> how it changes the rows. Transformations are "lot.<kind>".
HANDLERS = {
    "delivery.registered": _delivery_registered,
    "delivery.voided": _delivery_voided,
    "lot.merge": _transformed,
    "lot.split": _transformed,
    "lot.process": _transformed,
    "lot.sample": _transformed,
    "transformation.voided": _transformation_voided,
    "bags.created": _bags_created,
    "bag.voided": _bag_voided,
    "shipment.bags_added": _bags_added,
    "shipment.bags_removed": _bags_removed,
    "certificate.issued": _certificate_issued,
    "certificate.revoked": _certificate_revoked,
    **reconcile_payments.HANDLERS,
    **reconcile_settlements.HANDLERS,
}


def replay_events(session: Session, organization_id: int) -> Replay:
    replay = Replay()
    events = session.execute(
        select(LedgerEvent.seq, LedgerEvent.kind, LedgerEvent.subject_id, LedgerEvent.payload)
        .where(in_organization(LedgerEvent, organization_id), LedgerEvent.kind.in_(HANDLERS))
        .order_by(LedgerEvent.seq)
        .execution_options(yield_per=1000)
    )
    for seq, kind, subject_id, payload in events:
        HANDLERS[kind](replay, seq, (payload or {}).get("data") or {}, subject_id)
    return replay


def _yes_no(moment) -> str:
    return "no" if moment is None else "yes"


def stored_rows(session: Session, organization_id: int) -> dict[str, dict[str, dict]]:
    """The same fields as the replay, read from the tables."""
    lots_by_id = dict(
        session.execute(select(Lot.id, Lot.code).where(in_organization(Lot, organization_id))).all()
    )
    rows: dict[str, dict[str, dict]] = {}
    rows["deliveries"] = {
        str(d.id): {
            "ticket": d.ticket_number,
            "producer_id": str(d.producer_id),
            "plot_id": str(d.plot_id),
            "product_form": d.product_form,
            "gross_kg": _kg(d.gross_kg),
            "tare_kg": _kg(d.tare_kg),
            "net_kg": _kg(d.net_kg),
            "delivered_on": d.delivered_on.isoformat(),
            "voided": _yes_no(d.voided_at),
            "warnings": _codes(d.intake_warnings),
        }
        for d in session.scalars(owned(Delivery, organization_id))
    }
    rows["lots"] = {
        lot.code: {
            "quantity_kg": _kg(lot.quantity_kg),
            "available_kg": _kg(lot.available_kg),
            "voided": _yes_no(lot.voided_at),
        }
        for lot in session.scalars(owned(Lot, organization_id))
    }
    inputs: dict[int, list[str]] = {}
    for transformation_id, lot_id, quantity in session.execute(
        select(
            TransformationInput.transformation_id,
            TransformationInput.lot_id,
            TransformationInput.quantity_kg,
        )
        .join(Transformation, Transformation.id == TransformationInput.transformation_id)
        .where(in_organization(Transformation, organization_id))
    ):
        inputs.setdefault(transformation_id, []).append(f"{lots_by_id.get(lot_id)} {_kg(quantity)}")
    rows["transformations"] = {
        str(t.id): {
            "kind": t.kind,
            "loss_kg": _kg(t.loss_kg),
            "inputs": ", ".join(sorted(inputs.get(t.id, []))),
            "voided": _yes_no(t.voided_at),
        }
        for t in session.scalars(owned(Transformation, organization_id))
    }
    shipments = dict(
        session.execute(
            select(Shipment.id, Shipment.reference).where(
                in_organization(Shipment, organization_id)
            )
        ).all()
    )
    rows["bags"] = {
        bag.serial: {
            "lot": lots_by_id.get(bag.lot_id),
            "net_kg": _kg(bag.net_kg),
            "voided": _yes_no(bag.voided_at),
            "shipment": shipments.get(bag.shipment_id, "-") if bag.shipment_id else "-",
        }
        for bag in session.scalars(owned(Bag, organization_id))
    }
    rows["certificates"] = {
        c.number: {
            "subject": f"{c.subject_kind} {c.subject_ref}",
            "sha256": c.sha256,
            "status": c.status,
        }
        for c in session.scalars(owned(Certificate, organization_id))
    }
    rows["payments"] = reconcile_payments.stored_payments(session, organization_id)
    rows["settlements"] = reconcile_settlements.stored_settlements(session, organization_id)
    return rows


@dataclass
class Reconciliation:
    rows_checked: int
    differences: list[Difference]


def reconcile(session: Session, organization_id: int) -> Reconciliation:
    """Every difference between the rows and what the events say they hold, ordered by the
    event that set the expected value (rows no event records come last)."""
    replay = replay_events(session, organization_id)
    stored = stored_rows(session, organization_id)
    differences: list[Difference] = []
    checked = 0
    for table, rows in stored.items():
        expected_rows = replay.rows.get(table, {})
        for key, values in rows.items():
            checked += 1
            expected = expected_rows.get(key)
            if expected is None:
                differences.append(Difference(table, key, "(row)", "present", None))
                continue
            for name, value in values.items():
                if name in expected and expected[name][0] != value:
                    want, seq = expected[name]
                    differences.append(Difference(table, key, name, value, want, seq))
        for key in expected_rows.keys() - rows.keys():
            seq = min(seq for _value, seq in expected_rows[key].values())
            differences.append(Difference(table, key, "(row)", None, "present", seq))
    shares_checked, found = reconcile_origins.differences(session, organization_id)
    checked += shares_checked
    differences += [
        Difference(reconcile_origins.TABLE, row, name, have, want, against="recomputation")
        for row, name, have, want in found
    ]
    differences.sort(key=lambda d: (d.seq is None, d.seq or 0, d.table, d.row, d.field))
    return Reconciliation(checked, differences)
