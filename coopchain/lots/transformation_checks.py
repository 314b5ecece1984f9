"""What a transformation must pass before anything is written: its inputs exist, are alike and
have the kilograms asked for; every output is above zero; organic lots are not commingled; and a
processing step's yield is plausible. transformations.py drafts, checks here, then writes.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from coopchain.clock import today
from coopchain.errors import Conflict, DomainError
from coopchain.farms.rules import OrganicStatus
from coopchain.lots import rules
from coopchain.lots.errors import CommingledOrganic, ImplausibleYield, InsufficientQuantity
from coopchain.lots.models import Lot, TransformationKind
from coopchain.lots.origins import organic_statuses


@dataclass(frozen=True)
class Draft:
    """What a transformation will do, before it is checked and written."""

    kind: TransformationKind
    #: (lot code, kg taken; None = all that is available)
    inputs: list[tuple[str, Decimal | None]]
    #: (product form, kg) per output lot
    outputs: list[tuple[str | None, Decimal]]
    occurred_on: date
    downgrade_reason: str | None = None
    confirm_yield: bool = False
    notes: str | None = None


def _refuse(message, field: str | None = None, error=DomainError):
    raise error(str(message), {field: [str(message)]} if field else None)


def _check_inputs(taken: list[tuple[Lot, Decimal | None]], draft: Draft):
    checked = []
    crops_forms = {(lot.crop, lot.product_form) for lot, _q in taken}
    if len(crops_forms) > 1:
        _refuse(_l("Only lots of the same crop and product form can be merged."), "inputs")
    for lot, quantity in taken:
        if lot.voided_at is not None:
            _refuse(_l("Lot %(code)s is voided.", code=lot.code), "inputs", Conflict)
        quantity = lot.available_kg if quantity is None else rules.kg(quantity)
        if quantity <= 0:
            _refuse(
                _l("Lot %(code)s has nothing available.", code=lot.code)
                if lot.available_kg <= 0
                else _l("Quantities must be above zero."),
                "inputs",
                InsufficientQuantity if lot.available_kg <= 0 else DomainError,
            )
        if quantity > lot.available_kg:
            _refuse(
                _l(
                    "Lot %(code)s has only %(available)s kg available, not %(wanted)s kg.",
                    code=lot.code,
                    available=lot.available_kg,
                    wanted=quantity,
                ),
                "inputs",
                InsufficientQuantity,
            )
        if draft.occurred_on < lot.produced_on:
            _refuse(
                _l("Lot %(code)s did not exist yet on that date.", code=lot.code), "occurred_on"
            )
        checked.append((lot, quantity))
    if draft.occurred_on > today():
        _refuse(_l("Cannot be in the future."), "occurred_on")
    return checked


def _outputs(draft: Draft, first: Lot, consumed: Decimal) -> list[tuple[str, Decimal]]:
    if draft.kind == TransformationKind.MERGE:
        return [(first.product_form, consumed)]
    outputs = [(form or first.product_form, quantity) for form, quantity in draft.outputs]
    for _form, quantity in outputs:
        if quantity <= 0:
            _refuse(_l("Every output must be above zero kg."), "outputs")
    return outputs


def _check_organic(session: Session, draft: Draft, lots: list[Lot]) -> bool:
    """No commingling (DOMAIN.md §3). Returns whether the output is downgraded."""
    reason = (draft.downgrade_reason or "").strip()
    if draft.kind != TransformationKind.MERGE:
        return any(lot.downgraded for lot in lots)
    # All the inputs' origins in one batch (a few queries, not a few per input).
    found = organic_statuses(session, lots[0].organization_id, lots)
    statuses = {lot.code: found[lot.id] for lot in lots}
    organic = sorted(c for c, s in statuses.items() if s == OrganicStatus.ORGANIC)
    other = sorted(c for c, s in statuses.items() if s != OrganicStatus.ORGANIC)
    # In-conversion with conventional needs no reason: the mixture is conventional anyway
    # (rules.worst_organic_status); only an organic claim can be lost by commingling.
    if organic and other and not reason:
        raise CommingledOrganic(
            str(
                _l(
                    "Organic lots (%(organic)s) cannot be merged with in-conversion or "
                    "conventional lots (%(other)s). To merge anyway, downgrade the new lot to "
                    "conventional and give the reason.",
                    organic=", ".join(organic),
                    other=", ".join(other),
                )
            ),
            {"downgrade_reason": [str(_l("Required to merge lots of different status."))]},
        )
    return bool(reason) or any(lot.downgraded for lot in lots)


def _check_process(draft: Draft, lot: Lot, consumed: Decimal, outputs, ranges) -> None:
    if draft.kind != TransformationKind.PROCESS:
        return
    ((to_form, output_kg),) = outputs
    if not rules.can_process(lot.crop, lot.product_form, to_form):
        _refuse(
            _l(
                "%(crop)s in form %(from)s cannot be processed into %(to)s.",
                crop=_(lot.crop),
                **{"from": _(lot.product_form)},
                to=_(to_form),
            ),
            "to_form",
        )
    if output_kg > consumed:
        _refuse(_l("Processing cannot make more kg than it consumed."), "output_kg")
    if not draft.confirm_yield and not rules.yield_is_plausible(
        ranges, lot.product_form, to_form, consumed, output_kg
    ):
        low, high = rules.yield_range(ranges, lot.product_form, to_form)
        _refuse(
            _l(
                "A yield of %(pct)s %% is outside the usual %(low)s–%(high)s %% for this step. "
                "Check the weights, or confirm the yield.",
                pct=(output_kg / consumed * 100).quantize(Decimal("0.1")),
                low=f"{(low * 100).normalize():f}",  # "70", not "7E+1"
                high=f"{(high * 100).normalize():f}",
            ),
            "confirm_yield",
            ImplausibleYield,
        )
