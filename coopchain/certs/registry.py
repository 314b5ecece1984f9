"""Issuing, revoking and verifying organic-compliance certificates (DESIGN.md §3 services).

A certificate is the compliance report of a lot or a shipment, rendered once to PDF; the bytes
and their sha256 are kept, so the registry returns the identical file forever and anyone can
check a copy. Blocking findings stop the issue unless an administrator overrides them with a
written reason, which is printed on the certificate and recorded in the ledger. A certificate
is never regenerated in place: re-issuing creates a new number and revokes the old one.
"""

import hashlib

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlmodel import Session

from coopchain.certs import drafts
from coopchain.certs.drafts import (  # noqa: F401  (the registry's public names)
    LANGUAGES,
    BlockingFindings,
    OverrideNotAllowed,
    Request,
    report_for,
    verify_url,
)
from coopchain.certs.models import Certificate, CertificateStatus, SigningKey, SubjectKind
from coopchain.certs.signing import check_pdf
from coopchain.clock import utcnow
from coopchain.db import begin_write, owned
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.ledger.services import append
from coopchain.lots.services import peek_number, reserve_numbers
from coopchain.public_url import PublicBaseUrlMissing


def shown_verify_url(code: str) -> str:
    """The check address of an issued certificate for a page: the public one, or this
    server's when production has none configured (the stored PDF carries the printed one)."""
    try:
        return verify_url(code)
    except PublicBaseUrlMissing:
        return url_for("verify.certificate", code=code, _external=True)


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
    """Check the subject, render the certificate and register it, in the caller's transaction
    (which holds the write lock from the number's reservation to its commit)."""
    request = Request(kind, reference, language, override_reason, may_override, replaces)
    checked = drafts.checked(session, org_id, request)
    issued_at = utcnow()
    serial = reserve_numbers(session, org_id, drafts.counter_name(issued_at))
    draft = drafts.draft(
        session, org_id, user_id, request, checked, serial=serial, issued_at=issued_at
    )
    return _register(session, org_id, user_id, drafts.render(draft))


def issue_in_two_steps(session: Session, org_id: int, user_id, request: Request) -> Certificate:
    """issue_certificate for a job: the PDF is rendered in a read transaction, before the write
    lock is taken, with the number the counter would give next; then, writing, the subject is
    checked again and the number reserved. The rendered PDF is registered only when what it
    prints (number included) is exactly what it would print now; otherwise, rarely (another
    certificate took the number, the subject changed meanwhile), it is rendered again with the
    lock held, as issue_certificate does. Leaves `session` in its write transaction: the caller
    commits. Numbers stay gapless: only the write transaction reserves one."""
    checked = drafts.checked(session, org_id, request)
    issued_at = utcnow()
    serial = peek_number(session, org_id, drafts.counter_name(issued_at))
    first = drafts.render(
        drafts.draft(session, org_id, user_id, request, checked, serial=serial, issued_at=issued_at)
    )
    session.rollback()  # ends the read transaction (nothing was written)
    begin_write(session)
    checked = drafts.checked(session, org_id, request)
    now = utcnow()
    serial = reserve_numbers(session, org_id, drafts.counter_name(now))
    if now.year == issued_at.year:
        again = drafts.draft(
            session,
            org_id,
            user_id,
            request,
            checked,
            serial=serial,
            issued_at=issued_at,
            verify_code=first.verify_code,
            head=first.head,
        )
        if again.context == first.context:
            again.pdf = first.pdf
            return _register(session, org_id, user_id, again)
    final = drafts.draft(session, org_id, user_id, request, checked, serial=serial, issued_at=now)
    return _register(session, org_id, user_id, drafts.render(final))


def _register(session: Session, org_id: int, user_id, draft: drafts.Draft) -> Certificate:
    """Keep the rendered draft and say so in the ledger."""
    report, request = draft.report, draft.request
    replaces = request.replaces
    certificate = Certificate(
        organization_id=org_id,
        number=draft.number,
        verify_code=draft.verify_code,
        subject_kind=request.kind,
        subject_ref=report.subject.reference,
        language=request.language,
        issued_at=draft.issued_at,
        issued_by=user_id,
        sha256=hashlib.sha256(draft.pdf).hexdigest(),
        pdf=draft.pdf,
        findings=[f.to_dict() for f in report.findings],
        override_reason=draft.override_reason,
        replaces_id=replaces.id if replaces else None,
        ledger_seq=draft.head.seq,
        ledger_hash=draft.head.hash,
        signing_key_id=draft.signer[0].id if draft.signer is not None else None,
    )
    session.add(certificate)
    session.flush()
    append(
        session,
        org_id,
        "certificate.issued",
        ("certificate", draft.number),
        {
            "subject": {"kind": request.kind, "reference": certificate.subject_ref},
            "sha256": certificate.sha256,
            "language": request.language,
            "findings": [f.code for f in report.findings],
            "blocking": [f.code for f in report.blocking],
            "override": draft.override_reason,
            "replaces": draft.meta["replaces"],
            "ledgerHead": draft.meta["ledger_head"],
            "signingKey": draft.signer[0].fingerprint if draft.signer is not None else None,
        },
        user_id=user_id,
    )
    return certificate


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
