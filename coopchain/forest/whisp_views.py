"""Forest evidence from outside the office: FAO Whisp results uploaded as CSV, and a field
visit recorded with its photos, which an administrator may mark as resolving a plot's open
"more information needed" (DOMAIN.md §7).

Routes on the farms blueprint; the rules live in farms/whisp.py and farms/field_evidence.py.
A refused form answers 4xx with the page and every problem, and nothing is saved.
"""

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from coopchain.auth.access import (
    ADMIN,
    READ,
    REGISTRY_WRITE,
    current_org_id,
    current_principal,
    current_user_id,
    requires,
)
from coopchain.clock import today
from coopchain.db import get_session
from coopchain.errors import DomainError, NotFound
from coopchain.farms import plots, producers
from coopchain.farms.blueprint import bp
from coopchain.farms.models import ForestResult
from coopchain.forest import evidence as forest
from coopchain.forest import field_evidence, whisp
from coopchain.forest.evidence_views import parse_date
from coopchain.forms import form_errors

#: The CSV itself plus the form around it.
WHISP_UPLOAD_MAX_BYTES = whisp.MAX_BYTES + 1024 * 1024
VISIT_FIELDS = ("visited_on", "visitor", "result", "loss_after_cutoff_ha", "notes")


@bp.url_value_preprocessor
def _upload_limits(endpoint, _values):
    # Runs before CSRF's before_request reads the form, so these two pages parse their bodies
    # under their own limits instead of the app-wide one (as certs/public_views.py does).
    if endpoint == "farms.whisp_import":
        request.max_content_length = WHISP_UPLOAD_MAX_BYTES
    elif endpoint == "farms.plot_field_visit":
        request.max_content_length = field_evidence.MAX_VISIT_UPLOAD_BYTES


# --- Whisp ------------------------------------------------------------------------------------


def _whisp_page(*, values=None, errors=None, rows=None, status=200):
    return render_template(
        "farms/whisp_import.html",
        values=values or {"observed_on": today().isoformat(), "id_column": whisp.DEFAULT_ID_COLUMN},
        errors=errors or {},
        rows=rows or [],
        max_date=today().isoformat(),
        max_mb=whisp.MAX_BYTES // whisp.MB,
        plot_id_property=whisp.PLOT_ID_PROPERTY,
        default_id_column=whisp.DEFAULT_ID_COLUMN,
    ), status


@bp.route("/forest/whisp-import", methods=["GET", "POST"])
@requires(REGISTRY_WRITE)
def whisp_import():
    if request.method == "GET":
        return _whisp_page()
    values = {
        "observed_on": request.form.get("observed_on", "").strip(),
        "id_column": request.form.get("id_column", "").strip() or whisp.DEFAULT_ID_COLUMN,
    }
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        errors = {"file": [_("Choose the CSV file Whisp produced.")]}
        return _whisp_page(values=values, errors=errors, status=400)
    try:
        summary = whisp.import_whisp_csv(
            get_session(),
            current_org_id(),
            current_user_id(),
            upload.read(whisp.MAX_BYTES + 1),  # one byte over is enough to say "too large"
            filename=upload.filename,
            observed_on=values["observed_on"] or None,
            id_column=values["id_column"],
        )
    except whisp.WhispImportFailed as exc:
        fields = {name: messages for name, messages in exc.fields.items() if name != "rows"}
        return _whisp_page(values=values, errors=fields, rows=exc.errors, status=exc.status)
    flash(
        _(
            "Whisp results recorded for %(n)s plots: %(free)s deforestation-free, %(more)s "
            "needing more information, %(loss)s with loss after 2020.",
            n=sum(summary.values()),
            free=summary.get(ForestResult.DEFORESTATION_FREE, 0),
            more=summary.get(ForestResult.MORE_INFO_NEEDED, 0),
            loss=summary.get(ForestResult.LOSS_AFTER_CUTOFF, 0),
        ),
        "success",
    )
    return redirect(url_for("farms.whisp_import"))


@bp.get("/forest/whisp-plots.geojson")
@requires(READ)
def whisp_plots_geojson():
    """The plots to give Whisp, each carrying its CoopChain id as the property plot_id."""
    body = json.dumps(
        whisp.whisp_input_geojson(get_session(), current_org_id()), separators=(",", ":")
    )
    filename = f"whisp-plots-{current_principal().organization_code}-{today()}.geojson"
    return (
        body,
        200,
        {
            "Content-Type": "application/geo+json",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


# --- field visit ------------------------------------------------------------------------------


def _visit_page(plot_id: int, *, values=None, errors=None, status=200):
    db = get_session()
    plot = plots.get_plot(db, current_org_id(), plot_id)
    producer = producers.get_producer(db, current_org_id(), plot.producer_id)
    latest = forest.latest_evidence(db, current_org_id(), [plot.id]).get(plot.id)
    open_question = field_evidence.open_more_info_needed(db, current_org_id(), plot.id)
    return render_template(
        "farms/field_evidence_form.html",
        plot=plot,
        producer=producer,
        latest=latest,
        open_question=open_question,
        can_resolve=current_principal().role in ADMIN,
        results=field_evidence.VISIT_RESULTS,
        values=values or {"visited_on": today().isoformat()},
        errors=errors or {},
        max_date=today().isoformat(),
        max_photos=field_evidence.MAX_PHOTOS,
        max_photo_mb=field_evidence.MAX_PHOTO_BYTES // field_evidence.MB,
    ), status


def _photos():
    """(file name, bytes) per chosen photo, read one at a time as the service asks for them."""
    for upload in request.files.getlist("photos"):
        if upload and upload.filename:
            yield upload.filename, upload.read(field_evidence.MAX_PHOTO_BYTES + 1)


@bp.route("/plots/<int:plot_id>/field-visit", methods=["GET", "POST"])
@requires(REGISTRY_WRITE)
def plot_field_visit(plot_id: int):
    if request.method == "GET":
        return _visit_page(plot_id)
    resolve = request.form.get("resolve") in ("1", "y", "on", "true")
    if resolve and current_principal().role not in ADMIN:
        abort(403)  # only administrators close an open "more information needed"
    values = {name: request.form.get(name, "") for name in VISIT_FIELDS}
    data = dict(values, visited_on=parse_date(values["visited_on"]))
    if resolve:
        values["resolve"] = "1"
        data["resolve"] = True
        data["resolves_id"] = request.form.get("resolves_id", "").strip()
    try:
        field_evidence.record_field_visit(
            get_session(),
            current_org_id(),
            current_user_id(),
            plot_id,
            data,
            _photos(),
            may_resolve=current_principal().role in ADMIN,
        )
    except NotFound:
        raise
    except DomainError as exc:
        errors = form_errors(exc)
        return _visit_page(plot_id, values=values, errors=errors, status=exc.status)
    flash(_("Field visit recorded."), "success")
    return redirect(url_for("farms.plot_forest_evidence", plot_id=plot_id))
