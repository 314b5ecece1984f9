"""Producers, conservation agreements with ranger visits, and plots (DOMAIN.md §1–3)."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from coopchain.clock import utcnow
from coopchain.timeutil import UTCDateTime


class Crop(StrEnum):
    COFFEE = "coffee"
    PITAHAYA = "pitahaya"


class ProducerStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    WITHDRAWN = "withdrawn"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


class AgreementKind(StrEnum):
    INDIVIDUAL = "individual"
    COLLECTIVE = "collective"


class AgreementStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    ENDED = "ended"


class VisitResult(StrEnum):
    COMPLIANT = "compliant"
    MINOR = "minor"
    MAJOR = "major"


class Commitment(StrEnum):
    """The commitments of an Alto Mayo conservation agreement (DOMAIN.md §1)."""

    NO_CLEARING = "no_clearing"
    NO_HUNTING = "no_hunting"
    NO_POLLUTION = "no_pollution"
    ORGANIC_PRACTICES = "organic_practices"
    PATROLS = "patrols"
    RESTORATION = "restoration"


class Producer(SQLModel, table=True):
    __tablename__ = "producers"
    __table_args__ = (UniqueConstraint("organization_id", "member_code"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    #: The cooperative's member number, unique within the organisation.
    member_code: str = Field(max_length=32)
    first_name: str = Field(max_length=100)
    last_name: str = Field(max_length=100)
    #: DNI or similar: private, never on a public page or certificate.
    national_id: str | None = Field(default=None, max_length=32)
    sex: str | None = Field(default=None, max_length=10)
    community: str | None = Field(default=None, max_length=120)
    sector: str | None = Field(default=None, max_length=120)
    #: Private, like national_id.
    phone: str | None = Field(default=None, max_length=32)
    #: The 20-digit interbank account code (CCI) payments are transferred to (DOMAIN.md §11).
    cci: str | None = Field(default=None, max_length=20)
    joined_on: date | None = None
    #: Whether the name may appear on public trace pages and certificates.
    public_name_consent: bool = Field(default=False)
    status: str = Field(default=ProducerStatus.ACTIVE, max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Agreement(SQLModel, table=True):
    __tablename__ = "agreements"
    __table_args__ = (UniqueConstraint("organization_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    number: str = Field(max_length=40)
    kind: str = Field(default=AgreementKind.INDIVIDUAL, max_length=20)
    protected_area: str = Field(max_length=120)
    signed_on: date
    valid_until: date
    #: Commitment codes (see Commitment).
    commitments: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=AgreementStatus.ACTIVE, max_length=20)
    #: Why it was suspended or ended; required for those statuses.
    status_reason: str | None = Field(default=None, max_length=500)
    #: From when the current status holds, so "active on date D" stays answerable afterwards.
    status_since: date | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AgreementProducer(SQLModel, table=True):
    """Who an agreement covers: one producer, or several for a collective agreement."""

    __tablename__ = "agreement_producers"

    agreement_id: int = Field(
        sa_column=Column(Integer, ForeignKey("agreements.id"), primary_key=True)
    )
    producer_id: int = Field(
        sa_column=Column(Integer, ForeignKey("producers.id"), primary_key=True, index=True)
    )


class AgreementStatusChange(SQLModel, table=True):
    """Every status an agreement has had and from when, so "in force on date D?" keeps its
    answer after a suspension is lifted (DOMAIN.md §1: at harvest, an *active* agreement)."""

    __tablename__ = "agreement_status_changes"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    agreement_id: int = Field(foreign_key="agreements.id", index=True)
    status: str = Field(max_length=20)
    reason: str | None = Field(default=None, max_length=500)
    #: The status holds from this date until the next change's date.
    effective_on: date
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="users.id")


class AgreementVisit(SQLModel, table=True):
    __tablename__ = "agreement_visits"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    agreement_id: int = Field(foreign_key="agreements.id", index=True)
    visited_on: date
    inspector: str = Field(max_length=120)
    result: str = Field(max_length=20)
    notes: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Certifier(SQLModel, table=True):
    """An organic control body (EU 2018/848 Art. 40; the EU lists each with a code such as
    "PE-BIO-149"). Kept per organisation: its admins edit it, its ledger records the edits, and
    no other cooperative's pages change when they do."""

    __tablename__ = "certifiers"
    __table_args__ = (
        UniqueConstraint("organization_id", "name_key"),
        UniqueConstraint("organization_id", "code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    name: str = Field(max_length=120)
    #: The name without case, accents or extra spaces (rules.certifier_key): one control body is
    #: one record, not "Control Union Peru" and "control union Perú ".
    name_key: str = Field(max_length=120)
    #: The control body's code, e.g. the EU's "PE-BIO-149"; None until staff record it.
    code: str | None = Field(default=None, max_length=40)
    #: ISO 3166-1 alpha-2 of the country it certifies in; None for records made from old text.
    country: str | None = Field(default=None, max_length=2)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Plot(SQLModel, table=True):
    __tablename__ = "plots"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    producer_id: int = Field(foreign_key="producers.id", index=True)
    name: str = Field(max_length=120)
    crop: str = Field(max_length=20)
    #: GeoJSON geometry in WGS84, coordinates exactly as given (EUDR keeps 6 decimals).
    geometry: dict | None = Field(default=None, sa_column=Column(JSON))
    declared_area_ha: Decimal | None = Field(default=None, sa_type=Numeric(10, 4))
    #: Geodesic area of the polygon (pyproj Geod on WGS84), None for a point.
    computed_area_ha: Decimal | None = Field(default=None, sa_type=Numeric(10, 4))
    #: Problems found in the geometry: [{"rule", "message", "params", "severity"}].
    geometry_issues: list[dict] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    altitude_m: int | None = None
    varieties: str | None = Field(default=None, max_length=200)
    #: Shade-grown / agroforestry: agricultural use under trees, not forest (EUDR).
    shade_agroforestry: bool = Field(default=False)
    planting_year: int | None = None
    #: Last prohibited input; organic 36 months later (DOMAIN.md §3). None = conventional.
    organic_conversion_start: date | None = None
    #: The control body that certifies the plot (a Certifier of the same organisation).
    organic_certifier_id: int | None = Field(default=None, foreign_key="certifiers.id", index=True)
    organic_certificate_number: str | None = Field(default=None, max_length=60)
    organic_certificate_valid_until: date | None = None
    #: kg/ha/yr; None uses the crop's default setting.
    expected_yield_kg_ha: Decimal | None = Field(default=None, sa_type=Numeric(10, 2))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def area_ha(self) -> Decimal | None:
        """The area used for yields and totals: computed from the polygon, else declared."""
        return self.computed_area_ha if self.computed_area_ha is not None else self.declared_area_ha


class ForestResult(StrEnum):
    """What a piece of forest evidence says about a plot (DOMAIN.md §7, Whisp's perennial
    logic): no loss after the 2020-12-31 cutoff, loss after it, or tree cover with no loss
    (e.g. shade coffee) that needs field evidence; no_data when the rasters do not cover it."""

    DEFORESTATION_FREE = "deforestation_free"
    LOSS_AFTER_CUTOFF = "loss_after_cutoff"
    MORE_INFO_NEEDED = "more_info_needed"
    NO_DATA = "no_data"


class EvidenceKind(StrEnum):
    #: Typed in by staff from a source they name (until raster assessments exist).
    MANUAL = "manual"
    #: A ranger or technician visited the plot (resolves more_info_needed).
    FIELD = "field"
    #: Imported from FAO Whisp output.
    WHISP = "whisp"
    #: Computed by CoopChain from forest rasters.
    RASTER = "raster"


class ForestEvidence(SQLModel, table=True):
    """One observation of a plot's forest status; the latest live one counts. Never edited:
    a wrong one is voided with a reason."""

    __tablename__ = "forest_evidence"
    __table_args__ = (
        # One result per plot and assessment, whatever two runs of it do at once.
        Index("ix_forest_evidence_assessment_plot", "assessment_id", "plot_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    plot_id: int = Field(foreign_key="plots.id", index=True)
    kind: str = Field(max_length=20)
    result: str = Field(max_length=30)
    #: Hectares lost after 2020-12-31 (loss_after_cutoff).
    loss_after_cutoff_ha: Decimal | None = Field(default=None, sa_type=Numeric(10, 4))
    #: Where it comes from: dataset and version, map reviewed, visit report number…
    source: str = Field(max_length=300)
    #: The day the evidence describes (image date, visit date).
    observed_on: date
    notes: str | None = Field(default=None, max_length=1000)
    #: The raster assessment that computed it (kind raster); resuming a run skips these plots.
    assessment_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("forest_assessments.id"), nullable=True, index=True),
    )
    #: What was measured (raster: areas and shares, datasets and versions, canopy threshold;
    #: Whisp: its indicators), kept as it came so an auditor sees the figures behind a result.
    measurements: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    #: Field evidence: sha256 of each photo taken on the visit (the photos stay with the
    #: cooperative; their hashes prove later which ones were meant).
    photo_sha256: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    #: The more_info_needed evidence this field evidence resolves, when it does.
    resolves_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("forest_evidence.id"), nullable=True),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    void_reason: str | None = Field(default=None, max_length=500)


class AreaKind(StrEnum):
    PROTECTED_AREA = "protected_area"
    BUFFER_ZONE = "buffer_zone"


class ProtectedArea(SQLModel, table=True):
    """A protected area or its buffer zone (e.g. the Alto Mayo Protection Forest), uploaded by
    an admin as GeoJSON and drawn on the staff maps and, coarsely, on the buyer's page."""

    __tablename__ = "protected_areas"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    name: str = Field(max_length=200)
    kind: str = Field(default=AreaKind.PROTECTED_AREA, max_length=20)
    #: GeoJSON Polygon or MultiPolygon, WGS 84 (RFC 7946).
    geometry: dict = Field(sa_column=Column(JSON, nullable=False))
    #: Drawn by hand or simplified: every map that shows it says "approximate".
    approximate: bool = Field(default=False)
    #: Where the outline comes from (SERNANP, WDPA, hand-drawn…).
    source: str | None = Field(default=None, max_length=300)
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="users.id")
