"""The producer register exported as a workbook that import_registry can read back.

Sheets: Producers, Agreements, Visits and Plots, with the import's columns plus a few computed
ones (active today, computed area, organic status, geometry issues).
"""

import json

from sqlmodel import Session

from coopchain.clock import today
from coopchain.db import owned
from coopchain.farms.agreements import agreement_producer_ids, agreements_in_force
from coopchain.farms.certifiers import list_certifiers
from coopchain.farms.geometry import GeometryIssue
from coopchain.farms.models import Agreement, AgreementVisit, Plot, Producer
from coopchain.farms.plots import plot_organic_status
from coopchain.farms.registry_common import PRIVATE_FIELDS
from coopchain.farms.registry_xlsx import AGREEMENT_COLUMNS, PLOT_COLUMNS, PRODUCER_COLUMNS
from coopchain.spreadsheets import write_workbook


def export_registry(session: Session, org_id: int, *, with_private: bool) -> bytes:
    """The whole register, one sheet per table, readable back by import_registry.

    Without `with_private`, national IDs and phone numbers are left out of the file.
    """
    producer_columns = [c for c in PRODUCER_COLUMNS if with_private or c not in PRIVATE_FIELDS]
    producers = list(session.scalars(owned(Producer, org_id).order_by(Producer.member_code)))
    code_of = {p.id: p.member_code for p in producers}
    agreements = list(session.scalars(owned(Agreement, org_id).order_by(Agreement.number)))
    links = agreement_producer_ids(session, [a.id for a in agreements])
    visits = session.scalars(
        owned(AgreementVisit, org_id).order_by(
            AgreementVisit.agreement_id, AgreementVisit.visited_on
        )
    )
    number_of = {a.id: a.number for a in agreements}
    plots = session.scalars(owned(Plot, org_id).order_by(Plot.producer_id, Plot.id))
    # The import reads a certifier back by code or name: the code when recorded, it is exact.
    certifier_of = {c.id: c.code or c.name for c in list_certifiers(session, org_id)}
    in_force = agreements_in_force(session, agreements, today())
    return write_workbook(
        [
            (
                "Producers",
                producer_columns,
                ([getattr(p, c) for c in producer_columns] for p in producers),
            ),
            (
                "Agreements",
                [*AGREEMENT_COLUMNS, "active_today"],
                (
                    [
                        *(_agreement_cell(a, c, links, code_of) for c in AGREEMENT_COLUMNS),
                        in_force[a.id],
                    ]
                    for a in agreements
                ),
            ),
            (
                "Visits",
                ["agreement_number", "visited_on", "inspector", "result", "notes"],
                (
                    [number_of[v.agreement_id], v.visited_on, v.inspector, v.result, v.notes]
                    for v in visits
                ),
            ),
            (
                "Plots",
                [*PLOT_COLUMNS, "computed_area_ha", "organic_status_today", "issues"],
                (
                    [
                        *(_plot_cell(p, c, code_of, certifier_of) for c in PLOT_COLUMNS),
                        p.computed_area_ha,
                        plot_organic_status(p).value,
                        "; ".join(GeometryIssue.describe(i) for i in p.geometry_issues),
                    ]
                    for p in plots
                ),
            ),
        ]
    )


def _agreement_cell(agreement, column, links, code_of):
    if column == "producer_codes":
        return ", ".join(code_of[pid] for pid in links[agreement.id] if pid in code_of)
    if column == "commitments":
        return ", ".join(agreement.commitments)
    return getattr(agreement, column)


def _plot_cell(plot, column, code_of, certifier_of):
    if column == "organic_certifier":
        return certifier_of.get(plot.organic_certifier_id)
    geometry = plot.geometry or {}
    is_point = geometry.get("type") == "Point"
    if column == "producer_code":
        return code_of.get(plot.producer_id)
    if column in ("lon", "lat"):
        return geometry["coordinates"][0 if column == "lon" else 1] if is_point else None
    if column == "geojson":
        return json.dumps(geometry) if geometry and not is_point else None
    return getattr(plot, column)
