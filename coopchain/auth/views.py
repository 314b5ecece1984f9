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
from flask_login import login_user, logout_user
from marshmallow import fields, validate

from coopchain.auth import services
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
    """What Flask-Login keeps in the session: only the user id, reloaded on each request."""

    id: int
    name: str
    email: str
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    def get_id(self) -> str:
        return str(self.id)

    @classmethod
    def load(cls, user_id: str):
        user = get_session().get(User, int(user_id)) if user_id.isdigit() else None
        if user is None or not user.is_active:
            return None
        return cls(user.id, user.name, user.email)


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
        login_user(LoginUser(user.id, user.name, user.email))
        if user.locale:
            session["lang"] = user.locale
        return redirect(local_path_or_home(request.args.get("next")))
    return render_template("auth/login.html", email="")


@bp.post("/logout")
@requires(READ)
def logout():
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


class MemberIn(LoadSchema):
    email = fields.Email(required=True)
    name = fields.Str(validate=validate.Length(max=200), load_default="")
    role = fields.Str(required=True, validate=validate.OneOf([r.value for r in Role]))
    password = fields.Str(validate=validate.Length(min=8, max=200), load_default=None)


@bp.route("/members", methods=["GET", "POST"])
@requires(ADMIN)
def members():
    principal = current_principal()
    db = get_session()

    def save(data):
        return services.add_member_by_email(
            db,
            principal.organization_id,
            principal.user_id,
            data["email"],
            data["name"],
            Role(data["role"]),
            data["password"],
        )

    def done(_membership):
        flash(_("Member added."), "success")
        return redirect(url_for("auth.members"))

    return handle_form(
        "auth/members.html",
        MemberIn(),
        save,
        done,
        defaults={"role": "staff"},
        rows=services.members_of(db, principal.organization_id),
        roles=list(Role),
    )


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
