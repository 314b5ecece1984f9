"""A certificate before it is registered: the subject checked, what it prints decided, the PDF
rendered and signed (registry.py registers it).

Split from registry.py so a job can render without holding the database's write lock (issue 19
§1): on SQLite a writer locks the whole database, and a large shipment's certificate takes
WeasyPrint seconds, during which the collection centre could not register a delivery. The job
drafts and renders in a read transaction with the number the counter would give next, then, in a
short write transaction, checks the subject again and reserves the number; the rendered PDF is
kept only when what it prints is exactly what would be printed now (registry.issue_in_two_steps).
"""

import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from coopchain.auth.models import Membership, Organization, User
from coopchain.certs import compliance
from coopchain.certs.keys import operator_certificate_on, signer_for
from coopchain.certs.models import SubjectKind
from coopchain.certs.signing import sign_pdf
from coopchain.db import owned
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.ledger.anchors import LedgerHead, current_head
from coopchain.public_url import public_base_url

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


@dataclass(frozen=True)
class Request:
    """What the issuer asked for."""

    kind: str
    reference: str
    language: str = "es"
    override_reason: str | None = None
    may_override: bool = False
    #: The certificate this one replaces (registry.reissue_certificate), or None.
    replaces: object | None = None


@dataclass
class Draft:
    request: Request
    report: object
    #: The override printed: None when nothing blocks (a needless override is never printed).
    override_reason: str | None
    number: str
    verify_code: str
    issued_at: datetime
    head: LedgerHead
    #: (SigningKey, private key) or None: chosen before rendering, the signature block prints
    #: its fingerprint.
    signer: tuple | None
    meta: dict
    #: Everything the PDF prints, as plain values (certificate_pdf.certificate_context).
    context: dict
    pdf: bytes | None = None


def verify_url(code: str) -> str:
    """Where a certificate is checked: printed on it, so PublicBaseUrlMissing in production
    without the public address (public_url.py)."""
    return f"{public_base_url()}/verify/{code}"


def report_for(session: Session, org_id: int, kind: str, reference: str):
    if kind == SubjectKind.LOT:
        return compliance.check_lot(session, org_id, reference)
    if kind == SubjectKind.SHIPMENT:
        return compliance.check_shipment(session, org_id, reference)
    raise NotFound(str(_l("Certificates are issued for a lot or a shipment.")))


def checked(session: Session, org_id: int, request: Request):
    """(compliance report, override printed) for `request`, or the refusal: bad fields, blocking
    findings without an override, an override by someone who may not override."""
    if request.language not in LANGUAGES:
        raise DomainError(
            str(_l("Some fields need attention.")), {"language": [str(_l("Spanish or English."))]}
        )
    public_base_url()  # production without a public address: refused before any work
    override_reason = (request.override_reason or "").strip() or None
    if override_reason and len(override_reason) > 1000:
        raise DomainError(
            str(_l("Some fields need attention.")),
            {"override_reason": [str(_l("At most 1000 characters."))]},
        )
    # Findings are sentences: they must be in the certificate's language, not the requester's.
    with force_locale(request.language):
        report = report_for(session, org_id, request.kind, request.reference)
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
    if override_reason and report.blocking and not request.may_override:
        raise OverrideNotAllowed(str(_l("Only an administrator may override blocking findings.")))
    if not report.blocking:
        override_reason = None
    return report, override_reason


def counter_name(issued_at: datetime) -> str:
    """The counter of the year's certificate numbers (lots.services.reserve_numbers)."""
    return f"certificate:{issued_at.year}"


def draft(
    session: Session,
    org_id: int,
    user_id,
    request: Request,
    checked_report: tuple,
    *,
    serial: int,
    issued_at: datetime,
    verify_code: str | None = None,
    head: LedgerHead | None = None,
) -> Draft:
    """What the certificate prints with number `serial` of `issued_at`'s year; a new verify
    code and the ledger's head as it stands now unless given (a second look at a draft keeps
    the first one's, so the two compare equal when nothing else changed)."""
    report, override_reason = checked_report
    organization = session.get(Organization, org_id)
    number = f"CC-{organization.code}-{issued_at.year}-{serial:06d}"
    verify_code = verify_code or secrets.token_urlsafe(16)
    # The ledger as it stood: printed, shown on /verify and kept by whoever holds the PDF, it
    # anchors the chain so no event up to it can be rewritten unnoticed (ledger/anchors.py).
    head = head or current_head(session, org_id)
    issuer = session.get(User, user_id) if user_id else None
    signer = signer_for(session, org_id)
    replaces = request.replaces
    meta = {
        "number": number,
        "verify_url": verify_url(verify_code),
        "issued_at": issued_at,
        "issued_by": issuer.name if issuer else None,
        "organization": {
            "name": organization.name,
            "code": organization.code,
            "country": organization.country,
            "locale": organization.locale,
            # Not printed in this block; the signature's location (render()).
            "region": organization.region,
        },
        "language": request.language,
        "override_reason": override_reason,
        "replaces": replaces.number if replaces else None,
        "ledger_head": {"seq": head.seq, "hash": head.hash},
        "operator_certificate": operator_certificate_on(session, org_id, report.subject.judged_on),
        "signature": _signature_block(session, org_id, issuer, signer),
    }
    from coopchain.certs import certificate_pdf  # WeasyPrint loads only when a PDF is made

    return Draft(
        request=request,
        report=report,
        override_reason=override_reason,
        number=number,
        verify_code=verify_code,
        issued_at=issued_at,
        head=head,
        signer=signer,
        meta=meta,
        context=certificate_pdf.certificate_context(report, meta),
    )


def render(draft: Draft) -> Draft:
    """The draft with its PDF, rendered in the certificate's language and signed."""
    from coopchain.certs import certificate_pdf

    with force_locale(draft.request.language):
        pdf = certificate_pdf.render_certificate_pdf(draft.context)
        if draft.signer is not None:
            organization = draft.meta["organization"]
            pdf = sign_pdf(
                pdf,
                draft.signer[1],
                reason=str(_l("Organic-compliance certificate %(number)s", number=draft.number)),
                name=draft.meta["signature"]["signer_name"] or organization["name"],
                location=organization["region"] or organization["country"],
            )
    draft.pdf = pdf
    return draft


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
