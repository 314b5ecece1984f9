"""Organic control bodies as records: list, look-up (by id, code or name), registration and edits.

One control body is one record per organisation: names are compared folded (rules.certifier_key)
so "Control Union Peru" and "Control Union Perú" cannot both exist, and a code names at most one
record. Every write records a ledger event, flushes and never commits (DESIGN.md §3).
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlmodel import Session

from coopchain.clock import utcnow
from coopchain.db import in_organization, owned
from coopchain.errors import DomainError, NotFound
from coopchain.farms.models import Certifier, Plot
from coopchain.farms.rules import certifier_key
from coopchain.ledger.services import append, changes

CERTIFIER_FIELDS = ("name", "code", "country")


def list_certifiers(session: Session, org_id: int) -> list[Certifier]:
    return list(session.scalars(owned(Certifier, org_id).order_by(Certifier.name_key)))


def plots_per_certifier(session: Session, org_id: int) -> dict[int, int]:
    rows = session.execute(
        select(Plot.organic_certifier_id, func.count())
        .where(in_organization(Plot, org_id), Plot.organic_certifier_id.is_not(None))
        .group_by(Plot.organic_certifier_id)
    )
    return dict(rows.all())


def get_certifier(session: Session, org_id: int, certifier_id: int) -> Certifier:
    certifier = session.scalar(owned(Certifier, org_id).where(Certifier.id == certifier_id))
    if certifier is None:
        raise NotFound(str(_l("No such certifier.")))
    return certifier


def certifiers_by_id(session: Session, org_id: int, ids) -> dict[int, Certifier]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {
        c.id: c for c in session.scalars(owned(Certifier, org_id).where(Certifier.id.in_(wanted)))
    }


def find_certifier(session: Session, org_id: int, text: str) -> Certifier | None:
    """The certifier whose code is `text` (any case), else whose name folds to the same key."""
    text = text.strip()
    by_code = session.scalar(
        owned(Certifier, org_id).where(func.upper(Certifier.code) == text.upper())
    )
    if by_code is not None:
        return by_code
    return session.scalar(owned(Certifier, org_id).where(Certifier.name_key == certifier_key(text)))


def _check_unique(session: Session, org_id: int, data: dict, own_id: int | None) -> None:
    errors = {}
    same_name = session.scalar(
        owned(Certifier, org_id).where(Certifier.name_key == certifier_key(data["name"]))
    )
    if same_name is not None and same_name.id != own_id:
        errors["name"] = [str(_l("%(name)s is already recorded.", name=same_name.name))]
    if data.get("code"):
        same_code = session.scalar(owned(Certifier, org_id).where(Certifier.code == data["code"]))
        if same_code is not None and same_code.id != own_id:
            message = _l(
                "Code %(code)s belongs to %(name)s.", code=data["code"], name=same_code.name
            )
            errors["code"] = [str(message)]
    if errors:
        raise DomainError(str(_l("This certifier is already recorded.")), errors)


def _values(data: dict) -> dict:
    return {
        "name": " ".join(data["name"].split()),
        "code": (data.get("code") or "").strip().upper() or None,
        "country": (data.get("country") or "").strip().upper() or None,
    }


def create_certifier(session: Session, org_id: int, user_id: int | None, data: dict) -> Certifier:
    values = _values(data)
    _check_unique(session, org_id, values, None)
    certifier = Certifier(organization_id=org_id, name_key=certifier_key(values["name"]), **values)
    session.add(certifier)
    session.flush()
    append(
        session, org_id, "certifier.created", ("certifier", certifier.id), values, user_id=user_id
    )
    return certifier


def update_certifier(
    session: Session, org_id: int, user_id: int | None, certifier_id: int, data: dict
) -> Certifier:
    certifier = get_certifier(session, org_id, certifier_id)
    values = _values(data)
    _check_unique(session, org_id, values, certifier.id)
    before = {name: getattr(certifier, name) for name in CERTIFIER_FIELDS}
    for name, value in values.items():
        setattr(certifier, name, value)
    certifier.name_key = certifier_key(values["name"])
    certifier.updated_at = utcnow()
    session.add(certifier)
    session.flush()
    diff = changes(before, values)
    if diff:
        append(
            session,
            org_id,
            "certifier.updated",
            ("certifier", certifier.id),
            diff,
            action="OBSERVE",
            user_id=user_id,
        )
    return certifier
