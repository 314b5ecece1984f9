"""Internal control system records: inspections per member and yield explanations per plot.

Like every record an auditor may ask about, neither is edited or deleted (DESIGN.md §4): a
mistaken inspection is voided with a reason and a new one recorded; a later explanation of the
same plot and season stands beside the earlier one.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from coopchain.clock import utcnow
from coopchain.timeutil import UTCDateTime


class InspectionResult(StrEnum):
    COMPLIANT = "compliant"
    MINOR = "minor_nonconformity"
    MAJOR = "major_nonconformity"


class Sanction(StrEnum):
    NONE = "none"
    WARNING = "warning"
    #: The member's product may not be sold as organic until the sanction ends.
    SUSPENSION = "suspension"
    EXCLUSION = "exclusion"


class IcsInspection(SQLModel, table=True):
    """One internal inspection of a member (DOMAIN.md §3: at least one per member per year),
    with the sanction decided on it."""

    __tablename__ = "ics_inspections"
    __table_args__ = (
        CheckConstraint(
            "sanction = 'none' OR sanction_reason IS NOT NULL", name="sanction_has_reason"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    producer_id: int = Field(foreign_key="producers.id", index=True)
    inspected_on: date = Field(index=True)
    #: The internal inspector's name (often a technician, not a user of the system).
    inspector: str = Field(max_length=200)
    result: str = Field(max_length=30)
    findings: str | None = Field(default=None, max_length=2000)
    sanction: str = Field(default=Sanction.NONE, max_length=20)
    sanction_reason: str | None = Field(default=None, max_length=1000)
    #: The last day a suspension applies; empty for warnings, exclusions and open suspensions.
    sanction_until: date | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    void_reason: str | None = Field(default=None, max_length=500)


class YieldExplanation(SQLModel, table=True):
    """An inspector's explanation of why a plot delivered far more than its area × yield in a
    season: until one is recorded, such a plot blocks organic claims on its product."""

    __tablename__ = "yield_explanations"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    plot_id: int = Field(foreign_key="plots.id", index=True)
    #: The mass-balance season label ("2026", or "2025-26" when seasons start mid-year).
    season: str = Field(max_length=9)
    inspector: str = Field(max_length=200)
    explained_on: date
    explanation: str = Field(max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="users.id")
