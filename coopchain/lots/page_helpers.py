"""Formatting and links every lots page uses (the *_views.py modules of coopchain/lots/)."""

from flask import current_app, url_for

from coopchain import formatting
from coopchain.auth.access import REGISTRY_WRITE, current_principal


def can_write() -> bool:
    return current_principal().role in REGISTRY_WRITE


def format_money(value) -> str:
    """An amount in the organisation's currency (the CURRENCY setting)."""
    return formatting.money(value, current_app.config["CURRENCY"])


def lot_href(code: str) -> str:
    return url_for("lots.lot_detail", code=code)


def delivery_href(delivery_id: int) -> str:
    return url_for("lots.delivery_detail", delivery_id=delivery_id)


def page_helpers() -> dict:
    """Formatting and links every lots template uses."""
    return {
        "kg": formatting.kg,
        "kg_rounded": formatting.kg_rounded,
        "score": formatting.score,
        "pct": formatting.pct,
        "money": format_money,
        "lot_href": lot_href,
        "delivery_href": delivery_href,
    }
