"""Merge, split, process and sample: inputs consumed → output lots (+ loss), never in place.

The invariant every operation keeps, checked before anything is written:
Σ kg consumed from the inputs = Σ kg of the outputs + loss (processing loss or lab sample).
The checks themselves are in transformation_checks.py.
Inputs are locked while consumed (DESIGN.md §4), so two clerks cannot both take the last
kilograms of a lot; the database's CHECK (available_kg >= 0) stands behind the lock.
"""

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlmodel import Session

from coopchain.clock import utcnow
from coopchain.db import in_organization, owned, settings_of
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.ledger.services import append
from coopchain.lots import origin_shares, rules
from coopchain.lots.models import Lot, Transformation, TransformationInput, TransformationKind
from coopchain.lots.services import get_lot, lock_lots, new_lot_codes
from coopchain.lots.transformation_checks import (
    Draft,
    _check_inputs,
    _check_organic,
    _check_process,
    _outputs,
    _refuse,
)


def merge(session, org_id, user_id, inputs, occurred_on, *, downgrade_reason=None, notes=None):
    """n lots → 1 lot of the same form. Mixing organic with anything else is refused unless
    the output is explicitly downgraded to conventional with a reason (DOMAIN.md §3)."""
    codes = [code for code, _q in inputs]
    if len(set(codes)) < 2 or len(set(codes)) != len(codes):
        _refuse(_l("A merge needs at least two different lots, each named once."), "inputs")
    draft = Draft(
        TransformationKind.MERGE,
        inputs,
        [(None, None)],
        occurred_on,
        downgrade_reason,
        False,
        notes,
    )
    return _transform(session, org_id, user_id, draft)


def split(session, org_id, user_id, code, output_kgs, occurred_on, *, notes=None):
    """1 lot → several lots; what is not split off stays in the input lot."""
    if len(output_kgs) < 2:
        _refuse(_l("A split makes at least two lots."), "outputs")
    total = sum((rules.kg(q) for q in output_kgs), Decimal("0"))
    draft = Draft(
        TransformationKind.SPLIT,
        [(code, total)],
        [(None, rules.kg(q)) for q in output_kgs],
        occurred_on,
        notes=notes,
    )
    return _transform(session, org_id, user_id, draft)


def process(
    session,
    org_id,
    user_id,
    code,
    input_kg,
    to_form,
    output_kg,
    occurred_on,
    *,
    confirm_yield=False,
    notes=None,
):
    """1 lot → 1 lot of the next form; the difference is processing loss."""
    draft = Draft(
        TransformationKind.PROCESS,
        [(code, None if input_kg is None else rules.kg(input_kg))],
        [(to_form, rules.kg(output_kg))],
        occurred_on,
        confirm_yield=confirm_yield,
        notes=notes,
    )
    return _transform(session, org_id, user_id, draft)


def take_sample(session, org_id, user_id, code, sample_kg, occurred_on, *, notes=None):
    """A small quantity consumed by the lab; it leaves as loss, no output lot."""
    quantity = rules.kg(settings_of(session).sample_kg if sample_kg is None else sample_kg)
    draft = Draft(TransformationKind.SAMPLE, [(code, quantity)], [], occurred_on, notes=notes)
    return _transform(session, org_id, user_id, draft)


def _transform(session: Session, org_id: int, user_id: int | None, draft: Draft):
    found = _lots_by_code(session, org_id, [code for code, _q in draft.inputs])
    wanted = [(found.get(code) or get_lot(session, org_id, code), q) for code, q in draft.inputs]
    locked = lock_lots(session, org_id, [lot.id for lot, _q in wanted])
    taken = [(locked[lot.id], q) for lot, q in wanted]
    taken = _check_inputs(taken, draft)
    first = taken[0][0]
    consumed = sum((q for _lot, q in taken), Decimal("0"))
    outputs = _outputs(draft, first, consumed)
    loss = consumed - sum((q for _form, q in outputs), Decimal("0"))
    downgraded = _check_organic(session, draft, [lot for lot, _q in taken])
    _check_process(draft, first, consumed, outputs, settings_of(session).process_yield_ranges)
    if loss < 0 or (draft.kind in (TransformationKind.MERGE, TransformationKind.SPLIT) and loss):
        raise AssertionError("inputs and outputs do not balance")  # a bug, never user input

    transformation = Transformation(
        organization_id=org_id,
        kind=draft.kind,
        occurred_on=draft.occurred_on,
        loss_kg=loss,
        downgrade_reason=draft.downgrade_reason if downgraded else None,
        yield_confirmed=draft.confirm_yield and draft.kind == TransformationKind.PROCESS,
        notes=draft.notes,
        user_id=user_id,
    )
    session.add(transformation)
    session.flush()
    for lot, quantity in taken:
        session.add(
            TransformationInput(
                transformation_id=transformation.id, lot_id=lot.id, quantity_kg=quantity
            )
        )
        lot.available_kg -= quantity
    codes = new_lot_codes(session, org_id, first.crop, draft.occurred_on.year, len(outputs))
    made = [
        Lot(
            organization_id=org_id,
            code=code,
            crop=first.crop,
            product_form=form,
            quantity_kg=quantity,
            available_kg=quantity,
            produced_on=draft.occurred_on,
            transformation_id=transformation.id,
            downgraded=downgraded,
        )
        for code, (form, quantity) in zip(codes, outputs, strict=True)
    ]
    session.add_all(made)
    session.flush()
    origin_shares.record(session, org_id, taken, made)
    append(
        session,
        org_id,
        f"lot.{draft.kind}",
        ("transformation", transformation.id),
        {
            "kind": draft.kind,
            "occurredOn": draft.occurred_on,
            "inputQuantityList": [
                {"lot": lot.code, "quantity": q, "uom": "KGM"} for lot, q in taken
            ],
            "outputQuantityList": [
                {
                    "lot": lot.code,
                    "productForm": lot.product_form,
                    "quantity": lot.quantity_kg,
                    "uom": "KGM",
                }
                for lot in made
            ],
            "lossKg": loss,
            "downgradedToConventional": downgraded,
            "downgradeReason": transformation.downgrade_reason,
            "yieldConfirmed": transformation.yield_confirmed,
        },
        event_type="TransformationEvent",
        action=None,
        user_id=user_id,
    )
    return transformation


def _lots_by_code(session: Session, org_id: int, codes: list[str]) -> dict[str, Lot]:
    """{code: lot} of those codes the organisation has, in one query per 900 codes (a merge of
    a hundred lots is one read, not a hundred); get_lot names a code that is missing."""
    found = {}
    for start in range(0, len(codes), 900):  # SQLite's bound-parameter limit
        chunk = codes[start : start + 900]
        lots = session.scalars(owned(Lot, org_id).where(Lot.code.in_(chunk)))
        found.update((lot.code, lot) for lot in lots)
    return found


def get_transformation(session: Session, org_id: int, transformation_id: int):
    transformation = session.scalar(
        select(Transformation).where(
            Transformation.id == transformation_id, in_organization(Transformation, org_id)
        )
    )
    if transformation is None:
        raise NotFound(str(_l("No such transformation.")))
    return transformation


def parts_of(session: Session, transformation: Transformation):
    """(inputs as [(lot, kg)], output lots)."""
    inputs = list(
        session.execute(
            select(Lot, TransformationInput.quantity_kg)
            .join(TransformationInput, TransformationInput.lot_id == Lot.id)
            .where(TransformationInput.transformation_id == transformation.id)
            .order_by(Lot.id)
        )
    )
    outputs = list(
        session.scalars(
            select(Lot).where(Lot.transformation_id == transformation.id).order_by(Lot.id)
        )
    )
    return [tuple(row) for row in inputs], outputs


def kg_and_yield(transformation: Transformation, inputs, outputs):
    """(kg consumed, kg produced, yield in %) given parts_of's inputs and outputs. Only
    processing has a yield: a merge or a split keeps every kilogram, a sample makes no lot."""
    consumed = sum((q for _lot, q in inputs), Decimal("0"))
    produced = sum((lot.quantity_kg for lot in outputs), Decimal("0"))
    yield_pct = None
    if transformation.kind == TransformationKind.PROCESS and consumed:
        yield_pct = produced / consumed * 100
    return consumed, produced, yield_pct


def downgrade_reasons(
    session: Session, org_id: int, transformation_ids: set[int]
) -> list[tuple[int, str]]:
    """(transformation id, reason) of those transformations that gave up the organic claim."""
    if not transformation_ids:
        return []
    rows = session.execute(
        select(Transformation.id, Transformation.downgrade_reason)
        .where(
            in_organization(Transformation, org_id),
            Transformation.id.in_(transformation_ids),
            Transformation.downgrade_reason.is_not(None),
        )
        .order_by(Transformation.id)
    )
    return [tuple(row) for row in rows]


def list_transformations(session: Session, org_id: int, page: int, per_page: int):
    query = owned(Transformation, org_id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = session.scalars(
        query.order_by(Transformation.id.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    return list(items), total


def void_transformation(
    session: Session, org_id: int, user_id: int | None, transformation_id: int, reason: str
) -> Transformation:
    """Undo a mistaken transformation while its outputs are untouched: the outputs are voided
    and the inputs get their kilograms back. Recorded as an EPCIS error declaration."""
    transformation = get_transformation(session, org_id, transformation_id)
    if transformation.voided_at is not None:
        raise Conflict(str(_l("This transformation is already voided.")))
    if not (reason or "").strip():
        raise DomainError(str(_l("Give a reason.")), {"reason": [str(_l("Required."))]})
    inputs, outputs = parts_of(session, transformation)
    locked = lock_lots(session, org_id, [lot.id for lot, _q in inputs] + [o.id for o in outputs])
    for output in outputs:
        if locked[output.id].available_kg != output.quantity_kg:
            raise Conflict(
                str(
                    _l(
                        "Lot %(code)s has already been used; undo what used it first.",
                        code=output.code,
                    )
                )
            )
    now = utcnow()
    for output in outputs:
        locked[output.id].voided_at, locked[output.id].available_kg = now, Decimal("0")
    for lot, quantity in inputs:
        locked[lot.id].available_kg += quantity
    transformation.voided_at, transformation.void_reason = now, reason.strip()
    origin_shares.remove(session, org_id, [output.id for output in outputs])
    session.flush()
    append(
        session,
        org_id,
        "transformation.voided",
        ("transformation", transformation.id),
        {
            "returned": [{"lot": lot.code, "quantity": q} for lot, q in inputs],
            "voidedLots": [o.code for o in outputs],
            "errorDeclaration": {"declarationTime": now, "reason": reason.strip()},
        },
        action="DELETE",
        user_id=user_id,
    )
    return transformation
