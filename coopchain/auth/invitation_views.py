"""The page an invitation link opens: accept signed in as the invited email, or create the
account (issue: trust, part 3). Public: the unguessable token is the key, as on /verify."""

from flask import abort, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from marshmallow import fields, validate

from coopchain.auth import invitations
from coopchain.auth import sessions as user_sessions
from coopchain.auth.access import public
from coopchain.auth.models import Organization, Role
from coopchain.auth.views import LoginUser, bp
from coopchain.db import get_session
from coopchain.forms import handle_form
from coopchain.schemas import LoadSchema


class NewAccountIn(LoadSchema):
    name = fields.Str(validate=validate.Length(max=200), load_default="")
    # The length rule is the account rule (services.create_user), which names it.
    password = fields.Str(required=True, validate=validate.Length(max=200))
    repeat = fields.Str(required=True, validate=validate.Length(max=200))


def _page_context(invitation) -> dict:
    signed_in_as = current_user.email if current_user.is_authenticated else None
    return {
        "invitation": invitation,
        "organization": get_session().get(Organization, invitation.organization_id),
        "role": Role(invitation.role),
        "signed_in_as": signed_in_as,
        "token": request.view_args["token"],
    }


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
def invitation(token: str):
    """GET shows the invitation; POST creates the invited email's account and accepts."""
    db = get_session()
    found = invitations.open_invitation(db, token)

    def save(data):
        return invitations.accept_with_new_account(
            db, token, data["name"], data["password"], data["repeat"]
        )

    def done(user):
        session.clear()
        key = user_sessions.start(db, user.id)
        login_user(LoginUser(user.id, user.name, user.email, key))
        session["org_id"] = found.organization_id
        flash(_("Welcome. Your account is ready."), "success")
        return redirect(url_for("core.dashboard"))

    return handle_form("auth/invitation.html", NewAccountIn(), save, done, **_page_context(found))


@bp.post("/invitations/<token>/accept")
@public
def accept_invitation(token: str):
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=url_for("auth.invitation", token=token)))
    try:
        membership = invitations.accept(get_session(), token, current_user.id)
    except PermissionError:
        abort(403)
    session["org_id"] = membership.organization_id
    flash(_("Invitation accepted."), "success")
    return redirect(url_for("core.dashboard"))
