"""Staff pages for deliveries, lots, transformations and bags (one blueprint, two modules:
delivery_views.py for intake, lot_views.py for lots and what is done with them)."""

import functools
from decimal import Decimal

from babel.numbers import get_decimal_symbol, get_group_symbol
from flask import Blueprint, current_app, url_for
from flask_babel import format_decimal, get_locale

from coopchain.auth.access import REGISTRY_WRITE, current_principal

bp = Blueprint("lots", __name__)


def org_id() -> int:
    return current_principal().organization_id


def user_id() -> int:
    return current_principal().user_id


def can_write() -> bool:
    return current_principal().role in REGISTRY_WRITE


def format_kg(value) -> str:
    """Kilograms to the gram, in the page's locale, without trailing zeros: "1.520,5".

    Python's own formatting with the locale's two symbols swapped in: the same result as
    Babel's format_decimal("#,##0.###"), at a fraction of its cost on a lot page with hundreds
    of rows."""
    if value is None or value == "":
        return "—"
    text = f"{Decimal(value).quantize(Decimal('0.001')):,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    group, decimal = _number_symbols(str(get_locale()))
    return text.replace(",", "\0").replace(".", decimal).replace("\0", group)


@functools.cache
def _number_symbols(locale: str) -> tuple[str, str]:
    return get_group_symbol(locale), get_decimal_symbol(locale)


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
