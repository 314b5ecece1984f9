"""POST /api/v1/plots/import: plots from a field export, previewed (dry run) or imported."""

import json

from flask import current_app, jsonify, request
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from coopchain.auth.access import REGISTRY_WRITE, api_requires, current_org_id, current_user_id
from coopchain.db import get_session
from coopchain.errors import DomainError
from coopchain.fieldtools.imports import FieldImportFailed, import_field_plots
from coopchain.fieldtools.readers import FORMATS, FieldFileError
from coopchain.web.api import OPENAPI_SCHEMAS, api_blueprint, document


class PlotImportForm(Schema):
    """The multipart form of POST /api/v1/plots/import."""

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})
    format = fields.Str(required=True, validate=validate.OneOf(FORMATS))
    #: JSON object: producer_column, producer_key (member_code | national_id), name_column,
    #: crop_column, crop, geometry_column, geometry_type (geoshape | geotrace | geopoint),
    #: area_column, area_unit (ha | m2), lines_as_polygons. Omitted: the mapping saved for
    #: this form, else one guessed from the column names.
    mapping = fields.Str(metadata={"description": "JSON object of mapping fields"})
    confirm = fields.Bool(
        load_default=False,
        metadata={"description": "false (default): preview only; true: import all or nothing"},
    )
    save_mapping = fields.Bool(load_default=True)


OPENAPI_SCHEMAS["PlotImportForm"] = PlotImportForm

document(
    "/api/v1/plots/import",
    "post",
    "Plots from a KoboToolbox/ODK export, KML/KMZ, GPX or GeoJSON: preview, or import all "
    "or nothing (confirm=true); re-imported submissions change nothing",
    body="PlotImportForm",
    content_type="multipart/form-data",
)


def _mapping_arg(text: str | None) -> dict | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        message = _("The mapping must be a JSON object of field: column.")
        raise DomainError(message, {"mapping": [message]})
    return value


@api_blueprint.post("/plots/import")
@api_requires(REGISTRY_WRITE)
def plots_import():
    form = request.form.to_dict()
    upload = request.files.get("file")
    form["file"] = upload.filename if upload and upload.filename else None
    if form["file"] is None:
        form.pop("file")
    args = PlotImportForm().load(form)
    try:
        plan = import_field_plots(
            get_session(),
            current_org_id(),
            current_user_id(),
            upload.read(),
            args["format"],
            _mapping_arg(args.get("mapping")),
            confirm=args["confirm"],
            max_accuracy_m=current_app.config["GPS_MAX_ACCURACY_M"],
            save_mapping=args["save_mapping"],
        )
    except FieldFileError as exc:
        return jsonify(error="bad_file", message=exc.message, fields={"file": [exc.message]}), 422
    except FieldImportFailed as exc:
        return jsonify(error=exc.code, message=exc.message, fields={}, **exc.plan.to_dict()), 422
    return jsonify(plan.to_dict()), 201 if plan.written else 200
