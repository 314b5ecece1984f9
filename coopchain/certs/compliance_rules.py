"""The compliance rules: each a function of the gathered Subject returning Findings, with no
database access of its own; compliance.RULES lists them and compliance.evaluate runs them.
"""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln

from coopchain.certs.compliance_report import Finding, Severity, Subject
from coopchain.certs.eudr import EudrPlot, plot_problems
from coopchain.farms.models import ForestResult, Plot
from coopchain.farms.rules import OrganicStatus
from coopchain.lots.origins import Origin

#: The product forms an export lot is in: only these are expected to carry a cupping score.
CUPPED_FORMS = {"green"}


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
    (DOMAIN.md §3): over it a warning; over the organisation's second threshold blocking for
    organic claims (claims.ORGANIC_FINDINGS) until an inspector's explanation is recorded."""
    over = [b for b in subject.balances if b.severity == "warning"]
    blocked = [b for b in subject.balances if b.severity == "blocking"]
    findings = []
    if blocked:
        findings.append(
            Finding(
                "MB-BLOCK",
                Severity.BLOCKING,
                str(
                    _ln(
                        "%(n)s origin plot delivered more than %(pct)s %% over what its area "
                        "can yield and no inspector's explanation is recorded: no organic claim.",
                        "%(n)s origin plots delivered more than %(pct)s %% over what their area "
                        "can yield and no inspector's explanation is recorded: no organic claim.",
                        len(blocked),
                        n=len(blocked),
                        pct=subject.balance_block_pct,
                    )
                ),
                _balance_labels(blocked),
                evidence=str(_l("Mass balance of the delivery seasons and yield explanations.")),
            )
        )
    if over:
        findings.append(
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
                        pct=subject.balance_tolerance_pct,
                    )
                ),
                _balance_labels(over),
                evidence=str(_l("Mass balance of the delivery seasons.")),
            )
        )
    return findings


def _balance_labels(balances) -> tuple[str, ...]:
    return tuple(sorted({f"{b.producer_code} · {b.plot_name}" for b in balances}))


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
