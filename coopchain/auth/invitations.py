"""Invitations: how a person gets a role in an organisation (issue: trust, part 3).

An admin used to attach any existing account by typing its email, and the form's answer told
whether that email had an account anywhere. Now the admin only creates an invitation, with the
same answer for every email; the membership exists once the person holding the link accepts it,
signed in as the invited email, or creates the account when the email has none. The link's token
is shown to the admin once (we send no email) and kept only as a hash, like API tokens.
"""

import hashlib
import secrets
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlmodel import Session

from coopchain.auth.models import Invitation, Membership, Role, User
from coopchain.auth.services import add_member, create_user
from coopchain.clock import utcnow
from coopchain.db import in_organization, owned
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.ledger.services import append

#: Long enough to pass a link on by hand, short enough that a forgotten one goes stale.
VALID_FOR = timedelta(days=7)


class InvitationGone(DomainError):
    """Accepted, withdrawn or expired: the link worked once, so say so (410), unlike a guess."""

    code = "gone"
    status = 410


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(
    session: Session, organization_id: int, by_user_id: int, email: str, role: str
) -> tuple[Invitation, str]:
    """Create an invitation; return it and the token for the link (shown once)."""
    email = email.strip().lower()
    if role not in {r.value for r in Role}:
        raise DomainError(str(_l("Unknown role %(role)s.", role=role)), {"role": ["unknown"]})
    already = session.scalar(
        select(func.count())
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .where(User.email == email, in_organization(Membership, organization_id))
    )
    if already:
        # Only this organisation's own members are named, which its admin already sees.
        raise Conflict(
            str(_l("%(email)s is already a member.", email=email)),
            {"email": [str(_l("Already a member."))]},
        )
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        organization_id=organization_id,
        email=email,
        role=Role(role),
        invited_by=by_user_id,
        token_hash=_hash(token),
        expires_at=utcnow() + VALID_FOR,
    )
    session.add(invitation)
    session.flush()
    append(
        session,
        organization_id,
        "invitation.created",
        ("invitation", invitation.id),
        {"email": email, "role": role, "expires_at": invitation.expires_at},
        user_id=by_user_id,
    )
    return invitation, token


def open_invitation(session: Session, token: str) -> Invitation:
    """The invitation a link names, if it can still be accepted."""
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == _hash(token)))
    if invitation is None:
        raise NotFound(str(_l("No such invitation.")))
    if invitation.accepted_at or invitation.withdrawn_at or invitation.expires_at <= utcnow():
        raise InvitationGone(
            str(_l("This invitation has been used, withdrawn or has expired. Ask for a new one."))
        )
    return invitation


def _join(session: Session, invitation: Invitation, user: User) -> Membership:
    membership = add_member(
        session, invitation.organization_id, user, Role(invitation.role), by_user_id=None
    )
    invitation.accepted_at, invitation.accepted_by = utcnow(), user.id
    session.add(invitation)
    append(
        session,
        invitation.organization_id,
        "invitation.accepted",
        ("invitation", invitation.id),
        {"user_id": user.id, "role": invitation.role},
        action="OBSERVE",
        user_id=user.id,
    )
    session.flush()
    return membership


def accept(session: Session, token: str, user_id: int) -> Membership:
    """The signed-in user accepts; only the invited email may."""
    invitation = open_invitation(session, token)
    user = session.get(User, user_id)
    if user is None or user.email != invitation.email:
        raise PermissionError("invitation for another email")
    if session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, in_organization(Membership, invitation.organization_id)
        )
    ):
        raise Conflict(str(_l("You are already a member.")))
    return _join(session, invitation, user)


def accept_with_new_account(
    session: Session, token: str, name: str, password: str, repeat: str
) -> User:
    """Create the invited email's account and accept. An email that has an account must sign
    in instead: a link must never let anyone set another person's password."""
    invitation = open_invitation(session, token)
    if session.scalar(select(User.id).where(User.email == invitation.email)):
        raise DomainError(
            str(_l("%(email)s already has an account: sign in to accept.", email=invitation.email))
        )
    if password != repeat:
        raise DomainError(
            str(_l("The two passwords differ.")),
            {"repeat": [str(_l("Does not match the password."))]},
        )
    user = create_user(session, invitation.email, name or invitation.email, password)
    _join(session, invitation, user)
    return user


def withdraw(session: Session, organization_id: int, by_user_id: int, invitation_id: int) -> None:
    invitation = session.scalar(
        owned(Invitation, organization_id).where(Invitation.id == invitation_id)
    )
    if invitation is None:
        raise NotFound(str(_l("No such invitation.")))
    if invitation.accepted_at or invitation.withdrawn_at:
        return
    invitation.withdrawn_at = utcnow()
    session.add(invitation)
    append(
        session,
        organization_id,
        "invitation.withdrawn",
        ("invitation", invitation.id),
        {"email": invitation.email},
        action="DELETE",
        user_id=by_user_id,
    )
    session.flush()


def pending(session: Session, organization_id: int) -> list[Invitation]:
    return list(
        session.scalars(
            owned(Invitation, organization_id)
            .where(
                Invitation.accepted_at.is_(None),
                Invitation.withdrawn_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.created_at.desc())
        )
    )
