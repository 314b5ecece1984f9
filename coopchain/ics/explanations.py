"""Inspectors' explanations of plots far over their plausible yield.

A plot delivering more than expected × (1 + the organisation's yield_block_pct) in a season
blocks organic claims on its product (compliance MB-BLOCK) until an internal inspector has
looked and written down why (a second plot not yet registered, an exceptional harvest, a
correction of the area): DOMAIN.md §3, "mass balance (what each member delivered vs. what their
plots can yield)". The explanation is a ledger event; a later one for the same plot and season
stands beside it, the latest shown.
"""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from coopchain.clock import today
from coopchain.errors import DomainError
from coopchain.farms.plots import get_plot
from coopchain.ics.models import YieldExplanation
from coopchain.ledger.services import append
from coopchain.lots.mass_balance import BalanceFlag, plot_balances

MAX_TEXT = {"inspector": 200, "explanation": 2000}


def record_explanation(
    session: Session, org_id: int, user_id: int | None, plot_id: int, data: dict
) -> YieldExplanation:
    """Record why `plot_id` delivered what it did in data["season"]. Every bad field is named at
    once; a plot within its tolerance that season has nothing to explain (Conflict-like 422)."""
    plot = get_plot(session, org_id, plot_id)
    errors: dict[str, list[str]] = {}
    cleaned = {name: (str(data.get(name) or "")).strip() for name in ("inspector", "explanation")}
    for name, limit in MAX_TEXT.items():
        if not cleaned[name]:
            errors[name] = [str(_l("Required."))]
        elif len(cleaned[name]) > limit:
            errors[name] = [str(_l("At most %(n)s characters.", n=limit))]
    explained_on = data.get("explained_on") or today()
    if not isinstance(explained_on, date):
        errors["explained_on"] = [str(_l("Not a valid date."))]
    elif explained_on > today():
        errors["explained_on"] = [str(_l("A date that is not in the future."))]
    season = str(data.get("season") or "").strip()
    balance = None
    if not season:
        errors["season"] = [str(_l("Required."))]
    else:
        try:
            balance = plot_balances(session, org_id, season, [plot.id]).get(plot.id)
        except DomainError as exc:
            errors.update(exc.fields or {"season": [exc.message]})
    if balance is not None and balance.flag != BalanceFlag.OVER:
        errors["season"] = [
            str(
                _l(
                    "Plot %(plot)s is within its mass-balance tolerance in %(season)s: nothing "
                    "to explain.",
                    plot=plot.name,
                    season=season,
                )
            )
        ]
    if errors:
        raise DomainError(str(_l("Some fields need attention.")), errors)
    row = YieldExplanation(
        organization_id=org_id,
        plot_id=plot.id,
        season=season,
        inspector=cleaned["inspector"],
        explained_on=explained_on,
        explanation=cleaned["explanation"],
        user_id=user_id,
    )
    session.add(row)
    session.flush()
    append(
        session,
        org_id,
        "plot.yield_explained",
        ("plot", plot.id),
        {
            "season": season,
            "ratio_pct": str(balance.ratio_pct),
            "inspector": row.inspector,
            "explained_on": row.explained_on.isoformat(),
            "explanation": row.explanation,
        },
        action="OBSERVE",
        user_id=user_id,
    )
    return row
