"""Staff pages of the field import: upload a Kobo/ODK/KML/GPX file, map its columns, see every
plot on a map with every problem listed, then import all of it or nothing (issue 17 §1)."""

from dataclasses import fields

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from coopchain.auth.access import REGISTRY_WRITE, current_org_id, current_user_id, requires
from coopchain.db import get_session
from coopchain.errors import DomainError
from coopchain.farms.blueprint import bp
from coopchain.farms.geometry import CROPS
from coopchain.fieldtools import import_jobs
from coopchain.fieldtools.imports import FieldImportFailed, import_field_plots
from coopchain.fieldtools.mapping import AREA_UNITS, PRODUCER_KEYS, ColumnMapping
from coopchain.fieldtools.readers import FORMATS, FieldFileError, read_source
from coopchain.fieldtools.shapes import GEOMETRY_TYPES
from coopchain.fieldtools.uploads import drop_upload, get_upload, keep_upload
from coopchain.forms import form_errors

FORMAT_LABELS = {
    "kobo": _l("KoboToolbox export (.xlsx, .csv or GeoJSON)"),
    "odk": _l("ODK Central export (.csv, .xlsx or GeoJSON)"),
    "geojson": _l("GeoJSON"),
    "kml": _l("KML or KMZ (Google Earth)"),
    "gpx": _l("GPX (GPS tracks and waypoints)"),
}
#: What the mapping step's choices are called on the page.
CHOICE_LABELS = {
    "member_code": _l("member code"),
    "national_id": _l("DNI (national ID)"),
    "coffee": _l("coffee"),
    "pitahaya": _l("pitahaya"),
    "geoshape": _l("geoshape (polygon)"),
    "geotrace": _l("geotrace (line)"),
    "geopoint": _l("geopoint (point)"),
    "ha": _l("hectares"),
    "m2": _l("square metres (ODK area())"),
}
MAPPING_FIELDS = tuple(f.name for f in fields(ColumnMapping))


def _upload_page(error=None, status=200):
    return render_template(
        "farms/field_import.html", formats=FORMAT_LABELS, error=error, chosen=request.form
    ), status


@bp.route("/plots/import", methods=["GET", "POST"])
@requires(REGISTRY_WRITE)
def field_import():
    if request.method == "GET":
        return _upload_page()
    upload, fmt = request.files.get("file"), request.form.get("format", "")
    if upload is None or not upload.filename:
        return _upload_page(_("Choose the file to upload."), 400)
    if fmt not in FORMATS:
        return _upload_page(_("Choose the format of the file."), 400)
    data = upload.read()
    try:
        read_source(data, fmt)  # an unusable file is said here, before the mapping step
    except FieldFileError as exc:
        return _upload_page(exc.message, 422)
    token = keep_upload(get_session(), current_org_id(), data, fmt, upload.filename)
    return redirect(url_for("farms.field_import_review", token=token))


def _given_mapping() -> dict:
    given = {name: request.form.get(name, "") for name in MAPPING_FIELDS}
    given["lines_as_polygons"] = bool(request.form.get("lines_as_polygons"))
    return given


@bp.route("/plots/import/<token>", methods=["GET", "POST"])
@requires(REGISTRY_WRITE)
def field_import_review(token: str):
    session, org_id = get_session(), current_org_id()
    upload = get_upload(session, org_id, token)
    confirm = request.method == "POST" and request.form.get("action") == "import"
    given = _given_mapping() if request.method == "POST" else None
    table = read_source(upload.data, upload.format)
    # A big file is checked here (the preview writes nothing) and written by a job.
    big = confirm and len(table.rows) > current_app.config["JOBS_IMPORT_ROWS"]
    max_accuracy_m = current_app.config["GPS_MAX_ACCURACY_M"]
    plan, mapping_errors, status = None, {}, 200
    try:
        plan = import_field_plots(
            session,
            org_id,
            current_user_id(),
            upload.data,
            upload.format,
            given,
            confirm=confirm and not big,
            max_accuracy_m=max_accuracy_m,
        )
    except FieldImportFailed as exc:
        plan, status = exc.plan, 422
    except FieldFileError as exc:
        return _upload_page(exc.message, 422)
    except DomainError as exc:  # the mapping names a column the file lacks
        mapping_errors, status = form_errors(exc), exc.status
    if big and plan is not None and status == 200:
        if not plan.errors:
            mapping = plan.mapping.to_dict()
            job = import_jobs.submit(
                session, org_id, current_user_id(), upload, mapping, max_accuracy_m
            )
            return redirect(url_for("core.job_detail", job_id=job.id))
        status = 422
    elif confirm and plan is not None and status == 200:
        if plan.written:
            drop_upload(session, upload)
            flash(
                ngettext("%(num)s plot imported.", "%(num)s plots imported.", plan.count("new")),
                "success",
            )
            return redirect(url_for("farms.coop_map"))
        flash(_("Nothing imported: every submission in this file was imported before."), "info")
    return render_template(
        "farms/field_import_review.html",
        upload=upload,
        plan=plan,
        columns=table.columns,
        values=given or (plan.mapping.to_dict() if plan else {}),
        mapping_errors=mapping_errors,
        has_shapes=table.has_shapes,
        producer_keys=PRODUCER_KEYS,
        crops=CROPS,
        geometry_types=GEOMETRY_TYPES,
        area_units=AREA_UNITS,
        format_label=FORMAT_LABELS[upload.format],
        choice_labels=CHOICE_LABELS,
    ), status
