"""Staff pages for compliance and certificates: a lot's or a shipment's findings with the issue
form, the certificate registry, a certificate's page (download, revoke, re-issue).

Views stay thin (DESIGN.md §3): findings come only from the compliance engine
(`compliance.check_lot` / `check_shipment`), certificates only from the registry service. A
refused action answers with a 4xx status, so the request rolls back (coopchain/db.py).
"""

import io

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.routing import BuildError

from coopchain.auth.access import (
    ADMIN,
    READ,
    REGISTRY_WRITE,
    current_org_id,
    current_principal,
    current_user_id,
    requires,
)
from coopchain.auth.models import User
from coopchain.certs import certificate_jobs, registry
from coopchain.certs.compliance_report import ComplianceReport
from coopchain.certs.models import Certificate, CertificateStatus, SubjectKind
from coopchain.db import get_session
from coopchain.errors import DomainError
from coopchain.formatting import kg as format_kg
from coopchain.forms import form_errors
from coopchain.lots.services import get_lot
from coopchain.shipments.services import get_shipment

bp = Blueprint("certs", __name__)
#: Plot or delivery names listed in full under a finding; longer lists fold away.
SHORT_LIST = 8
PER_PAGE = 25


def _can_write() -> bool:
    return current_principal().role in REGISTRY_WRITE


def _is_admin() -> bool:
    return current_principal().role in ADMIN


def subject_href(kind: str, reference: str) -> str | None:
    """The subject's own page; None while its page does not exist (shipment pages are built
    separately)."""
    endpoint, args = (
        ("lots.lot_detail", {"code": reference})
        if kind == SubjectKind.LOT
        else ("shipments.shipment_detail", {"reference": reference})
    )
    try:
        return url_for(endpoint, **args)
    except BuildError:
        return None


def compliance_href(kind: str, reference: str) -> str:
    if kind == SubjectKind.LOT:
        return url_for("certs.lot_compliance", code=reference)
    return url_for("certs.shipment_compliance", reference=reference)


def _helpers() -> dict:
    return {
        "kg": format_kg,
        "subject_href": subject_href,
        "compliance_href": compliance_href,
        "short_list": SHORT_LIST,
        "can_write": _can_write(),
        "is_admin": _is_admin(),
    }


def _summary(report: ComplianceReport) -> dict:
    subject = report.subject
    return {
        "plots": len(subject.plot_ids),
        "producers": len({o.producer_code for o, _kg in subject.origins}),
        "deliveries": len({o.delivery_id for o, _kg in subject.origins}),
        "net_kg": subject.net_kg,
        "bags": subject.bags,
        "judged_on": subject.judged_on,
    }


def _report(kind: str, reference: str) -> ComplianceReport:
    return registry.report_for(get_session(), current_org_id(), kind, reference)


# --- compliance -------------------------------------------------------------------------------


def _compliance_page(kind: str, reference: str, *, values=None, errors=None, status=200):
    report = _report(kind, reference)
    certificates, _total = registry.list_certificates(
        get_session(),
        current_org_id(),
        subject_ref=report.subject.reference,
        subject_kind=kind,
        per_page=10,
    )
    return render_template(
        "certs/compliance.html",
        kind=kind,
        reference=report.subject.reference,
        report=report,
        summary=_summary(report),
        certificates=certificates,
        issue_action=_issue_action(kind, report.subject.reference),
        values=values or {"language": _default_language()},
        errors=errors or {},
        **_helpers(),
    ), status


def _issue_action(kind: str, reference: str) -> str:
    if kind == SubjectKind.LOT:
        return url_for("certs.lot_certificate_issue", code=reference)
    return url_for("certs.shipment_certificate_issue", reference=reference)


def _default_language() -> str:
    language = str(get_locale())
    return language if language in registry.LANGUAGES else registry.LANGUAGES[0]


@bp.get("/lots/<code>/compliance")
@requires(READ)
def lot_compliance(code: str):
    return _compliance_page(SubjectKind.LOT, code)


@bp.get("/shipments/<reference>/compliance")
@requires(READ)
def shipment_compliance(reference: str):
    return _compliance_page(SubjectKind.SHIPMENT, reference)


def _blocked_page(exc: registry.BlockingFindings, back: str, certificate=None):
    return render_template(
        "certs/blocked.html",
        message=exc.message,
        findings=exc.findings,
        back=back,
        certificate=certificate,
        **_helpers(),
    ), 409


def _issue(kind: str, reference: str):
    values = {
        "language": request.form.get("language", ""),
        "override_reason": request.form.get("override_reason", ""),
    }
    if certificate_jobs.is_large(get_session(), current_org_id(), kind, reference):
        job = certificate_jobs.submit(
            get_session(),
            current_org_id(),
            current_user_id(),
            kind,
            reference,
            values,
            _is_admin(),
        )
        return redirect(url_for("core.job_detail", job_id=job.id))
    try:
        certificate = registry.issue_certificate(
            get_session(),
            current_org_id(),
            current_user_id(),
            kind=kind,
            reference=reference,
            language=values["language"],
            override_reason=values["override_reason"],
            may_override=_is_admin(),
        )
    except registry.BlockingFindings as exc:
        return _blocked_page(exc, compliance_href(kind, reference))
    except registry.OverrideNotAllowed:
        raise  # 403 through the app's error page: the role, not the form, is wrong
    except DomainError as exc:
        if not exc.fields:
            raise
        errors = dict(exc.fields)
        return _compliance_page(kind, reference, values=values, errors=errors, status=422)
    flash(_("Certificate %(number)s issued.", number=certificate.number), "success")
    return redirect(url_for("certs.certificate_detail", number=certificate.number))


@bp.post("/lots/<code>/certificates")
@requires(REGISTRY_WRITE)
def lot_certificate_issue(code: str):
    return _issue(SubjectKind.LOT, code)


@bp.post("/shipments/<reference>/certificates")
@requires(REGISTRY_WRITE)
def shipment_certificate_issue(reference: str):
    return _issue(SubjectKind.SHIPMENT, reference)


# --- the registry -----------------------------------------------------------------------------


def _issuers(certificates) -> dict[int, str]:
    ids = {c.issued_by for c in certificates if c.issued_by}
    if not ids:
        return {}
    return {u.id: u.name for u in get_session().scalars(select(User).where(User.id.in_(ids)))}


def _list_page(q: str, kind: str | None = None):
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    certificates, total = registry.list_certificates(
        get_session(),
        current_org_id(),
        subject_ref=q or None,
        subject_kind=kind,
        page=page,
        per_page=PER_PAGE,
    )
    return render_template(
        "certs/list.html",
        certificates=certificates,
        issuers=_issuers(certificates),
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        q=q,
        **_helpers(),
    )


@bp.get("/certificates")
@requires(READ)
def certificate_list():
    return _list_page((request.args.get("q") or "").strip()[:40])


@bp.get("/lots/<code>/certificates")
@requires(READ)
def lot_certificates(code: str):
    lot = get_lot(get_session(), current_org_id(), code)  # 404 for another organisation's lot
    return _list_page(lot.code, SubjectKind.LOT)


@bp.get("/shipments/<reference>/certificates")
@requires(READ)
def shipment_certificates(reference: str):
    shipment = get_shipment(
        get_session(), current_org_id(), reference
    )  # 404 for another organisation's
    return _list_page(shipment.reference, SubjectKind.SHIPMENT)


def _detail_page(certificate: Certificate, *, action=None, values=None, errors=None, status=200):
    replaces, replaced_by = registry.related(get_session(), certificate)
    current = None
    if _can_write() and certificate.status == CertificateStatus.VALID:
        # The re-issue form needs to know whether an override would be needed again.
        try:
            current = _report(certificate.subject_kind, certificate.subject_ref)
        except DomainError:
            current = None
    return render_template(
        "certs/detail.html",
        certificate=certificate,
        issuer=_issuers([certificate]).get(certificate.issued_by),
        replaces=replaces,
        replaced_by=replaced_by,
        verify_url=registry.shown_verify_url(certificate.verify_code),
        current=current,
        action=action,
        values=values or {"language": certificate.language},
        errors=errors or {},
        **_helpers(),
    ), status


@bp.get("/certificates/<number>")
@requires(READ)
def certificate_detail(number: str):
    certificate = registry.get_certificate(get_session(), current_org_id(), number)
    return _detail_page(certificate)


@bp.get("/certificates/<number>/certificate.pdf")
@requires(READ)
def certificate_pdf(number: str):
    certificate = registry.get_certificate(get_session(), current_org_id(), number)
    # The stored bytes, never a new rendering: their sha256 is the registry's.
    return send_file(
        io.BytesIO(certificate.pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"{certificate.number}.pdf",
        etag=certificate.sha256,
        max_age=0,
    )


@bp.post("/certificates/<number>/revoke")
@requires(REGISTRY_WRITE)
def certificate_revoke(number: str):
    db = get_session()
    certificate = registry.get_certificate(db, current_org_id(), number)
    values = {"reason": request.form.get("reason", "")}
    try:
        registry.revoke_certificate(
            db, current_org_id(), current_user_id(), number, values["reason"]
        )
    except DomainError as exc:
        errors = form_errors(exc)
        return _detail_page(
            certificate, action="revoke", values=values, errors=errors, status=exc.status
        )
    flash(_("Certificate %(number)s is revoked.", number=number), "success")
    return redirect(url_for("certs.certificate_detail", number=number))


@bp.post("/certificates/<number>/reissue")
@requires(REGISTRY_WRITE)
def certificate_reissue(number: str):
    db = get_session()
    certificate = registry.get_certificate(db, current_org_id(), number)
    values = {
        "reason": request.form.get("reason", ""),
        "language": request.form.get("language") or certificate.language,
        "override_reason": request.form.get("override_reason", ""),
    }
    try:
        new = registry.reissue_certificate(
            db,
            current_org_id(),
            current_user_id(),
            number,
            values["reason"],
            language=values["language"],
            override_reason=values["override_reason"],
            may_override=_is_admin(),
        )
    except registry.BlockingFindings as exc:
        back = url_for("certs.certificate_detail", number=number)
        return _blocked_page(exc, back, certificate)
    except registry.OverrideNotAllowed:
        raise
    except DomainError as exc:
        errors = form_errors(exc)
        return _detail_page(
            certificate, action="reissue", values=values, errors=errors, status=exc.status
        )
    flash(
        _("Certificate %(new)s issued; %(old)s is revoked.", new=new.number, old=number),
        "success",
    )
    return redirect(url_for("certs.certificate_detail", number=new.number))
