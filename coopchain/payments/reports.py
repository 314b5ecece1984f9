"""The treasurer's and the certifier's money reports: what is owed to whom in a season, and the
premiums paid per season and rule (issue: paying producers, point 6).

"Owed" is the statement's balance (statement.py), per producer: value of the season's
deliveries + their settlement shares − advance, balance and settlement lines paid for them
(live payments only). The same definitions, so a producer's line here equals the balance on
their statement (tested).
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import extract, func, select
from sqlmodel import Session

from coopchain.db import in_organization
from coopchain.farms.models import Producer
from coopchain.lots.models import Delivery
from coopchain.payments.core import delivery_value
from coopchain.payments.models import (
    AllocationKind,
    Payment,
    PaymentAllocation,
    PremiumRule,
    Settlement,
    SettlementLine,
)
from coopchain.payments.statement import PAID_FOR_VALUE

ZERO = Decimal("0.00")


@dataclass
class OwedRow:
    producer_id: int
    member_code: str
    name: str
    kg: Decimal
    value: Decimal
    settlement: Decimal
    paid: Decimal

    @property
    def owed(self) -> Decimal:
        return self.value + self.settlement - self.paid


def owed_report(session: Session, org_id: int, season: int) -> list[OwedRow]:
    """One row per producer who delivered in `season`, most owed first."""
    deliveries = session.execute(
        select(
            Delivery.id,
            Delivery.producer_id,
            Delivery.net_kg,
            Delivery.price_per_kg,
            Delivery.price_entered,
            Delivery.price_unit,
        ).where(
            in_organization(Delivery, org_id),
            Delivery.voided_at.is_(None),
            extract("year", Delivery.delivered_on) == season,
        )
    ).all()
    producer_of = {row.id: row.producer_id for row in deliveries}
    kg, value = defaultdict(lambda: Decimal("0.000")), defaultdict(lambda: ZERO)
    for row in deliveries:
        kg[row.producer_id] += row.net_kg
        value[row.producer_id] += delivery_value(row) or ZERO
    settled, paid = defaultdict(lambda: ZERO), defaultdict(lambda: ZERO)
    ids = list(producer_of)
    for delivery_id, amount in session.execute(
        select(SettlementLine.delivery_id, func.sum(SettlementLine.amount))
        .join(Settlement, Settlement.id == SettlementLine.settlement_id)
        .where(
            in_organization(Settlement, org_id),
            Settlement.voided_at.is_(None),
            SettlementLine.delivery_id.in_(ids),
        )
        .group_by(SettlementLine.delivery_id)
    ):
        settled[producer_of[delivery_id]] += Decimal(amount)
    for delivery_id, amount in session.execute(
        select(PaymentAllocation.delivery_id, func.sum(PaymentAllocation.amount))
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .where(
            in_organization(Payment, org_id),
            Payment.voided_at.is_(None),
            PaymentAllocation.kind.in_(PAID_FOR_VALUE),
            PaymentAllocation.delivery_id.in_(ids),
        )
        .group_by(PaymentAllocation.delivery_id)
    ):
        paid[producer_of[delivery_id]] += Decimal(amount)
    producers = {
        p.id: p
        for p in session.scalars(
            select(Producer).where(in_organization(Producer, org_id), Producer.id.in_(list(kg)))
        )
    }
    rows = [
        OwedRow(
            producer_id=pid,
            member_code=producers[pid].member_code,
            name=producers[pid].full_name,
            kg=kg[pid],
            value=value[pid].quantize(ZERO),
            settlement=settled[pid].quantize(ZERO),
            paid=paid[pid].quantize(ZERO),
        )
        for pid in kg
    ]
    return sorted(rows, key=lambda row: (-row.owed, row.member_code))


@dataclass
class PremiumRow:
    season: int
    rule: str
    kind: str
    currency: str
    producers: int
    deliveries: int
    amount: Decimal


def premiums_report(session: Session, org_id: int) -> list[PremiumRow]:
    """Premiums paid (live payments), per season and rule, newest season first. The season of
    a line is its delivery's harvest year, else the year it was paid."""
    year = func.coalesce(
        extract("year", Delivery.delivered_on), extract("year", Payment.paid_on)
    ).label("season")
    found = []
    # Lines under a rule are counted per rule; lines without one (a premium typed by hand)
    # per their description.
    for named in (
        (PaymentAllocation.premium_rule_id, PremiumRule.name, PremiumRule.kind),
        (PaymentAllocation.description,),
    ):
        under_rule = len(named) == 3
        query = (
            select(
                year,
                *named,
                Payment.currency,
                func.count(func.distinct(Payment.producer_id)),
                func.count(func.distinct(PaymentAllocation.delivery_id)),
                func.sum(PaymentAllocation.amount),
            )
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .outerjoin(Delivery, Delivery.id == PaymentAllocation.delivery_id)
            .where(
                in_organization(Payment, org_id),
                Payment.voided_at.is_(None),
                PaymentAllocation.kind == AllocationKind.PREMIUM.value,
                PaymentAllocation.premium_rule_id.is_not(None)
                if under_rule
                else PaymentAllocation.premium_rule_id.is_(None),
            )
            .group_by(year, *named, Payment.currency)
        )
        if under_rule:
            query = query.join(PremiumRule, PremiumRule.id == PaymentAllocation.premium_rule_id)
        for row in session.execute(query):
            season, *label, currency, producers, deliveries, amount = row
            name, kind = (label[1], label[2]) if under_rule else (label[0] or "—", "")
            found.append(
                PremiumRow(
                    int(season),
                    name,
                    kind,
                    currency,
                    producers,
                    deliveries,
                    Decimal(amount).quantize(ZERO),
                )
            )
    return sorted(found, key=lambda r: (-r.season, r.rule, r.currency))
