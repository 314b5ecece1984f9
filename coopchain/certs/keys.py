"""The organisation's signing keys and its group operator certificate (DESIGN.md §3 services).

An admin generates a key with a self-signed certificate, or uploads one from a CA (PEM or
PKCS#12). The private key is stored encrypted (certs/signing.py: Fernet under a key derived
from SECRET_KEY); the newest key that is not revoked signs. Revoking is recorded with a reason
and never deletes: a document signed before keeps the id of its key, and /verify checks it
against that key's certificate at the moment it was issued. Every write is a ledger event;
nothing here commits.
"""

from datetime import date

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from coopchain.auth.models import Organization
from coopchain.certs import signing
from coopchain.certs.models import OperatorCertificate, SigningKey
from coopchain.clock import utcnow
from coopchain.db import owned
from coopchain.errors import Conflict, DomainError, NotFound
from coopchain.farms.certifiers import get_certifier
from coopchain.ledger.services import append

#: A .p12 or PEM bundle is a few KB; anything much bigger is not one.
MAX_UPLOAD_BYTES = 64 * 1024


def secret_key() -> str:
    """The application's SECRET_KEY, the root of the key that encrypts signing keys (read in
    one place, as public_url.public_base_url reads the public address)."""
    return current_app.config["SECRET_KEY"]


def list_keys(session: Session, org_id: int) -> list[SigningKey]:
    return list(session.scalars(owned(SigningKey, org_id).order_by(SigningKey.id.desc())))


def get_key(session: Session, org_id: int, key_id: int) -> SigningKey:
    key = session.scalar(owned(SigningKey, org_id).where(SigningKey.id == key_id))
    if key is None:
        raise NotFound(str(_l("No such signing key.")))
    return key


def active_key(session: Session, org_id: int) -> SigningKey | None:
    """The key that signs new documents: the newest that is not revoked."""
    return session.scalar(
        owned(SigningKey, org_id)
        .where(SigningKey.revoked_at.is_(None))
        .order_by(SigningKey.id.desc())
        .limit(1)
    )


def material_of(key: SigningKey, secret: str) -> signing.KeyMaterial:
    return signing.KeyMaterial(
        key_pem=signing.decrypt_key(key.encrypted_key, secret),
        certificate_pem=key.certificate_pem.encode(),
        chain_pem=(key.chain_pem or "").encode(),
    )


def signer_for(session: Session, org_id: int) -> tuple[SigningKey, signing.KeyMaterial] | None:
    """The active key and its material, or None when the organisation has no key (documents
    are then issued unsigned, vouched for by their registered hash alone)."""
    key = active_key(session, org_id)
    if key is None:
        return None
    try:
        return key, material_of(key, secret_key())
    except signing.KeyMaterialError as exc:
        raise Conflict(
            str(
                _l(
                    "The signing key %(fingerprint)s cannot be decrypted (SECRET_KEY changed?): "
                    "revoke it and set up a new one.",
                    fingerprint=key.fingerprint[:16],
                )
            )
        ) from exc


def sign_document(session: Session, org_id: int, pdf: bytes, *, reason: str) -> bytes:
    """`pdf` PAdES-signed with the organisation's active key, or unchanged when it has none:
    what the producer statements and the packing list call (the certificate records its key
    itself, registry.issue_certificate)."""
    signer = signer_for(session, org_id)
    if signer is None:
        return pdf
    organization = session.get(Organization, org_id)
    return signing.sign_pdf(
        pdf,
        signer[1],
        reason=reason,
        name=organization.name,
        location=organization.region or organization.country,
    )


def _store(session, org_id, user_id, material: signing.KeyMaterial, source: str) -> SigningKey:
    cert = material.certificate
    fingerprint = signing.fingerprint(material.certificate_pem)
    existing = session.scalar(
        owned(SigningKey, org_id).where(SigningKey.fingerprint == fingerprint)
    )
    if existing is not None:
        raise DomainError(
            str(_l("This certificate is already recorded.")),
            {"file": [str(_l("Key %(fp)s is already recorded.", fp=fingerprint[:16]))]},
        )
    key = SigningKey(
        organization_id=org_id,
        source=source,
        subject=signing.common_name(cert)[:200],
        certificate_pem=material.certificate_pem.decode(),
        chain_pem=material.chain_pem.decode() or None,
        encrypted_key=signing.encrypt_key(material.key_pem, secret_key()),
        fingerprint=fingerprint,
        not_valid_before=cert.not_valid_before_utc,
        not_valid_after=cert.not_valid_after_utc,
        created_by=user_id,
    )
    session.add(key)
    session.flush()
    append(
        session,
        org_id,
        "signing_key.added",
        ("signing_key", key.id),
        {
            "source": source,
            "subject": key.subject,
            "fingerprint": fingerprint,
            "notValidAfter": key.not_valid_after,
        },
        user_id=user_id,
    )
    return key


def generate_key(session: Session, org_id: int, user_id: int | None) -> SigningKey:
    """A new key and a self-signed certificate in the organisation's name."""
    organization = session.get(Organization, org_id)
    material = signing.generate(organization.name, organization.country, utcnow())
    return _store(session, org_id, user_id, material, "generated")


def upload_key(
    session: Session, org_id: int, user_id: int | None, data: bytes, password: str | None
) -> SigningKey:
    """A key and certificate from a CA; DomainError naming the field when it is not usable."""
    if not data:
        raise DomainError(
            str(_l("Some fields need attention.")), {"file": [str(_l("Choose a file."))]}
        )
    if len(data) > MAX_UPLOAD_BYTES:
        raise DomainError(
            str(_l("Some fields need attention.")),
            {"file": [str(_l("At most %(kb)s KB.", kb=MAX_UPLOAD_BYTES // 1024))]},
        )
    try:
        material = signing.load_upload(data, password or None)
    except signing.KeyMaterialError as exc:
        raise DomainError(
            str(_l("The file is not a usable key and certificate.")),
            {"file": [_upload_problem(str(exc))]},
        ) from exc
    return _store(session, org_id, user_id, material, "uploaded")


def _upload_problem(message: str) -> str:
    # signing.KeyMaterialError messages are msgids listed in i18n_terms.KEY_UPLOAD_PROBLEMS.
    return gettext(message)


def revoke_key(
    session: Session, org_id: int, user_id: int | None, key_id: int, reason: str
) -> SigningKey:
    key = get_key(session, org_id, key_id)
    if key.revoked_at is not None:
        raise Conflict(str(_l("This key is already revoked.")))
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise DomainError(
            str(_l("Give a reason.")), {"reason": [str(_l("Required, at most 500 characters."))]}
        )
    now = utcnow()
    key.revoked_at, key.revoke_reason, key.revoked_by = now, reason, user_id
    session.add(key)
    session.flush()
    append(
        session,
        org_id,
        "signing_key.revoked",
        ("signing_key", key.id),
        {
            "fingerprint": key.fingerprint,
            "errorDeclaration": {"declarationTime": now, "reason": reason},
        },
        action="DELETE",
        user_id=user_id,
    )
    return key


# --- the group's organic operator certificate ------------------------------------------------


def list_operator_certificates(session: Session, org_id: int) -> list[OperatorCertificate]:
    return list(
        session.scalars(owned(OperatorCertificate, org_id).order_by(OperatorCertificate.id.desc()))
    )


def record_operator_certificate(
    session: Session, org_id: int, user_id: int | None, data: dict
) -> OperatorCertificate:
    """`data`: certifier_id, number, valid_from, valid_until (schemas.OperatorCertificateIn)."""
    certifier = get_certifier(session, org_id, data["certifier_id"])
    if data["valid_until"] < data["valid_from"]:
        raise DomainError(
            str(_l("Some fields need attention.")),
            {"valid_until": [str(_l("Must not be before the start of validity."))]},
        )
    row = OperatorCertificate(
        organization_id=org_id,
        certifier_id=certifier.id,
        number=data["number"].strip(),
        valid_from=data["valid_from"],
        valid_until=data["valid_until"],
        created_by=user_id,
    )
    session.add(row)
    session.flush()
    append(
        session,
        org_id,
        "operator_certificate.recorded",
        ("operator_certificate", row.id),
        {
            "certifier": {"name": certifier.name, "code": certifier.code},
            "number": row.number,
            "validFrom": row.valid_from,
            "validUntil": row.valid_until,
        },
        user_id=user_id,
    )
    return row


def operator_certificate_on(session: Session, org_id: int, day: date | None) -> dict | None:
    """The group's operator certificate to print for a subject judged on `day`: the newest
    record valid that day, else the newest record at all (printed with its validity, so a
    reader sees it had lapsed). Plain values: certifier name and code, number, validity."""
    rows = list_operator_certificates(session, org_id)
    if not rows:
        return None
    valid = [r for r in rows if day is not None and r.valid_from <= day <= r.valid_until]
    row = (valid or rows)[0]
    certifier = get_certifier(session, org_id, row.certifier_id)
    return {
        "certifier_name": certifier.name,
        "certifier_code": certifier.code,
        "number": row.number,
        "valid_from": row.valid_from,
        "valid_until": row.valid_until,
        "valid_on_judged_date": bool(valid),
    }
