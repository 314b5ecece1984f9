"""The dashboard's figures, each aggregated in SQL (a handful of queries whatever the season's
size): the register, intake today and this week, stock by form and organic status, lots waiting
to be processed or bagged, and the season's deliveries per week and cupping scores.

Days are the cooperative's (clock.today(), passed in as `on`); the week starts on Monday.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from sqlalchemy import func, select
from sqlmodel import Session

from coopchain.db import in_organization, owned, settings_of
from coopchain.farms.agreements import agreements_in_force
from coopchain.farms.models import Agreement, Plot, Producer
from coopchain.lots import rules as lot_rules
from coopchain.lots.models import Delivery, Lot
from coopchain.lots.origins import organic_statuses
from coopchain.quality import rules as quality_rules
from coopchain.quality.models import CuppingSample, CuppingSession, CuppingSheet, SessionStatus

#: Lots listed under each waiting heading (the oldest first); the rest are counted.
WAITING_LISTED = 8


@dataclass
class Intake:
    start: date
    end: date
    #: [(product form, tickets, net kg)] by form.
    by_form: list[tuple[str, int, Decimal]]

    @property
    def tickets(self) -> int:
        return sum(tickets for _form, tickets, _kg in self.by_form)


@dataclass
class Waiting:
    """Available lots waiting for one step: their count and kg, and the oldest listed."""

    lots: int = 0
    kg: Decimal = Decimal("0")
    oldest: list[Lot] = field(default_factory=list)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def season_of(session: Session, on: date) -> tuple[str, date, date]:
    """The season `on` falls in: (label, first day, first day of the next season)."""
    start_month = settings_of(session).season_start_month
    label = lot_rules.season_of(on, start_month)
    first, after = lot_rules.season_bounds(label, start_month)
    return label, first, after


def register_counts(session: Session, org_id: int, on: date) -> dict:
    """Producers, plots, hectares (computed area, else declared) and agreements in force."""
    producers = session.scalar(
        select(func.count(Producer.id)).where(in_organization(Producer, org_id))
    )
    plots, hectares = session.execute(
        select(
            func.count(Plot.id),
            func.sum(func.coalesce(Plot.computed_area_ha, Plot.declared_area_ha)),
        ).where(in_organization(Plot, org_id))
    ).one()
    agreements = list(session.scalars(owned(Agreement, org_id)))
    active = sum(agreements_in_force(session, agreements, on).values())
    return {
        "producers": producers,
        "plots": plots,
        "hectares": Decimal(hectares or 0),
        "active_agreements": active,
    }


def intake(session: Session, org_id: int, start: date, end: date) -> Intake:
    """Live deliveries dated start…end (inclusive): tickets and net kg per product form."""
    rows = session.execute(
        select(Delivery.product_form, func.count(Delivery.id), func.sum(Delivery.net_kg))
        .where(
            in_organization(Delivery, org_id),
            Delivery.voided_at.is_(None),
            Delivery.delivered_on >= start,
            Delivery.delivered_on <= end,
        )
        .group_by(Delivery.product_form)
        .order_by(Delivery.product_form)
    ).all()
    return Intake(start, end, [(form, n, Decimal(kg)) for form, n, kg in rows])


class AvailableLot(NamedTuple):
    """What the dashboard reads of an available lot: plain columns, not ORM entities (an
    organisation's ten thousand lots waiting in the season would cost seconds to build)."""

    id: int
    organization_id: int
    code: str
    crop: str
    product_form: str
    available_kg: Decimal
    produced_on: date
    delivery_id: int | None
    downgraded: bool
    #: Available lots are never voided (read by origins.organic_statuses).
    voided_at: None = None


def available_lots(session: Session, org_id: int) -> list[AvailableLot]:
    """Lots with kilograms left to use (not voided), oldest first."""
    rows = session.execute(
        select(
            Lot.id,
            Lot.organization_id,
            Lot.code,
            Lot.crop,
            Lot.product_form,
            Lot.available_kg,
            Lot.produced_on,
            Lot.delivery_id,
            Lot.downgraded,
        )
        .where(in_organization(Lot, org_id), Lot.voided_at.is_(None), Lot.available_kg > 0)
        .order_by(Lot.produced_on, Lot.id)
    )
    return [AvailableLot(*row) for row in rows]


def stock(session: Session, org_id: int, lots: list[Lot]) -> list[dict]:
    """Available kg by product form and organic status (the lot's status from its origins,
    the same materialised shares origins_of reads: origins.organic_statuses), by form then
    status."""
    statuses = organic_statuses(session, org_id, lots) if lots else {}
    totals: dict[tuple[str, str, str], list] = defaultdict(lambda: [0, Decimal("0")])
    for lot in lots:
        key = (lot.crop, lot.product_form, statuses[lot.id].value)
        totals[key][0] += 1
        totals[key][1] += lot.available_kg
    order = {form: i for chain in lot_rules.FORM_CHAINS.values() for i, form in enumerate(chain)}
    status_order = ("organic", "in_conversion", "conventional")
    return [
        {"crop": crop, "product_form": form, "organic_status": status, "lots": n, "kg": kg}
        for (crop, form, status), (n, kg) in sorted(
            totals.items(),
            key=lambda item: (item[0][0], order[item[0][1]], status_order.index(item[0][2])),
        )
    ]


def waiting(lots: list[Lot]) -> dict[str, Waiting]:
    """Available lots waiting to be processed (coffee before green: cherry, wet or dry
    parchment) and waiting to be bagged (the crop's export form: green coffee, fresh pitahaya;
    lot_rules.BAGGED_FORMS). `lots` come oldest first."""
    found = {"process": Waiting(), "bag": Waiting()}
    for lot in lots:
        if lot.product_form == lot_rules.BAGGED_FORMS.get(lot.crop):
            step = "bag"
        elif lot_rules.can_process(
            lot.crop, lot.product_form, lot_rules.BAGGED_FORMS.get(lot.crop)
        ):
            step = "process"
        else:
            continue
        entry = found[step]
        entry.lots += 1
        entry.kg += lot.available_kg
        if len(entry.oldest) < WAITING_LISTED:
            entry.oldest.append(lot)
    return found


def deliveries_per_week(session: Session, org_id: int, first: date, last: date) -> list[dict]:
    """Every week (Monday) from the week of `first` to the week of `last`: tickets and net kg
    of the live deliveries dated first…last. Summed per day in SQL, per week here (a week in
    SQL differs between SQLite and PostgreSQL)."""
    weeks: dict[date, dict] = {}
    monday = week_start(first)
    while monday <= last:
        weeks[monday] = {"week": monday, "tickets": 0, "kg": Decimal("0")}
        monday += timedelta(days=7)
    rows = session.execute(
        select(Delivery.delivered_on, func.count(Delivery.id), func.sum(Delivery.net_kg))
        .where(
            in_organization(Delivery, org_id),
            Delivery.voided_at.is_(None),
            Delivery.delivered_on >= first,
            Delivery.delivered_on <= last,
        )
        .group_by(Delivery.delivered_on)
    )
    for day, tickets, kg in rows:
        week = weeks[week_start(day)]
        week["tickets"] += tickets
        week["kg"] += Decimal(kg)
    return list(weeks.values())


def cupping_scores(session: Session, org_id: int, first: date, last: date) -> list[dict]:
    """Each lot cupped in a closed session held first…last, with its panel mean (DOMAIN.md §4:
    the mean final score of its cuppers in its latest session), by session date."""
    rows = session.execute(
        select(
            CuppingSample.lot_id,
            Lot.code,
            CuppingSession.id,
            CuppingSession.number,
            CuppingSession.held_on,
            func.count(CuppingSheet.id),
            func.sum(CuppingSheet.final_score),
        )
        .join(CuppingSession, CuppingSession.id == CuppingSample.session_id)
        .join(CuppingSheet, CuppingSheet.sample_id == CuppingSample.id)
        .join(Lot, Lot.id == CuppingSample.lot_id)
        .where(
            in_organization(CuppingSession, org_id),
            CuppingSession.status == SessionStatus.CLOSED,
            CuppingSession.held_on >= first,
            CuppingSession.held_on <= last,
        )
        .group_by(
            CuppingSample.lot_id,
            Lot.code,
            CuppingSession.id,
            CuppingSession.number,
            CuppingSession.held_on,
        )
        .order_by(CuppingSession.held_on, CuppingSession.id)
    )
    latest: dict[int, dict] = {}
    for lot_id, code, _session_id, number, held_on, cuppers, total in rows:
        mean = (Decimal(total) / cuppers).quantize(quality_rules.CENT, rounding=ROUND_HALF_UP)
        latest[lot_id] = {
            "lot_code": code,
            "session": number,
            "held_on": held_on,
            "cuppers": cuppers,
            "score": mean,
            "classification": quality_rules.classify(mean).value,
        }
    return sorted(latest.values(), key=lambda row: (row["held_on"], row["lot_code"]))
