"""Season inventory per product form and organic status, and per lot, to the gram.

What an organic inspector signs off (DOMAIN.md §3: "mass balance", "lot-level records from
delivery to shipment"): for every product form and organic status,

    opening + deliveries + transformed in − transformed out − processing losses − samples
            − bags shipped − closing = 0

The flows come from the source records (delivery tickets, transformation inputs, outputs and
losses, bags on shipments with their shipping date); the closing stock comes from each lot's
running balance (`available_kg`) plus its bags still in the warehouse, wound back to the
season's end by the later transformations and shipments. So a bag row removed, or a bag or a
lot quantity changed underneath the records, leaves a difference on the lot it belongs to, in
the season the lot was made. A transformation whose inputs do not equal its outputs plus its
loss is listed too, by its lots. Voided records count nowhere: voiding gave their kilograms
back.

Conversion factors between forms are the recorded yields of the season's processing steps
(Σ output ÷ Σ input per step), never assumed ones.
"""

from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlmodel import Session

from coopchain.db import in_organization, settings_of
from coopchain.farms import rules as farm_rules
from coopchain.farms.models import Plot
from coopchain.farms.rules import OrganicStatus
from coopchain.lots import rules
from coopchain.lots.mass_balance import _bounds
from coopchain.lots.models import Bag, Delivery, Lot, Transformation, TransformationInput
from coopchain.shipments.models import Shipment

ZERO = Decimal("0.000")
FACTOR = Decimal("0.0001")
#: The flows of the balance, in the order the equation adds them (+) and takes them (−).
INFLOWS = ("opening_kg", "deliveries_kg", "transformed_in_kg")
OUTFLOWS = (
    "transformed_out_kg",
    "processing_losses_kg",
    "samples_kg",
    "shipped_kg",
    "closing_kg",
)
STATUS_ORDER = [s.value for s in OrganicStatus]


@dataclass
class Flows:
    opening_kg: Decimal = ZERO
    deliveries_kg: Decimal = ZERO
    transformed_in_kg: Decimal = ZERO
    transformed_out_kg: Decimal = ZERO
    processing_losses_kg: Decimal = ZERO
    samples_kg: Decimal = ZERO
    shipped_kg: Decimal = ZERO
    closing_kg: Decimal = ZERO

    @property
    def difference_kg(self) -> Decimal:
        """What the records do not explain: zero, to the gram, when everything is accounted."""
        added = sum((getattr(self, name) for name in INFLOWS), ZERO)
        return rules.kg(added - sum((getattr(self, name) for name in OUTFLOWS), ZERO))

    def add(self, other: "Flows") -> None:
        for item in fields(Flows):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))

    def is_empty(self) -> bool:
        return all(getattr(self, item.name) == 0 for item in fields(Flows))


@dataclass
class InventoryRow(Flows):
    """One product form and organic status over the season."""

    crop: str = ""
    product_form: str = ""
    organic_status: str = ""
    lots: int = 0


@dataclass
class LotInventory(Flows):
    lot_code: str = ""
    crop: str = ""
    product_form: str = ""
    organic_status: str = ""


@dataclass(frozen=True)
class Difference:
    """A non-zero difference, named by lot: `source` is "lot" (its own balance) or
    "transformation" (inputs ≠ outputs + loss; `lot_codes` are its lots)."""

    source: str
    lot_codes: tuple[str, ...]
    product_form: str
    organic_status: str
    difference_kg: Decimal
    transformation_id: int | None = None


@dataclass(frozen=True)
class ConversionFactor:
    """A processing step's recorded yield in the season: output kg per input kg."""

    crop: str
    from_form: str
    to_form: str
    input_kg: Decimal
    output_kg: Decimal
    factor: Decimal
    transformations: int


@dataclass
class SeasonInventory:
    season: str
    starts_on: date
    ends_before: date
    rows: list[InventoryRow] = field(default_factory=list)
    lots: list[LotInventory] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    factors: list[ConversionFactor] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return not self.differences


@dataclass
class _Records:
    """The organisation's live lots, consumptions, bags and transformations, read once."""

    lots: dict[int, Lot]
    delivered: dict[int, Decimal]
    #: lot id -> [(occurred_on, transformation id, kind, kg)]
    consumed: dict[int, list] = field(default_factory=lambda: defaultdict(list))
    #: lot id -> [(shipped_on or None, kg)]
    bags: dict[int, list] = field(default_factory=lambda: defaultdict(list))
    transformations: dict[int, Transformation] = field(default_factory=dict)
    inputs: dict[int, list] = field(default_factory=lambda: defaultdict(list))
    outputs: dict[int, list] = field(default_factory=lambda: defaultdict(list))
    status: dict[int, str] = field(default_factory=dict)


def _read(session: Session, org_id: int) -> _Records:
    lots = {
        lot.id: lot
        for lot in session.scalars(
            select(Lot).where(in_organization(Lot, org_id), Lot.voided_at.is_(None))
        )
    }
    delivered = dict(
        session.execute(
            select(Delivery.id, Delivery.net_kg).where(
                in_organization(Delivery, org_id), Delivery.voided_at.is_(None)
            )
        ).all()
    )
    records = _Records(lots, {})
    for lot in lots.values():
        if lot.delivery_id is not None:
            # The ticket is the source: a lot quantity changed underneath it shows as a difference.
            records.delivered[lot.id] = rules.kg(delivered.get(lot.delivery_id, ZERO))
        elif lot.transformation_id is not None:
            records.outputs[lot.transformation_id].append(lot.id)
    records.transformations = {
        row.id: row
        for row in session.scalars(
            select(Transformation).where(
                in_organization(Transformation, org_id), Transformation.voided_at.is_(None)
            )
        )
    }
    for transformation_id, lot_id, quantity in session.execute(
        select(
            TransformationInput.transformation_id,
            TransformationInput.lot_id,
            TransformationInput.quantity_kg,
        )
        .join(Transformation, Transformation.id == TransformationInput.transformation_id)
        .where(in_organization(Transformation, org_id), Transformation.voided_at.is_(None))
    ):
        row = records.transformations[transformation_id]
        records.inputs[transformation_id].append((lot_id, rules.kg(quantity)))
        records.consumed[lot_id].append((row.occurred_on, row.id, row.kind, rules.kg(quantity)))
    for lot_id, net, shipped_on in session.execute(
        select(Bag.lot_id, Bag.net_kg, Shipment.shipped_on)
        .outerjoin(Shipment, Shipment.id == Bag.shipment_id)
        .where(in_organization(Bag, org_id), Bag.voided_at.is_(None))
    ):
        records.bags[lot_id].append((shipped_on, rules.kg(net)))
    records.status = _statuses(session, org_id, records)
    return records


def _statuses(session: Session, org_id: int, records: _Records) -> dict[int, str]:
    """Each lot's organic status as origins_of gives it (a test holds the two together): an
    origin lot's from its plot's conversion start and delivery date (DOMAIN.md §3), a
    transformation's output the least organic of its inputs, conventional once downgraded.
    One pass over the graph in id order (inputs are always older than their outputs), instead
    of sharing every lot out to its origins (origins_of_many: 3 s for 2,000 deliveries)."""
    at_delivery = {
        lot_id: farm_rules.organic_status(conversion_start, delivered_on)
        for lot_id, delivered_on, conversion_start in session.execute(
            select(Lot.id, Delivery.delivered_on, Plot.organic_conversion_start)
            .join(Delivery, Delivery.id == Lot.delivery_id)
            .join(Plot, Plot.id == Delivery.plot_id)
            .where(in_organization(Lot, org_id), Lot.voided_at.is_(None))
        )
    }
    found: dict[int, OrganicStatus] = {}
    for lot_id in sorted(records.lots):
        lot = records.lots[lot_id]
        if lot.downgraded:
            found[lot_id] = OrganicStatus.CONVENTIONAL
        elif lot.delivery_id is not None:
            found[lot_id] = at_delivery.get(lot_id, OrganicStatus.CONVENTIONAL)
        else:
            inputs = records.inputs.get(lot.transformation_id, ())
            found[lot_id] = (
                rules.worst_organic_status(
                    found.get(input_id, OrganicStatus.CONVENTIONAL) for input_id, _kg in inputs
                )
                if inputs
                else OrganicStatus.CONVENTIONAL  # nothing known to vouch for it
            )
    return {lot_id: status.value for lot_id, status in found.items()}


def _loss_shares(records: _Records) -> dict[tuple[int, int], Decimal]:
    """{(transformation id, input lot id): its share of the processing loss}, to the gram."""
    shares = {}
    for tid, row in records.transformations.items():
        if row.kind == "process" and row.loss_kg and records.inputs[tid]:
            weights = {lot_id: int(kg * 1000) for lot_id, kg in records.inputs[tid]}
            for lot_id, share in rules.share_out(rules.kg(row.loss_kg), weights).items():
                shares[(tid, lot_id)] = share
    return shares


def _stock_at(records: _Records, lot: Lot, day: date) -> Decimal:
    """The lot's stock at the start of `day`, from its running balance: what is available now
    plus what later transformations took and its bags not shipped before that day."""
    if lot.produced_on >= day:
        return ZERO
    later = sum((kg for on, _t, _k, kg in records.consumed[lot.id] if on >= day), ZERO)
    in_store = sum(
        (kg for shipped, kg in records.bags[lot.id] if not shipped or shipped >= day), ZERO
    )
    return rules.kg(lot.available_kg) + later + in_store


def _lot_flows(records, lot, start, end, losses) -> Flows:
    flows = Flows(
        opening_kg=_stock_at(records, lot, start), closing_kg=_stock_at(records, lot, end)
    )
    if start <= lot.produced_on < end:
        if lot.delivery_id is not None:
            flows.deliveries_kg = records.delivered[lot.id]
        else:
            flows.transformed_in_kg = rules.kg(lot.quantity_kg)
    for on, tid, kind, kg in records.consumed[lot.id]:
        if not start <= on < end:
            continue
        if kind == "sample":
            flows.samples_kg += kg
        else:
            loss = losses.get((tid, lot.id), ZERO)
            flows.processing_losses_kg += loss
            flows.transformed_out_kg += kg - loss
    flows.shipped_kg = sum(
        (kg for shipped, kg in records.bags[lot.id] if shipped and start <= shipped < end), ZERO
    )
    return flows


def season_inventory(session: Session, org_id: int, season: str) -> SeasonInventory:
    """The season's inventory; an unknown season label raises DomainError naming `season`."""
    start, end = _bounds(season, settings_of(session).season_start_month)
    records = _read(session, org_id)
    losses = _loss_shares(records)
    report = SeasonInventory(season=season, starts_on=start, ends_before=end)
    rows: dict[tuple[str, str, str], InventoryRow] = {}
    for lot in sorted(records.lots.values(), key=lambda lot: lot.code):
        flows = _lot_flows(records, lot, start, end, losses)
        if flows.is_empty():
            continue
        status = records.status.get(lot.id, OrganicStatus.CONVENTIONAL.value)
        item = LotInventory(
            lot_code=lot.code, crop=lot.crop, product_form=lot.product_form, organic_status=status
        )
        item.add(flows)
        report.lots.append(item)
        key = (lot.crop, lot.product_form, status)
        row = rows.setdefault(
            key, InventoryRow(crop=lot.crop, product_form=lot.product_form, organic_status=status)
        )
        row.add(flows)
        row.lots += 1
        if item.difference_kg:
            report.differences.append(
                Difference("lot", (lot.code,), lot.product_form, status, item.difference_kg)
            )
    report.rows = sorted(rows.values(), key=_row_order)
    report.differences.extend(_transformation_differences(records, start, end))
    report.factors = _factors(records, start, end)
    return report


def _row_order(row: InventoryRow):
    chain = [form for forms in rules.FORM_CHAINS.values() for form in forms]
    form = chain.index(row.product_form) if row.product_form in chain else len(chain)
    status = row.organic_status
    return (form, STATUS_ORDER.index(status) if status in STATUS_ORDER else 9, row.crop)


def _transformation_differences(records, start, end) -> list[Difference]:
    """Each live transformation of the season whose inputs ≠ live outputs + loss."""
    found = []
    for tid, row in sorted(records.transformations.items()):
        if not start <= row.occurred_on < end:
            continue
        consumed = sum((kg for _lot, kg in records.inputs[tid]), ZERO)
        made = sum((rules.kg(records.lots[i].quantity_kg) for i in records.outputs[tid]), ZERO)
        difference = rules.kg(consumed - made - rules.kg(row.loss_kg))
        if difference:
            lot_ids = records.outputs[tid] or [lot_id for lot_id, _kg in records.inputs[tid]]
            lots = [records.lots[i] for i in lot_ids if i in records.lots]
            found.append(
                Difference(
                    "transformation",
                    tuple(sorted(lot.code for lot in lots)),
                    lots[0].product_form if lots else "",
                    records.status.get(lots[0].id, "") if lots else "",
                    difference,
                    transformation_id=tid,
                )
            )
    return found


def _factors(records, start, end) -> list[ConversionFactor]:
    steps: dict[tuple[str, str, str], list] = {}
    for tid, row in records.transformations.items():
        if row.kind != "process" or not start <= row.occurred_on < end:
            continue
        ins = [records.lots[i] for i, _kg in records.inputs[tid] if i in records.lots]
        outs = [records.lots[i] for i in records.outputs[tid]]
        if not ins or not outs:
            continue
        key = (ins[0].crop, ins[0].product_form, outs[0].product_form)
        step = steps.setdefault(key, [ZERO, ZERO, 0])
        step[0] += sum((kg for _i, kg in records.inputs[tid]), ZERO)
        step[1] += sum((rules.kg(lot.quantity_kg) for lot in outs), ZERO)
        step[2] += 1
    return [
        ConversionFactor(
            crop,
            source,
            target,
            consumed,
            made,
            (made / consumed).quantize(FACTOR, rounding=ROUND_HALF_UP),
            count,
        )
        for (crop, source, target), (consumed, made, count) in sorted(steps.items())
        if consumed
    ]
