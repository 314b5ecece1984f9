"""What the dashboard page shows, gathered in one call: the figures, the shipments in progress
with their blocking findings, the plots needing attention by cause, and the two charts.

Shipments not yet shipped (planned or loading) are judged by the compliance engine, the same
check the shipment page runs; shipped ones are frozen and left out, which keeps the page cheap.
"""

from datetime import date, timedelta
from decimal import Decimal

from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import case
from sqlmodel import Session

from coopchain import formatting
from coopchain.certs.compliance import check_shipment
from coopchain.dashboard import figures
from coopchain.dashboard.charts import Bar, Point, bar_chart, dot_chart
from coopchain.db import owned, settings_of
from coopchain.farms.attention import plots_needing_attention
from coopchain.quality import rules as quality_rules
from coopchain.shipments.models import Shipment, ShipmentStatus

#: The SCA specialty floor (DOMAIN.md §4), drawn as a line on the cupping chart.
SPECIALTY = quality_rules.CLASSIFICATION_FLOORS[-1][0]
#: Shipments judged and listed (the soonest to load first); the rest are counted.
SHIPMENTS_LISTED = 10
IN_PROGRESS = (ShipmentStatus.PLANNED, ShipmentStatus.LOADING)


def shipments_in_progress(session: Session, org_id: int) -> tuple[list[dict], int]:
    """[{shipment, report}] for planned and loading shipments, soonest loading first, and how
    many there are in all."""
    query = owned(Shipment, org_id).where(Shipment.status.in_(IN_PROGRESS))
    shipments = list(
        session.scalars(
            query.order_by(
                case((Shipment.planned_loading_on.is_(None), 1), else_=0),
                Shipment.planned_loading_on,
                Shipment.reference,
            )
        )
    )
    rows = [
        {"shipment": shipment, "report": check_shipment(session, org_id, shipment.reference)}
        for shipment in shipments[:SHIPMENTS_LISTED]
    ]
    return rows, len(shipments)


def deliveries_chart(weeks: list[dict], season: str):
    bars = [
        Bar(
            label=format_date(week["week"], "d MMM"),
            value=week["kg"],
            text=ngettext(
                "Week of %(day)s: %(kg)s kg, %(n)s ticket",
                "Week of %(day)s: %(kg)s kg, %(n)s tickets",
                week["tickets"],
                day=formatting.day(week["week"]),
                kg=formatting.kg(week["kg"]),
                n=formatting.integer(week["tickets"]),
            ),
        )
        for week in weeks
    ]
    total = sum((week["kg"] for week in weeks), Decimal("0"))
    return bar_chart(
        bars,
        title=_("Deliveries per week, season %(season)s", season=season),
        desc=_(
            "Net kilograms delivered each week; %(kg)s kg in %(weeks)s weeks.",
            kg=formatting.kg(total),
            weeks=len(weeks),
        ),
        x_title=_("Week starting"),
        y_title=_("kg net"),
        empty=_("No deliveries this season yet."),
        fmt=formatting.kg,
    )


def cupping_chart(scores: list[dict], season: str, first: date, last: date):
    points = [
        Point(
            x=row["held_on"],
            y=row["score"],
            text=_(
                "%(lot)s: %(score)s (%(band)s), session %(session)s, %(day)s",
                lot=row["lot_code"],
                score=formatting.score(row["score"]),
                band=_(row["classification"]),
                session=row["session"],
                day=formatting.day(row["held_on"]),
            ),
            kind=row["classification"],
        )
        for row in scores
    ]
    months, month = [], date(first.year, first.month, 1)
    while month <= last:
        months.append((month, format_date(month, "MMM")))
        month = (month + timedelta(days=32)).replace(day=1)
    return dot_chart(
        points,
        title=_("Cupping scores, season %(season)s", season=season),
        desc=ngettext(
            "The panel's mean score of the %(n)s lot cupped this season, by session date; "
            "the line marks specialty (80).",
            "The panel's mean score of each of the %(n)s lots cupped this season, by session "
            "date; the line marks specialty (80).",
            len(points),
            n=formatting.integer(len(points)),
        ),
        x_range=(first, last),
        x_ticks=months[:: max(1, len(months) // 6)],
        y_range=(Decimal("78"), Decimal("88")),
        threshold=(SPECIALTY, _("Specialty")),
        x_title=_("Session date"),
        y_title=_("Score"),
        empty=_("No lot was cupped this season yet."),
        fmt=formatting.integer,
    )


def dashboard(session: Session, org_id: int, on: date) -> dict:
    """Everything the dashboard shows on day `on` (the cooperative's today)."""
    season, first, after = figures.season_of(session, on)
    last = min(on, after - timedelta(days=1))
    lots = figures.available_lots(session, org_id)
    weeks = figures.deliveries_per_week(session, org_id, first, last)
    scores = figures.cupping_scores(session, org_id, first, last)
    shipments, shipment_count = shipments_in_progress(session, org_id)
    return {
        "on": on,
        "season": season,
        "counts": figures.register_counts(session, org_id, on),
        "today": figures.intake(session, org_id, on, on),
        "week": figures.intake(session, org_id, figures.week_start(on), on),
        "stock": figures.stock(session, org_id, lots),
        "waiting": figures.waiting(lots),
        "shipments": shipments,
        "shipment_count": shipment_count,
        "attention": plots_needing_attention(
            session, org_id, on, settings_of(session).certificate_warning_days
        ),
        "deliveries_chart": deliveries_chart(weeks, season),
        "cupping_chart": cupping_chart(scores, season, first, last),
        "scores": scores,
        "weeks": weeks,
    }
