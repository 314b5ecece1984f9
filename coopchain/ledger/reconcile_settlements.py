"""Settlement rows against their ledger events: total, currency, how many lines and what they
add up to, void status (the reconciliation's settlement side; ledger/reconcile.py runs it)."""

from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session

from coopchain.db import in_organization, owned
from coopchain.payments.models import Settlement, SettlementLine

_CENT = Decimal("0.01")


def _money(value) -> str:
    return str(Decimal(str(value)).quantize(_CENT))


def _confirmed(replay, seq: int, data: dict, subject: str) -> None:
    replay.set(
        "settlements",
        subject,
        seq,
        total=_money(data["total"]),
        currency=data.get("currency", "PEN"),
        lines=str(data.get("deliveries", 0)),
        lines_total=_money(data.get("lines_total", data["total"])),
        voided="no",
    )


def _voided(replay, seq: int, _data: dict, subject: str) -> None:
    replay.set("settlements", subject, seq, voided="yes")


HANDLERS = {"settlement.confirmed": _confirmed, "settlement.voided": _voided}


def stored_settlements(session: Session, organization_id: int) -> dict[str, dict]:
    """The settlement fields the replay rebuilds, read from the tables."""
    sums = {
        settlement_id: (count, total)
        for settlement_id, count, total in session.execute(
            select(
                SettlementLine.settlement_id,
                func.count(SettlementLine.id),
                func.sum(SettlementLine.amount),
            )
            .join(Settlement, Settlement.id == SettlementLine.settlement_id)
            .where(in_organization(Settlement, organization_id))
            .group_by(SettlementLine.settlement_id)
        )
    }
    return {
        str(s.id): {
            "total": _money(s.total),
            "currency": s.currency,
            "lines": str(sums.get(s.id, (0, 0))[0]),
            "lines_total": _money(sums.get(s.id, (0, 0))[1] or 0),
            "voided": "no" if s.voided_at is None else "yes",
        }
        for s in session.scalars(owned(Settlement, organization_id))
    }
