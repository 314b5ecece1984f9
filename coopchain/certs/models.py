"""The registry of issued organic-compliance certificates.

The PDF bytes are stored with their sha256, so downloading a certificate again returns the
identical file and anyone can check a copy against /verify/<code>. A certificate is never
regenerated in place: re-issuing creates a new number and revokes the old one.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
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
