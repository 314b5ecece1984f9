"""Documents and reports of the lots pages: intake receipt, delivery import, lot export and
the mass-balance report (the documents themselves are built in receipt.py, lots_xlsx.py and
mass_balance.py; these views only fetch, call and send)."""

import io

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from coopchain.auth.access import READ, REGISTRY_WRITE, current_org_id, current_principal, requires
from coopchain.clock import today
from coopchain.db import get_session
from coopchain.errors import DomainError
from coopchain.farms.registry_xlsx import ImportFailed
from coopchain.lots.blueprint import bp
from coopchain.lots.lots_xlsx import (
    delivery_template,
    export_lots,
    import_deliveries,
)
from coopchain.lots.mass_balance import mass_balance, seasons
from coopchain.lots.mass_balance_xlsx import mass_balance_workbook
from coopchain.lots.receipt import receipt_context, render_receipt_pdf
from coopchain.spreadsheets import SpreadsheetError, import_jobs
from coopchain.web.downloads import send_xlsx


def send_receipt(delivery_id: int):
    context = receipt_context(get_session(), current_org_id(), delivery_id)
    return send_file(
        io.BytesIO(render_receipt_pdf(context)),
        mimetype="application/pdf",
        download_name=f"receipt-{context['ticket_number']}.pdf",
    )


@bp.get("/deliveries/<int:delivery_id>/receipt.pdf")
@requires(READ)
def delivery_receipt(delivery_id: int):
    return send_receipt(delivery_id)


@bp.get("/deliveries/template.xlsx")
@requires(READ)
def delivery_template_xlsx():
    return send_xlsx(delivery_template(), "coopchain-deliveries-template.xlsx")


@bp.route("/deliveries/import", methods=["GET", "POST"])
@requires(REGISTRY_WRITE)
def delivery_import():
    page = "lots/delivery_import.html"
    if request.method == "GET":
        return render_template(page, errors=None, file_error=None)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template(
            page, errors=None, file_error=_("Choose an .xlsx file to upload.")
        ), 400
    data = upload.read()
    user_id = current_principal().user_id
    args = (get_session(), current_org_id(), user_id, "import.deliveries", upload.filename, data)
    if job := import_jobs.job_if_big(*args):
        return redirect(url_for("core.job_detail", job_id=job.id))
    try:
        created = import_deliveries(
            get_session(), current_org_id(), current_principal().user_id, data
        )
    except SpreadsheetError as exc:
        return render_template(page, errors=None, file_error=exc.message), 422
    except ImportFailed as exc:
        return render_template(page, errors=exc.errors, file_error=None), 422
    flash(
        ngettext("Registered %(num)s delivery.", "Registered %(num)s deliveries.", len(created)),
        "success",
    )
    warned = [d.ticket_number for d in created if d.intake_warnings]
    if warned:
        # Recorded, not refused: a workbook is the paper of deliveries already received.
        flash(
            ngettext(
                "%(num)s of them has intake warnings, kept on the ticket: %(tickets)s.",
                "%(num)s of them have intake warnings, kept on each ticket: %(tickets)s.",
                len(warned),
                tickets=", ".join(warned[:20]) + (" …" if len(warned) > 20 else ""),
            ),
            "warning",
        )
    return redirect(url_for("lots.delivery_list"))


@bp.get("/lots/export.xlsx")
@requires(READ)
def lot_export():
    data = export_lots(get_session(), current_org_id())
    return send_xlsx(data, f"lots-{current_principal().organization_code}-{today()}.xlsx")


def _season_report():
    """The requested season's report (default: the newest with deliveries) and all seasons."""
    available = seasons(get_session(), current_org_id())
    season = request.args.get("season") or (available[0] if available else str(today().year))
    return mass_balance(get_session(), current_org_id(), season), available


@bp.get("/reports/mass-balance")
@requires(READ)
def mass_balance_report():
    try:
        report, available = _season_report()
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("lots.mass_balance_report"))
    return render_template("lots/mass_balance.html", report=report, seasons=available)


@bp.get("/reports/mass-balance.xlsx")
@requires(READ)
def mass_balance_xlsx():
    report, _available = _season_report()
    code = current_principal().organization_code
    return send_xlsx(mass_balance_workbook(report), f"mass-balance-{code}-{report.season}.xlsx")
