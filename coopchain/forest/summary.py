"""The organisation's forest picture without a map: how many plots are deforestation-free, at
risk, need more information or lack evidence, plot by plot, and as an .xlsx (issue: forest
evidence). Every figure is the plot's latest live evidence, as the compliance engine reads it."""

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlmodel import Session

from coopchain.db import in_organization, owned
from coopchain.farms.models import ForestEvidence, ForestResult, Plot, Producer
from coopchain.forest.assessment import share_pct
from coopchain.spreadsheets.writer import write_workbook

#: The summary's groups, in the order a reader wants them.
GROUPS = ("loss_after_cutoff", "more_info_needed", "no_data", "missing", "deforestation_free")


def plot_rows(session: Session, org_id: int) -> list[dict]:
    """One row per plot with its latest live evidence (None when it has none)."""
    plots = session.execute(
        select(
            Plot.id, Plot.name, Plot.declared_area_ha, Plot.computed_area_ha, Producer.member_code
        )
        .join(Producer, Producer.id == Plot.producer_id)
        .where(in_organization(Plot, org_id))
        .order_by(Producer.member_code, Plot.name, Plot.id)
    ).all()
    latest: dict[int, ForestEvidence] = {}
    for evidence in session.scalars(
        owned(ForestEvidence, org_id)
        .where(ForestEvidence.voided_at.is_(None))
        .order_by(ForestEvidence.observed_on, ForestEvidence.id)
    ):
        latest[evidence.plot_id] = evidence
    rows = []
    for plot_id, name, declared, computed, member_code in plots:
        evidence = latest.get(plot_id)
        measured = (evidence.measurements or {}) if evidence else {}
        rows.append(
            {
                "plot_id": plot_id,
                "producer_code": member_code,
                "plot_name": name,
                "area_ha": computed if computed is not None else declared,
                "group": evidence.result if evidence else "missing",
                "evidence": evidence,
                "loss_after_ha": evidence.loss_after_cutoff_ha if evidence else None,
                "forest_2020_pct": share_pct(measured.get("forest_2020_share")),
                "tree_cover_2000_pct": share_pct(measured.get("tree_cover_2000_share")),
            }
        )
    return rows


def forest_attention(rows: list[dict]) -> list[dict]:
    """The rows whose plot needs forest attention: anything but deforestation-free by its
    latest evidence (loss, more information needed, no data, no evidence). The forest page and
    the dashboard (farms/attention.py) both count these, so they say the same number."""
    return [row for row in rows if row["group"] != ForestResult.DEFORESTATION_FREE]


def overview(session: Session, org_id: int) -> dict:
    rows = plot_rows(session, org_id)
    counts = {group: 0 for group in GROUPS}
    for row in rows:
        counts[row["group"]] = counts.get(row["group"], 0) + 1
    attention = forest_attention(rows)
    return {"counts": counts, "total": len(rows), "attention": attention}


def summary_xlsx(session: Session, org_id: int) -> bytes:
    """Every plot and its latest evidence; cells starting with = + - @ are neutralised by the
    shared writer (DESIGN.md §6)."""
    headers = [
        _("Producer"),
        _("Plot"),
        _("Area (ha)"),
        _("Forest status"),
        _("Evidence kind"),
        _("Observed on"),
        _("Loss after 2020 (ha)"),
        _("Forest 2020 (%)"),
        _("Tree cover 2000 (%)"),
        _("Source"),
    ]

    def cells(row):
        evidence, group = row["evidence"], row["group"]
        return [
            row["producer_code"],
            row["plot_name"],
            Decimal(row["area_ha"]) if row["area_ha"] is not None else None,
            _(group) if group != "missing" else _("No evidence"),
            _(evidence.kind) if evidence else None,
            evidence.observed_on if evidence else None,
            row["loss_after_ha"],
            row["forest_2020_pct"],
            row["tree_cover_2000_pct"],
            evidence.source if evidence else None,
        ]

    return write_workbook(
        [(_("Forest status"), headers, (cells(r) for r in plot_rows(session, org_id)))]
    )
