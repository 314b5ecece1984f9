"""Staff pages for the organisation's signing keys and its group operator certificate
(admins): /settings/signing. Generating, uploading and revoking keys; recording the operator
certificate the organic certificates print. The rules live in certs/keys.py.
"""

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from coopchain import formatting
from coopchain.auth.access import ADMIN, current_org_id, current_user_id, requires
from coopchain.certs import keys
from coopchain.certs.schemas import KeyRevokeIn, OperatorCertificateIn
from coopchain.certs.views import bp
from coopchain.db import discard_changes, get_session
from coopchain.errors import DomainError
from coopchain.farms.certifiers import list_certifiers
from coopchain.forms import flat_errors, form_errors, load_form


def _page(*, errors=None, values=None, form=None, status=200):
    db, org = get_session(), current_org_id()
    certifiers = list_certifiers(db, org)
    return render_template(
        "certs/signing.html",
        keys=keys.list_keys(db, org),
        active=keys.active_key(db, org),
        operator_certificates=keys.list_operator_certificates(db, org),
        certifier_names={c.id: c.name for c in certifiers},
        certifier_options=[(str(c.id), f"{c.name} ({c.code or '—'})") for c in certifiers],
        errors=errors or {},
        values=values or {},
        form=form,
        max_kb=keys.MAX_UPLOAD_BYTES // 1024,
        day=formatting.day,
    ), status


def _done(message: str):
    flash(message, "success")
    return redirect(url_for("certs.signing_settings"))


def _failed(exc, form: str, values: dict | None = None):
    discard_changes()
    errors = flat_errors(exc.messages) if isinstance(exc, ValidationError) else form_errors(exc)
    return _page(errors=errors, values=values or {}, form=form, status=422)


@bp.get("/settings/signing")
@requires(ADMIN)
def signing_settings():
    return _page()


@bp.post("/settings/signing/keys/generate")
@requires(ADMIN)
def signing_key_generate():
    try:
        key = keys.generate_key(get_session(), current_org_id(), current_user_id())
    except DomainError as exc:
        return _failed(exc, "generate")
    return _done(_("Signing key %(fp)s generated.", fp=key.fingerprint[:16]))


@bp.post("/settings/signing/keys/upload")
@requires(ADMIN)
def signing_key_upload():
    upload = request.files.get("file")
    data = upload.read(keys.MAX_UPLOAD_BYTES + 1) if upload is not None else b""
    try:
        key = keys.upload_key(
            get_session(),
            current_org_id(),
            current_user_id(),
            data,
            request.form.get("password") or None,
        )
    except DomainError as exc:
        return _failed(exc, "upload")
    return _done(_("Signing key %(fp)s recorded.", fp=key.fingerprint[:16]))


@bp.post("/settings/signing/keys/<int:key_id>/revoke")
@requires(ADMIN)
def signing_key_revoke(key_id: int):
    keys.get_key(get_session(), current_org_id(), key_id)  # another organisation's: 404 first
    try:
        data = load_form(KeyRevokeIn())
        keys.revoke_key(get_session(), current_org_id(), current_user_id(), key_id, data["reason"])
    except (ValidationError, DomainError) as exc:
        return _failed(exc, f"revoke-{key_id}", request.form.to_dict(flat=True))
    return _done(_("The key is revoked; documents it signed before stay verifiable."))


@bp.get("/settings/signing/keys/<int:key_id>/certificate.pem")
@requires(ADMIN)
def signing_key_certificate(key_id: int):
    key = keys.get_key(get_session(), current_org_id(), key_id)
    response = make_response(key.certificate_pem + (key.chain_pem or ""))
    response.headers["Content-Type"] = "application/x-pem-file"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=signer-{key.fingerprint[:16]}.pem"
    )
    return response


@bp.post("/settings/signing/operator-certificates")
@requires(ADMIN)
def operator_certificate_new():
    try:
        data = load_form(OperatorCertificateIn())
        keys.record_operator_certificate(get_session(), current_org_id(), current_user_id(), data)
    except (ValidationError, DomainError) as exc:
        return _failed(exc, "operator", request.form.to_dict(flat=True))
    return _done(_("Operator certificate recorded."))
