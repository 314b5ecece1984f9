"""What may be claimed about a lot or a shipment — organic, conservation agreements, forest —
read off the compliance engine's findings (compliance.evaluate): the public pages, the bag labels
and the certificate all call `claims_of`, so they never judge a second time on their own.

A claim holds only when the subject has origins and none of the findings that guard it was
made; the findings that stop it are named (`because`), so a page can say why not.
"""

from datetime import date
from enum import StrEnum

from coopchain.certs.compliance_report import ComplianceReport
from coopchain.farms.rules import OrganicStatus

#: The findings (compliance_rules.py) that stop each claim.
#: MB-BLOCK: a plot far over its plausible yield, unexplained (DOMAIN.md §3 mass balance).
ORGANIC_FINDINGS = ("ORG-ORIGIN", "ORG-COMMINGLED", "ORG-CERTIFICATE", "MB-BLOCK")
AGREEMENT_FINDINGS = ("AGR-ACTIVE",)
FOREST_FINDINGS = ("FOR-LOSS", "FOR-MISSING", "FOR-MORE-INFO")


class OrganicClaim(StrEnum):
    #: Organic at every origin, nothing mixed in, every plot's certificate valid on the day.
    CERTIFIED = "certified_organic"
    #: Organic by the conversion dates, but a plot's certificate is missing or expired.
    NOT_CERTIFIED = "organic_not_certified"
    IN_CONVERSION = "in_conversion"
    CONVENTIONAL = "conventional"


def _organic_claim(status: OrganicStatus, downgraded: bool, against: list[str]) -> OrganicClaim:
    if downgraded or "ORG-COMMINGLED" in against or status == OrganicStatus.CONVENTIONAL:
        return OrganicClaim.CONVENTIONAL
    if status == OrganicStatus.IN_CONVERSION:
        return OrganicClaim.IN_CONVERSION
    return OrganicClaim.NOT_CERTIFIED if against else OrganicClaim.CERTIFIED


def _certifiers(subject) -> list[dict]:
    """Each control body of the origin plots with the earliest expiry among its certificates."""
    earliest: dict[int, date | None] = {}
    for plot in subject.plots.values():
        certifier_id = getattr(plot, "organic_certifier_id", None)
        if certifier_id is None or certifier_id not in subject.certifiers:
            continue
        until = plot.organic_certificate_valid_until
        known = earliest.get(certifier_id, date.max)
        earliest[certifier_id] = min(known, until) if until and known else None
    rows = [
        {
            "name": subject.certifiers[i].name,
            "code": subject.certifiers[i].code,
            "country": subject.certifiers[i].country,
            "valid_until": until,
        }
        for i, until in earliest.items()
    ]
    return sorted(rows, key=lambda row: row["name"].casefold())


def claims_of(report: ComplianceReport) -> dict:
    """The claims the report allows, as plain values (codes, dates, names)."""
    subject = report.subject
    found = {finding.code for finding in report.findings}
    traced = bool(subject.origins)

    def against(codes) -> list[str]:
        return [code for code in codes if code in found]

    organic_against = against(ORGANIC_FINDINGS)
    organic = _organic_claim(subject.organic_status, subject.downgraded, organic_against)
    certified = traced and organic == OrganicClaim.CERTIFIED
    forest_against = against(FOREST_FINDINGS)
    return {
        "judged_on": subject.judged_on,
        "organic": {
            "claim": organic.value if traced else OrganicClaim.NOT_CERTIFIED.value,
            "certified": certified,
            "downgraded": bool(subject.downgraded),
            "because": organic_against,
            # Who certifies is said only when the claim holds: a name alone is no certificate.
            "certifiers": _certifiers(subject) if certified else [],
        },
        "agreement": {
            "holds": traced and not against(AGREEMENT_FINDINGS),
            "because": against(AGREEMENT_FINDINGS),
        },
        "forest": {
            "holds": traced and not forest_against,
            "because": forest_against,
        },
    }
