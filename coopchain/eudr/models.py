"""The organisation's EU Information System account and the statements filed for shipments.

The authentication key is stored encrypted (eudr/secrets.py); the ledger never sees it. A
statement row is one part of a shipment's DDS (statement.py splits a shipment over the EU
limits), with the uuid the EU returned, its status, and the reference and verification numbers
once the EU has registered it.
"""

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from coopchain.clock import utcnow
from coopchain.timeutil import UTCDateTime


class EudrAccount(SQLModel, table=True):
    __tablename__ = "eudr_accounts"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", unique=True)
    #: OPERATOR (the organisation, or an importer using its own account) or
    #: REPRESENTATIVE_OPERATOR (filing for the importer named below), DOMAIN.md §8.
    operator_role: str = Field(default="OPERATOR", max_length=30)
    #: IMPORT when the EU importer files; EXPORT when the organisation files with its EORI.
    activity_type: str = Field(default="EXPORT", max_length=10)
    #: ISO 3166-1 alpha-2 of the country of activity (where the goods enter or leave the EU).
    country_of_activity: str | None = Field(default=None, max_length=2)
    #: The operator's EORI (IMPORT and EXPORT need one).
    eori: str | None = Field(default=None, max_length=17)
    #: The represented operator (importer) when filing as REPRESENTATIVE_OPERATOR.
    represented_name: str | None = Field(default=None, max_length=200)
    represented_eori: str | None = Field(default=None, max_length=17)
    geo_location_confidential: bool = Field(default=False)
    #: "acceptance" or "production": which base URL of the settings is called.
    environment: str = Field(default="acceptance", max_length=12)
    username: str | None = Field(default=None, max_length=120)
    #: WebServiceClientId header value the EU gives with the credentials.
    client_id: str | None = Field(default=None, max_length=60)
    #: The authentication key, Fernet-encrypted with a key derived from SECRET_KEY.
    auth_key_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="users.id")


class DdsStatement(SQLModel, table=True):
    __tablename__ = "dds_statements"
    __table_args__ = (UniqueConstraint("uuid"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    shipment_id: int = Field(foreign_key="shipments.id", index=True)
    #: Part number of a split shipment (1 when it is one statement) and how many parts.
    part: int = Field(default=1)
    part_count: int = Field(default=1)
    internal_reference: str = Field(max_length=35)
    #: The EU's identifier, returned by submitDds.
    uuid: str = Field(max_length=64)
    #: SUBMITTED, AVAILABLE, REJECTED, WITHDRAWN… as getDds last said (or WITHDRAWN by us).
    status: str = Field(default="SUBMITTED", max_length=30)
    reference_number: str | None = Field(default=None, max_length=60)
    verification_number: str | None = Field(default=None, max_length=60)
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    amended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    #: The job that filed this part (a large shipment's filing, eudr/filing_jobs.py), so the
    #: worker taking a dead one's job over knows which parts are already filed; None from a
    #: request.
    job_id: int | None = Field(default=None, foreign_key="jobs.id")
