"""The public certificate check, /verify/<code> (no login; DESIGN.md §5): what the QR on a
certificate opens.

It shows only what the certificate itself prints about the registry entry: organisation,
number, subject, issue date, status and hash; never a producer. Anyone may upload a PDF to learn
whether it is byte for byte the registered file. An unknown code gets the same page whatever
exists, so the page cannot be used to learn about other certificates.

A blueprint of its own so that its upload limit and its error pages apply to this public page
only, and never show the staff chrome.
"""

import hashlib

from flask import Blueprint, abort, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from coopchain import formatting
from coopchain.auth.access import public
from coopchain.auth.models import Organization
from coopchain.certs.models import CertificateStatus, SubjectKind
from coopchain.certs.registry import find_by_verify_code, matches, signature_of
from coopchain.db import get_session
from coopchain.extensions import limiter
from coopchain.formatting import moment_with_zone

bp = Blueprint("verify", __name__)
#: A certificate with hundreds of origin rows is a few MB; 20 MB leaves room and no more.
UPLOAD_MAX_BYTES = 20 * 1024 * 1024
#: Hashing uploads costs the server; an auditor checks a file or two, not hundreds.
UPLOAD_RATE = "30 per minute"


@bp.url_value_preprocessor
def _upload_limit(endpoint, _values):
    # Runs before every before_request handler, CSRF's included (which reads the form), so the
    # body is parsed under this page's own limit rather than the app-wide one.
    if endpoint == "verify.certificate":
        request.max_content_length = UPLOAD_MAX_BYTES


def _page(certificate, *, result=None, error=None, status=200):
    if certificate is None:
        code = (request.view_args or {}).get("code", "")
        return render_template(
            "certs/verify_unknown.html",
            lang_href=lambda lang: url_for("verify.certificate", code=code, lang=lang),
        ), 404
    organization = get_session().get(Organization, certificate.organization_id)
    formatting.use_locale(organization.locale)
    signature = signature_of(get_session(), certificate)
    return render_template(
        "certs/verify.html",
        certificate=certificate,
        organization_name=organization.name,
        subject_label=(_("Lot") if certificate.subject_kind == SubjectKind.LOT else _("Shipment")),
        revoked=certificate.status == CertificateStatus.REVOKED,
        # People read moments on the cooperative's clock, labelled, as the PDF prints them.
        issued_on=moment_with_zone(certificate.issued_at),
        revoked_on=moment_with_zone(certificate.revoked_at),
        signature=signature,
        signature_revoked_on=moment_with_zone(signature["revoked_at"]) if signature else None,
        key_href=url_for("verify.signing_certificate", code=certificate.verify_code),
        blocking=[f for f in certificate.findings if f.get("severity") == "blocking"],
        result=result,
        error=error,
        max_mb=UPLOAD_MAX_BYTES // (1024 * 1024),
        action=url_for("verify.certificate", code=certificate.verify_code, **_lang_arg()),
        lang_href=lambda lang: url_for(
            "verify.certificate", code=certificate.verify_code, lang=lang
        ),
    ), status


def _lang_arg() -> dict:
    lang = request.args.get("lang")
    return {"lang": lang} if lang in ("es", "en") else {}


@bp.route("/verify/<code>", methods=["GET", "POST"])
@public
@limiter.limit(UPLOAD_RATE, methods=["POST"])
def certificate(code: str):
    found = find_by_verify_code(get_session(), code)
    if found is None or request.method == "GET":
        return _page(found)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(found, error=_("Choose the PDF file to check."), status=400)
    data = upload.read(UPLOAD_MAX_BYTES + 1)
    if not data:
        return _page(found, error=_("The file is empty."), status=400)
    same = matches(found, data)
    result = {
        "match": same,
        "filename": upload.filename,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
    }
    return _page(found, result=result)


@bp.get("/verify/<code>/signer.pem")
@public
def signing_certificate(code: str):
    """The certificate of the key that signed this document: what a reader is told to trust.
    Public like the page (a certificate is public by nature); 404 for an unsigned one."""
    found = find_by_verify_code(get_session(), code)
    signature = signature_of(get_session(), found) if found is not None else None
    if signature is None:
        abort(404)
    response = make_response(signature["certificate_pem"])
    response.headers["Content-Type"] = "application/x-pem-file"
    name = f"signer-{signature['fingerprint'][:16]}.pem"
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    return response


def _current():
    return find_by_verify_code(get_session(), (request.view_args or {}).get("code", ""))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc):
    return _page(
        _current(),
        error=_(
            "The file is too large: the limit is %(mb)s MB. A CoopChain certificate is much "
            "smaller; check that you chose the right file.",
            mb=UPLOAD_MAX_BYTES // (1024 * 1024),
        ),
        status=413,
    )


@bp.errorhandler(CSRFError)
def form_expired(_exc):
    return _page(
        _current(),
        error=_("The page had expired. Choose the file again and press Check."),
        status=400,
    )
