"""Issuing, revoking and verifying organic-compliance certificates (DESIGN.md §3 services).

A certificate is the compliance report of a lot or a shipment, rendered once to PDF; the bytes
and their sha256 are kept, so the registry returns the identical file forever and anyone can
check a copy. Blocking findings stop the issue unless an administrator overrides them with a
written reason, which is printed on the certificate and recorded in the ledger. A certificate
is never regenerated in place: re-issuing creates a new number and revokes the old one.
"""

import hashlib
import secrets

from flask import url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlmodel import Session

from coopchain.auth.models import Membership, Organization, User
from coopchain.certs import compliance
from coopchain.certs.keys import operator_certificate_on, signer_for
from coopchain.certs.models import Certificate, CertificateStatus, SigningKey, SubjectKind
from coopchain.certs.signing import check_pdf, sign_pdf
from coopchain.clock import utcnow
from coopchain.db import owned
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.ledger.anchors import current_head
from coopchain.ledger.services import append
from coopchain.lots.services import reserve_numbers
from coopchain.public_url import PublicBaseUrlMissing, public_base_url

LANGUAGES = ("es", "en")


class BlockingFindings(Conflict):
    """Blocking findings and no override: the certificate is not issued."""

    code = "blocking_findings"

    def __init__(self, message: str, findings: list):
        super().__init__(message)
        self.findings = findings


class OverrideNotAllowed(DomainError):
    code = "forbidden"
    status = 403


def verify_url(code: str) -> str:
    """Where a certificate is checked: printed on it, so PublicBaseUrlMissing in production
    without the public address (public_url.py)."""
    return f"{public_base_url()}/verify/{code}"


def shown_verify_url(code: str) -> str:
    """The check address of an issued certificate for a page: the public one, or this
    server's when production has none configured (the stored PDF carries the printed one)."""
    try:
        return verify_url(code)
    except PublicBaseUrlMissing:
        return url_for("verify.certificate", code=code, _external=True)


def report_for(session: Session, org_id: int, kind: str, reference: str):
    if kind == SubjectKind.LOT:
        return compliance.check_lot(session, org_id, reference)
    if kind == SubjectKind.SHIPMENT:
        return compliance.check_shipment(session, org_id, reference)
    raise NotFound(str(_l("Certificates are issued for a lot or a shipment.")))


def issue_certificate(
    session: Session,
    org_id: int,
    user_id: int | None,
    *,
    kind: str,
    reference: str,
    language: str = "es",
    override_reason: str | None = None,
    may_override: bool = False,
    replaces: Certificate | None = None,
) -> Certificate:
    """Check the subject, render the certificate and register it."""
    if language not in LANGUAGES:
        raise DomainError(
            str(_l("Some fields need attention.")), {"language": [str(_l("Spanish or English."))]}
        )
    public_base_url()  # production without a public address: refused before any work
    override_reason = (override_reason or "").strip() or None
    if override_reason and len(override_reason) > 1000:
        raise DomainError(
            str(_l("Some fields need attention.")),
            {"override_reason": [str(_l("At most 1000 characters."))]},
        )
    # Findings are sentences: they must be in the certificate's language, not the requester's.
    with force_locale(language):
        report = report_for(session, org_id, kind, reference)
    if report.blocking and not override_reason:
        codes = ", ".join(f.code for f in report.blocking)
        raise BlockingFindings(
            str(
                _l(
                    "Not issued: blocking findings (%(codes)s). An administrator may override "
                    "them with a written reason.",
                    codes=codes,
                )
            ),
            report.blocking,
        )
    if override_reason and report.blocking and not may_override:
        raise OverrideNotAllowed(str(_l("Only an administrator may override blocking findings.")))
    if not report.blocking:
        override_reason = None  # nothing to override: never print a needless override
    organization = session.get(Organization, org_id)
    year = utcnow().year
    serial = reserve_numbers(session, org_id, f"certificate:{year}")
    number = f"CC-{organization.code}-{year}-{serial:06d}"
    code = secrets.token_urlsafe(16)
    issued_at = utcnow()
    # The ledger as it stood: printed, shown on /verify and kept by whoever holds the PDF, it
    # anchors the chain so no event up to it can be rewritten unnoticed (ledger/anchors.py).
    head = current_head(session, org_id)
    issuer = session.get(User, user_id) if user_id else None
    from coopchain.certs.certificate_pdf import certificate_context, render_certificate_pdf

    # The key is chosen before rendering: the signature block prints its fingerprint.
    signer = signer_for(session, org_id)

    meta = {
        "number": number,
        "verify_url": verify_url(code),
        "issued_at": issued_at,
        "issued_by": issuer.name if issuer else None,
        "organization": {
            "name": organization.name,
            "code": organization.code,
            "country": organization.country,
            "locale": organization.locale,
        },
        "language": language,
        "override_reason": override_reason,
        "replaces": replaces.number if replaces else None,
        "ledger_head": {"seq": head.seq, "hash": head.hash},
        "operator_certificate": operator_certificate_on(session, org_id, report.subject.judged_on),
        "signature": _signature_block(session, org_id, issuer, signer),
    }
    with force_locale(language):
        pdf = render_certificate_pdf(certificate_context(report, meta))
        if signer is not None:
            pdf = sign_pdf(
                pdf,
                signer[1],
                reason=str(_l("Organic-compliance certificate %(number)s", number=number)),
                name=meta["signature"]["signer_name"] or organization.name,
                location=organization.region or organization.country,
            )
    certificate = Certificate(
        organization_id=org_id,
        number=number,
        verify_code=code,
        subject_kind=kind,
        subject_ref=report.subject.reference,
        language=language,
        issued_at=issued_at,
        issued_by=user_id,
        sha256=hashlib.sha256(pdf).hexdigest(),
        pdf=pdf,
        findings=[f.to_dict() for f in report.findings],
        override_reason=override_reason,
        replaces_id=replaces.id if replaces else None,
        ledger_seq=head.seq,
        ledger_hash=head.hash,
        signing_key_id=signer[0].id if signer is not None else None,
    )
    session.add(certificate)
    session.flush()
    append(
        session,
        org_id,
        "certificate.issued",
        ("certificate", number),
        {
            "subject": {"kind": kind, "reference": certificate.subject_ref},
            "sha256": certificate.sha256,
            "language": language,
            "findings": [f.code for f in report.findings],
            "blocking": [f.code for f in report.blocking],
            "override": override_reason,
            "replaces": meta["replaces"],
            "ledgerHead": meta["ledger_head"],
            "signingKey": signer[0].fingerprint if signer is not None else None,
        },
        user_id=user_id,
    )
    return certificate


def _signature_block(session: Session, org_id: int, issuer, signer) -> dict:
    """Who signs (the issuing user's name and role in the organisation) and with which key."""
    role = None
    if issuer is not None:
        membership = session.scalar(
            owned(Membership, org_id).where(Membership.user_id == issuer.id)
        )
        role = membership.role if membership is not None else None
    key = signer[0] if signer is not None else None
    return {
        "signer_name": issuer.name if issuer is not None else None,
        "signer_role": role,
        "key_subject": key.subject if key is not None else None,
        "key_fingerprint": key.fingerprint if key is not None else None,
    }


def signature_of(session: Session, certificate: Certificate) -> dict | None:
    """The stored PDF's signature checked against the key recorded as its signer, at the moment
    the certificate was issued (a key revoked since does not undo what it signed while valid):
    None for a certificate issued without a key."""
    if certificate.signing_key_id is None:
        return None
    key = session.get(SigningKey, certificate.signing_key_id)
    check = check_pdf(certificate.pdf, key.certificate_pem.encode(), certificate.issued_at)
    return {
        "valid": check.ok and check.fingerprint == key.fingerprint,
        "problem": check.problem,
        "key_subject": key.subject,
        "fingerprint": key.fingerprint,
        "source": key.source,
        "revoked": key.revoked_at is not None,
        "revoked_at": key.revoked_at,
        "revoke_reason": key.revoke_reason,
        "certificate_pem": key.certificate_pem,
    }


def get_certificate(session: Session, org_id: int, number: str) -> Certificate:
    certificate = session.scalar(owned(Certificate, org_id).where(Certificate.number == number))
    if certificate is None:
        raise NotFound(str(_l("No certificate %(number)s.", number=number)))
    return certificate


def list_certificates(
    session: Session, org_id: int, *, subject_ref=None, subject_kind=None, page=1, per_page=25
):
    query = owned(Certificate, org_id)
    if subject_ref:
        query = query.where(Certificate.subject_ref == subject_ref)
    if subject_kind:
        # A lot code and a shipment reference may be spelt alike.
        query = query.where(Certificate.subject_kind == subject_kind)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = session.scalars(
        query.order_by(Certificate.id.desc()).offset((page - 1) * per_page).limit(per_page)
    )
    return list(items), total


def latest_valid_certificate(
    session: Session, org_id: int, kind: str, reference: str
) -> Certificate:
    """The subject's newest certificate that is not revoked; NotFound naming what to do."""
    certificate = session.scalar(
        owned(Certificate, org_id)
        .where(
            Certificate.subject_kind == kind,
            Certificate.subject_ref == reference,
            Certificate.status == CertificateStatus.VALID,
        )
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        .limit(1)
    )
    if certificate is None:
        message = (
            _l("No valid certificate has been issued for lot %(ref)s.", ref=reference)
            if kind == SubjectKind.LOT
            else _l("No valid certificate has been issued for shipment %(ref)s.", ref=reference)
        )
        raise NotFound(str(message))
    return certificate


def related(session: Session, certificate: Certificate):
    """The certificate this one replaced, and the one that replaced it."""
    replaces = None
    if certificate.replaces_id:
        replaces = session.get(Certificate, certificate.replaces_id)
    replaced_by = session.scalar(
        owned(Certificate, certificate.organization_id).where(
            Certificate.replaces_id == certificate.id,
        )
    )
    return replaces, replaced_by


def find_by_verify_code(session: Session, code: str) -> Certificate | None:
    """Public lookup for /verify/<code>: no organisation scope, the code is the secret."""
    if not code or len(code) > 40:
        return None
    return session.scalar(select(Certificate).where(Certificate.verify_code == code))


def matches(certificate: Certificate, uploaded: bytes) -> bool:
    """Is an uploaded PDF byte-for-byte the registered one? (compared by sha256)."""
    return hashlib.sha256(uploaded).hexdigest() == certificate.sha256


def revoke_certificate(session: Session, org_id: int, user_id, number: str, reason: str):
    certificate = get_certificate(session, org_id, number)
    if certificate.status == CertificateStatus.REVOKED:
        raise Conflict(str(_l("Certificate %(number)s is already revoked.", number=number)))
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise DomainError(
            str(_l("Give a reason.")), {"reason": [str(_l("Required, at most 500 characters."))]}
        )
    now = utcnow()
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at, certificate.revoke_reason = now, reason
    session.flush()
    append(
        session,
        org_id,
        "certificate.revoked",
        ("certificate", number),
        {"errorDeclaration": {"declarationTime": now, "reason": reason}},
        action="DELETE",
        user_id=user_id,
    )
    return certificate


def reissue_certificate(
    session: Session,
    org_id: int,
    user_id,
    number: str,
    reason: str,
    *,
    language: str | None = None,
    override_reason: str | None = None,
    may_override: bool = False,
) -> Certificate:
    """A new certificate (new number, the subject checked again) that replaces `number`,
    which is revoked with the reason."""
    old = get_certificate(session, org_id, number)
    if old.status == CertificateStatus.REVOKED:
        raise Conflict(str(_l("Certificate %(number)s is revoked.", number=number)))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(str(_l("Give a reason.")), {"reason": [str(_l("Required."))]})
    new = issue_certificate(
        session,
        org_id,
        user_id,
        kind=old.subject_kind,
        reference=old.subject_ref,
        language=language or old.language,
        override_reason=override_reason,
        may_override=may_override,
        replaces=old,
    )
    revoke_certificate(
        session,
        org_id,
        user_id,
        number,
        str(_l("Replaced by %(number)s: %(reason)s", number=new.number, reason=reason))[:500],
    )
    return new
