"""The registry of issued organic-compliance certificates.

The PDF bytes are stored with their sha256, so downloading a certificate again returns the
identical file and anyone can check a copy against /verify/<code>. A certificate is never
regenerated in place: re-issuing creates a new number and revokes the old one.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from coopchain.clock import utcnow
from coopchain.timeutil import UTCDateTime


class CertificateStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"


class SubjectKind(StrEnum):
    LOT = "lot"
    SHIPMENT = "shipment"


class Certificate(SQLModel, table=True):
    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("organization_id", "number"),
        UniqueConstraint("verify_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    #: Printed on the certificate: CC-<ORG>-<YEAR>-<6 digits>.
    number: str = Field(max_length=40)
    #: Unguessable code in the QR and the public /verify/<code> URL: the sequential number
    #: would let anyone enumerate the organisation's certificates.
    verify_code: str = Field(max_length=40)
    subject_kind: str = Field(max_length=20)
    #: Lot code or shipment reference.
    subject_ref: str = Field(max_length=40)
    #: Language the PDF was issued in (es or en).
    language: str = Field(max_length=5)
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    issued_by: int | None = Field(default=None, foreign_key="users.id")
    #: Hex sha256 of `pdf`.
    sha256: str = Field(max_length=64)
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    #: The findings the certificate printed (code, severity, message, counts).
    findings: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    #: An admin's written reason to issue despite blocking findings (printed and in the ledger).
    override_reason: str | None = Field(default=None, max_length=1000)
    status: str = Field(default=CertificateStatus.VALID, max_length=20)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoke_reason: str | None = Field(default=None, max_length=500)
    #: The organisation's ledger head when the certificate was issued (seq 0 and the genesis
    #: hash for an empty ledger): printed on it and shown on /verify, so a certificate anchors
    #: the audit chain and `verify-ledger` can prove no event up to it was rewritten since.
    #: None only on certificates issued before anchoring existed.
    ledger_seq: int | None = Field(default=None)
    ledger_hash: str | None = Field(default=None, max_length=64)
    #: The certificate this one replaces (re-issue).
    replaces_id: int | None = Field(default=None, foreign_key="certificates.id")
    #: The organisation's key that PAdES-signed `pdf` (certs/signing.py); None when the
    #: organisation had no key when it was issued (the hash alone vouches for it then).
    signing_key_id: int | None = Field(default=None, foreign_key="signing_keys.id")


class SigningKey(SQLModel, table=True):
    """An organisation's document-signing key and its X.509 certificate (certs/keys.py).

    The private key is kept encrypted (Fernet, key derived from SECRET_KEY); the certificate is
    public and is what a reader trusts to validate a signature. A key is never deleted: a
    revoked key signs nothing more, and what it signed before stays verifiable."""

    __tablename__ = "signing_keys"
    __table_args__ = (UniqueConstraint("organization_id", "fingerprint"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    #: "generated" (self-signed here) or "uploaded" (from a CA, PEM or PKCS#12).
    source: str = Field(max_length=20)
    #: The certificate's subject common name, shown on /verify.
    subject: str = Field(max_length=200)
    #: The signer's certificate, PEM; then any CA certificates that came with it.
    certificate_pem: str = Field(sa_column=Column(Text, nullable=False))
    chain_pem: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    #: PKCS#8 private key encrypted with Fernet (certs/keys.py: the key comes from SECRET_KEY).
    encrypted_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    #: Hex sha256 of the certificate's DER: what readers compare.
    fingerprint: str = Field(max_length=64)
    not_valid_before: datetime = Field(sa_type=UTCDateTime)
    not_valid_after: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoke_reason: str | None = Field(default=None, max_length=500)
    revoked_by: int | None = Field(default=None, foreign_key="users.id")


class OperatorCertificate(SQLModel, table=True):
    """The grower group's organic operator certificate (DOMAIN.md §3: group certification,
    EU 2018/848 Art. 36): its number, validity and the control body that issued it (a
    farms.Certifier). Recorded, not issued, by us; a new record replaces none (history kept),
    the certificate prints the newest valid on the judged date."""

    __tablename__ = "operator_certificates"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    certifier_id: int = Field(foreign_key="certifiers.id", index=True)
    number: str = Field(max_length=60)
    valid_from: date
    valid_until: date
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None, foreign_key="users.id")
