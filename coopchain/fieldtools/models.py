"""What the field imports remember: the column mapping saved per form, and every submission
imported, so importing the same export again creates nothing (DOMAIN.md §10)."""

from datetime import datetime

from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from coopchain.clock import utcnow
from coopchain.timeutil import UTCDateTime


class FieldImportMapping(SQLModel, table=True):
    __tablename__ = "field_import_mappings"
    __table_args__ = (UniqueConstraint("organization_id", "form_key"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    #: The format and a digest of the export's column names (mapping.form_key).
    form_key: str = Field(max_length=80)
    #: ColumnMapping as a dict: which column is the producer, name, crop, geometry, area.
    mapping: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FieldSubmission(SQLModel, table=True):
    __tablename__ = "field_submissions"
    __table_args__ = (UniqueConstraint("organization_id", "submission_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    #: Kobo _uuid / ODK instanceID, or a digest of the geometry for KML and GPX files.
    submission_id: str = Field(max_length=120)
    form_key: str = Field(max_length=80)
    plot_id: int = Field(foreign_key="plots.id", index=True)
    #: Reported GPS accuracy (m) of each source point in order, null where none was given.
    accuracies: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FieldUpload(SQLModel, table=True):
    """A file between the mapping step and the import (the page needs it on every step). A
    draft, not a record: it is deleted once imported, or a day later; the import is ledgered."""

    __tablename__ = "field_uploads"
    __table_args__ = (UniqueConstraint("token"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    #: Unguessable name of the upload in the page's URL.
    token: str = Field(max_length=40)
    filename: str = Field(max_length=200)
    format: str = Field(max_length=10)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
