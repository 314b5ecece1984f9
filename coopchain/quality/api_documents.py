"""JSON API for a cupping session's documents: the sheets as .xlsx and the PDF panel report
(DESIGN.md §5: `…/<name>.xlsx` for spreadsheet exports)."""

from coopchain.auth.access import READ, api_requires
from coopchain.quality.document_views import send_panel_report, send_session_sheets
from coopchain.web.api import api_blueprint, document

document(
    "/api/v1/cupping-sessions/{number}/sheets.xlsx",
    "get",
    "Every score sheet of the session and the panel's results, as .xlsx",
    text_params=("number",),
)
document(
    "/api/v1/cupping-sessions/{number}/report.pdf",
    "get",
    "The panel report (A4 PDF): results, calibration and sheets; provisional while open",
    text_params=("number",),
)


@api_blueprint.get("/cupping-sessions/<number>/sheets.xlsx")
@api_requires(READ)
def cupping_sessions_sheets_xlsx(number: str):
    return send_session_sheets(number)


@api_blueprint.get("/cupping-sessions/<number>/report.pdf")
@api_requires(READ)
def cupping_sessions_report_pdf(number: str):
    return send_panel_report(number)
