"""The organisation's public-trace settings: its GTIN, which turns its QR codes into GS1
Digital Links (DOMAIN.md §6), and what the public pages say of it (region, story, photo).
Set by an admin; every change is a ledger event, which also makes the public pages' cache
gather again (trace/page_cache.py)."""

import hashlib
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from coopchain.auth.models import Organization
from coopchain.auth.organization_settings import change_organization_field
from coopchain.clock import today
from coopchain.errors import DomainError
from coopchain.ledger.services import append
from coopchain.trace.gs1 import GS1Error, gtin_check_digit, normalise_gtin
from coopchain.trace.photos import clean_photo, photo_digest


class InvalidGtin(DomainError):
    code = "invalid_gtin"
    status = 422


def set_gtin(session: Session, org_id: int, user_id: int | None, value: str | None) -> str | None:
    """Store the GTIN as 14 digits (GTIN-8/12/13 are padded), or clear it when `value` is
    blank. A wrong check digit or length is refused with the reason; nothing changes then."""
    gtin = None
    if value and value.strip():
        try:
            gtin = normalise_gtin(value)
        except GS1Error as exc:
            raise InvalidGtin(str(exc), fields={"gtin": [str(exc)]}) from exc
    return change_organization_field(session, org_id, user_id, "gtin", gtin)


#: Longest story the public page shows (characters).
MAX_STORY_CHARS = 1000
#: Longest region name (Organization.region's column).
MAX_REGION_CHARS = 120


def set_public_profile(
    session: Session, org_id: int, user_id: int | None, *, region: str, story: str
) -> bool:
    """The region and the short story the public pages show (blank clears them). Refused,
    changing nothing, when either is too long. Returns True when something changed."""
    region = " ".join((region or "").split()) or None
    story = (story or "").replace("\r\n", "\n").strip() or None
    errors = {}
    if region and len(region) > MAX_REGION_CHARS:
        errors["region"] = [str(_l("At most %(n)s characters.", n=MAX_REGION_CHARS))]
    if story and len(story) > MAX_STORY_CHARS:
        errors["story"] = [str(_l("At most %(n)s characters.", n=MAX_STORY_CHARS))]
    if errors:
        raise DomainError(str(_l("Some fields need attention.")), errors)
    organization = session.get(Organization, org_id)
    if (organization.region, organization.public_story) == (region, story):
        return False
    organization.region, organization.public_story = region, story
    session.add(organization)
    append(
        session,
        org_id,
        "organization.public_profile_set",
        ("organization", organization.code),
        {"region": region, "story": story},
        user_id=user_id,
    )
    session.flush()
    return True


def set_public_photo(session: Session, org_id: int, user_id: int | None, data: bytes) -> str:
    """Store the cooperative's photo, re-encoded (trace/photos.py); its digest is recorded in
    the ledger. A refused upload raises InvalidPhoto and changes nothing."""
    photo = clean_photo(data)
    organization = session.get(Organization, org_id)
    organization.public_photo, organization.public_photo_type = photo, "image/jpeg"
    session.add(organization)
    append(
        session,
        org_id,
        "organization.public_photo_set",
        ("organization", organization.code),
        {"sha256": hashlib.sha256(photo).hexdigest(), "bytes": len(photo)},
        user_id=user_id,
    )
    session.flush()
    return photo_digest(photo)


def remove_public_photo(session: Session, org_id: int, user_id: int | None) -> bool:
    organization = session.get(Organization, org_id)
    if organization.public_photo is None:
        return False
    organization.public_photo = organization.public_photo_type = None
    session.add(organization)
    append(
        session,
        org_id,
        "organization.public_photo_removed",
        ("organization", organization.code),
        {},
        user_id=user_id,
    )
    session.flush()
    return True


def set_price_transparency(
    session: Session,
    org_id: int,
    user_id: int | None,
    *,
    enabled: bool,
    reference_per_kg: Decimal | None,
    reference_on: date | None,
) -> bool:
    """Show (or stop showing) on the public bag pages what the families were paid against the
    market reference per kg of the delivered form, and of which day. Showing it needs a
    reference above zero and its day, not in the future; refused, nothing changes."""
    errors = {}
    if reference_per_kg is not None and not (0 < reference_per_kg < Decimal("100000")):
        errors["market_reference_per_kg"] = [str(_l("A price per kg greater than zero."))]
    if reference_on is not None and reference_on > today():
        errors["market_reference_on"] = [str(_l("A date that is not in the future."))]
    if enabled and reference_per_kg is None:
        errors.setdefault("market_reference_per_kg", [str(_l("Needed to show prices."))])
    if enabled and reference_on is None:
        errors.setdefault("market_reference_on", [str(_l("Needed to show prices."))])
    if errors:
        raise DomainError(str(_l("Some fields need attention.")), errors)
    organization = session.get(Organization, org_id)
    reference = None if reference_per_kg is None else reference_per_kg.quantize(Decimal("0.01"))
    new = (enabled, reference, reference_on)
    old = (
        organization.price_transparency,
        organization.market_reference_per_kg,
        organization.market_reference_on,
    )
    if new == old:
        return False
    (
        organization.price_transparency,
        organization.market_reference_per_kg,
        organization.market_reference_on,
    ) = new
    session.add(organization)
    append(
        session,
        org_id,
        "organization.price_transparency_set",
        ("organization", organization.code),
        {
            "enabled": enabled,
            "market_reference_per_kg": reference,
            "market_reference_on": reference_on,
        },
        user_id=user_id,
    )
    session.flush()
    return True


#: GS1 Company Prefixes run from 6 to 12 digits in the SGLN partition table (EPC Tag Data
#: Standard, SGLN partition values 0–6); a GLN is 13 digits, the last a check digit.
COMPANY_PREFIX_LENGTHS = range(6, 13)
GLN_LENGTH = 13


def _digits(value: str | None) -> str:
    return "".join((value or "").split()).replace("-", "")


def set_gs1_location(
    session: Session, org_id: int, user_id: int | None, gln: str | None, prefix: str | None
) -> bool:
    """Store the cooperative's GLN and the GS1 Company Prefix it starts with, which make the
    EPCIS export's locations SGLNs (DOMAIN.md §9); both blank clears them. Refused, naming the
    field and changing nothing, unless the GLN has 13 digits and a right check digit (GenSpecs
    §7.9) and the prefix has 6 to 12 digits and begins the GLN. Returns True when changed."""
    gln, prefix = _digits(gln), _digits(prefix)
    errors: dict[str, list[str]] = {}
    if gln or prefix:
        if not (gln.isascii() and gln.isdigit() and len(gln) == GLN_LENGTH):
            errors["gln"] = [str(_l("A GLN has 13 digits."))]
        elif gtin_check_digit(gln[:-1]) != int(gln[-1]):
            errors["gln"] = [
                str(
                    _l(
                        "GLN check digit should be %(expected)s, not %(found)s.",
                        expected=gtin_check_digit(gln[:-1]),
                        found=gln[-1],
                    )
                )
            ]
        if not (prefix.isascii() and prefix.isdigit() and len(prefix) in COMPANY_PREFIX_LENGTHS):
            errors["gs1_company_prefix"] = [str(_l("A GS1 Company Prefix has 6 to 12 digits."))]
        elif "gln" not in errors and not gln.startswith(prefix):
            errors["gs1_company_prefix"] = [
                str(_l("The GLN must begin with the GS1 Company Prefix."))
            ]
    if errors:
        raise DomainError(str(_l("Some fields need attention.")), errors)
    organization = session.get(Organization, org_id)
    new = (gln or None, prefix or None)
    if (organization.gln, organization.gs1_company_prefix) == new:
        return False
    organization.gln, organization.gs1_company_prefix = new
    session.add(organization)
    append(
        session,
        org_id,
        "organization.gs1_location_set",
        ("organization", organization.code),
        {"gln": new[0], "gs1_company_prefix": new[1]},
        user_id=user_id,
    )
    session.flush()
    return True
