"""JSON API for compliance and certificates (forest evidence and the EUDR geolocation package
are in api_eudr.py).

Thin on purpose (DESIGN.md §3): parse, call one service (compliance, registry), dump. A
certificate's PDF is stored bytes sent as they are: never rendered on a GET, only read back from
the registry (identical bytes, same sha256).
"""

import io

from flask import jsonify, request, send_file

from coopchain.auth.access import (
    READ,
    REGISTRY_WRITE,
    api_requires,
    current_org_id,
    current_principal,
    current_user_id,
)
from coopchain.auth.models import Role
from coopchain.certs import certificate_jobs, compliance, registry
from coopchain.certs.models import Certificate, SubjectKind
from coopchain.certs.schemas import (
    BlockingFindingsOut,
    CertificateIssueIn,
    CertificateListArgs,
    CertificateOut,
    CertificateReissueIn,
    CertificateRevokeIn,
    ComplianceOut,
    ComplianceSummaryOut,
    FindingOut,
)
from coopchain.db import get_session
from coopchain.lots.services import get_lot
from coopchain.shipments.services import get_shipment
from coopchain.web.api import (
    OPENAPI_SCHEMAS,
    api_blueprint,
    document,
    dump_with,
    page_of,
)
from coopchain.web.api import json_body as _json_body
from coopchain.web.api_jobs import job_accepted

OPENAPI_SCHEMAS.update(
    FindingOut=FindingOut,
    ComplianceSummaryOut=ComplianceSummaryOut,
    ComplianceOut=ComplianceOut,
    CertificateIssueIn=CertificateIssueIn,
    CertificateRevokeIn=CertificateRevokeIn,
    CertificateReissueIn=CertificateReissueIn,
    CertificateOut=CertificateOut,
    BlockingFindingsOut=BlockingFindingsOut,
)

_BLOCKED = {
    "description": "Not issued: blocking findings (an administrator may override with a reason)",
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/BlockingFindingsOut"}}
    },
}


def _binary(operation: dict, content_type: str) -> None:
    """Say what a document download returns (document() describes JSON bodies only)."""
    ok = operation["responses"]["200"]
    ok["content"] = {content_type: {"schema": {"type": "string", "format": "binary"}}}


# --- compliance -------------------------------------------------------------------------------

document(
    "/api/v1/lots/{code}/compliance",
    "get",
    "Run the compliance rules on a lot: findings and a summary",
    response="ComplianceOut",
    text_params=("code",),
)
document(
    "/api/v1/shipments/{reference}/compliance",
    "get",
    "Run the compliance rules on a shipment (its bags' share of the origins)",
    response="ComplianceOut",
    text_params=("reference",),
)


def _compliance_out(report) -> dict:
    subject = report.subject
    summary = {
        "blocking": len(report.blocking),
        "warnings": len(report.warnings),
        "plots": len(subject.plot_ids),
        "producers": len({origin.producer_id for origin, _kg in subject.origins}),
        "bags": subject.bags,
        "net_kg": subject.net_kg,
        "judged_on": subject.judged_on,
        "organic_status": subject.organic_status.value,
        "certifiable": not report.blocking,
    }
    return ComplianceOut().dump(
        {
            "subject_kind": subject.kind,
            "reference": subject.reference,
            "crop": subject.crop,
            "summary": summary,
            "findings": [finding.to_dict() for finding in report.findings],
            "rules_checked": report.rules_checked,
        }
    )


@api_blueprint.get("/lots/<code>/compliance")
@api_requires(READ)
def lots_compliance(code: str):
    return jsonify(_compliance_out(compliance.check_lot(get_session(), current_org_id(), code)))


@api_blueprint.get("/shipments/<reference>/compliance")
@api_requires(READ)
def shipments_compliance(reference: str):
    return jsonify(
        _compliance_out(compliance.check_shipment(get_session(), current_org_id(), reference))
    )


# --- certificates -----------------------------------------------------------------------------

for _path, _param, _what in (
    ("/api/v1/lots/{code}/certificates", "code", "a lot"),
    ("/api/v1/shipments/{reference}/certificates", "reference", "a shipment"),
):
    document(
        _path,
        "post",
        f"Issue an organic-compliance certificate for {_what} (PDF stored in the registry); "
        "override_reason lets an administrator issue despite blocking findings; a shipment of "
        "more than JOBS_CERTIFICATE_BAGS bags (1,000 by default), or a subject whose origins "
        "span more than JOBS_CERTIFICATE_PLOTS plots (500), is issued by a job (202)",
        body="CertificateIssueIn",
        response="CertificateOut",
        text_params=(_param,),
        job=True,
    )["responses"]["409"] = _BLOCKED
document(
    "/api/v1/certificates",
    "get",
    "The certificate registry, newest first (subject: a lot code or shipment reference)",
    list_of="CertificateOut",
    searchable=False,
    query={"subject": {"type": "string"}},
)
document(
    "/api/v1/certificates/{number}",
    "get",
    "One certificate's registry entry",
    response="CertificateOut",
    text_params=("number",),
)
_binary(
    document(
        "/api/v1/certificates/{number}/certificate.pdf",
        "get",
        "The certificate's PDF exactly as issued (its sha256 is in the registry)",
        text_params=("number",),
    ),
    "application/pdf",
)
document(
    "/api/v1/certificates/{number}/revoke",
    "post",
    "Revoke a certificate with a reason (it stays in the registry, marked revoked)",
    body="CertificateRevokeIn",
    response="CertificateOut",
    text_params=("number",),
    status="200",
)
document(
    "/api/v1/certificates/{number}/reissue",
    "post",
    "Issue a new certificate (new number, subject checked again) that replaces this one, "
    "which is revoked with the reason",
    body="CertificateReissueIn",
    response="CertificateOut",
    text_params=("number",),
)["responses"]["409"] = _BLOCKED
for _path, _param, _what in (
    ("/api/v1/lots/{code}/certificate.pdf", "code", "lot"),
    ("/api/v1/shipments/{reference}/certificate.pdf", "reference", "shipment"),
):
    _binary(
        document(
            _path,
            "get",
            f"The {_what}'s latest valid certificate, as issued (404 when none is issued: "
            "issuing is a POST to …/certificates)",
            text_params=(_param,),
        ),
        "application/pdf",
    )


def _certificate_out(certificate: Certificate) -> dict:
    replaces, replaced_by = registry.related(get_session(), certificate)
    return dump_with(
        CertificateOut(),
        certificate,
        verify_url=registry.shown_verify_url(certificate.verify_code),
        pdf_url=f"/api/v1/certificates/{certificate.number}/certificate.pdf",
        replaces=replaces.number if replaces else None,
        replaced_by=replaced_by.number if replaced_by else None,
    )


def _may_override() -> bool:
    """Only an administrator may issue over blocking findings (issue: certificates)."""
    return current_principal().role == Role.ADMIN


def _blocked(exc: registry.BlockingFindings):
    return jsonify(
        error=exc.code,
        message=exc.message,
        fields={},
        findings=[finding.to_dict() for finding in exc.findings],
    ), exc.status


def _issue(kind: str, reference: str):
    db = get_session()
    # 404 for an unknown subject before any 422 about the body.
    if kind == SubjectKind.LOT:
        get_lot(db, current_org_id(), reference)
    else:
        get_shipment(db, current_org_id(), reference)
    data = CertificateIssueIn().load(_json_body())
    if certificate_jobs.is_large(db, current_org_id(), kind, reference):
        job = certificate_jobs.submit(
            db, current_org_id(), current_user_id(), kind, reference, data, _may_override()
        )
        return job_accepted(job)
    try:
        certificate = registry.issue_certificate(
            db,
            current_org_id(),
            current_user_id(),
            kind=kind,
            reference=reference,
            language=data["language"],
            override_reason=data["override_reason"],
            may_override=_may_override(),
        )
    except registry.BlockingFindings as exc:
        return _blocked(exc)
    return jsonify(_certificate_out(certificate)), 201


@api_blueprint.post("/lots/<code>/certificates")
@api_requires(REGISTRY_WRITE)
def lots_certificate_issue(code: str):
    return _issue(SubjectKind.LOT, code)


@api_blueprint.post("/shipments/<reference>/certificates")
@api_requires(REGISTRY_WRITE)
def shipments_certificate_issue(reference: str):
    return _issue(SubjectKind.SHIPMENT, reference)


@api_blueprint.get("/certificates")
@api_requires(READ)
def certificates_list():
    args = CertificateListArgs().load(request.args.to_dict())
    items, total = registry.list_certificates(
        get_session(),
        current_org_id(),
        subject_ref=args["subject"],
        page=args["page"],
        per_page=args["per_page"],
    )
    return page_of([_certificate_out(c) for c in items], total, args)


@api_blueprint.get("/certificates/<number>")
@api_requires(READ)
def certificates_get(number: str):
    return jsonify(
        _certificate_out(registry.get_certificate(get_session(), current_org_id(), number))
    )


def _send_certificate(certificate: Certificate):
    """The stored bytes, never a fresh rendering: the registry's sha256 must match them."""
    response = send_file(
        io.BytesIO(certificate.pdf),
        mimetype="application/pdf",
        download_name=f"{certificate.number}.pdf",
        etag=certificate.sha256,
    )
    response.headers["X-Certificate-Number"] = certificate.number
    response.headers["X-Certificate-Status"] = certificate.status
    return response


@api_blueprint.get("/certificates/<number>/certificate.pdf")
@api_requires(READ)
def certificates_pdf(number: str):
    return _send_certificate(registry.get_certificate(get_session(), current_org_id(), number))


@api_blueprint.post("/certificates/<number>/revoke")
@api_requires(REGISTRY_WRITE)
def certificates_revoke(number: str):
    registry.get_certificate(get_session(), current_org_id(), number)  # 404 before any 422
    data = CertificateRevokeIn().load(_json_body())
    certificate = registry.revoke_certificate(
        get_session(), current_org_id(), current_user_id(), number, data["reason"]
    )
    return jsonify(_certificate_out(certificate))


@api_blueprint.post("/certificates/<number>/reissue")
@api_requires(REGISTRY_WRITE)
def certificates_reissue(number: str):
    registry.get_certificate(get_session(), current_org_id(), number)  # 404 before any 422
    data = CertificateReissueIn().load(_json_body())
    try:
        certificate = registry.reissue_certificate(
            get_session(),
            current_org_id(),
            current_user_id(),
            number,
            data["reason"],
            language=data["language"],
            override_reason=data["override_reason"],
            may_override=_may_override(),
        )
    except registry.BlockingFindings as exc:
        return _blocked(exc)
    return jsonify(_certificate_out(certificate)), 201


@api_blueprint.get("/lots/<code>/certificate.pdf")
@api_requires(READ)
def lots_certificate_pdf(code: str):
    db = get_session()
    lot = get_lot(db, current_org_id(), code)
    return _send_certificate(
        registry.latest_valid_certificate(db, current_org_id(), SubjectKind.LOT, lot.code)
    )


@api_blueprint.get("/shipments/<reference>/certificate.pdf")
@api_requires(READ)
def shipments_certificate_pdf(reference: str):
    db = get_session()
    shipment = get_shipment(db, current_org_id(), reference)
    return _send_certificate(
        registry.latest_valid_certificate(
            db, current_org_id(), SubjectKind.SHIPMENT, shipment.reference
        )
    )
