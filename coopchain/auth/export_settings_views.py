"""The shipper's details on export papers and the inspection thresholds (admins):
/settings/export."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from coopchain.auth.access import ADMIN, current_principal, requires
from coopchain.auth.models import Organization
from coopchain.auth.organization_settings import EXPORT_NUMBERS, EXPORT_TEXT, set_export_settings
from coopchain.auth.views import bp
from coopchain.db import discard_changes, get_session
from coopchain.errors import DomainError
from coopchain.formatting import AmbiguousNumber
from coopchain.forms import form_errors, typed_decimal

FIELDS = (*EXPORT_TEXT, *EXPORT_NUMBERS)


@bp.route("/settings/export", methods=["GET", "POST"])
@requires(ADMIN)
def export_settings():
    session, principal = get_session(), current_principal()
    organization = session.get(Organization, principal.organization_id)
    errors: dict = {}
    values = {name: getattr(organization, name) for name in FIELDS}
    if request.method == "POST":
        values = {name: request.form.get(name, "") for name in FIELDS}
        data = dict(values)
        for name in EXPORT_NUMBERS:
            try:
                data[name] = typed_decimal(values[name].strip())
            except AmbiguousNumber as exc:
                errors[name] = [exc.message()]
        try:
            if errors:
                raise DomainError(_("Some fields need attention."), errors)
            set_export_settings(session, principal.organization_id, principal.user_id, data)
        except DomainError as exc:
            discard_changes()
            errors = form_errors(exc)
        else:
            flash(_("Export settings saved."), "success")
            return redirect(url_for("auth.export_settings"))
    return render_template("auth/export_settings.html", values=values, errors=errors), (
        422 if errors else 200
    )
