"""An organisation's own settings that an admin changes: the locale its numbers and dates are
written in, and the shipper's details and thresholds of export papers and inspections. Every
change is a ledger event (which also rebuilds the cached public pages)."""

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from coopchain.auth.models import Organization
from coopchain.errors import DomainError
from coopchain.formatting import LOCALES
from coopchain.ledger.services import append
from coopchain.shipments.rules import RUC_PATTERN


def set_locale(session: Session, org_id: int, user_id: int | None, locale: str | None) -> str:
    """Store one of LOCALES as the organisation's; anything else is refused naming the field."""
    if locale not in LOCALES:
        message = str(_l("Choose one of the listed formats."))
        raise DomainError(message, {"locale": [message]})
    return change_organization_field(session, org_id, user_id, "locale", locale)


def _plain(value):
    """Exact decimals as text: a ledger payload is stored as JSON."""
    return str(value) if isinstance(value, Decimal) else value


def change_organization_field(session: Session, org_id: int, user_id: int | None, name: str, value):
    """Set one of the organisation's own fields; an actual change is the ledger event
    "organization.<name>_set" with the value before it (which also rebuilds cached public
    pages). Setting the value it already holds writes nothing."""
    organization = session.get(Organization, org_id)
    previous = getattr(organization, name)
    if previous == value:
        return value
    setattr(organization, name, value)
    session.add(organization)
    append(
        session,
        org_id,
        f"organization.{name}_set",
        ("organization", organization.code),
        {name: _plain(value), "previous": _plain(previous)},
        user_id=user_id,
    )
    session.flush()
    return value


#: The export and inspection settings an admin sets (/settings/export): field -> max length,
#: or the (min, max) of a number.
EXPORT_TEXT = {"ruc": 11, "address": 500}
EXPORT_NUMBERS = {
    "bag_tare_kg": (Decimal("0"), Decimal("5"), Decimal("0.001")),
    "yield_block_pct": (Decimal("1"), Decimal("1000"), Decimal("0.01")),
}


def set_export_settings(session: Session, org_id: int, user_id: int | None, data: dict) -> None:
    """The shipper's RUC and address for export papers, the empty-bag weight for gross weights
    and the yield threshold over which a plot blocks organic claims. Every bad field is named
    and nothing changes; each changed field is its own ledger event."""
    errors: dict[str, list[str]] = {}
    cleaned: dict = {}
    for name, limit in EXPORT_TEXT.items():
        value = str(data.get(name) or "").strip() or None
        if value and len(value) > limit:
            errors[name] = [str(_l("At most %(n)s characters.", n=limit))]
        elif name == "ruc" and value and not RUC_PATTERN.match(value):
            errors[name] = [str(_l("The RUC has 11 digits."))]
        cleaned[name] = value
    for name, (low, high, step) in EXPORT_NUMBERS.items():
        value = data.get(name)
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            number = None
        if number is None or not number.is_finite() or not low <= number <= high:
            errors[name] = [str(_l("A number from %(low)s to %(high)s.", low=low, high=high))]
        elif number != number.quantize(step):
            errors[name] = [str(_l("At most %(n)s decimals.", n=-step.as_tuple().exponent))]
        cleaned[name] = number
    if errors:
        raise DomainError(str(_l("Some fields need attention.")), errors)
    for name, value in cleaned.items():
        change_organization_field(session, org_id, user_id, name, value)
