"""Formatting and links every lots page uses (delivery_views.py, lot_views.py,
document_views.py)."""

from decimal import Decimal

from flask import current_app, url_for
from flask_babel import format_decimal

from coopchain.auth.access import REGISTRY_WRITE, current_principal
from coopchain.views import format_kg


def can_write() -> bool:
    return current_principal().role in REGISTRY_WRITE


def format_pct(value) -> str:
    return format_decimal(Decimal(value).quantize(Decimal("0.1")), format="#,##0.0")


def format_money(value) -> str:
    if value is None:
        return "—"
    amount = Decimal(value).quantize(Decimal("0.01"))
    money = format_decimal(amount, format="#,##0.00")
    return f"{money} {current_app.config['CURRENCY']}"


def lot_href(code: str) -> str:
    return url_for("lots.lot_detail", code=code)


def delivery_href(delivery_id: int) -> str:
    return url_for("lots.delivery_detail", delivery_id=delivery_id)


def page_helpers() -> dict:
    """Formatting and links every lots template uses."""
    return {
        "kg": format_kg,
        "pct": format_pct,
        "money": format_money,
        "lot_href": lot_href,
        "delivery_href": delivery_href,
    }
