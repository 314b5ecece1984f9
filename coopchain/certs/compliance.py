"""The compliance engine: one set of rules over a lot's or a shipment's origins.

Used by the compliance page, the API, the certificate PDF and the shipment page — never copied
(issue: shipments). `check_lot` / `check_shipment` gather the facts once (`Subject`: origins,
plots, forest evidence, mass balance, cupping) and every rule is a small function of the subject
returning findings. A rule has a code; removing one from RULES makes its test fail.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from sqlalchemy import select
from sqlmodel import Session

from coopchain.certs.eudr import EudrPlot, plot_problems
from coopchain.clock import today
from coopchain.farms.models import ForestEvidence, ForestResult, Plot
from coopchain.farms.rules import OrganicStatus
from coopchain.forest.evidence import latest_evidence
from coopchain.lots import rules as lot_rules
from coopchain.lots.mass_balance import BalanceFlag, PlotBalance, mass_balance
from coopchain.lots.models import Lot
from coopchain.lots.origins import Origin, origins_of, origins_of_many
from coopchain.lots.services import get_lot, setting
from coopchain.quality.lot_quality import CuppingScore, cupping_of
from coopchain.shipments.models import Shipment
from coopchain.shipments.services import get_shipment, totals_of

#: The product forms an export lot is in: only these are expected to carry a cupping score.
CUPPED_FORMS = {"green"}


class Severity(StrEnum):
    BLOCKING = "blocking"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    #: What the finding concerns: plot labels ("CAF-0012 · Alta") and delivery tickets.
    plots: tuple[str, ...] = ()
    deliveries: tuple[str, ...] = ()
    #: What was looked at to decide.
    evidence: str = ""

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "plots": list(self.plots),
            "deliveries": list(self.deliveries),
            "evidence": self.evidence,
        }


@dataclass
class Subject:
    """Everything the rules look at, gathered once."""

    kind: str  # "lot" or "shipment"
    reference: str
    crop: str
    #: The date certificates and claims are judged on (shipment date, or today for a lot).
    judged_on: date
    lots: list[Lot]
    #: Each origin with the kilograms it contributes to *this subject* (a shipment carries only
    #: the shipped bags' share of a lot).
    origins: list[tuple[Origin, Decimal]]
    organic_status: OrganicStatus
    downgraded: bool
    plots: dict[int, Plot]
    evidence: dict[int, ForestEvidence]
    #: Mass-balance rows of the origin plots, per season the deliveries fall in.
    balances: list[PlotBalance]
    cupping: dict[str, CuppingScore | None]
    shipment: Shipment | None = None
    net_kg: Decimal = Decimal("0")
    bags: int = 0

    def plot_label(self, plot_id: int) -> str:
        origin = next(o for o, _kg in self.origins if o.plot_id == plot_id)
        return f"{origin.producer_code} · {origin.plot_name}"

    @property
    def plot_ids(self) -> list[int]:
        return sorted({o.plot_id for o, _kg in self.origins})

    def by_plot(self) -> list[dict]:
        """The certificate's origin table: one row per plot, largest contribution first."""
        rows: dict[int, dict] = {}
        for origin, kg in self.origins:
            row = rows.setdefault(
                origin.plot_id,
                {
                    "origin": origin,
                    "kg": Decimal("0"),
                    "deliveries": 0,
                    "statuses": set(),
                    "agreements": set(),
                    "agreement_active": True,
                },
            )
            row["kg"] += kg
            row["deliveries"] += 1
            row["statuses"].add(origin.organic_status)
            row["agreements"].update(origin.agreement_numbers)
            row["agreement_active"] = row["agreement_active"] and origin.agreement_active
        for plot_id, row in rows.items():
            row["organic_status"] = lot_rules.worst_organic_status(row.pop("statuses"))
            row["plot"] = self.plots.get(plot_id)
            row["evidence"] = self.evidence.get(plot_id)
        return sorted(rows.values(), key=lambda r: (-r["kg"], r["origin"].producer_code))


@dataclass
class ComplianceReport:
    subject: Subject
    findings: list[Finding]
    rules_checked: list[str] = field(default_factory=list)

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.BLOCKING]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.WARNING]


# --- the rules --------------------------------------------------------------------------------


def _plots_of(subject: Subject, origins) -> tuple[str, ...]:
    return tuple(sorted({f"{o.producer_code} · {o.plot_name}" for o in origins}))


def _tickets(origins) -> tuple[str, ...]:
    return tuple(sorted({o.ticket_number for o in origins}))


def rule_agreement_active(subject: Subject) -> list[Finding]:
    """Every origin's producer had an active conservation agreement on the delivery date
    (DOMAIN.md §1)."""
    without = [o for o, _kg in subject.origins if not o.agreement_active]
    if not without:
        return []
    return [
        Finding(
            "AGR-ACTIVE",
            Severity.BLOCKING,
            str(
                _ln(
                    "%(n)s delivery comes from a producer without an active conservation "
                    "agreement on the delivery date.",
                    "%(n)s deliveries come from producers without an active conservation "
                    "agreement on the delivery date.",
                    len(without),
                    n=len(without),
                )
            ),
            _plots_of(subject, without),
            _tickets(without),
            str(_l("Agreement status history on each delivery date.")),
        )
    ]


def rule_organic_claim(subject: Subject) -> list[Finding]:
    """Organic only if every origin was organic on its delivery date and nothing was commingled
    or downgraded on the way (DOMAIN.md §3)."""
    findings = []
    not_organic = [o for o, _kg in subject.origins if o.organic_status != OrganicStatus.ORGANIC]
    if not_organic:
        findings.append(
            Finding(
                "ORG-ORIGIN",
                Severity.BLOCKING,
                str(
                    _ln(
                        "%(n)s delivery was not organic on its delivery date (in conversion or "
                        "conventional).",
                        "%(n)s deliveries were not organic on their delivery date (in "
                        "conversion or conventional).",
                        len(not_organic),
                        n=len(not_organic),
                    )
                ),
                _plots_of(subject, not_organic),
                _tickets(not_organic),
                str(_l("Conversion start + 36 months against each delivery date.")),
            )
        )
    if subject.downgraded:
        findings.append(
            Finding(
                "ORG-COMMINGLED",
                Severity.BLOCKING,
                str(
                    _l(
                        "A lot on the way was downgraded to conventional after mixing organic "
                        "with other product."
                    )
                ),
                evidence=str(_l("Transformations in the lot's genealogy.")),
            )
        )
    return findings


def rule_organic_certificate(subject: Subject) -> list[Finding]:
    """Each origin plot's organic certificate is valid on the shipment date (DOMAIN.md §3)."""
    lapsed = [
        plot
        for plot_id in subject.plot_ids
        if (plot := subject.plots[plot_id]).organic_certificate_valid_until is None
        or plot.organic_certificate_valid_until < subject.judged_on
        or not plot.organic_certificate_number
    ]
    if not lapsed:
        return []
    return [
        Finding(
            "ORG-CERTIFICATE",
            Severity.BLOCKING,
            str(
                _ln(
                    "%(n)s origin plot has no organic certificate valid on %(day)s.",
                    "%(n)s origin plots have no organic certificate valid on %(day)s.",
                    len(lapsed),
                    n=len(lapsed),
                    day=subject.judged_on.isoformat(),
                )
            ),
            tuple(sorted(subject.plot_label(p.id) for p in lapsed)),
            evidence=str(_l("Certificate number and validity recorded on each plot.")),
        )
    ]


def eudr_plot(plot: Plot, origin: Origin) -> EudrPlot:
    """A plot as the EUDR package sees it; the package and this rule judge it the same way."""
    return EudrPlot(
        plot_id=plot.id,
        plot_name=plot.name,
        producer_code=origin.producer_code,
        producer_name=origin.producer_name,
        community=origin.community,
        crop=plot.crop,
        geometry=plot.geometry,
        declared_area_ha=plot.declared_area_ha,
        area_ha=plot.area_ha,
        geometry_issues=plot.geometry_issues or [],
    )


def rule_eudr_geolocation(subject: Subject) -> list[Finding]:
    """Coffee origins need EUDR-valid geolocation: a point up to 4 ha, a polygon above
    (DOMAIN.md §2). Pitahaya is out of EUDR scope."""
    if subject.crop != "coffee":
        return []
    first_origin = {}
    for origin, _kg in subject.origins:
        first_origin.setdefault(origin.plot_id, origin)
    problems = {
        plot_id: "; ".join(found)
        for plot_id in subject.plot_ids
        if (found := plot_problems(eudr_plot(subject.plots[plot_id], first_origin[plot_id])))
    }
    if not problems:
        return []
    return [
        Finding(
            "EUDR-GEO",
            Severity.BLOCKING,
            str(
                _ln(
                    "%(n)s origin plot lacks EUDR-valid geolocation.",
                    "%(n)s origin plots lack EUDR-valid geolocation.",
                    len(problems),
                    n=len(problems),
                )
            ),
            tuple(sorted(f"{subject.plot_label(p)}: {why}" for p, why in problems.items())),
            evidence=str(_l("Plot geometry, its validation and its area.")),
        )
    ]


def rule_forest_evidence(subject: Subject) -> list[Finding]:
    """Every origin plot has forest evidence showing no loss after 2020-12-31 (DOMAIN.md §2);
    tree cover without loss (shade coffee) needs field evidence (DOMAIN.md §7)."""
    missing, lost, unclear = [], [], []
    for plot_id in subject.plot_ids:
        evidence = subject.evidence.get(plot_id)
        if evidence is None or evidence.result == ForestResult.NO_DATA:
            missing.append(plot_id)
        elif evidence.result == ForestResult.LOSS_AFTER_CUTOFF:
            lost.append(plot_id)
        elif evidence.result == ForestResult.MORE_INFO_NEEDED:
            unclear.append(plot_id)
    findings = []
    labels = lambda ids: tuple(sorted(subject.plot_label(p) for p in ids))  # noqa: E731
    if lost:
        findings.append(
            Finding(
                "FOR-LOSS",
                Severity.BLOCKING,
                str(
                    _ln(
                        "%(n)s origin plot shows forest loss after 2020-12-31.",
                        "%(n)s origin plots show forest loss after 2020-12-31.",
                        len(lost),
                        n=len(lost),
                    )
                ),
                labels(lost),
                evidence=str(_l("The latest forest evidence of each plot.")),
            )
        )
    if missing:
        findings.append(
            Finding(
                "FOR-MISSING",
                Severity.BLOCKING,
                str(
                    _ln(
                        "%(n)s origin plot has no forest evidence.",
                        "%(n)s origin plots have no forest evidence.",
                        len(missing),
                        n=len(missing),
                    )
                ),
                labels(missing),
                evidence=str(_l("The latest forest evidence of each plot.")),
            )
        )
    if unclear:
        findings.append(
            Finding(
                "FOR-MORE-INFO",
                Severity.WARNING,
                str(
                    _ln(
                        "%(n)s origin plot shows tree cover without loss; a field visit should "
                        "confirm shade coffee.",
                        "%(n)s origin plots show tree cover without loss; a field visit should "
                        "confirm shade coffee.",
                        len(unclear),
                        n=len(unclear),
                    )
                ),
                labels(unclear),
                evidence=str(_l("The latest forest evidence of each plot.")),
            )
        )
    return findings


def rule_mass_balance(subject: Subject) -> list[Finding]:
    """Each origin plot's deliveries in the season stay within area × yield + tolerance
    (DOMAIN.md §3)."""
    over = [b for b in subject.balances if b.flag == BalanceFlag.OVER]
    if not over:
        return []
    return [
        Finding(
            "MB-OVER",
            Severity.WARNING,
            str(
                _ln(
                    "%(n)s origin plot delivered more than its area can yield (over the "
                    "%(pct)s %% tolerance).",
                    "%(n)s origin plots delivered more than their area can yield (over the "
                    "%(pct)s %% tolerance).",
                    len(over),
                    n=len(over),
                    pct=setting("MASS_BALANCE_TOLERANCE_PCT"),
                )
            ),
            tuple(sorted({f"{b.producer_code} · {b.plot_name}" for b in over})),
            evidence=str(_l("Mass balance of the delivery seasons.")),
        )
    ]


def rule_cupping_score(subject: Subject) -> list[Finding]:
    """Coffee export lots have a cupping score (issue: shipments)."""
    if subject.crop != "coffee":
        return []
    uncupped = sorted(
        lot.code
        for lot in subject.lots
        if lot.product_form in CUPPED_FORMS and subject.cupping.get(lot.code) is None
    )
    if not uncupped:
        return []
    return [
        Finding(
            "CUP-MISSING",
            Severity.WARNING,
            str(_l("No cupping score for %(lots)s.", lots=", ".join(uncupped))),
            evidence=str(_l("Closed cupping sessions of the lots and their inputs.")),
        )
    ]


def rule_shipment_documents(subject: Subject) -> list[Finding]:
    """A shipment carries bags, a container, and for pitahaya the SENASA phytosanitary
    certificate (DOMAIN.md §5)."""
    shipment = subject.shipment
    if shipment is None:
        return []
    findings = []
    if not subject.bags:
        findings.append(
            Finding(
                "SHP-NO-BAGS",
                Severity.BLOCKING,
                str(_l("No bags are allocated to the shipment.")),
            )
        )
    if not shipment.container_number:
        findings.append(
            Finding(
                "SHP-CONTAINER",
                Severity.WARNING,
                str(_l("No container number recorded yet.")),
            )
        )
    if shipment.crop == "pitahaya" and not shipment.senasa_certificate_number:
        findings.append(
            Finding(
                "SHP-PHYTO",
                Severity.BLOCKING,
                str(_l("Pitahaya exports need the SENASA phytosanitary certificate number.")),
            )
        )
    return findings


#: Every rule, by code prefix order. A new rule is a function and a line here.
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
    start = setting("SEASON_START_MONTH")
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
        plot.id: plot
        for plot in session.scalars(
            select(Plot).where(Plot.organization_id == org_id, Plot.id.in_(plot_ids))
        )
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
        balances=_balances(session, org_id, [o for o, _kg in weighted_origins]),
        cupping={lot.code: cupping_of(session, lot) for lot in lots},
        shipment=shipment,
        net_kg=net_kg,
        bags=bags,
    )


def lot_subject(session: Session, org_id: int, code: str) -> Subject:
    lot = get_lot(session, org_id, code)
    found = origins_of(session, lot)
    return _subject(
        session,
        org_id,
        kind="lot",
        reference=lot.code,
        crop=lot.crop,
        judged_on=today(),
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


def check_lot(session: Session, org_id: int, code: str) -> ComplianceReport:
    return evaluate(lot_subject(session, org_id, code))


def check_shipment(session: Session, org_id: int, reference: str) -> ComplianceReport:
    return evaluate(shipment_subject(session, org_id, reference))
