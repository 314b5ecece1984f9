"""JSON API for the farm registry as a workbook: import (all rows or none; a job above
JOBS_IMPORT_ROWS rows, as on the page), export and the empty template."""

from flask import jsonify, request
from flask_babel import ngettext

from coopchain.auth.access import (
    READ,
    REGISTRY_WRITE,
    api_requires,
    current_org_id,
    current_principal,
    current_user_id,
)
from coopchain.db import get_session
from coopchain.farms.registry_export import export_registry
from coopchain.farms.registry_xlsx import ImportFailed, import_registry, sheet_specs
from coopchain.spreadsheets import SpreadsheetError, import_jobs, template_workbook
from coopchain.web.api import api_blueprint, document
from coopchain.web.api_jobs import job_accepted
from coopchain.web.downloads import XLSX, send_xlsx

document(
    "/api/v1/producers/import",
    "post",
    "Import producers, agreements and plots from .xlsx (all rows or none); above "
    "JOBS_IMPORT_ROWS rows (1,000 by default) the import is a job (202)",
    body="binary:xlsx",
    content_type=XLSX,
    job=True,
)
document("/api/v1/producers.xlsx", "get", "The producer register with plots and agreements")
document("/api/v1/producers/template.xlsx", "get", "An empty import template")


@api_blueprint.post("/producers/import")
@api_requires(REGISTRY_WRITE)
def producers_import():
    upload = request.files.get("file")
    data = upload.read() if upload else request.get_data()
    name = upload.filename if upload else ""
    args = (get_session(), current_org_id(), current_user_id(), "import.registry", name, data)
    if job := import_jobs.job_if_big(*args):
        return job_accepted(job)
    try:
        result = import_registry(get_session(), current_org_id(), current_user_id(), data)
    except SpreadsheetError as exc:
        return jsonify(error="bad_file", message=exc.message, fields={}), 422
    except ImportFailed as exc:
        return jsonify(
            error="bad_rows",
            message=ngettext(
                "Nothing was imported: %(num)s bad row.",
                "Nothing was imported: %(num)s bad rows.",
                len(exc.errors),
            ),
            fields={},
            rows=[e.to_dict() for e in exc.errors],
        ), 422
    return jsonify(
        producers=result.producers, agreements=result.agreements, plots=result.plots
    ), 201


@api_blueprint.get("/producers.xlsx")
@api_requires(READ)
def producers_export():
    data = export_registry(
        get_session(), current_org_id(), with_private=current_principal().sees_private_data
    )
    return send_xlsx(data, "producers.xlsx")


@api_blueprint.get("/producers/template.xlsx")
@api_requires(READ)
def producers_template():
    return send_xlsx(template_workbook(sheet_specs()), "coopchain-register-template.xlsx")
