"""Staff pages for organic control bodies: the list (everyone), new and edit (admins)."""

from flask import redirect, render_template, url_for

from coopchain.auth.access import ADMIN, READ, current_org_id, current_user_id, requires
from coopchain.db import get_session
from coopchain.farms.blueprint import bp
from coopchain.farms.certifiers import (
    CERTIFIER_FIELDS,
    create_certifier,
    get_certifier,
    list_certifiers,
    plots_per_certifier,
    update_certifier,
)
from coopchain.farms.schemas import CertifierIn
from coopchain.forms import handle_form


@bp.get("/certifiers")
@requires(READ)
def certifier_list():
    db, org = get_session(), current_org_id()
    return render_template(
        "farms/certifier_list.html",
        certifiers=list_certifiers(db, org),
        plots=plots_per_certifier(db, org),
    )


@bp.route("/certifiers/new", methods=["GET", "POST"])
@requires(ADMIN)
def certifier_new():
    return handle_form(
        "farms/certifier_form.html",
        CertifierIn(),
        lambda data: create_certifier(get_session(), current_org_id(), current_user_id(), data),
        lambda _certifier: redirect(url_for("farms.certifier_list")),
        defaults={"country": "PE"},
        certifier=None,
    )


@bp.route("/certifiers/<int:certifier_id>/edit", methods=["GET", "POST"])
@requires(ADMIN)
def certifier_edit(certifier_id: int):
    certifier = get_certifier(get_session(), current_org_id(), certifier_id)
    return handle_form(
        "farms/certifier_form.html",
        CertifierIn(),
        lambda data: update_certifier(
            get_session(), current_org_id(), current_user_id(), certifier.id, data
        ),
        lambda _certifier: redirect(url_for("farms.certifier_list")),
        defaults={name: getattr(certifier, name) for name in CERTIFIER_FIELDS},
        certifier=certifier,
    )
