"""Premium rules an admin configures, and which deliveries earn them (DOMAIN.md §11).

A rule pays (or, for the cooperative's retention, deducts) an amount per kg of the delivered
product form. Which deliveries qualify depends on the rule's kind: organic (the plot organic on
the delivery date, DOMAIN.md §3), quality (the delivery's lot's cupping score in the band),
sustainability differential (every delivery of the crop/product form), women's (the producer is
a woman). A rule applies to the deliveries made while it was valid. Rules are ended, never
deleted: payments made under them still name them.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlmodel import Session

from coopchain.clock import today, utcnow
from coopchain.db import in_organization, owned
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.farms import rules as farm_rules
from coopchain.farms.models import Plot, Producer
from coopchain.ledger import services as ledger
from coopchain.lots.models import Delivery, Lot
from coopchain.payments.amounts import (
    currency_field,
    date_field,
    decimal_field,
    text_field,
)
from coopchain.payments.models import PremiumKind, PremiumRule
from coopchain.payments.rules import cents
from coopchain.quality.lot_quality import measured_scores

KINDS = tuple(kind.value for kind in PremiumKind)


def rule_dict(rule: PremiumRule) -> dict:
    return {
        "id": rule.id,
        "name": rule.name,
        "kind": rule.kind,
        "crop": rule.crop,
        "product_form": rule.product_form,
        "amount_per_kg": str(rule.amount_per_kg),
        "currency": rule.currency,
        "min_score": None if rule.min_score is None else str(rule.min_score),
        "max_score": None if rule.max_score is None else str(rule.max_score),
        "valid_from": rule.valid_from.isoformat(),
        "valid_until": rule.valid_until.isoformat() if rule.valid_until else None,
        "ended_at": rule.ended_at.isoformat() if rule.ended_at else None,
    }


def list_rules(session: Session, org_id: int) -> list[PremiumRule]:
    query = owned(PremiumRule, org_id).order_by(PremiumRule.ended_at.is_not(None), PremiumRule.id)
    return list(session.scalars(query))


def create_rule(session: Session, org_id: int, user_id: int | None, data: dict) -> PremiumRule:
    """Validate and add a rule; a DomainError names every bad field and nothing is written."""
    errors: dict = {}
    name = text_field(data, "name", errors, max_length=120)
    kind = str(data.get("kind") or "").strip()
    if kind not in KINDS:
        errors["kind"] = [str(_l("Choose one of: %(kinds)s.", kinds=", ".join(KINDS)))]
    amount = decimal_field(data, "amount_per_kg", errors)
    currency = currency_field(data, "currency", errors)
    valid_from = date_field(data, "valid_from", errors)
    valid_until = date_field(data, "valid_until", errors, required=False)
    if valid_from and valid_until and valid_until < valid_from:
        errors["valid_until"] = [str(_l("The end of validity comes before its start."))]
    min_score = decimal_field(data, "min_score", errors, required=kind == PremiumKind.QUALITY)
    max_score = decimal_field(data, "max_score", errors, required=False)
    if kind != PremiumKind.QUALITY:
        min_score = max_score = None
    elif min_score is not None and (min_score > 100 or (max_score or 101) > 101):
        errors["min_score"] = [str(_l("Cupping scores go from 0 to 100."))]
    elif min_score is not None and max_score is not None and max_score <= min_score:
        errors["max_score"] = [str(_l("The band's upper score must be above its lower one."))]
    crop = text_field(data, "crop", errors, max_length=20, required=False)
    product_form = text_field(data, "product_form", errors, max_length=20, required=False)
    if amount is not None and amount != amount.quantize(Decimal("0.0001")):
        errors["amount_per_kg"] = [str(_l("At most four decimals."))]
    if errors:
        raise DomainError(str(_l("The premium rule was not saved.")), errors)
    rule = PremiumRule(
        organization_id=org_id,
        name=name,
        kind=kind,
        crop=crop,
        product_form=product_form,
        amount_per_kg=amount,
        currency=currency,
        min_score=min_score,
        max_score=max_score,
        valid_from=valid_from,
        valid_until=valid_until,
        user_id=user_id,
    )
    session.add(rule)
    session.flush()
    ledger.append(
        session,
        org_id,
        "premium_rule.created",
        ("premium_rule", rule.id),
        rule_dict(rule),
        user_id=user_id,
    )
    return rule


def end_rule(session: Session, org_id: int, user_id: int | None, rule_id: int) -> PremiumRule:
    """End a rule today: deliveries made until today keep it, later ones do not earn it."""
    rule = session.scalar(owned(PremiumRule, org_id).where(PremiumRule.id == rule_id))
    if rule is None:
        raise NotFound(str(_l("No such premium rule.")))
    if rule.ended_at is not None:
        raise Conflict(str(_l("This premium rule has already been ended.")))
    rule.ended_at = utcnow()
    ended_on = today()
    if rule.valid_until is None or rule.valid_until > ended_on:
        rule.valid_until = max(ended_on, rule.valid_from)
    session.flush()
    ledger.append(
        session,
        org_id,
        "premium_rule.ended",
        ("premium_rule", rule.id),
        rule_dict(rule),
        action="OBSERVE",
        user_id=user_id,
    )
    return rule


@dataclass(frozen=True)
class _Facts:
    organic: bool
    female: bool
    score: Decimal | None


def _facts(session: Session, org_id: int, deliveries: list[Delivery]) -> dict[int, _Facts]:
    """What the rules ask of each delivery, read in three queries for the whole run."""
    ids = [d.id for d in deliveries]
    plots = dict(
        session.execute(
            select(Plot.id, Plot.organic_conversion_start).where(
                Plot.id.in_({d.plot_id for d in deliveries})
            )
        ).all()
    )
    sexes = dict(
        session.execute(
            select(Producer.id, Producer.sex).where(
                Producer.id.in_({d.producer_id for d in deliveries})
            )
        ).all()
    )
    lot_of = dict(
        session.execute(
            select(Lot.delivery_id, Lot.id).where(
                in_organization(Lot, org_id), Lot.delivery_id.in_(ids)
            )
        ).all()
    )
    # An origin lot has no inputs, so its cupping is its own measured score (lot_quality.py).
    scores = measured_scores(session, org_id, list(lot_of.values()))
    facts = {}
    for d in deliveries:
        status = farm_rules.organic_status(plots.get(d.plot_id), d.delivered_on)
        cupping = scores.get(lot_of.get(d.id))
        facts[d.id] = _Facts(
            organic=status == farm_rules.OrganicStatus.ORGANIC,
            female=sexes.get(d.producer_id) == "female",
            score=cupping.score if cupping else None,
        )
    return facts


def _earns(rule: PremiumRule, delivery: Delivery, facts: _Facts) -> bool:
    on: date = delivery.delivered_on
    if on < rule.valid_from or (rule.valid_until is not None and on > rule.valid_until):
        return False
    if rule.crop and rule.crop != delivery.crop:
        return False
    if rule.product_form and rule.product_form != delivery.product_form:
        return False
    if rule.kind == PremiumKind.ORGANIC:
        return facts.organic
    if rule.kind == PremiumKind.WOMENS:
        return facts.female
    if rule.kind == PremiumKind.QUALITY:
        if facts.score is None or facts.score < rule.min_score:
            return False
        return rule.max_score is None or facts.score < rule.max_score
    return rule.kind in (PremiumKind.SUSTAINABILITY_DIFFERENTIAL, PremiumKind.RETENTION)


def premiums_for(
    session: Session, org_id: int, deliveries: list[Delivery], currency: str | None = None
) -> dict[int, list[tuple[PremiumRule, Decimal]]]:
    """{delivery id: [(rule, amount)]}: amount per kg × net kg to the cent (half up); the
    retention's amount is negative. Only rules in `currency` when it is given."""
    if not deliveries:
        return {}
    query = owned(PremiumRule, org_id).order_by(PremiumRule.id)
    if currency:
        query = query.where(PremiumRule.currency == currency)
    rules = list(session.scalars(query))
    facts = _facts(session, org_id, deliveries) if rules else {}
    found: dict[int, list[tuple[PremiumRule, Decimal]]] = {}
    for delivery in deliveries:
        earned = []
        for rule in rules:
            if _earns(rule, delivery, facts[delivery.id]):
                amount = cents(rule.amount_per_kg * delivery.net_kg)
                sign = -1 if rule.kind == PremiumKind.RETENTION else 1
                if amount:
                    earned.append((rule, sign * amount))
        found[delivery.id] = earned
    return found
