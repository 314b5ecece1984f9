"""Login, logout, organisation switch and personal API tokens (HTML)."""

from dataclasses import dataclass

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from marshmallow import fields, validate

from coopchain.auth import invitations, services
from coopchain.auth import sessions as user_sessions
from coopchain.auth.access import ADMIN, READ, current_principal, public, requires
from coopchain.auth.models import Role, User
from coopchain.db import discard_changes, get_session
from coopchain.errors import DomainError, NotFound
from coopchain.extensions import limiter
from coopchain.forms import handle_form
from coopchain.schemas import LoadSchema
from coopchain.urls import local_path_or_home

bp = Blueprint("auth", __name__)


@dataclass
class LoginUser:
    """The signed-in user. The cookie keeps only the session's random key (`get_id`), looked
    up on each request, so ending the session on the server signs the browser out."""

    id: int
    name: str
    email: str
    session_key: str
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    def get_id(self) -> str:
        return self.session_key

    @classmethod
    def load(cls, session_key: str):
        user = user_sessions.user_of(get_session(), session_key)
        if user is None:
            return None
        return cls(user.id, user.name, user.email, session_key)


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if request.method == "POST":
        email = request.form.get("email", "")
        user = services.authenticate(get_session(), email, request.form.get("password", ""))
        if user is None:
            flash(_("Wrong email or password."), "error")
            return render_template("auth/login.html", email=email), 401
        session.clear()  # a fresh session on login: no fixation of a pre-login session id
        key = user_sessions.start(get_session(), user.id)
        login_user(LoginUser(user.id, user.name, user.email, key))
        if user.locale:
            session["lang"] = user.locale
        return redirect(local_path_or_home(request.args.get("next")))
    return render_template("auth/login.html", email="")


@bp.post("/logout")
@requires(READ)
def logout():
    user_sessions.end(get_session(), current_user.session_key, "logout")
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.post("/organization")
@requires(READ)
def switch_organization():
    wanted = request.form.get("organization_id", type=int)
    allowed = {
        org.id for _m, org in services.memberships_of(get_session(), current_principal().user_id)
    }
    if wanted in allowed:
        session["org_id"] = wanted
    return redirect(url_for("core.dashboard"))


class InvitationIn(LoadSchema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    role = fields.Str(required=True, validate=validate.OneOf([r.value for r in Role]))


@bp.route("/members", methods=["GET", "POST"])
@requires(ADMIN)
def members():
    """Members and pending invitations; POST invites an email (the answer is the same whether
    or not it has an account: issue trust, part 3)."""
    principal = current_principal()
    db = get_session()

    def page_context():
        return {
            "rows": services.members_of(db, principal.organization_id),
            "pending": invitations.pending(db, principal.organization_id),
            "roles": list(Role),
        }

    def save(data):
        _invitation, token = invitations.invite(
            db, principal.organization_id, principal.user_id, data["email"], data["role"]
        )
        return data["email"].strip().lower(), token

    def done(invited):
        email, token = invited
        link = url_for("auth.invitation", token=token, _external=True)
        # Shown on this response only (we keep the token's hash), like a new API token.
        return render_template(
            "auth/members.html",
            values={"role": "staff"},
            errors={},
            invited_email=email,
            invitation_link=link,
            **page_context(),
        )

    return handle_form(
        "auth/members.html",
        InvitationIn(),
        save,
        done,
        defaults={"role": "staff"},
        **page_context(),
    )


@bp.post("/members/invitations/<int:invitation_id>/withdraw")
@requires(ADMIN)
def withdraw_invitation(invitation_id: int):
    principal = current_principal()
    invitations.withdraw(get_session(), principal.organization_id, principal.user_id, invitation_id)
    flash(_("Invitation withdrawn: its link no longer works."), "success")
    return redirect(url_for("auth.members"))


@bp.post("/members/<int:membership_id>/role")
@requires(ADMIN)
def member_role(membership_id: int):
    principal = current_principal()
    try:
        services.change_role(
            get_session(),
            principal.organization_id,
            principal.user_id,
            membership_id,
            request.form.get("role", ""),
        )
    except NotFound:
        raise
    except DomainError as exc:
        discard_changes()
        flash(exc.message, "error")
        return redirect(url_for("auth.members")), 303
    flash(_("Role changed."), "success")
    return redirect(url_for("auth.members"))


@bp.post("/members/<int:membership_id>/remove")
@requires(ADMIN)
def remove_member(membership_id: int):
    principal = current_principal()
    try:
        user_sessions.remove_member(
            get_session(), principal.organization_id, principal.user_id, membership_id
        )
    except NotFound:
        raise
    except DomainError as exc:
        discard_changes()
        flash(exc.message, "error")
        return redirect(url_for("auth.members")), 303
    flash(_("Member removed; their sessions have ended."), "success")
    return redirect(url_for("auth.members"))


class PasswordChangeIn(LoadSchema):
    # Lengths are checked by the service with a message naming the rule; here only a ceiling.
    current = fields.Str(required=True, validate=validate.Length(max=200))
    new = fields.Str(required=True, validate=validate.Length(max=200))
    repeat = fields.Str(required=True, validate=validate.Length(max=200))


@bp.route("/account/password", methods=["GET", "POST"])
@requires(READ)
def change_password():
    def save(data):
        user_sessions.change_password(
            get_session(),
            current_principal().user_id,
            data["current"],
            data["new"],
            data["repeat"],
            keep=current_user.session_key,
        )

    def done(_result):
        flash(_("Password changed. Your other sessions have ended."), "success")
        return redirect(url_for("core.dashboard"))

    return handle_form("auth/password.html", PasswordChangeIn(), save, done)


@bp.get("/account/tokens")
@requires(READ)
def tokens():
    principal = current_principal()
    rows = services.tokens_of(get_session(), principal.user_id, principal.organization_id)
    return render_template("auth/tokens.html", tokens=rows, new_token=None)


@bp.post("/account/tokens")
@requires(READ)
def create_token():
    principal = current_principal()
    db = get_session()
    user = db.get(User, principal.user_id)
    _token, plaintext = services.create_api_token(
        db, user, principal.organization_id, request.form.get("name", "")[:100]
    )
    rows = services.tokens_of(db, principal.user_id, principal.organization_id)
    # Shown once, on this response only; we keep just its hash.
    return render_template("auth/tokens.html", tokens=rows, new_token=plaintext)


@bp.post("/account/tokens/<int:token_id>/revoke")
@requires(READ)
def revoke_token(token_id: int):
    principal = current_principal()
    db = get_session()
    services.revoke_api_token(
        db, token_id, db.get(User, principal.user_id), principal.organization_id
    )
    flash(_("Token revoked."), "success")
    return redirect(url_for("auth.tokens"))
