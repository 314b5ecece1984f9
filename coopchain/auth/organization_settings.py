"""An organisation's own settings that an admin changes: the locale its numbers and dates are
written in. Every change is a ledger event (which also rebuilds the cached public pages)."""

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from coopchain.auth.models import Organization
from coopchain.errors import DomainError
from coopchain.formatting import LOCALES
from coopchain.ledger.services import append


def set_locale(session: Session, org_id: int, user_id: int | None, locale: str | None) -> str:
    """Store one of LOCALES as the organisation's; anything else is refused naming the field."""
    if locale not in LOCALES:
        message = str(_l("Choose one of the listed formats."))
        raise DomainError(message, {"locale": [message]})
    organization = session.get(Organization, org_id)
    if organization.locale == locale:
        return locale
    previous, organization.locale = organization.locale, locale
    session.add(organization)
    append(
        session,
        org_id,
        "organization.locale_set",
        ("organization", organization.code),
        {"locale": locale, "previous": previous},
        user_id=user_id,
    )
    session.flush()
    return locale
