"""Staff map pages and their JSON (issue 15): the cooperative map, the plots and protected
areas as GeoJSON for every map, the live geometry check of the plot form, and the admin's
protected-area uploads. The JSON routes use the login session (not API tokens) and are scoped
to the current organisation like every page."""

import json
from decimal import Decimal, InvalidOperation

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from coopchain import formatting
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
from coopchain.errors import DomainError
from coopchain.farms.blueprint import bp
from coopchain.farms.geometry import CROPS
from coopchain.farms.geometry_validation import validate_plot_geometry
from coopchain.farms.map_data import issue_marks, plot_features
from coopchain.farms.models import AreaKind
from coopchain.farms.protected_areas import areas_geojson, create_area, delete_area, list_areas
from coopchain.forms import form_errors

#: Largest GeoJSON the live check or an area upload reads (the plot form's own limit is 2 MB).
MAX_GEOJSON_BYTES = 5 * 1024 * 1024


@bp.app_template_global()
def map_settings() -> dict:
    """What every map's script needs: tile layers and the GPS accuracy limit (data-* attrs)."""
    config = current_app.config
    return {
        "tiles": config["MAP_TILES"],
        "attribution": config["MAP_ATTRIBUTION"],
        "satellite": config["MAP_SATELLITE_TILES"],
        "satellite_attribution": config["MAP_SATELLITE_ATTRIBUTION"],
        "gps_max_accuracy_m": config["GPS_MAX_ACCURACY_M"],
    }


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise ValueError(_("%(field)s must be a whole number.", field=name))
    return int(raw)


@bp.get("/map")
@requires(READ)
def coop_map():
    return render_template(
        "farms/map.html",
        areas=list_areas(get_session(), current_org_id()),
        is_admin=current_principal().role in ADMIN,
        can_write=current_principal().role in REGISTRY_WRITE,
    )


@bp.get("/map/plots.geojson")
@requires(READ)
def map_plots():
    try:
        producer_id, plot_id = _int_arg("producer_id"), _int_arg("plot_id")
    except ValueError as exc:
        return jsonify({"error": str(exc)}), 400
    data = plot_features(
        get_session(), current_org_id(), today(), producer_id=producer_id, plot_id=plot_id
    )
    can_write = current_principal().role in REGISTRY_WRITE
    for feature in data["features"]:
        props = feature["properties"]
        props["producer_url"] = url_for("farms.producer_detail", producer_id=props["producer_id"])
        props["edit_url"] = url_for("farms.plot_edit", plot_id=props["id"]) if can_write else None
    response = jsonify(data)
    response.mimetype = "application/geo+json"
    return response


@bp.get("/map/areas.geojson")
@requires(READ)
def map_areas():
    response = jsonify(areas_geojson(list_areas(get_session(), current_org_id())))
    response.mimetype = "application/geo+json"
    return response


@bp.post("/plots/geometry/check")
@requires(REGISTRY_WRITE)
def plot_geometry_check():
    """The server's geometry rules (DOMAIN.md §2) on a draft, for the plot form's map: JSON
    {geometry: text, crop, declared_area_ha} -> issues with the positions they concern."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("geometry"), str):
        return jsonify({"error": _("Send JSON with the geometry as GeoJSON text.")}), 400
    text = body["geometry"]
    if len(text) > MAX_GEOJSON_BYTES:
        return jsonify({"error": _("The GeoJSON is over 5 MB.")}), 413
    crop = body.get("crop") if body.get("crop") in CROPS else "coffee"
    try:
        declared = Decimal(str(body.get("declared_area_ha") or "").replace(",", ".").strip())
    except InvalidOperation:
        declared = None
    if declared is not None and not declared.is_finite():
        declared = None
    report = validate_plot_geometry(text, crop=crop, declared_area_ha=declared)
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        parsed = None

    def described(issue) -> dict:
        try:
            marks = issue_marks(parsed, issue)
        except RecursionError:  # collections nested absurdly deep: the message says enough
            marks = []
        return {**issue.to_dict(), "marks": marks}

    return jsonify(
        {
            "ok": report.ok,
            "errors": [described(i) for i in report.errors],
            "warnings": [described(i) for i in report.warnings],
            "computed_area_ha": None
            if report.computed_area_ha is None
            else str(report.computed_area_ha),
        }
    )


def _areas_page(values=None, errors=None, status=200):
    areas = list_areas(get_session(), current_org_id())
    return (
        render_template(
            "farms/protected_areas.html",
            areas=areas,
            uploaded={a.id: formatting.moment(a.uploaded_at) for a in areas},
            kinds=list(AreaKind),
            values=values or {"kind": AreaKind.PROTECTED_AREA},
            errors=errors or {},
        ),
        status,
    )


@bp.get("/map/areas")
@requires(ADMIN)
def protected_areas():
    return _areas_page()


@bp.post("/map/areas")
@requires(ADMIN)
def protected_area_upload():
    values = {k: request.form.get(k, "") for k in ("name", "kind", "source", "geometry")}
    values["approximate"] = bool(request.form.get("approximate"))
    upload = request.files.get("geometry_file")
    data = dict(values)
    if upload and upload.filename:
        content = upload.read(MAX_GEOJSON_BYTES + 1)
        if len(content) > MAX_GEOJSON_BYTES:
            message = _("The GeoJSON file is over 5 MB.")
            return _areas_page(values, {"geometry": [message]}, 413)
        data["geometry"] = content
    try:
        area = create_area(get_session(), current_org_id(), current_user_id(), data)
    except DomainError as exc:
        return _areas_page(values, form_errors(exc), exc.status)
    flash(_("Outline “%(name)s” uploaded.", name=area.name), "success")
    return redirect(url_for("farms.protected_areas"))


@bp.post("/map/areas/<int:area_id>/delete")
@requires(ADMIN)
def protected_area_delete(area_id: int):
    delete_area(get_session(), current_org_id(), current_user_id(), area_id)
    flash(_("Outline deleted."), "success")
    return redirect(url_for("farms.protected_areas"))
