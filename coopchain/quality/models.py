"""Cupping sessions and their score sheets, green gradings and pitahaya gradings.

A session is the lab's unit of work: one protocol, a panel of cuppers, samples taken from lots
(each a `sample` transformation, so the grams leave the lot's balance) under blind codes. Sheets
may be saved again while the session is open; closing freezes it, and only a reopening with a
reason recorded in the ledger unfreezes it. Gradings are never edited: a wrong one is voided.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Column, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from coopchain.clock import utcnow
from coopchain.timeutil import UTCDateTime

#: Final scores are exact: CVA multiplies by 0.65625, so five decimals are needed.
SCORE = Numeric(8, 5)


class SessionStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CuppingSession(SQLModel, table=True):
    __tablename__ = "cupping_sessions"
    __table_args__ = (UniqueConstraint("organization_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    #: Readable number, e.g. CUP-2026-0007 (a per-organisation, per-year counter).
    number: str = Field(max_length=40)
    held_on: date = Field(index=True)
    #: One of quality.rules.Protocol.
    protocol: str = Field(max_length=20)
    status: str = Field(default=SessionStatus.OPEN, max_length=20)
    notes: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: The latest reopening (every one is in the ledger).
    reopened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reopen_reason: str | None = Field(default=None, max_length=500)

    @property
    def is_open(self) -> bool:
        return self.status == SessionStatus.OPEN


class Cupper(SQLModel, table=True):
    """A member of the session's panel: a user of the app, or a visiting Q grader by name."""

    __tablename__ = "cuppers"
    __table_args__ = (UniqueConstraint("session_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="cupping_sessions.id", index=True)
    name: str = Field(max_length=120)
    user_id: int | None = Field(default=None, foreign_key="users.id")


class CuppingSample(SQLModel, table=True):
    __tablename__ = "cupping_samples"
    __table_args__ = (
        UniqueConstraint("session_id", "blind_code"),
        UniqueConstraint("session_id", "lot_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="cupping_sessions.id", index=True)
    lot_id: int = Field(foreign_key="lots.id", index=True)
    #: What the cuppers see instead of the lot code (random, unique within the session).
    blind_code: str = Field(max_length=10)
    #: The sample transformation that took the grams from the lot.
    transformation_id: int = Field(foreign_key="transformations.id")


class CuppingSheet(SQLModel, table=True):
    """One cupper's form for one sample. The server computes total and final score."""

    __tablename__ = "cupping_sheets"
    __table_args__ = (UniqueConstraint("sample_id", "cupper_id"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="cupping_sessions.id", index=True)
    sample_id: int = Field(foreign_key="cupping_samples.id", index=True)
    cupper_id: int = Field(foreign_key="cuppers.id")
    #: Field name → value as entered on the protocol's form (strings for quarter points).
    scores: dict = Field(sa_column=Column(JSON, nullable=False))
    #: Free flavour tags ("panela", "citric", …).
    descriptors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    notes: str | None = Field(default=None, max_length=1000)
    total: Decimal = Field(sa_type=SCORE)
    defects: Decimal = Field(sa_type=SCORE)
    final_score: Decimal = Field(sa_type=SCORE)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="users.id")


class GreenGrading(SQLModel, table=True):
    """Physical grading of a green (or parchment, hulled for the purpose) coffee lot."""

    __tablename__ = "green_gradings"
    __table_args__ = (
        CheckConstraint("moisture_pct >= 0 AND moisture_pct <= 40", name="green_moisture_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    lot_id: int = Field(foreign_key="lots.id", index=True)
    graded_on: date
    sample_g: Decimal = Field(sa_type=Numeric(6, 1))
    #: Defect type → beans counted (only non-zero counts).
    defect_counts: dict = Field(sa_column=Column(JSON, nullable=False))
    quakers: int | None = None
    moisture_pct: Decimal = Field(sa_type=Numeric(5, 2))
    water_activity: Decimal | None = Field(default=None, sa_type=Numeric(4, 3))
    #: Screen ("18", …, "below") → % of the sample retained.
    screen_sizes: dict = Field(sa_column=Column(JSON, nullable=False))
    category_1: int
    category_2: int
    full_defects: int
    #: One of quality.grades.GreenGrade, computed by the server.
    grade: str = Field(max_length=20)
    notes: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    void_reason: str | None = Field(default=None, max_length=500)


class PitahayaGrading(SQLModel, table=True):
    __tablename__ = "pitahaya_gradings"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    lot_id: int = Field(foreign_key="lots.id", index=True)
    graded_on: date
    #: Codex CXS 237-2003 class: extra, class_i or class_ii.
    codex_class: str = Field(max_length=20)
    brix: Decimal = Field(sa_type=Numeric(4, 1))
    mean_fruit_g: Decimal = Field(sa_type=Numeric(7, 1))
    #: From the size-code setting; None when the weight is outside every range.
    size_code: str | None = Field(default=None, max_length=10)
    #: % of fruit not meeting the class, and the defect types seen.
    defective_pct: Decimal = Field(sa_type=Numeric(5, 2))
    defects: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    within_tolerance: bool
    notes: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    void_reason: str | None = Field(default=None, max_length=500)
