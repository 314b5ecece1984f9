"""JSON API of the internal control system: inspections of members (record, yearly report,
.xlsx) and inspectors' yield explanations of plots."""

from dataclasses import asdict

from flask import jsonify

from coopchain.auth.access import (
    READ,
    REGISTRY_WRITE,
    api_requires,
    current_org_id,
    current_principal,
    current_user_id,
)
from coopchain.db import get_session
from coopchain.farms.plots import get_plot
from coopchain.ics.explanations import record_explanation
from coopchain.ics.inspections import inspection_report, record_inspection
from coopchain.ics.inspections_xlsx import inspection_workbook
from coopchain.ics.schemas import ExplanationIn, ExplanationOut, InspectionApiIn, InspectionOut
from coopchain.ics.views import requested_year
from coopchain.lots.api_documents import _plain
from coopchain.web.api import OPENAPI_SCHEMAS, api_blueprint, document, json_body
from coopchain.web.downloads import send_xlsx

OPENAPI_SCHEMAS.update(
    InspectionApiIn=InspectionApiIn,
    InspectionOut=InspectionOut,
    ExplanationIn=ExplanationIn,
    ExplanationOut=ExplanationOut,
)
YEAR = {"year": {"type": "integer", "description": "Calendar year; this year when left out"}}
document(
    "/api/v1/ics/inspections",
    "get",
    "Which members were inspected in ?year= and which not, with sanctions (DOMAIN.md §3)",
    query=YEAR,
)
document(
    "/api/v1/ics/inspections",
    "post",
    "Record an internal inspection of a member, with its sanction",
    body="InspectionApiIn",
    response="InspectionOut",
)
document("/api/v1/ics/inspections.xlsx", "get", "The inspection report as .xlsx", query=YEAR)
document(
    "/api/v1/plots/{plot_id}/yield-explanations",
    "post",
    "Record an inspector's explanation of a plot over its plausible yield in a season",
    body="ExplanationIn",
    response="ExplanationOut",
    params=("plot_id",),
)


@api_blueprint.get("/ics/inspections")
@api_requires(READ)
def ics_inspections():
    report = inspection_report(get_session(), current_org_id(), requested_year())
    members = [_plain(asdict(m)) | {"inspected": m.inspected} for m in report.members]
    return jsonify(
        year=report.year,
        members=members,
        inspected=len(report.inspected),
        not_inspected=len(report.not_inspected),
    )


@api_blueprint.post("/ics/inspections")
@api_requires(REGISTRY_WRITE)
def ics_inspections_create():
    data = InspectionApiIn().load(json_body())
    producer_id = data.pop("producer_id")
    row = record_inspection(get_session(), current_org_id(), current_user_id(), producer_id, data)
    return jsonify(InspectionOut().dump(row)), 201


@api_blueprint.get("/ics/inspections.xlsx")
@api_requires(READ)
def ics_inspections_export():
    report = inspection_report(get_session(), current_org_id(), requested_year())
    code = current_principal().organization_code
    return send_xlsx(inspection_workbook(report), f"ics-inspections-{code}-{report.year}.xlsx")


@api_blueprint.post("/plots/<int:plot_id>/yield-explanations")
@api_requires(REGISTRY_WRITE)
def plots_yield_explanations(plot_id: int):
    get_plot(get_session(), current_org_id(), plot_id)  # 404 before any 422
    data = ExplanationIn().load(json_body())
    row = record_explanation(get_session(), current_org_id(), current_user_id(), plot_id, data)
    return jsonify(ExplanationOut().dump(row)), 201
