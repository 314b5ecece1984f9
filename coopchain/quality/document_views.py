"""A cupping session's documents: its sheets as .xlsx and the PDF panel report (built in
session_xlsx.py and panel_report.py; these views only fetch, call and send)."""

import io

from flask import send_file

from coopchain.auth.access import READ, current_principal, requires
from coopchain.db import get_session
from coopchain.quality import cupping_sessions as sessions
from coopchain.quality.blueprint import bp
from coopchain.quality.panel_report import panel_report_context, render_panel_report_pdf
from coopchain.quality.session_xlsx import session_workbook
from coopchain.web.downloads import send_xlsx


def send_session_sheets(number: str):
    """The session's workbook; another organisation's number is a 404 (NotFound)."""
    db = get_session()
    cs = sessions.get_session(db, current_principal().organization_id, number)
    return send_xlsx(session_workbook(db, cs), f"{cs.number}-sheets.xlsx")


def send_panel_report(number: str):
    context = panel_report_context(get_session(), current_principal().organization_id, number)
    return send_file(
        io.BytesIO(render_panel_report_pdf(context)),
        mimetype="application/pdf",
        download_name=f"{context['number']}-panel-report.pdf",
    )


@bp.get("/cupping/<number>/sheets.xlsx")
@requires(READ)
def session_sheets_xlsx(number: str):
    return send_session_sheets(number)


@bp.get("/cupping/<number>/report.pdf")
@requires(READ)
def session_report_pdf(number: str):
    return send_panel_report(number)
