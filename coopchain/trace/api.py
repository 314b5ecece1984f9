"""JSON API routes of the trace package: bag labels as PDF (DESIGN.md §5, documents), made
by a job above JOBS_LABEL_BAGS bags as on the staff pages (web/api_jobs.py)."""

from flask import current_app, request
from flask_babel import gettext as _

from coopchain.auth.access import READ, api_requires, current_org_id, current_user_id
from coopchain.db import get_session
from coopchain.errors import DomainError
from coopchain.trace import label_jobs
from coopchain.trace.label_sheets import LAYOUTS, labels_pdf
from coopchain.trace.views import bag_qr, lot_qr, send_pdf
from coopchain.web.api import api_blueprint, document
from coopchain.web.api_jobs import job_accepted, job_required

document(
    "/api/v1/lots/{code}/labels.pdf",
    "get",
    "Labels of the lot's bags (PDF, a QR code each): ?layout=sheet (A4, 8 per page) or "
    "single (one 100 × 150 mm page per bag); above JOBS_LABEL_BAGS bags (100 by default) 409 "
    "job_required names the POST that makes them as a job",
    text_params=("code",),
    query={"layout": {"type": "string", "enum": ["sheet", "single"], "default": "sheet"}},
)


for _subject, _param in (("lots", "code"), ("shipments", "reference")):
    document(
        f"/api/v1/{_subject}/{{{_param}}}/labels/jobs",
        "post",
        f"Make the labels of the {_subject[:-1]}'s bags as a job (202; the PDF is then at "
        "/api/v1/jobs/{id}/file): what labels.pdf answers with 409 job_required above "
        "JOBS_LABEL_BAGS bags (100 by default)",
        text_params=(_param,),
        query={"layout": {"type": "string", "enum": ["sheet", "single"], "default": "sheet"}},
        status="202",
        job=True,
    )


def _layout() -> str:
    layout = request.args.get("layout", "sheet")
    if layout not in LAYOUTS:  # before any bag is read, as labels_pdf says it
        message = _("Unknown label layout %(layout)s: use sheet or single.", layout=layout)
        raise DomainError(message, {"layout": [_("Use sheet or single.")]})
    return layout


def send_labels(subject: str, reference: str, filename_part: str):
    """labels.pdf of a lot or shipment: the PDF, or above JOBS_LABEL_BAGS bags a 409 naming
    the POST that makes it as a job (WeasyPrint lays out a few hundred labels in seconds, a
    few thousand in minutes)."""
    layout = _layout()
    bags = label_jobs.bags_for(get_session(), current_org_id(), subject, reference)  # 404s
    if len(bags) > current_app.config["JOBS_LABEL_BAGS"]:
        endpoint, key = ("api.lots_labels_job", "code")
        if subject == "shipment":
            endpoint, key = ("api.shipments_labels_job", "reference")
        return job_required(
            endpoint,
            lambda start: _(
                "%(bags)s bags: their labels are made by a job. POST to %(start)s to start it.",
                bags=len(bags),
                start=start,
            ),
            **{key: reference},
            layout=layout,
        )
    pdf = labels_pdf(get_session(), current_org_id(), bags, layout)
    return send_pdf(pdf, f"labels-{filename_part}-{layout}.pdf")


def _start_labels_job(subject: str, reference: str):
    layout = _layout()
    if not label_jobs.bags_for(get_session(), current_org_id(), subject, reference):  # 404s
        raise DomainError(_("No bags to label."))
    job = label_jobs.submit(
        get_session(), current_org_id(), current_user_id(), subject, reference, layout
    )
    return job_accepted(job)


@api_blueprint.get("/lots/<code>/labels.pdf")
@api_requires(READ)
def lots_labels(code: str):
    return send_labels("lot", code, code)


@api_blueprint.post("/lots/<code>/labels/jobs")
@api_requires(READ)
def lots_labels_job(code: str):
    return _start_labels_job("lot", code)


@api_blueprint.post("/shipments/<reference>/labels/jobs")
@api_requires(READ)
def shipments_labels_job(reference: str):
    return _start_labels_job("shipment", reference)


for _kind, _arg in (("lots", "code"), ("bags", "serial")):
    # One route serves both formats (qr.png, qr.svg), so one operation describes it.
    _qr = document(
        f"/api/v1/{_kind}/{{{_arg}}}/qr.{{fmt}}",
        "get",
        f"QR code (PNG or SVG, error correction M, quiet zone of 4 modules) of the "
        f"{_kind[:-1]}'s public page: a GS1 Digital Link when the organisation has a GTIN",
        text_params=(_arg, "fmt"),
    )
    _qr["parameters"][1]["schema"]["enum"] = ["png", "svg"]
    _qr["responses"]["200"]["content"] = {
        "image/png": {"schema": {"type": "string", "format": "binary"}},
        "image/svg+xml": {"schema": {"type": "string"}},
    }


@api_blueprint.get("/lots/<code>/qr.<fmt>")
@api_requires(READ)
def lots_qr(code: str, fmt: str):
    return lot_qr(code, fmt)


@api_blueprint.get("/bags/<serial>/qr.<fmt>")
@api_requires(READ)
def bags_qr(serial: str, fmt: str):
    return bag_qr(serial, fmt)
