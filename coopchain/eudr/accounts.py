"""The organisation's EU Information System account: who files (operator role, activity,
EORI, represented importer) and the credentials the SOAP client signs with.

The authentication key is encrypted before it is stored (secrets.py) and never written to the
ledger or shown again; the ledger records that it was set or kept.
"""

import re

from flask_babel import gettext as _
from sqlmodel import Session

from coopchain.clock import utcnow
from coopchain.db import owned, settings_of
from coopchain.errors import DomainError
from coopchain.eudr import secrets
from coopchain.eudr.models import EudrAccount
from coopchain.eudr.statement import ACTIVITY_TYPES, OPERATOR_ROLES
from coopchain.ledger.services import append

ENVIRONMENTS = ("acceptance", "production")
_ISO2 = re.compile(r"^[A-Z]{2}$")
_EORI = re.compile(r"^[A-Z]{2}[A-Z0-9]{1,15}$")
#: Fields the ledger records in clear (the key never).
_PUBLIC_FIELDS = (
    "operator_role",
    "activity_type",
    "country_of_activity",
    "eori",
    "represented_name",
    "represented_eori",
    "geo_location_confidential",
    "environment",
    "username",
    "client_id",
)


def get_account(session: Session, org_id: int) -> EudrAccount | None:
    return session.scalar(owned(EudrAccount, org_id))


def _clean(data: dict) -> tuple[dict, dict]:
    errors: dict[str, list[str]] = {}
    values = {}
    for name in _PUBLIC_FIELDS:
        raw = data.get(name)
        if isinstance(raw, str):
            raw = raw.strip() or None
        values[name] = raw
    for name in ("country_of_activity", "eori", "represented_eori"):
        if values[name]:
            values[name] = values[name].upper()
    values["geo_location_confidential"] = bool(values["geo_location_confidential"])
    choices = {
        "operator_role": OPERATOR_ROLES,
        "activity_type": ACTIVITY_TYPES,
        "environment": ENVIRONMENTS,
    }
    for name, allowed in choices.items():
        if values[name] not in allowed:
            errors[name] = [_("Choose one of: %(choices)s.", choices=", ".join(allowed))]
    if values["country_of_activity"] and not _ISO2.match(values["country_of_activity"]):
        errors["country_of_activity"] = [_("Give a two-letter ISO country code.")]
    for name in ("eori", "represented_eori"):
        if values[name] and not _EORI.match(values[name]):
            errors[name] = [
                _("An EORI is a two-letter country code and up to 15 letters or digits.")
            ]
    limits = {"username": 120, "client_id": 60, "represented_name": 200}
    for name, limit in limits.items():
        if values[name] and len(values[name]) > limit:
            errors[name] = [_("At most %(n)s characters.", n=limit)]
    if values["operator_role"] == "REPRESENTATIVE_OPERATOR" and not values["represented_eori"]:
        errors["represented_eori"] = [_("A representative files for an operator: give its EORI.")]
    return values, errors


def save_account(
    session: Session, org_id: int, user_id: int | None, data: dict, auth_key: str | None
) -> EudrAccount:
    """Create or change the account; `auth_key` None or blank keeps the stored key. Refuses
    bad fields naming each, and changes nothing then."""
    values, errors = _clean(data)
    key = (auth_key or "").strip()
    if len(key) > 500:
        errors["auth_key"] = [_("At most %(n)s characters.", n=500)]
    if errors:
        raise DomainError(_("The EU Information System settings were not saved."), errors)
    account = get_account(session, org_id) or EudrAccount(organization_id=org_id)
    for name, value in values.items():
        setattr(account, name, value)
    if key:
        account.auth_key_encrypted = secrets.encrypt(settings_of(session).eudr_credentials_key, key)
    account.updated_at = utcnow()
    account.user_id = user_id
    session.add(account)
    session.flush()
    append(
        session,
        org_id,
        "eudr.account_set",
        ("eudr_account", account.id),
        values | {"auth_key": "(private, changed)" if key else "(private, kept)"},
        action="OBSERVE",
        user_id=user_id,
    )
    return account


def auth_key_of(session: Session, account: EudrAccount) -> str | None:
    if not account.auth_key_encrypted:
        return None
    return secrets.decrypt(settings_of(session).eudr_credentials_key, account.auth_key_encrypted)
