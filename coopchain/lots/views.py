"""Staff pages for deliveries, lots, transformations and bags (one blueprint, two modules:
delivery_views.py for intake, lot_views.py for lots and what is done with them)."""

from decimal import Decimal

from flask import Blueprint, current_app, url_for
from flask_babel import format_decimal

from coopchain.auth.access import REGISTRY_WRITE, current_principal
from coopchain.views import format_kg

bp = Blueprint("lots", __name__)


def org_id() -> int:
    return current_principal().organization_id


def user_id() -> int:
    return current_principal().user_id


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


# Routes register themselves on import; keep these after the blueprint exists.
from coopchain.lots import delivery_views as _delivery_views  # noqa: E402,F401
from coopchain.lots import document_views as _document_views  # noqa: E402,F401
from coopchain.lots import lot_views as _lot_views  # noqa: E402,F401
