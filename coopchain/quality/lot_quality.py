"""A lot's cup quality: measured by its own latest closed session, or derived from its inputs.

DOMAIN.md §4: a lot's cupping score is the mean final score of its cuppers in its latest
session. A lot that was never cupped but was made from cupped lots (a merge, a split, hulling)
gets the kilogram-weighted mean of its inputs' scores, measured or themselves derived, and is
labelled *derived*: it is an estimate of the blend, never a measurement. When only part of the
inputs' kilograms were cupped, `coverage` says how much of the lot the estimate rests on.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlmodel import Session

from coopchain.db import in_organization
from coopchain.lots.lot_graph import ancestry_query, load_graph
from coopchain.lots.models import Lot
from coopchain.quality import rules
from coopchain.quality.models import CuppingSample, CuppingSession, CuppingSheet, SessionStatus


@dataclass(frozen=True)
class CuppingScore:
    score: Decimal
    classification: rules.Classification
    #: Protocols the score rests on (one when measured).
    protocols: tuple
    derived: bool
    #: Measured: the session, its date and the number of cuppers.
    session_number: str | None = None
    held_on: date | None = None
    cupper_count: int | None = None
    #: Derived: share (0–1) of the lot's input kilograms that had a score, and the lots cupped.
    coverage: Decimal = Decimal("1")
    measured_lots: tuple = field(default_factory=tuple)


def _measured(session: Session, org_id: int, lot_ids) -> dict[int, CuppingScore]:
    """The latest closed session's panel mean for each lot in `lot_ids` that was cupped."""
    rows = session.execute(
        select(
            CuppingSample.lot_id,
            CuppingSession.number,
            CuppingSession.held_on,
            CuppingSession.protocol,
            CuppingSession.id,
            func.count(CuppingSheet.id),
            func.sum(CuppingSheet.final_score),
        )
        .join(CuppingSession, CuppingSession.id == CuppingSample.session_id)
        .join(CuppingSheet, CuppingSheet.sample_id == CuppingSample.id)
        .where(
            in_organization(CuppingSession, org_id),
            CuppingSession.status == SessionStatus.CLOSED,
            CuppingSample.lot_id.in_(lot_ids),
        )
        .group_by(
            CuppingSample.lot_id,
            CuppingSession.number,
            CuppingSession.held_on,
            CuppingSession.protocol,
            CuppingSession.id,
        )
        .order_by(CuppingSession.held_on, CuppingSession.id)
    )
    found = {}
    for lot_id, number, held_on, protocol, _id, count, total in rows:
        # Ordered oldest first, so the latest session wins; the same rounding as the panel.
        mean = (Decimal(total) / count).quantize(rules.CENT, rounding=ROUND_HALF_UP)
        found[lot_id] = CuppingScore(
            score=mean,
            classification=rules.classify(mean),
            protocols=(protocol,),
            derived=False,
            session_number=number,
            held_on=held_on,
            cupper_count=count,
        )
    return found


def measured_scores(session: Session, org_id: int, lot_ids: list[int]) -> dict[int, CuppingScore]:
    """{lot id: score} for those of `lot_ids` cupped in a closed session (one query: lists)."""
    return _measured(session, org_id, lot_ids) if lot_ids else {}


def cupping_of(session: Session, lot: Lot) -> CuppingScore | None:
    """The lot's cupping score, measured or derived; None when nothing upstream was cupped."""
    ancestry = ancestry_query(lot.id)
    measured = _measured(session, lot.organization_id, select(ancestry.c.lot_id))
    if lot.id in measured or not measured:
        return measured.get(lot.id)
    graph = load_graph(session, lot.organization_id, ancestry_of=lot.id)
    memo: dict[int, CuppingScore | None] = {}

    def derive(lot_id: int) -> CuppingScore | None:
        if lot_id in measured:
            return measured[lot_id]
        if lot_id in memo:
            return memo[lot_id]
        made_by = graph.lots[lot_id].transformation_id
        inputs = graph.inputs.get(made_by, []) if made_by else []
        weighted, covered, total_kg = Decimal("0"), Decimal("0"), Decimal("0")
        protocols, cupped = set(), set()
        for input_id, kg in inputs:
            total_kg += kg
            upstream = derive(input_id)
            if upstream is None:
                continue
            weight = kg * upstream.coverage
            covered += weight
            weighted += weight * upstream.score
            protocols.update(upstream.protocols)
            cupped.update(upstream.measured_lots or (graph.lots[input_id].code,))
        if not covered:
            memo[lot_id] = None
            return None
        score = (weighted / covered).quantize(rules.CENT, rounding=ROUND_HALF_UP)
        memo[lot_id] = CuppingScore(
            score=score,
            classification=rules.classify(score),
            protocols=tuple(sorted(protocols)),
            derived=True,
            coverage=covered / total_kg,
            measured_lots=tuple(sorted(cupped)),
        )
        return memo[lot_id]

    return derive(lot.id)
