"""Mass balance per plot and season: what each plot delivered against what it can yield.

Auditors compare every member's deliveries with area × expected yield (DOMAIN.md §3): a plot
that delivers far more than it can grow is the classic sign of conventional product bought in
and sold as organic. Expected yields are in dry parchment (coffee) and fresh fruit (pitahaya),
so deliveries in other forms are converted with the YIELD_FORM_EQUIVALENTS setting first.
Over the tolerance a plot is a warning; over the organisation's second threshold
(`yield_block_pct`) it blocks organic claims until an inspector's explanation is recorded
(ics/explanations.py).

Two queries: the organisation's plots with their producers, and the season's live deliveries
summed per plot and product form. Every plot of the register is listed, delivering or not.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlmodel import Session

from coopchain.auth.models import Organization
from coopchain.db import in_organization, owned, settings_of
from coopchain.errors import DomainError
from coopchain.farms.models import Plot, Producer
from coopchain.farms.plots import expected_yield
from coopchain.ics.models import YieldExplanation
from coopchain.lots import rules
from coopchain.lots.models import Delivery

ZERO = Decimal("0")
HUNDRED = Decimal("100")
CENT = Decimal("0.01")


class BalanceFlag(StrEnum):
    OK = "ok"
    #: Delivered more than area × yield × (1 + tolerance): ask where the product came from.
    OVER = "over"
    #: The plot has no area (no polygon, none declared): nothing to compare with.
    NO_AREA = "no_area"
    #: No expected yield for the plot's crop (neither its own nor a crop default).
    NO_YIELD = "no_yield"


@dataclass(frozen=True)
class PlotBalance:
    plot_id: int
    plot_name: str
    crop: str
    producer_id: int
    producer_code: str
    producer_name: str
    area_ha: Decimal | None
    #: kg/ha/yr of dry parchment (coffee) or fresh fruit (pitahaya).
    expected_yield_kg_ha: Decimal | None
    #: area × expected yield; None when either is unknown.
    expected_kg: Decimal | None
    #: Net kg delivered in the season, by product form (only forms delivered appear).
    delivered_kg: dict[str, Decimal]
    deliveries: int
    #: Σ net kg × the form's equivalent factor, in the unit of the expected yield.
    delivered_equivalent_kg: Decimal
    #: delivered_equivalent / expected × 100, to 0.01; None without an expectation.
    ratio_pct: Decimal | None
    flag: BalanceFlag
    #: Over expected × (1 + the organisation's yield_block_pct): blocks organic claims on the
    #: plot's product until an inspector's explanation of the season is recorded.
    far_over: bool = False
    #: The latest explanation recorded for the plot and season (inspector, date, text).
    explanation: dict | None = None

    @property
    def severity(self) -> str | None:
        """None within tolerance; "warning" over it (or far over it, explained); "blocking"
        far over it and unexplained."""
        if self.flag != BalanceFlag.OVER:
            return None
        return "blocking" if self.far_over and self.explanation is None else "warning"


@dataclass(frozen=True)
class CropTotal:
    crop: str
    plots: int
    #: Sum of the known areas.
    area_ha: Decimal
    #: Sum over the plots with an expectation.
    expected_kg: Decimal
    delivered_kg: dict[str, Decimal]
    delivered_equivalent_kg: Decimal
    #: Deliveries of the plots with an expectation against that expectation (plots without an
    #: area would otherwise inflate it).
    ratio_pct: Decimal | None
    over: int
    no_area: int


@dataclass(frozen=True)
class MassBalanceReport:
    season: str
    #: First day of the season, and first day of the next one (exclusive).
    starts_on: date
    ends_before: date
    tolerance_pct: Decimal
    #: The second threshold (organisation setting): over it a plot blocks organic claims.
    block_pct: Decimal
    #: Product forms delivered in the season, in processing order.
    forms: tuple[str, ...]
    plots: list[PlotBalance] = field(default_factory=list)
    totals: list[CropTotal] = field(default_factory=list)

    @property
    def flagged(self) -> list[PlotBalance]:
        return [p for p in self.plots if p.flag != BalanceFlag.OK]

    @property
    def blocking(self) -> list[PlotBalance]:
        return [p for p in self.plots if p.severity == "blocking"]


def seasons(session: Session, org_id: int) -> list[str]:
    """Seasons with at least one live delivery, newest first."""
    days = session.scalars(
        select(Delivery.delivered_on)
        .where(in_organization(Delivery, org_id), Delivery.voided_at.is_(None))
        .distinct()
    )
    start_month = settings_of(session).season_start_month
    return sorted({rules.season_of(day, start_month) for day in days}, reverse=True)


def _bounds(season: str, start_month: int):
    """The season's [start, end) dates; a label season_of would not produce is refused."""
    try:
        start, end = rules.season_bounds(season, start_month)
    except (ValueError, IndexError):
        start = end = None
    if start is None or rules.season_of(start, start_month) != season:
        message = str(_l("Unknown season %(season)s.", season=season))
        raise DomainError(message, {"season": [message]})
    return start, end


def mass_balance(session: Session, org_id: int, season: str) -> MassBalanceReport:
    settings = settings_of(session)
    start, end = _bounds(season, settings.season_start_month)
    tolerance = settings.mass_balance_tolerance_pct
    equivalents = settings.yield_form_equivalents
    defaults = settings.default_expected_yield

    plots = session.execute(
        select(Plot, Producer)
        .join(Producer, Producer.id == Plot.producer_id)
        .where(in_organization(Plot, org_id))
        .order_by(Producer.member_code, Plot.name, Plot.id)
    ).all()
    delivered, counts = _delivered(session, org_id, start, end)
    block_pct = _block_pct(session, org_id)
    explained = explanations_of(session, org_id, season)

    rows = [
        _plot_balance(
            plot,
            producer,
            delivered.get(plot.id, {}),
            counts.get(plot.id, 0),
            equivalents,
            defaults,
            tolerance,
            block_pct,
            explained.get(plot.id),
        )
        for plot, producer in plots
    ]
    forms = tuple(
        form
        for chain in rules.FORM_CHAINS.values()
        for form in chain
        if any(form in row.delivered_kg for row in rows)
    )
    return MassBalanceReport(
        season=season,
        starts_on=start,
        ends_before=end,
        tolerance_pct=tolerance,
        block_pct=block_pct,
        forms=forms,
        plots=rows,
        totals=_totals(rows),
    )


def _delivered(session: Session, org_id: int, start: date, end: date, plot_ids=None):
    """({plot id: {form: net kg}}, {plot id: deliveries}) of the live deliveries in [start,
    end), of every plot or of `plot_ids`."""
    query = (
        select(
            Delivery.plot_id,
            Delivery.product_form,
            func.sum(Delivery.net_kg),
            func.count(Delivery.id),
        )
        .where(
            in_organization(Delivery, org_id),
            Delivery.voided_at.is_(None),
            Delivery.delivered_on >= start,
            Delivery.delivered_on < end,
        )
        .group_by(Delivery.plot_id, Delivery.product_form)
    )
    if plot_ids is not None:
        query = query.where(Delivery.plot_id.in_(list(plot_ids)))
    delivered: dict[int, dict[str, Decimal]] = {}
    counts: dict[int, int] = {}
    for plot_id, form, net, count in session.execute(query):
        # SQLite sums NUMERIC as REAL; rounding to the gram gives back the exact total.
        delivered.setdefault(plot_id, {})[form] = rules.kg(net)
        counts[plot_id] = counts.get(plot_id, 0) + count
    return delivered, counts


def plot_balances(session: Session, org_id: int, season: str, plot_ids) -> dict[int, PlotBalance]:
    """{plot id: its balance in `season`} for a few plots (the intake warnings): the same
    computation as the report's rows, without reading the whole register."""
    settings = settings_of(session)
    start, end = _bounds(season, settings.season_start_month)
    delivered, counts = _delivered(session, org_id, start, end, plot_ids)
    rows = session.execute(
        select(Plot, Producer)
        .join(Producer, Producer.id == Plot.producer_id)
        .where(in_organization(Plot, org_id), Plot.id.in_(list(plot_ids)))
    ).all()
    block_pct = _block_pct(session, org_id)
    explained = explanations_of(session, org_id, season, plot_ids)
    return {
        plot.id: _plot_balance(
            plot,
            producer,
            delivered.get(plot.id, {}),
            counts.get(plot.id, 0),
            settings.yield_form_equivalents,
            settings.default_expected_yield,
            settings.mass_balance_tolerance_pct,
            block_pct,
            explained.get(plot.id),
        )
        for plot, producer in rows
    }


def _block_pct(session: Session, org_id: int) -> Decimal:
    return Decimal(session.get(Organization, org_id).yield_block_pct)


def explanations_of(session: Session, org_id: int, season: str, plot_ids=None) -> dict[int, dict]:
    """{plot id: its latest yield explanation for `season`} as plain values."""
    query = (
        owned(YieldExplanation, org_id)
        .where(YieldExplanation.season == season)
        .order_by(YieldExplanation.id)
    )
    if plot_ids is not None:
        query = query.where(YieldExplanation.plot_id.in_(list(plot_ids)))
    return {
        row.plot_id: {
            "id": row.id,
            "inspector": row.inspector,
            "explained_on": row.explained_on,
            "explanation": row.explanation,
        }
        for row in session.scalars(query)
    }


def _plot_balance(
    plot, producer, by_form, count, equivalents, defaults, tolerance, block_pct, explanation
):
    area = plot.area_ha
    yield_kg_ha = expected_yield(plot, defaults)
    expected = rules.kg(area * yield_kg_ha) if area and yield_kg_ha is not None else None
    equivalent = rules.kg(
        sum((kg * Decimal(equivalents[form]) for form, kg in by_form.items()), ZERO)
    )
    ratio = _ratio(equivalent, expected)
    if not area:
        flag = BalanceFlag.NO_AREA
    elif expected is None:
        flag = BalanceFlag.NO_YIELD
    elif equivalent > expected * (1 + tolerance / HUNDRED):
        flag = BalanceFlag.OVER
    else:
        flag = BalanceFlag.OK
    far_over = flag == BalanceFlag.OVER and equivalent > expected * (1 + block_pct / HUNDRED)
    return PlotBalance(
        plot_id=plot.id,
        plot_name=plot.name,
        crop=plot.crop,
        producer_id=producer.id,
        producer_code=producer.member_code,
        producer_name=producer.full_name,
        area_ha=area,
        expected_yield_kg_ha=yield_kg_ha,
        expected_kg=expected,
        delivered_kg=dict(by_form),
        deliveries=count,
        delivered_equivalent_kg=equivalent,
        ratio_pct=ratio,
        flag=flag,
        far_over=far_over,
        explanation=explanation if flag == BalanceFlag.OVER else None,
    )


def _ratio(delivered: Decimal, expected: Decimal | None) -> Decimal | None:
    if not expected:
        return None
    return (delivered / expected * HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def _totals(rows: list[PlotBalance]) -> list[CropTotal]:
    totals = []
    order = list(rules.FORM_CHAINS)
    crops = sorted({r.crop for r in rows}, key=lambda c: (order.index(c) if c in order else 99, c))
    for crop in crops:
        mine = [r for r in rows if r.crop == crop]
        comparable = [r for r in mine if r.expected_kg]
        by_form: dict[str, Decimal] = {}
        for row in mine:
            for form, kg in row.delivered_kg.items():
                by_form[form] = by_form.get(form, ZERO) + kg
        expected = sum((r.expected_kg for r in comparable), ZERO)
        totals.append(
            CropTotal(
                crop=crop,
                plots=len(mine),
                area_ha=sum((r.area_ha for r in mine if r.area_ha), ZERO),
                expected_kg=expected,
                delivered_kg=by_form,
                delivered_equivalent_kg=sum((r.delivered_equivalent_kg for r in mine), ZERO),
                ratio_pct=_ratio(
                    sum((r.delivered_equivalent_kg for r in comparable), ZERO), expected
                ),
                over=sum(1 for r in mine if r.flag == BalanceFlag.OVER),
                no_area=sum(1 for r in mine if r.flag == BalanceFlag.NO_AREA),
            )
        )
    return totals
