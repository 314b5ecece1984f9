"""Accounts: organisations, users, memberships and personal API tokens."""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlmodel import Session
from werkzeug.security import check_password_hash, generate_password_hash

from coopchain.auth.models import ApiToken, Membership, Organization, Role, User
from coopchain.clock import utcnow
from coopchain.db import in_organization
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.ledger.services import append

TOKEN_PREFIX = "cc_"  # noqa: S105  (a visible marker, not a secret)
#: A dummy hash so a login for an unknown email costs as much as one for a known email.
_DUMMY_HASH = generate_password_hash("not-a-password")


def create_organization(session: Session, code: str, name: str, kind: str) -> Organization:
    code = code.strip().upper()
    if session.scalar(select(Organization).where(Organization.code == code)):
        raise Conflict(str(_l("An organisation with code %(code)s exists.", code=code)))
    org = Organization(code=code, name=name.strip(), kind=kind)
    session.add(org)
    session.flush()
    append(
        session,
        org.id,
        "organization.created",
        ("organization", org.id),
        {"code": code, "name": org.name, "kind": kind},
    )
    return org


#: Real accounts; the demo's public password "demo" is allowed only through `weak_ok`.
MIN_PASSWORD_LENGTH = 8


def create_user(
    session: Session, email: str, name: str, password: str, *, weak_ok: bool = False
) -> User:
    email = email.strip().lower()
    if len(password) < MIN_PASSWORD_LENGTH and not weak_ok:
        raise DomainError(
            str(_l("The password needs at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)),
            {"password": [str(_l("Too short."))]},
        )
    if session.scalar(select(User).where(User.email == email)):
        raise Conflict(str(_l("A user with email %(email)s exists.", email=email)))
    user = User(email=email, name=name.strip(), password_hash=generate_password_hash(password))
    session.add(user)
    session.flush()
    return user


def add_member(
    session: Session, organization_id: int, user: User, role: Role, *, by_user_id: int | None
) -> Membership:
    membership = Membership(user_id=user.id, organization_id=organization_id, role=Role(role))
    session.add(membership)
    session.flush()
    append(
        session,
        organization_id,
        "membership.created",
        ("user", user.id),
        {"email": user.email, "role": str(role)},
        user_id=by_user_id,
    )
    return membership


def members_of(session: Session, organization_id: int) -> list[tuple[Membership, User]]:
    rows = session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(in_organization(Membership, organization_id))
        .order_by(User.email)
    )
    return [(m, u) for m, u in rows]


def change_role(
    session: Session, organization_id: int, by_user_id: int, membership_id: int, role: str
) -> Membership:
    membership = session.scalar(
        select(Membership).where(
            Membership.id == membership_id, in_organization(Membership, organization_id)
        )
    )
    if membership is None:
        raise NotFound(str(_l("No such member.")))
    if role not in {r.value for r in Role}:
        raise DomainError(str(_l("Unknown role %(role)s.", role=role)), {"role": ["unknown"]})
    if membership.user_id == by_user_id and role != Role.ADMIN:
        # An organisation must never lose its last way back to the admin screens by accident.
        raise DomainError(str(_l("You cannot remove your own admin role.")))
    before = membership.role
    membership.role = Role(role)
    session.add(membership)
    session.flush()
    append(
        session,
        organization_id,
        "membership.role_changed",
        ("user", membership.user_id),
        {"role": {"before": before, "after": str(role)}},
        action="OBSERVE",
        user_id=by_user_id,
    )
    return membership


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not user.is_active or not check_password_hash(user.password_hash, password):
        return None
    return user


def memberships_of(session: Session, user_id: int) -> list[tuple[Membership, Organization]]:
    rows = session.execute(
        select(Membership, Organization)
        .join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.user_id == user_id)
        .order_by(Membership.id)
    )
    return [(m, o) for m, o in rows]


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(
    session: Session, user: User, organization_id: int, name: str
) -> tuple[ApiToken, str]:
    """Make a token; return the row and the plaintext (shown once, stored only as a hash)."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        organization_id=organization_id,
        user_id=user.id,
        name=name.strip() or "API",
        token_hash=_hash_token(plaintext),
        prefix=plaintext[:10],
    )
    session.add(token)
    session.flush()
    append(
        session,
        organization_id,
        "api_token.created",
        ("api_token", token.id),
        {"name": token.name, "prefix": token.prefix},
        user_id=user.id,
    )
    return token, plaintext


def revoke_api_token(session: Session, token_id: int, user: User, organization_id: int) -> None:
    token = session.scalar(
        select(ApiToken).where(
            ApiToken.id == token_id,
            ApiToken.user_id == user.id,
            in_organization(ApiToken, organization_id),
        )
    )
    if token is None:
        raise NotFound(str(_l("No such token.")))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        append(
            session,
            organization_id,
            "api_token.revoked",
            ("api_token", token.id),
            {"prefix": token.prefix},
            action="DELETE",
            user_id=user.id,
        )
        session.flush()


def tokens_of(session: Session, user_id: int, organization_id: int) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user_id, in_organization(ApiToken, organization_id))
            .order_by(ApiToken.created_at.desc())
        )
    )


def resolve_api_token(session: Session, plaintext: str) -> tuple[User, ApiToken] | None:
    """The active user and token for a bearer token, or None (unknown, revoked, inactive)."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(plaintext)))
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    membership = session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.user_id == user.id, in_organization(Membership, token.organization_id))
    )
    if not membership:
        return None
    return user, token


#: A token's last use is kept to the minute: recording every call would make every API read a
#: write, and on SQLite a read transaction that writes fails when another request writes
#: ("database is locked"; issue: trust, 13–16 of 20 simultaneous reads answered 500).
TOKEN_USE_RESOLUTION = timedelta(minutes=1)


def token_use_is_stale(token: ApiToken, now: datetime) -> bool:
    return token.last_used_at is None or now - token.last_used_at >= TOKEN_USE_RESOLUTION


def record_token_use(session: Session, token_id: int, now: datetime) -> bool:
    """Set the token's last use unless a request did within the minute (one short UPDATE in
    the caller's own transaction); True when this call recorded it."""
    result = session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(
                ApiToken.last_used_at.is_(None),
                ApiToken.last_used_at <= now - TOKEN_USE_RESOLUTION,
            ),
        )
        .values(last_used_at=now)
    )
    return result.rowcount == 1
