"""What the clerk should know before a delivery is recorded: forest loss on the plot after the
EUDR cutoff, no conservation agreement in force on the delivery date, a plot not organic that
day, a plot over its mass-balance tolerance this season.

Warnings never refuse a ticket (the product is at the door and the producer is paid either
way); the form asks the clerk to confirm, and what was confirmed is kept on the delivery and in
its ledger event. The facts come from the functions the compliance engine reads, so a warning at
intake and a finding on the certificate never disagree: the agreements in force and the organic
status of `delivery_facts` (AGR-ACTIVE, ORG-ORIGIN), the latest forest evidence (FOR-LOSS) and
the season's mass balance (MB-OVER). The codes are the findings' codes.

Warnings are computed after the deliveries are flushed, so the season's total includes them
(and, in an import, every row of the workbook).
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlmodel import Session

from coopchain import formatting
from coopchain.db import settings_of
from coopchain.errors import DomainError
from coopchain.farms import rules as farm_rules
from coopchain.farms.models import ForestResult
from coopchain.forest.evidence import latest_evidence
from coopchain.lots import rules
from coopchain.lots.delivery_facts import delivery_rows, facts_of
from coopchain.lots.mass_balance import BalanceFlag, plot_balances
from coopchain.lots.models import Delivery

FOREST_LOSS = "FOR-LOSS"
NO_AGREEMENT = "AGR-ACTIVE"
NOT_ORGANIC = "ORG-ORIGIN"
OVER_BALANCE = "MB-OVER"
#: The order a clerk reads them in: the EUDR first, the paperwork last.
CODES = (FOREST_LOSS, NO_AGREEMENT, NOT_ORGANIC, OVER_BALANCE)


class IntakeWarnings(DomainError):
    """The delivery has warnings the clerk has not confirmed (the form shows them again)."""

    code = "intake_warnings"
    status = 409

    def __init__(self, warnings: list[dict]):
        self.warnings = warnings
        super().__init__(
            _("Check the warnings below; record the delivery anyway only if they are understood.")
        )


def _chunks(ids: list[int], size: int = 900):
    """Ids in slices under SQLite's bound-parameter limit on old builds (an import may name
    more plots than that)."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _text(value) -> str | None:
    return None if value is None else str(value)


def warnings_of(session: Session, org_id: int, deliveries: list[Delivery]) -> dict[int, list]:
    """{delivery id: [warning]} for flushed deliveries; a warning is {"code", …facts}, plain
    JSON (dates ISO, kilograms as exact strings) as stored on the row and in the ledger."""
    info = facts_of(session, delivery_rows(session, org_id, [d.id for d in deliveries]))
    plot_ids = sorted({d.plot_id for d in deliveries})
    evidence = {}
    for chunk in _chunks(plot_ids):
        evidence.update(latest_evidence(session, org_id, chunk))
    start_month = settings_of(session).season_start_month
    by_season: dict[str, set[int]] = defaultdict(set)
    for delivery in deliveries:
        by_season[rules.season_of(delivery.delivered_on, start_month)].add(delivery.plot_id)
    balances: dict[str, dict] = defaultdict(dict)
    for season, ids in by_season.items():
        for chunk in _chunks(sorted(ids)):
            balances[season].update(plot_balances(session, org_id, season, chunk))
    found = {}
    for delivery in deliveries:
        _row, plot, _producer, agreements = info[delivery.id]
        _id, plot_name, _area, _alt, _crop, conversion_start, organic_since = plot
        day = delivery.delivered_on
        warnings = []
        latest = evidence.get(delivery.plot_id)
        if latest is not None and latest.result == ForestResult.LOSS_AFTER_CUTOFF:
            warnings.append(
                {
                    "code": FOREST_LOSS,
                    "plot": plot_name,
                    "evidence_id": latest.id,
                    "observed_on": latest.observed_on.isoformat(),
                    "source": latest.source,
                    "loss_after_cutoff_ha": _text(latest.loss_after_cutoff_ha),
                }
            )
        if not agreements:
            warnings.append({"code": NO_AGREEMENT, "on": day.isoformat()})
        status = farm_rules.organic_status(conversion_start, day)
        if status != farm_rules.OrganicStatus.ORGANIC:
            warnings.append(
                {
                    "code": NOT_ORGANIC,
                    "plot": plot_name,
                    "status": status.value,
                    "on": day.isoformat(),
                    "organic_since": organic_since.isoformat() if organic_since else None,
                }
            )
        season = rules.season_of(day, start_month)
        balance = balances[season].get(delivery.plot_id)
        if balance is not None and balance.flag == BalanceFlag.OVER:
            warnings.append(
                {
                    "code": OVER_BALANCE,
                    "plot": plot_name,
                    "season": season,
                    "delivered_kg": str(balance.delivered_equivalent_kg),
                    "expected_kg": str(balance.expected_kg),
                    "ratio_pct": str(balance.ratio_pct),
                    "tolerance_pct": str(settings_of(session).mass_balance_tolerance_pct),
                }
            )
        found[delivery.id] = warnings
    return found


def _day(value: str | None) -> str:
    return formatting.day(date.fromisoformat(value)) if value else formatting.NONE


def describe(warning: dict) -> str:
    """A warning in the clerk's words and language (the facts are the stored ones)."""
    code = warning.get("code")
    if code == FOREST_LOSS:
        loss = warning.get("loss_after_cutoff_ha")
        return _(
            "Plot “%(plot)s” shows forest loss after 2020-12-31 (%(loss)s ha; %(source)s, "
            "%(day)s): its coffee cannot be sold to the EU as deforestation-free.",
            plot=warning.get("plot"),
            loss=formatting.ha(Decimal(loss)) if loss else formatting.NONE,
            source=warning.get("source"),
            day=_day(warning.get("observed_on")),
        )
    if code == NO_AGREEMENT:
        return _(
            "The producer has no conservation agreement in force on %(day)s.",
            day=_day(warning.get("on")),
        )
    if code == NOT_ORGANIC:
        since = warning.get("organic_since")
        status = _(warning.get("status") or "")
        if since:
            return _(
                "Plot “%(plot)s” is %(status)s on %(day)s (organic from %(since)s): this "
                "delivery is not organic.",
                plot=warning.get("plot"),
                status=status,
                day=_day(warning.get("on")),
                since=_day(since),
            )
        return _(
            "Plot “%(plot)s” is %(status)s on %(day)s: this delivery is not organic.",
            plot=warning.get("plot"),
            status=status,
            day=_day(warning.get("on")),
        )
    if code == OVER_BALANCE:
        return _(
            "With this delivery, plot “%(plot)s” has delivered %(kg)s kg in season %(season)s "
            "against %(expected)s kg expected (%(ratio)s %%, tolerance %(tolerance)s %%).",
            plot=warning.get("plot"),
            kg=formatting.kg(warning.get("delivered_kg")),
            season=warning.get("season"),
            expected=formatting.kg(warning.get("expected_kg")),
            ratio=formatting.pct(warning.get("ratio_pct")),
            tolerance=formatting.pct(warning.get("tolerance_pct")),
        )
    return str(code)


def codes_of(warnings: list[dict]) -> list[str]:
    return [w.get("code") for w in warnings]


def record(session: Session, org_id: int, deliveries: list[Delivery], acknowledged=None) -> None:
    """Compute and keep each delivery's warnings. With `acknowledged` (the codes the clerk
    confirmed on the form), a warning not among them raises IntakeWarnings: nothing is saved
    and the form asks again. None (API, import): recorded, never refused."""
    found = warnings_of(session, org_id, deliveries)
    for delivery in deliveries:
        delivery.intake_warnings = found[delivery.id]
    if acknowledged is not None:
        unconfirmed = [
            w for d in deliveries for w in found[d.id] if w["code"] not in set(acknowledged)
        ]
        if unconfirmed:
            raise IntakeWarnings([w for d in deliveries for w in found[d.id]])
    session.flush()
