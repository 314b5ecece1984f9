"""Plots needing attention, and why: the one definition the dashboard, the attention page and
the forest page share, so their numbers can never disagree.

A plot needs attention for any of four causes, judged on one day:
- geometry: the geometry has problems or is missing (DOMAIN.md §2; kept on the plot);
- forest: its latest live forest evidence is not "deforestation-free" (loss after 2020, more
  information needed, no raster data, or no evidence at all; DOMAIN.md §7) — forest_attention;
- agreement: its producer has no conservation agreement in force that day (DOMAIN.md §1);
- certificate: it claims organic (a conversion start) and its organic certificate is missing,
  lapsed, or lapses within the warning window (a setting, 60 days by default; DOMAIN.md §3).
A plot with several causes counts once in the total and once under each cause.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session

from coopchain.db import in_organization, owned
from coopchain.farms.agreements import agreements_in_force
from coopchain.farms.models import Agreement, AgreementProducer, Plot, Producer
from coopchain.forest.summary import forest_attention, plot_rows

#: The causes, in the order the dashboard and the attention page list them.
CAUSES = ("geometry", "forest", "agreement", "certificate")


@dataclass
class PlotAttention:
    plot_id: int
    plot_name: str
    producer_id: int
    producer_code: str
    producer_name: str
    #: {cause: what about it}: geometry → the stored issues; forest → the evidence group;
    #: agreement → None; certificate → ("missing" | "expired" | "expiring", valid until).
    causes: dict = field(default_factory=dict)


@dataclass
class Attention:
    on: date
    certificate_window_days: int
    #: Plots with at least one cause, by member code and plot name.
    rows: list[PlotAttention]

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def counts(self) -> dict[str, int]:
        return {cause: sum(1 for row in self.rows if cause in row.causes) for cause in CAUSES}

    def with_cause(self, cause: str | None) -> list[PlotAttention]:
        return [row for row in self.rows if cause is None or cause in row.causes]


def producers_with_agreement_in_force(session: Session, org_id: int, on: date) -> set[int]:
    """Producers covered by at least one agreement in force on `on` (three queries)."""
    agreements = list(session.scalars(owned(Agreement, org_id)))
    in_force = agreements_in_force(session, agreements, on)
    active_ids = [agreement_id for agreement_id, active in in_force.items() if active]
    if not active_ids:
        return set()
    return set(
        session.scalars(
            select(AgreementProducer.producer_id).where(
                AgreementProducer.agreement_id.in_(active_ids)
            )
        )
    )


def certificate_state(plot_row, on: date, window_days: int) -> tuple[str, date | None] | None:
    """Why an organic plot's certificate needs attention on `on`, or None when it does not
    (and for a plot that claims nothing organic)."""
    if plot_row.organic_conversion_start is None:
        return None
    valid_until = plot_row.organic_certificate_valid_until
    if valid_until is None or not plot_row.organic_certificate_number:
        return ("missing", valid_until)
    if valid_until < on:
        return ("expired", valid_until)
    if valid_until < on + timedelta(days=window_days):
        return ("expiring", valid_until)
    return None


def plots_needing_attention(
    session: Session, org_id: int, on: date, certificate_window_days: int
) -> Attention:
    """Every plot of the organisation that needs attention on `on`, with its causes."""
    plots = session.execute(
        select(
            Plot.id,
            Plot.name,
            Plot.geometry_issues,
            Plot.organic_conversion_start,
            Plot.organic_certificate_number,
            Plot.organic_certificate_valid_until,
            Producer.id.label("producer_id"),
            Producer.member_code,
            Producer.first_name,
            Producer.last_name,
        )
        .join(Producer, Producer.id == Plot.producer_id)
        .where(in_organization(Plot, org_id))
        .order_by(Producer.member_code, Plot.name, Plot.id)
    ).all()
    forest = {row["plot_id"]: row["group"] for row in forest_attention(plot_rows(session, org_id))}
    covered = producers_with_agreement_in_force(session, org_id, on)
    rows = []
    for plot in plots:
        causes: dict = {}
        if plot.geometry_issues:
            causes["geometry"] = plot.geometry_issues
        if plot.id in forest:
            causes["forest"] = forest[plot.id]
        if plot.producer_id not in covered:
            causes["agreement"] = None
        certificate = certificate_state(plot, on, certificate_window_days)
        if certificate:
            causes["certificate"] = certificate
        if causes:
            rows.append(
                PlotAttention(
                    plot_id=plot.id,
                    plot_name=plot.name,
                    producer_id=plot.producer_id,
                    producer_code=plot.member_code,
                    producer_name=f"{plot.first_name} {plot.last_name}",
                    causes=causes,
                )
            )
    return Attention(on, certificate_window_days, rows)
