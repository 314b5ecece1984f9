"""The compliance engine: one set of rules over a lot's or a shipment's origins.

Used by the compliance page, the API, the certificate PDF and the shipment page — never copied
(issue: shipments). `check_lot` / `check_shipment` gather the facts once (`Subject`: origins,
plots, forest evidence, mass balance, cupping; compliance_report.py) and every rule is a small
function of the subject returning findings (compliance_rules.py). A rule has a code; removing one
from RULES makes its test fail.
"""

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from coopchain.auth.models import Organization
from coopchain.certs.compliance_report import ComplianceReport, Finding, Severity, Subject
from coopchain.certs.compliance_rules import (
    rule_agreement_active,
    rule_cupping_score,
    rule_eudr_geolocation,
    rule_forest_evidence,
    rule_mass_balance,
    rule_organic_certificate,
    rule_organic_claim,
    rule_shipment_documents,
)
from coopchain.clock import today
from coopchain.db import owned, settings_of
from coopchain.farms.certifiers import certifiers_by_id
from coopchain.farms.models import Plot
from coopchain.farms.rules import OrganicStatus
from coopchain.forest.evidence import latest_evidence
from coopchain.lots import rules as lot_rules
from coopchain.lots.mass_balance import PlotBalance, mass_balance
from coopchain.lots.origins import Origin, origins_of, origins_of_many
from coopchain.lots.services import get_lot
from coopchain.quality.lot_quality import cupping_of
from coopchain.shipments.services import get_shipment, totals_of

#: Every rule, by code prefix order. A new rule is a function (compliance_rules.py) and a line
#: here.
RULES: list[tuple[str, Callable[[Subject], list[Finding]]]] = [
    ("agreement_active", rule_agreement_active),
    ("organic_claim", rule_organic_claim),
    ("organic_certificate", rule_organic_certificate),
    ("eudr_geolocation", rule_eudr_geolocation),
    ("forest_evidence", rule_forest_evidence),
    ("mass_balance", rule_mass_balance),
    ("cupping_score", rule_cupping_score),
    ("shipment_documents", rule_shipment_documents),
]


def evaluate(subject: Subject) -> ComplianceReport:
    findings = [finding for _name, rule in RULES for finding in rule(subject)]
    order = {Severity.BLOCKING: 0, Severity.WARNING: 1}
    findings.sort(key=lambda f: (order[f.severity], f.code))
    return ComplianceReport(subject, findings, [name for name, _rule in RULES])


# --- gathering the facts ----------------------------------------------------------------------


def _balances(session: Session, org_id: int, origins: list[Origin]) -> list[PlotBalance]:
    start = settings_of(session).season_start_month
    wanted: dict[str, set[int]] = defaultdict(set)
    for origin in origins:
        wanted[lot_rules.season_of(origin.delivered_on, start)].add(origin.plot_id)
    rows = []
    for season, plot_ids in sorted(wanted.items()):
        report = mass_balance(session, org_id, season)
        rows.extend(row for row in report.plots if row.plot_id in plot_ids)
    return rows


def _subject(
    session,
    org_id,
    *,
    kind,
    reference,
    crop,
    judged_on,
    lots,
    weighted_origins,
    statuses,
    downgraded,
    shipment=None,
    net_kg=Decimal("0"),
    bags=0,
) -> Subject:
    plot_ids = sorted({o.plot_id for o, _kg in weighted_origins})
    plots = {
        plot.id: plot for plot in session.scalars(owned(Plot, org_id).where(Plot.id.in_(plot_ids)))
    }
    return Subject(
        kind=kind,
        reference=reference,
        crop=crop,
        judged_on=judged_on,
        lots=lots,
        origins=weighted_origins,
        organic_status=lot_rules.worst_organic_status(statuses or [OrganicStatus.ORGANIC]),
        downgraded=downgraded,
        plots=plots,
        evidence=latest_evidence(session, org_id, plot_ids),
        certifiers=certifiers_by_id(
            session, org_id, [plot.organic_certifier_id for plot in plots.values()]
        ),
        balances=_balances(session, org_id, [o for o, _kg in weighted_origins]),
        balance_tolerance_pct=settings_of(session).mass_balance_tolerance_pct,
        balance_block_pct=session.get(Organization, org_id).yield_block_pct,
        cupping={lot.code: cupping_of(session, lot) for lot in lots},
        shipment=shipment,
        net_kg=net_kg,
        bags=bags,
    )


def lot_subject(session: Session, org_id: int, code: str, judged_on: date | None = None) -> Subject:
    """The lot's facts, judged today unless `judged_on` says another day (a bag's public page
    judges the day its shipment left)."""
    lot = get_lot(session, org_id, code)
    found = origins_of(session, lot)
    return _subject(
        session,
        org_id,
        kind="lot",
        reference=lot.code,
        crop=lot.crop,
        judged_on=judged_on or today(),
        lots=[lot],
        weighted_origins=[(o, o.kg) for o in found.origins],
        statuses=[found.organic_status],
        downgraded=found.downgraded,
        net_kg=lot.quantity_kg,
    )


def shipment_subject(session: Session, org_id: int, reference: str) -> Subject:
    shipment = get_shipment(session, org_id, reference)
    totals = totals_of(session, shipment)
    lots = [line.lot for line in totals.lines]
    found = origins_of_many(session, org_id, lots) if lots else {}
    weighted: list[tuple[Origin, Decimal]] = []
    for line in totals.lines:
        origins = found[line.lot.id].origins
        # The shipped bags carry this share of the lot: share it out over the lot's origins
        # to the gram, so the certificate's kilograms add up to the shipment's net weight.
        shares = lot_rules.share_out(
            line.net_kg, {i: int(o.kg * 1000) for i, o in enumerate(origins)}
        )
        weighted.extend((o, shares[i]) for i, o in enumerate(origins) if shares[i])
    return _subject(
        session,
        org_id,
        kind="shipment",
        reference=shipment.reference,
        crop=shipment.crop,
        judged_on=shipment.judged_on or today(),
        lots=lots,
        weighted_origins=weighted,
        statuses=[found[lot.id].organic_status for lot in lots],
        downgraded=any(found[lot.id].downgraded for lot in lots),
        shipment=shipment,
        net_kg=totals.net_kg,
        bags=totals.bags,
    )


def check_lot(
    session: Session, org_id: int, code: str, judged_on: date | None = None
) -> ComplianceReport:
    return evaluate(lot_subject(session, org_id, code, judged_on))


def check_shipment(session: Session, org_id: int, reference: str) -> ComplianceReport:
    return evaluate(shipment_subject(session, org_id, reference))
