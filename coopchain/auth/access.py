"""Who may call what: every view declares its access rule with one of these decorators.

`tests/auth/test_access.py` walks the URL map and fails for any endpoint without a rule, so a
new route cannot ship unprotected by accident.
"""

import logging
from dataclasses import dataclass
from functools import wraps

from flask import abort, g, jsonify, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy.exc import OperationalError

from coopchain.auth.models import Role
from coopchain.auth.services import (
    memberships_of,
    record_token_use,
    resolve_api_token,
    token_use_is_stale,
)
from coopchain.clock import utcnow
from coopchain.db import begin_write, database, get_session

logger = logging.getLogger(__name__)

#: Everyone in the organisation may read (auditors: read-only, may download everything).
READ = frozenset(Role)
#: Who may change the farm registry.
REGISTRY_WRITE = frozenset({Role.ADMIN, Role.STAFF})
ADMIN = frozenset({Role.ADMIN})
#: Pays producers: payment runs, settlements, debts, premium fund (issue: paying producers).
PAY = frozenset({Role.ADMIN, Role.TREASURER})
#: Who may record cupping sessions, score sheets and gradings: the lab, and administrators.
QUALITY_WRITE = frozenset({Role.ADMIN, Role.QUALITY})
#: Who may see producers' national IDs and phone numbers: the quality lab has no need.
PRIVATE_DATA = frozenset({Role.ADMIN, Role.STAFF, Role.AUDITOR, Role.TREASURER})


@dataclass(frozen=True)
class Principal:
    user_id: int
    organization_id: int
    organization_code: str
    organization_name: str
    role: Role
    via_token: bool
    #: The organisation's CLDR locale: how its numbers and dates are written (formatting.py).
    organization_locale: str = "es_PE"

    @property
    def sees_private_data(self) -> bool:
        return self.role in PRIVATE_DATA


def public(view):
    """No login: the public trace and verification pages, login itself, static files."""
    view.access_roles = None
    return view


def requires(roles: frozenset[Role]):
    """Login (HTML) and one of `roles` in the current organisation, else 403."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            principal = current_principal()
            if principal is None or principal.via_token:
                return redirect(url_for("auth.login", next=request.full_path))
            if principal.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.access_roles = roles
        return wrapped

    return decorate


def api_requires(roles: frozenset[Role]):
    """A bearer API token (never the session cookie: the API is CSRF-exempt) and a role."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            principal = current_principal()
            if principal is None or not principal.via_token:
                response = jsonify(error="unauthorized", message="A valid API token is required.")
                response.headers["WWW-Authenticate"] = 'Bearer realm="coopchain"'
                return response, 401
            if principal.role not in roles:
                return jsonify(error="forbidden", message="Your role may not do this."), 403
            return view(*args, **kwargs)

        wrapped.access_roles = roles
        return wrapped

    return decorate


def current_principal() -> Principal | None:
    """The caller: from the bearer token on API requests, else the logged-in session user."""
    if "principal" in g:
        return g.principal
    g.principal = _principal_from_token() if _bearer() else _principal_from_session()
    return g.principal


def current_org_id() -> int:
    """The caller's organisation: every query of a page or API call is scoped by it."""
    return current_principal().organization_id


def current_user_id() -> int:
    return current_principal().user_id


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _principal_from_token() -> Principal | None:
    db = get_session()
    found = resolve_api_token(db, _bearer())
    if found is None:
        return None
    user, token = found
    if token_use_is_stale(token, utcnow()):
        g.token_use = token.id  # recorded after the request (record_token_use_after_request)
    for membership, org in memberships_of(db, user.id):
        if org.id == token.organization_id:
            return Principal(
                user.id, org.id, org.code, org.name, Role(membership.role), True, org.locale
            )
    return None


def _principal_from_session() -> Principal | None:
    if not current_user.is_authenticated:
        return None
    memberships = memberships_of(get_session(), current_user.id)
    if not memberships:
        return None
    chosen = session.get("org_id")
    membership, org = next(((m, o) for m, o in memberships if o.id == chosen), memberships[0])
    return Principal(
        current_user.id, org.id, org.code, org.name, Role(membership.role), False, org.locale
    )


def record_token_use_after_request(_exc) -> None:
    """Record a bearer token's use in a transaction of its own, after the request's: a busy
    database only postpones it to a later call within the minute, never fails the request."""
    token_id = g.pop("token_use", None)
    if token_id is None:
        return
    session = database().sessionmaker()
    try:
        begin_write(session)
        record_token_use(session, token_id, utcnow())
        session.commit()
    except OperationalError:
        session.rollback()
        logger.info("token %s: last use not recorded, the database was busy", token_id)
    finally:
        session.close()
