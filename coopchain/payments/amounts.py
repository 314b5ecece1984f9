"""Reading money and dates from a form or a JSON body: one message per field, to the cent."""

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from coopchain.payments.rules import KNOWN_CURRENCIES


def decimal_field(data: dict, name: str, errors: dict, *, positive=True, required=True):
    """The field as a Decimal; records a message under `name` when missing, not a number or
    (when `positive`) zero or negative."""
    raw = data.get(name)
    if raw is None or str(raw).strip() == "":
        if required:
            errors[name] = [str(_l("This field is required."))]
        return None
    try:
        value = Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        errors[name] = [str(_l("Enter a number."))]
        return None
    if not value.is_finite():
        errors[name] = [str(_l("Enter a number."))]
        return None
    if positive and value <= 0:
        errors[name] = [str(_l("Enter an amount greater than zero."))]
        return None
    return value


def currency_field(data: dict, name: str, errors: dict, default: str = "PEN") -> str | None:
    code = str(data.get(name) or default).strip().upper()
    if code not in KNOWN_CURRENCIES:
        errors[name] = [str(_l("Unknown currency: use an ISO 4217 code such as PEN or USD."))]
        return None
    return code


def date_field(data: dict, name: str, errors: dict, *, required=True) -> date | None:
    raw = data.get(name)
    if isinstance(raw, date):
        return raw
    if raw is None or str(raw).strip() == "":
        if required:
            errors[name] = [str(_l("This field is required."))]
        return None
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        errors[name] = [str(_l("Enter a date as YYYY-MM-DD."))]
        return None


def text_field(data: dict, name: str, errors: dict, *, max_length: int, required=True):
    value = str(data.get(name) or "").strip()
    if not value:
        if required:
            errors[name] = [str(_l("This field is required."))]
        return None
    if len(value) > max_length:
        errors[name] = [str(_l("At most %(n)s characters.", n=max_length))]
        return None
    return value
