"""What the compliance engine reads and returns: the Subject (a lot's or shipment's facts,
gathered once), the Findings the rules make of it, and the ComplianceReport holding both.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from coopchain.farms.models import Certifier, ForestEvidence, Plot
from coopchain.farms.rules import OrganicStatus
from coopchain.lots import rules as lot_rules
from coopchain.lots.mass_balance import PlotBalance
from coopchain.lots.models import Lot
from coopchain.lots.origins import Origin
from coopchain.quality.lot_quality import CuppingScore
from coopchain.shipments.models import Shipment


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
    #: The mass-balance tolerance the balances were judged with (a setting).
    balance_tolerance_pct: Decimal = Decimal("20")
    #: The second threshold over which a plot blocks organic claims (organisation setting).
    balance_block_pct: Decimal = Decimal("100")
    #: The control bodies certifying the origin plots, by id (Plot.organic_certifier_id).
    certifiers: dict[int, Certifier] = field(default_factory=dict)

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
