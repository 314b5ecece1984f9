"""Forest rasters registered by the cooperative and the assessments run against them
(issue: forest evidence from rasters; DOMAIN.md §7). Results are ForestEvidence rows of kind
"raster", one per plot and assessment."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from coopchain.clock import utcnow
from coopchain.timeutil import UTCDateTime


class AssessmentStatus(StrEnum):
    #: Working, or interrupted (a worker died): `done` < `total`, resumable.
    RUNNING = "running"
    FINISHED = "finished"
    #: Stopped on an error that a resume would hit again (a dataset file gone, say).
    FAILED = "failed"


class ForestDataset(SQLModel, table=True):
    """One raster product as downloaded: its kind, version and tile files (or folders)."""

    __tablename__ = "forest_datasets"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    #: hansen_lossyear, hansen_treecover2000 or jrc_gfc2020.
    kind: str = Field(max_length=30)
    #: As the publisher names it, e.g. "GFC-2023-v1.11" or "JRC GFC2020 V2".
    version: str = Field(max_length=60)
    #: GeoTIFF files or folders of tiles on the server's disk, as registered.
    paths: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    #: Tiles found when registered (each checked: readable, EPSG:4326, one band).
    tile_count: int = Field(default=0)
    downloaded_on: date
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="users.id")


class ForestAssessment(SQLModel, table=True):
    """A run of the raster statistics over all plots or a selection; processed in batches,
    each committed, so an interrupted run resumes where it stopped."""

    __tablename__ = "forest_assessments"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    status: str = Field(default=AssessmentStatus.RUNNING, max_length=20)
    dataset_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    #: Plots asked for; None means every plot of the organisation with a geometry.
    plot_ids: list[int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    #: Hansen treecover2000 canopy % from which a pixel counts as tree cover (default 10).
    canopy_threshold_pct: int = Field(default=10)
    total: int = Field(default=0)
    done: int = Field(default=0)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    #: Last batch committed: a running assessment silent for long was interrupted.
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, max_length=1000)
    user_id: int | None = Field(default=None, foreign_key="users.id")
