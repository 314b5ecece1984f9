"""JSON API of a shipment's due diligence statement (DOMAIN.md §8): the statement(s) as JSON
with the Operator API V3's field names, the SubmitDdsRequest XML body, and filing with the EU
Information System through the organisation's account (submit, status, amend, withdraw).
Above JOBS_CERTIFICATE_BAGS bags the statement files are built by a job, as on the DDS page:
the downloads answer 409 job_required and POST …/dds/jobs starts it (web/api_jobs.py), and
POST …/dds/submit answers 202 with a job that builds and files it (filing_jobs.py).
"""

from flask import Response, jsonify, request
from flask_babel import get_locale
from flask_babel import gettext as _

from coopchain.auth.access import ADMIN, READ, REGISTRY_WRITE, api_requires
from coopchain.auth.access import current_org_id as _org
from coopchain.auth.access import current_user_id as _user
from coopchain.certs.certificate_jobs import is_large_shipment
from coopchain.db import get_session
from coopchain.eudr import dds_jobs, filing, filing_jobs
from coopchain.eudr import xml as ddsxml
from coopchain.eudr.schemas import (
    DdsFiledListOut,
    DdsFiledOut,
    DdsOut,
    DdsRequestOut,
    DdsUuidIn,
    filed_out,
)
from coopchain.eudr.statements import shipment_statements
from coopchain.eudr.views_common import chosen_part, safe_name
from coopchain.shipments.services import get_shipment
from coopchain.web.api import OPENAPI_SCHEMAS, api_blueprint, document
from coopchain.web.api import json_body as _json_body
from coopchain.web.api_jobs import job_accepted, job_required

OPENAPI_SCHEMAS.update(
    DdsOut=DdsOut,
    DdsRequestOut=DdsRequestOut,
    DdsFiledOut=DdsFiledOut,
    DdsFiledListOut=DdsFiledListOut,
    DdsUuidIn=DdsUuidIn,
)

document(
    "/api/v1/shipments/{reference}/dds.json",
    "get",
    "The EUDR due diligence statement(s) as the EU Operator API V3 reads them (one "
    "SubmitDdsRequest per statement; a shipment over the EU limits is split and split_reasons "
    "say why), with what was filed; 422 dds_invalid names every field that breaks a rule; "
    "above JOBS_CERTIFICATE_BAGS bags (1,000 by default) 409 job_required names the POST that "
    "builds the files as a job",
    response="DdsOut",
    text_params=("reference",),
)
document(
    "/api/v1/shipments/{reference}/dds/jobs",
    "post",
    "Build the statement files as a job (202): a .zip of dds.json and each part's XML, then at "
    "/api/v1/jobs/{id}/file; split reasons in the request's language (?lang= or "
    "Accept-Language)",
    text_params=("reference",),
    status="202",
    job=True,
)
_xml = document(
    "/api/v1/shipments/{reference}/dds.xml",
    "get",
    "One statement as the SubmitDdsRequest XML body (V3 namespaces); ?part=N when the "
    "shipment is split (header X-DDS-Parts)",
    text_params=("reference",),
    query={"part": {"type": "integer", "minimum": 1}},
)
_xml["responses"]["200"]["content"] = {"application/xml": {"schema": {"type": "string"}}}
for _path, _summary, _body, _status in (
    ("submit", "File the statement(s) with the EU Information System (admin)", None, None),
    ("refresh", "Ask the EU for the status and the reference numbers", None, "200"),
    ("amend", "Send the statement as built now in place of one filed (72 h)", "DdsUuidIn", "200"),
    ("withdraw", "Withdraw one filed statement (within 72 hours)", "DdsUuidIn", "200"),
):
    document(
        f"/api/v1/shipments/{{reference}}/dds/{_path}",
        "post",
        _summary,
        body=_body,
        response="DdsFiledListOut",
        text_params=("reference",),
        status=_status,
    )


def _built_by_a_job(reference: str):
    """None, or the 409 of a shipment whose statement files are built by a job."""
    if not is_large_shipment(get_session(), _org(), reference):  # NotFound for another's
        return None
    return job_required(
        "api.shipments_dds_job",
        lambda start: _(
            "This shipment's due diligence statement is built by a job. POST to %(start)s to "
            "start it.",
            start=start,
        ),
        reference=reference,
    )


def _filed(reference: str, status: int = 200):
    shipment = get_shipment(get_session(), _org(), reference)
    rows = filing.statements_of(get_session(), _org(), shipment)
    return jsonify(reference=shipment.reference, filed=filed_out(rows)), status


@api_blueprint.get("/shipments/<reference>/dds.json")
@api_requires(READ)
def shipments_dds_json(reference: str):
    if (refusal := _built_by_a_job(reference)) is not None:
        return refusal
    shipment, plan = shipment_statements(get_session(), _org(), reference)
    rows = filing.statements_of(get_session(), _org(), shipment)
    out = {
        "reference": shipment.reference,
        "split": plan.split,
        "split_reasons": plan.split_reasons,
        "statements": plan.statements,
        "filed": filed_out(rows),
    }
    response = jsonify(out)
    response.headers["X-DDS-Parts"] = str(len(plan.statements))
    return response


@api_blueprint.get("/shipments/<reference>/dds.xml")
@api_requires(READ)
def shipments_dds_xml(reference: str):
    if (refusal := _built_by_a_job(reference)) is not None:
        return refusal
    shipment, plan = shipment_statements(get_session(), _org(), reference)
    count = len(plan.statements)
    number = chosen_part(request.args.get("part"), count)
    body = ddsxml.to_bytes(ddsxml.submit_request(plan.statements[number - 1]))
    suffix = f"-part{number}of{count}" if count > 1 else ""
    response = Response(body, mimetype="application/xml")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="dds-{safe_name(shipment.reference)}{suffix}.xml"'
    )
    response.headers["X-DDS-Parts"] = str(count)
    return response


@api_blueprint.post("/shipments/<reference>/dds/jobs")
@api_requires(READ)
def shipments_dds_job(reference: str):
    get_shipment(get_session(), _org(), reference)  # 404 for another's
    job = dds_jobs.submit(get_session(), _org(), _user(), reference, str(get_locale()))
    return job_accepted(job)


@api_blueprint.post("/shipments/<reference>/dds/submit")
@api_requires(ADMIN)
def shipments_dds_submit(reference: str):
    """File the statement with the EU: 201 with what was filed; above JOBS_CERTIFICATE_BAGS
    bags 202 with the job that builds it and files it part by part."""
    db = get_session()
    get_shipment(db, _org(), reference)  # 404 before any 422
    if is_large_shipment(db, _org(), reference):
        # Built and filed part by part by a job (filing_jobs.py): 202 with the job.
        return job_accepted(filing_jobs.submit(db, _org(), _user(), reference, str(get_locale())))
    filing.submit(db, _org(), _user(), reference, filing.client_for(db, _org()))
    return _filed(reference, 201)


@api_blueprint.post("/shipments/<reference>/dds/refresh")
@api_requires(REGISTRY_WRITE)
def shipments_dds_refresh(reference: str):
    db = get_session()
    get_shipment(db, _org(), reference)  # 404 before any 422
    filing.refresh(db, _org(), _user(), reference, filing.client_for(db, _org()))
    return _filed(reference)


@api_blueprint.post("/shipments/<reference>/dds/amend")
@api_requires(ADMIN)
def shipments_dds_amend(reference: str):
    """Send the statement as built now in place of part `uuid` (within 72 hours); above
    JOBS_CERTIFICATE_BAGS bags 202 with the job that rebuilds and sends it."""
    db = get_session()
    get_shipment(db, _org(), reference)  # 404 before any 422
    uuid = DdsUuidIn().load(_json_body())["uuid"]
    if is_large_shipment(db, _org(), reference):
        # The statement is rebuilt by a job (filing_jobs.py): 202 with the job.
        job = filing_jobs.submit_amend(db, _org(), _user(), reference, uuid, str(get_locale()))
        return job_accepted(job)
    filing.amend(db, _org(), _user(), reference, uuid, filing.client_for(db, _org()))
    return _filed(reference)


@api_blueprint.post("/shipments/<reference>/dds/withdraw")
@api_requires(ADMIN)
def shipments_dds_withdraw(reference: str):
    db = get_session()
    get_shipment(db, _org(), reference)
    uuid = DdsUuidIn().load(_json_body())["uuid"]
    filing.withdraw(db, _org(), _user(), reference, uuid, filing.client_for(db, _org()))
    return _filed(reference)
