"""The organisation's number and date formats (admins): /settings/locale."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from coopchain import formatting
from coopchain.auth.access import ADMIN, current_principal, requires
from coopchain.auth.models import Organization
from coopchain.auth.organization_settings import set_locale
from coopchain.auth.views import bp
from coopchain.db import discard_changes, get_session
from coopchain.errors import DomainError
from coopchain.forms import form_errors


@bp.route("/settings/locale", methods=["GET", "POST"])
@requires(ADMIN)
def locale_settings():
    """How the cooperative writes numbers and dates on pages, PDFs and exports."""
    session, principal = get_session(), current_principal()
    organization = session.get(Organization, principal.organization_id)
    errors, chosen = {}, organization.locale
    if request.method == "POST":
        chosen = request.form.get("locale", "")
        try:
            set_locale(session, principal.organization_id, principal.user_id, chosen)
        except DomainError as exc:
            discard_changes()
            errors = form_errors(exc)
        else:
            flash(_("Number and date formats saved."), "success")
            return redirect(url_for("auth.locale_settings"))
    options = [(code, formatting.locale_name(code)) for code in formatting.LOCALES]
    return render_template(
        "auth/locale_settings.html", options=options, chosen=chosen, errors=errors
    ), (422 if errors else 200)
