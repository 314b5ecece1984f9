"""The treasurer's pages: payment runs (run_views.py), premium rules and the Fairtrade Premium
fund (premium_views.py), members' debts (debt_views.py)."""

from datetime import date

from flask import Blueprint

from coopchain import formatting
from coopchain.auth.access import PAY
from coopchain.auth.models import Role

bp = Blueprint("pay_runs", __name__)

#: Who may read the money pages: those who pay, and auditors (read-only).
PAY_READ = PAY | frozenset({Role.AUDITOR})


@bp.context_processor
def _formatting() -> dict:
    """Amounts, numbers and days as every document writes them (coopchain/formatting.py)."""
    return {
        "money": formatting.money,
        "number": formatting.number,
        "day": formatting.day,
        # Debt schedules keep their due dates as ISO text (a JSON column).
        "iso_day": lambda text: formatting.day(date.fromisoformat(text)),
    }
