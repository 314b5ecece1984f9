"""Payment runs: choose deliveries, preview what each producer is owed, confirm into payments.

Per producer: gross value of the chosen deliveries, what advances and earlier payments have
already paid of it, the balance still outstanding (core.outstanding), premiums earned and not
yet paid, and deductions (the cooperative's retention per kg, then debt instalments due), each
capped so that nothing is paid twice and no payment goes below zero. Confirming re-reads all of
it after locking the deliveries, so two runs over the same deliveries can never both pay them:
the second finds nothing outstanding.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlmodel import Session

from coopchain.db import in_organization, owned
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.farms.models import Producer
from coopchain.ledger import services as ledger
from coopchain.lots.models import Bag, Delivery, Lot
from coopchain.lots.origins import origins_of_many
from coopchain.lots.services import reserve_numbers
from coopchain.payments import core
from coopchain.payments.amounts import currency_field, date_field
from coopchain.payments.debts import due_deductions_many
from coopchain.payments.models import (
    AllocationKind,
    Payment,
    PaymentAllocation,
    PaymentMethod,
    PaymentRun,
    PremiumKind,
)
from coopchain.payments.premiums import premiums_for
from coopchain.shipments.models import Shipment

ZERO = Decimal("0.00")


@dataclass
class ProducerRow:
    producer: Producer
    deliveries: list[Delivery] = field(default_factory=list)
    gross: Decimal = ZERO
    paid_before: Decimal = ZERO
    outstanding: Decimal = ZERO
    premiums: Decimal = ZERO
    deductions: Decimal = ZERO
    #: core.Line objects the payment will carry, in order: balances, premiums, deductions.
    lines: list = field(default_factory=list)

    @property
    def net(self) -> Decimal:
        return self.outstanding + self.premiums + self.deductions

    @property
    def settles(self) -> bool:
        """Whether the lines settle anything (a balance or a premium) against deductions."""
        return any(line.kind != AllocationKind.DEDUCTION.value for line in self.lines) and any(
            line.kind == AllocationKind.DEDUCTION.value for line in self.lines
        )

    def summary(self) -> list[tuple[str, str, Decimal, int]]:
        """(kind, description, amount, lines) of the premiums and deductions, one per rule or
        debt: what the preview and the statement show instead of a line per delivery."""
        grouped: dict[tuple[str, str], list] = {}
        for line in self.lines:
            if line.kind != AllocationKind.BALANCE.value:
                key = (line.kind, line.description or "")
                grouped.setdefault(key, []).append(line.amount)
        return [(k, d, sum(a, ZERO), len(a)) for (k, d), a in grouped.items()]


@dataclass
class Preview:
    selection: dict
    paid_on: object
    currency: str
    rows: list[ProducerRow]

    @property
    def payable(self) -> list[ProducerRow]:
        """Rows with something to pay, and rows whose deductions take exactly the whole net:
        those are recorded too (a payment of 0.00), so the balance is settled and the debt
        recovered by offset instead of staying owed run after run."""
        return [row for row in self.rows if row.net > 0 or (row.net == 0 and row.settles)]

    def totals(self) -> dict:
        keys = ("gross", "paid_before", "outstanding", "premiums", "deductions")
        totals = {k: sum((getattr(r, k) for r in self.rows), ZERO) for k in keys}
        totals["net"] = sum((r.net for r in self.payable), ZERO)
        totals["producers"] = len(self.payable)
        return {k: (f"{v:.2f}" if isinstance(v, Decimal) else v) for k, v in totals.items()}


def read_selection(session: Session, org_id: int, data: dict) -> dict:
    """{"from", "to"} | {"producer_id"} (optionally with from/to) | {"shipment"}: checked."""
    errors: dict = {}
    selection: dict = {}
    shipment = str(data.get("shipment") or "").strip()
    producer_id = str(data.get("producer_id") or "").strip()
    if shipment:
        if session.scalar(owned(Shipment, org_id).where(Shipment.reference == shipment)) is None:
            errors["shipment"] = [str(_l("No such shipment."))]
        selection["shipment"] = shipment
    else:
        start = date_field(data, "from", errors, required=not producer_id)
        end = date_field(data, "to", errors, required=not producer_id)
        if start and end and end < start:
            errors["to"] = [str(_l("The period ends before it starts."))]
        if producer_id:
            found = producer_id.isdigit() and session.scalar(
                owned(Producer, org_id).where(Producer.id == int(producer_id))
            )
            if not found:
                errors["producer_id"] = [str(_l("No such producer."))]
            else:
                selection["producer_id"] = found.id
        if start:
            selection["from"] = start.isoformat()
        if end:
            selection["to"] = end.isoformat()
    if errors:
        raise DomainError(str(_l("Choose the deliveries to pay.")), errors)
    return selection


def chosen_deliveries(session: Session, org_id: int, selection: dict) -> list[Delivery]:
    """The live deliveries the selection names: a period, a producer, or those traced into a
    shipment through its bags' lots (origins_of, the lineage every page uses)."""
    query = owned(Delivery, org_id).where(Delivery.voided_at.is_(None))
    if "shipment" in selection:
        shipment = session.scalar(
            owned(Shipment, org_id).where(Shipment.reference == selection["shipment"])
        )
        lot_ids = select(Bag.lot_id).where(Bag.shipment_id == shipment.id, Bag.voided_at.is_(None))
        lots = list(session.scalars(owned(Lot, org_id).where(Lot.id.in_(lot_ids))))
        ids = {
            o.delivery_id
            for found in origins_of_many(session, org_id, lots).values()
            for o in found.origins
        }
        query = query.where(Delivery.id.in_(sorted(ids)))
    if "producer_id" in selection:
        query = query.where(Delivery.producer_id == selection["producer_id"])
    # The selection is kept as JSON (ISO text); compare dates as dates (PostgreSQL will not
    # compare a date with text).
    if "from" in selection:
        query = query.where(Delivery.delivered_on >= date.fromisoformat(selection["from"]))
    if "to" in selection:
        query = query.where(Delivery.delivered_on <= date.fromisoformat(selection["to"]))
    return list(session.scalars(query.order_by(Delivery.delivered_on, Delivery.id)))


def _already_paid_rules(session: Session, delivery_ids: list[int]) -> set[tuple[int, int]]:
    """(delivery, rule) pairs a live payment has already paid or deducted: never twice."""
    found = set()
    for start in range(0, len(delivery_ids), 900):
        rows = session.execute(
            select(PaymentAllocation.delivery_id, PaymentAllocation.premium_rule_id)
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .where(
                Payment.voided_at.is_(None),
                PaymentAllocation.premium_rule_id.is_not(None),
                PaymentAllocation.delivery_id.in_(delivery_ids[start : start + 900]),
            )
        )
        found.update((a, b) for a, b in rows)
    return found


def preview(session: Session, org_id: int, selection: dict, paid_on, currency="PEN") -> Preview:
    deliveries = [
        d
        for d in chosen_deliveries(session, org_id, selection)
        if core.delivery_value(d) is not None
    ]
    ids = [d.id for d in deliveries]
    owed = core.outstanding(session, org_id, ids)
    earned = premiums_for(session, org_id, deliveries, currency)
    done = _already_paid_rules(session, ids)
    producers = {
        p.id: p
        for p in session.scalars(
            owned(Producer, org_id).where(Producer.id.in_({d.producer_id for d in deliveries}))
        )
    }
    rows: dict[int, ProducerRow] = {}
    retention: dict[int, list] = defaultdict(list)
    for d in deliveries:
        row = rows.setdefault(d.producer_id, ProducerRow(producers[d.producer_id]))
        row.deliveries.append(d)
        value = core.delivery_value(d)
        row.gross += value
        row.paid_before += value - owed.get(d.id, ZERO)
        row.outstanding += owed.get(d.id, ZERO)
        if owed.get(d.id):
            row.lines.append(
                core.Line(
                    AllocationKind.BALANCE.value, owed[d.id], d.id, description=d.ticket_number
                )
            )
        for rule, amount in earned.get(d.id, []):
            if (d.id, rule.id) in done:
                continue
            if rule.kind == PremiumKind.RETENTION:
                retention[d.producer_id].append((d, rule, amount))
                continue
            row.premiums += amount
            row.lines.append(
                core.Line(
                    AllocationKind.PREMIUM.value, amount, d.id, rule.id, description=rule.name
                )
            )
    for producer_id, items in retention.items():
        row = rows[producer_id]
        for d, rule, amount in items:
            take = min(-amount, row.net)
            if take > 0:
                row.deductions -= take
                row.lines.append(
                    core.Line(
                        AllocationKind.DEDUCTION.value, -take, d.id, rule.id, description=rule.name
                    )
                )
    if rows:
        debts = due_deductions_many(
            session, org_id, {pid: row.net for pid, row in rows.items()}, paid_on, currency
        )
        for producer_id, items in debts.items():
            row = rows[producer_id]
            for debt, amount in items:
                row.deductions -= amount
                row.lines.append(
                    core.Line(
                        AllocationKind.DEDUCTION.value,
                        -amount,
                        debt_id=debt.id,
                        description=debt.description,
                    )
                )
    ordered = sorted(rows.values(), key=lambda r: r.producer.member_code)
    return Preview(selection, paid_on, currency, ordered)


def read_run_input(
    session: Session, org_id: int, data: dict, priced_in: str = "PEN"
) -> tuple[dict, object, str, str]:
    """(selection, paid_on, currency, method) from a form or JSON body; every bad field named.
    Deliveries are priced in `priced_in` (the CURRENCY setting): a run pays in it, since
    converting a balance would need a rate of the day the run does not ask for."""
    errors: dict = {}
    try:
        selection = read_selection(session, org_id, data)
    except DomainError as error:
        errors.update(error.fields)
        selection = {}
    paid_on = date_field(data, "paid_on", errors)
    currency = currency_field(data, "currency", errors, default=priced_in)
    if currency and currency != priced_in:
        errors["currency"] = [
            str(_l("Deliveries are priced in %(currency)s: a run pays in it.", currency=priced_in))
        ]
    method = str(data.get("method") or PaymentMethod.BANK_TRANSFER.value)
    if method not in {m.value for m in PaymentMethod}:
        errors["method"] = [str(_l("Choose cash, bank transfer, Yape or Plin."))]
    if errors:
        raise DomainError(str(_l("The payment run was not prepared.")), errors)
    return selection, paid_on, currency, method


def confirm(
    session: Session, org_id: int, user_id, selection: dict, paid_on, currency, method
) -> PaymentRun:
    """Lock the chosen deliveries, recompute the preview and pay each producer whose net is
    above zero through core.record_payment. Flushes, never commits."""
    ids = [d.id for d in chosen_deliveries(session, org_id, selection)]
    # Two confirms over the same deliveries queue here (FOR UPDATE on PostgreSQL; SQLite
    # serialises writers from BEGIN IMMEDIATE): the second reads the first's payments.
    for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
        session.execute(
            select(Delivery.id)
            .where(in_organization(Delivery, org_id), Delivery.id.in_(ids[start : start + 900]))
            .order_by(Delivery.id)
            .with_for_update()
        )
    found = preview(session, org_id, selection, paid_on, currency)
    if not found.payable:
        raise Conflict(
            str(_l("Nothing is left to pay for these deliveries.")),
            {"selection": [str(_l("Everything chosen has already been paid."))]},
        )
    seq = reserve_numbers(session, org_id, f"RUN-{paid_on.year}")
    run = PaymentRun(
        organization_id=org_id,
        number=f"RUN-{paid_on.year}-{seq:05d}",
        selection=selection,
        currency=currency,
        paid_on=paid_on,
        method=method,
        totals=found.totals(),
        user_id=user_id,
    )
    session.add(run)
    session.flush()
    for row in found.payable:
        try:
            core.record_payment(
                session,
                org_id,
                user_id,
                producer_id=row.producer.id,
                lines=row.lines,
                method=method,
                paid_on=paid_on,
                currency=currency,
                reference=run.number,
                run_id=run.id,
            )
        except DomainError as error:
            name = f"{row.producer.member_code} {row.producer.first_name} {row.producer.last_name}"
            raise DomainError(f"{name}: {error.message}", error.fields) from error
    ledger.append(
        session,
        org_id,
        "payment_run.confirmed",
        ("payment_run", run.number),
        {"selection": selection, "totals": run.totals, "paid_on": paid_on, "method": method},
        event_type="TransactionEvent",
        user_id=user_id,
    )
    return run


def get_run(session: Session, org_id: int, run_id: int) -> PaymentRun:
    run = session.scalar(owned(PaymentRun, org_id).where(PaymentRun.id == run_id))
    if run is None:
        raise NotFound(str(_l("No such payment run.")))
    return run


def run_payments(session: Session, org_id: int, run_id: int) -> list[tuple[Payment, Producer]]:
    return list(
        session.execute(
            select(Payment, Producer)
            .join(Producer, Producer.id == Payment.producer_id)
            .where(in_organization(Payment, org_id), Payment.run_id == run_id)
            .order_by(Producer.member_code)
        ).all()
    )


def list_runs(session: Session, org_id: int) -> list[PaymentRun]:
    return list(session.scalars(owned(PaymentRun, org_id).order_by(PaymentRun.id.desc())))
