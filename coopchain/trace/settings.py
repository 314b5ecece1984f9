"""The organisation's public-trace settings: its GTIN, which turns its QR codes into GS1
Digital Links (DOMAIN.md §6). Set by an admin; every change is a ledger event, which also makes
the public pages' cache gather again (trace/page_cache.py)."""

from sqlmodel import Session

from coopchain.auth.models import Organization
from coopchain.errors import DomainError
from coopchain.ledger.services import append
from coopchain.trace.gs1 import GS1Error, normalise_gtin


class InvalidGtin(DomainError):
    code = "invalid_gtin"
    status = 422


def set_gtin(session: Session, org_id: int, user_id: int | None, value: str | None) -> str | None:
    """Store the GTIN as 14 digits (GTIN-8/12/13 are padded), or clear it when `value` is
    blank. A wrong check digit or length is refused with the reason; nothing changes then."""
    organization = session.get(Organization, org_id)
    gtin = None
    if value and value.strip():
        try:
            gtin = normalise_gtin(value)
        except GS1Error as exc:
            raise InvalidGtin(str(exc), fields={"gtin": [str(exc)]}) from exc
    if gtin == organization.gtin:
        return gtin
    previous, organization.gtin = organization.gtin, gtin
    session.add(organization)
    append(
        session,
        org_id,
        "organization.gtin_set",
        ("organization", organization.code),
        {"gtin": gtin, "previous": previous},
        user_id=user_id,
    )
    session.flush()
    return gtin
