"""Signed-in browsers as server-side records, so they can be ended (issue: trust, part 4).

Flask's session cookie is signed, not revocable: a copy saved before logout would keep working
until the secret changes. The cookie therefore carries only a random key (Flask-Login's
"alternative token": `get_id` returns it) and `user_sessions` holds its hash. A request is
signed in only while that row is open; logout ends one row, a password change or the loss of a
membership ends all of a user's rows. Reading the row is the only cost per request: nothing is
written on a read, so concurrent readers never wait on each other (part 1).
"""

import hashlib
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlmodel import Session
from werkzeug.security import check_password_hash, generate_password_hash

from coopchain.auth.models import Membership, User, UserSession
from coopchain.auth.services import MIN_PASSWORD_LENGTH
from coopchain.clock import utcnow
from coopchain.db import in_organization
from coopchain.errors import DomainError, NotFound
from coopchain.ledger.services import append


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(session: Session, user_id: int) -> str:
    """Open a session for the user; return the key for the cookie (kept here only hashed)."""
    key = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user_id, key_hash=_hash_key(key)))
    session.flush()
    return key


def user_of(session: Session, key: str) -> User | None:
    """The active user of an open session, or None (unknown, ended, deactivated)."""
    row = session.scalar(
        select(UserSession).where(
            UserSession.key_hash == _hash_key(key), UserSession.ended_at.is_(None)
        )
    )
    if row is None:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.is_active else None


def end(session: Session, key: str, reason: str) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.key_hash == _hash_key(key), UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
    )


def end_all_of(session: Session, user_id: int, reason: str, *, keep: str | None = None) -> int:
    """End every open session of the user except `keep` (a key); return how many ended."""
    query = update(UserSession).where(
        UserSession.user_id == user_id, UserSession.ended_at.is_(None)
    )
    if keep is not None:
        query = query.where(UserSession.key_hash != _hash_key(keep))
    return session.execute(query.values(ended_at=utcnow(), ended_reason=reason)).rowcount


def change_password(
    session: Session, user_id: int, current: str, new: str, repeat: str, *, keep: str
) -> None:
    """Set a new password and end the user's other sessions: whoever else held one (a lost
    phone, a shared computer, a copied cookie) is signed out."""
    user = session.get(User, user_id)
    if user is None or not check_password_hash(user.password_hash, current):
        raise DomainError(
            str(_l("The current password is wrong.")),
            {"current": [str(_l("Wrong password."))]},
        )
    if len(new) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            str(_l("The password needs at least %(n)s characters.", n=MIN_PASSWORD_LENGTH)),
            {"new": [str(_l("Too short."))]},
        )
    if new != repeat:
        raise DomainError(
            str(_l("The two new passwords differ.")),
            {"repeat": [str(_l("Does not match the new password."))]},
        )
    user.password_hash = generate_password_hash(new)
    session.add(user)
    ended = end_all_of(session, user_id, "password_changed", keep=keep)
    for membership in session.scalars(select(Membership).where(Membership.user_id == user_id)):
        append(
            session,
            membership.organization_id,
            "user.password_changed",
            ("user", user_id),
            {"other_sessions_ended": ended},
            action="OBSERVE",
            user_id=user_id,
        )
    session.flush()


def remove_member(
    session: Session, organization_id: int, by_user_id: int, membership_id: int
) -> None:
    """Take a member out of the organisation and end their sessions at once (a removed member
    must not keep working in an open tab, whichever organisation it shows)."""
    membership = session.scalar(
        select(Membership).where(
            Membership.id == membership_id, in_organization(Membership, organization_id)
        )
    )
    if membership is None:
        raise NotFound(str(_l("No such member.")))
    if membership.user_id == by_user_id:
        raise DomainError(str(_l("You cannot remove yourself.")))
    user_id, role = membership.user_id, membership.role
    session.delete(membership)
    ended = end_all_of(session, user_id, "membership_removed")
    append(
        session,
        organization_id,
        "membership.removed",
        ("user", user_id),
        {"role": role, "sessions_ended": ended},
        action="DELETE",
        user_id=by_user_id,
    )
    session.flush()
