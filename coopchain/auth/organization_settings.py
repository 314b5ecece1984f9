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
    return change_organization_field(session, org_id, user_id, "locale", locale)


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
        {name: value, "previous": previous},
        user_id=user_id,
    )
    session.flush()
    return value
