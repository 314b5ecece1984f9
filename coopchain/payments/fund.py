"""The Fairtrade Premium fund: income paid to the organisation and its uses by the premium plan.

A collective fund decided by the members (DOMAIN.md §11), never a payment to one member: it
writes FundEntry rows only, never Payment rows. Income usually comes per shipment (coffee: USD
0.20 per lb green) and keeps the exchange rate of its day; a use names its premium-plan item
and cannot spend more than the fund holds in that currency.
"""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlmodel import Session

from coopchain.db import in_organization, owned
from coopchain.errors import DomainError
from coopchain.ledger import services as ledger
from coopchain.payments.amounts import (
    currency_field,
    date_field,
    decimal_field,
    text_field,
)
from coopchain.payments.models import FundEntry, FundEntryKind
from coopchain.payments.rules import CENT
from coopchain.shipments.models import Shipment

FUND = "fairtrade_premium"


def balances(session: Session, org_id: int) -> dict[str, Decimal]:
    """{currency: income − uses} over live entries."""
    rows = session.execute(
        select(FundEntry.currency, FundEntry.kind, func.sum(FundEntry.amount))
        .where(in_organization(FundEntry, org_id), FundEntry.voided_at.is_(None))
        .group_by(FundEntry.currency, FundEntry.kind)
    )
    found: dict[str, Decimal] = {}
    for currency, kind, total in rows:
        sign = 1 if kind == FundEntryKind.INCOME else -1
        found[currency] = found.get(currency, Decimal("0.00")) + sign * Decimal(total)
    return dict(sorted(found.items()))


def entries(session: Session, org_id: int) -> list[FundEntry]:
    query = owned(FundEntry, org_id).order_by(FundEntry.occurred_on.desc(), FundEntry.id.desc())
    return list(session.scalars(query))


def entry_dict(entry: FundEntry) -> dict:
    return {
        "id": entry.id,
        "kind": entry.kind,
        "amount": f"{entry.amount:.2f}",
        "currency": entry.currency,
        "exchange_rate": None if entry.exchange_rate is None else str(entry.exchange_rate),
        "occurred_on": entry.occurred_on.isoformat(),
        "plan_item": entry.plan_item,
        "description": entry.description,
        "shipment_id": entry.shipment_id,
    }


def record_entry(session: Session, org_id: int, user_id, data: dict) -> FundEntry:
    """Income (optionally from a shipment, with the exchange rate of its day) or a use (with
    its plan item). A DomainError names each bad field and nothing is written."""
    errors: dict = {}
    kind = str(data.get("kind") or "").strip()
    if kind not in {k.value for k in FundEntryKind}:
        errors["kind"] = [str(_l("Choose income or use."))]
    amount = decimal_field(data, "amount", errors)
    if amount is not None and amount != amount.quantize(CENT):
        errors["amount"] = [str(_l("Amounts are to the cent."))]
    currency = currency_field(data, "currency", errors, default="USD")
    rate = decimal_field(data, "exchange_rate", errors, required=False)
    occurred_on = date_field(data, "occurred_on", errors)
    description = text_field(data, "description", errors, max_length=300)
    plan_item = text_field(
        data, "plan_item", errors, max_length=120, required=kind == FundEntryKind.USE
    )
    shipment_id = None
    reference = str(data.get("shipment") or "").strip()
    if reference:
        shipment = session.scalar(owned(Shipment, org_id).where(Shipment.reference == reference))
        if shipment is None:
            errors["shipment"] = [str(_l("No such shipment."))]
        else:
            shipment_id = shipment.id
    if kind == FundEntryKind.USE and amount and currency and not errors:
        held = balances(session, org_id).get(currency, Decimal("0.00"))
        if amount > held:
            errors["amount"] = [
                str(
                    _l(
                        "The fund holds only %(held)s %(currency)s.",
                        held=f"{held:.2f}",
                        currency=currency,
                    )
                )
            ]
    if errors:
        raise DomainError(str(_l("The fund entry was not recorded.")), errors)
    entry = FundEntry(
        organization_id=org_id,
        fund=FUND,
        kind=kind,
        amount=amount,
        currency=currency,
        exchange_rate=rate,
        occurred_on=occurred_on,
        plan_item=plan_item if kind == FundEntryKind.USE else None,
        description=description,
        shipment_id=shipment_id,
        user_id=user_id,
    )
    session.add(entry)
    session.flush()
    ledger.append(
        session,
        org_id,
        f"premium_fund.{kind}",
        ("fund_entry", entry.id),
        entry_dict(entry),
        event_type="TransactionEvent",
        user_id=user_id,
    )
    return entry
