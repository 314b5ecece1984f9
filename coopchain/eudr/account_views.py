"""The organisation's EU Information System settings (admins): /settings/eudr."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from coopchain.auth.access import ADMIN, current_org_id, current_user_id, requires
from coopchain.db import discard_changes, get_session
from coopchain.errors import DomainError
from coopchain.eudr.accounts import ENVIRONMENTS, get_account
from coopchain.eudr.accounts import save_account as save
from coopchain.eudr.blueprint import bp
from coopchain.eudr.statement import ACTIVITY_TYPES, OPERATOR_ROLES
from coopchain.forms import form_errors

FIELDS = (
    "operator_role",
    "activity_type",
    "country_of_activity",
    "eori",
    "represented_name",
    "represented_eori",
    "environment",
    "username",
    "client_id",
)


@bp.route("/settings/eudr", methods=["GET", "POST"])
@requires(ADMIN)
def account_settings():
    """Who files the due diligence statements, and the credentials the client signs with."""
    db = get_session()
    account = get_account(db, current_org_id())
    errors: dict = {}
    if request.method == "POST":
        values = {name: request.form.get(name, "")[:300] for name in FIELDS}
        values["geo_location_confidential"] = request.form.get("geo_location_confidential") == "y"
        try:
            save(db, current_org_id(), current_user_id(), values, request.form.get("auth_key"))
        except DomainError as exc:
            discard_changes()
            errors = form_errors(exc)
        else:
            flash(_("EU Information System settings saved."), "success")
            return redirect(url_for("eudr.account_settings"))
    else:
        values = {name: getattr(account, name) for name in FIELDS} if account else {}
        if account:
            values["geo_location_confidential"] = account.geo_location_confidential
    return render_template(
        "eudr/account.html",
        values=values,
        errors=errors,
        has_key=bool(account and account.auth_key_encrypted),
        roles=OPERATOR_ROLES,
        activities=ACTIVITY_TYPES,
        environments=ENVIRONMENTS,
    ), (422 if errors else 200)
