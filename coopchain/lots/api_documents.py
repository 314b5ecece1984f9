"""JSON API for the lots' documents and reports: receipt PDF, delivery import and template,
lot export, mass balance (DESIGN.md §5: `…/<name>.xlsx` for spreadsheet exports)."""

from dataclasses import asdict

from flask import jsonify, request
from flask_babel import ngettext

from coopchain.auth.access import (
    READ,
    REGISTRY_WRITE,
    api_requires,
    current_org_id,
    current_principal,
)
from coopchain.clock import today
from coopchain.db import get_session
from coopchain.farms.registry_xlsx import ImportFailed
from coopchain.lots.document_views import send_receipt
from coopchain.lots.lots_xlsx import (
    delivery_template,
    export_lots,
    import_deliveries,
)
from coopchain.lots.mass_balance import mass_balance, seasons
from coopchain.lots.mass_balance_xlsx import mass_balance_workbook
from coopchain.spreadsheets import SpreadsheetError, import_jobs
from coopchain.web.api import api_blueprint, document
from coopchain.web.api_jobs import job_accepted
from coopchain.web.downloads import send_xlsx


def _season_report():
    season = request.args.get("season") or next(
        iter(seasons(get_session(), current_org_id())), None
    )
    return mass_balance(get_session(), current_org_id(), season or str(today().year))


document(
    "/api/v1/deliveries/{delivery_id}/receipt.pdf",
    "get",
    "The intake receipt (80 mm PDF) to hand to the producer",
    params=("delivery_id",),
)
document("/api/v1/deliveries/template.xlsx", "get", "An empty delivery import template")
document(
    "/api/v1/deliveries/import",
    "post",
    "Register deliveries from an .xlsx file (all rows or none); above JOBS_IMPORT_ROWS rows "
    "(1,000 by default) the import is a job (202)",
    body="binary:xlsx",
    content_type="multipart/form-data",
    job=True,
)
document("/api/v1/lots/export.xlsx", "get", "Every lot with its origins, as .xlsx")
document("/api/v1/reports/mass-balance", "get", "Mass balance per plot for ?season=")
document("/api/v1/reports/mass-balance.xlsx", "get", "The mass balance as .xlsx")


@api_blueprint.get("/deliveries/<int:delivery_id>/receipt.pdf")
@api_requires(READ)
def deliveries_receipt(delivery_id: int):
    return send_receipt(delivery_id)


@api_blueprint.get("/deliveries/template.xlsx")
@api_requires(READ)
def deliveries_template():
    return send_xlsx(delivery_template(), "coopchain-deliveries-template.xlsx")


@api_blueprint.post("/deliveries/import")
@api_requires(REGISTRY_WRITE)
def deliveries_import():
    upload = request.files.get("file")
    data = upload.read() if upload else request.get_data()
    name, user_id = (upload.filename if upload else ""), current_principal().user_id
    args = (get_session(), current_org_id(), user_id, "import.deliveries", name, data)
    if job := import_jobs.job_if_big(*args):
        return job_accepted(job)
    try:
        created = import_deliveries(
            get_session(), current_org_id(), current_principal().user_id, data
        )
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
    return jsonify(deliveries=len(created), tickets=[d.ticket_number for d in created]), 201


@api_blueprint.get("/lots/export.xlsx")
@api_requires(READ)
def lots_export():
    code = current_principal().organization_code
    return send_xlsx(export_lots(get_session(), current_org_id()), f"lots-{code}-{today()}.xlsx")


def _plain(value):
    """Decimals as strings (exact), dates as ISO text, nested dicts and lists walked."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


@api_blueprint.get("/reports/mass-balance")
@api_requires(READ)
def mass_balance_report():
    report = _season_report()
    body = _plain(asdict(report))
    for out, row in zip(body["plots"], report.plots, strict=True):
        out["severity"] = row.severity  # None, "warning", or "blocking" (organic claims)
    return jsonify(body)


@api_blueprint.get("/reports/mass-balance.xlsx")
@api_requires(READ)
def mass_balance_export():
    report = _season_report()
    code = current_principal().organization_code
    return send_xlsx(mass_balance_workbook(report), f"mass-balance-{code}-{report.season}.xlsx")
