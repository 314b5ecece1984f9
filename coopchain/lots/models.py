"""Deliveries, lots, transformations and bags: every kilogram from the plot to the bag.

Nothing here is deleted or edited in place (DESIGN.md §4): a mistake is undone by voiding the
record, which is itself an event in the ledger. The one column that changes is a lot's
`available_kg`, a running balance kept next to the rows that explain it (transformation inputs
and bags) so it can be locked and checked in one place.
"""

import secrets
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from coopchain.clock import utcnow
from coopchain.timeutil import UTCDateTime

KG = Numeric(12, 3)  # exact decimals to the gram (DESIGN.md §4)


class ProductForm(StrEnum):
    CHERRY = "cherry"
    WET_PARCHMENT = "wet_parchment"
    DRY_PARCHMENT = "dry_parchment"
    GREEN = "green"
    FRESH_FRUIT = "fresh_fruit"


class TransformationKind(StrEnum):
    MERGE = "merge"
    SPLIT = "split"
    PROCESS = "process"
    SAMPLE = "sample"


class LotStatus(StrEnum):
    AVAILABLE = "available"
    DEPLETED = "depleted"
    VOIDED = "voided"


class Delivery(SQLModel, table=True):
    """An intake ticket at the collection centre: one producer, one plot, one product form."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("organization_id", "ticket_number"),
        CheckConstraint("net_kg > 0", name="net_positive"),
        CheckConstraint("moisture_pct >= 0 AND moisture_pct <= 70", name="moisture_range"),
        # An index, not a constraint: SQLite adds it in place (see lots below). NULLs (tickets
        # typed online) never collide; a ticket a device sends twice is recorded once.
        Index("ix_deliveries_client_id", "organization_id", "client_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    #: The paper ticket's number, unique per organisation.
    ticket_number: str = Field(max_length=40)
    producer_id: int = Field(foreign_key="producers.id", index=True)
    plot_id: int = Field(foreign_key="plots.id", index=True)
    crop: str = Field(max_length=20)
    product_form: str = Field(max_length=20)
    gross_kg: Decimal = Field(sa_type=KG)
    tare_kg: Decimal = Field(sa_type=KG)
    #: gross − tare, computed once at intake.
    net_kg: Decimal = Field(sa_type=KG)
    moisture_pct: Decimal | None = Field(default=None, sa_type=Numeric(5, 2))
    delivered_on: date = Field(index=True)
    #: Price paid per kg of net weight, in the organisation's currency.
    price_per_kg: Decimal | None = Field(default=None, sa_type=Numeric(10, 2))
    #: The unit the clerk priced in ("kg" or "qq", the 46 kg quintal; a setting per product
    #: form); price_per_kg is always per kg, converted exactly from what was entered.
    price_unit: str = Field(default="kg", max_length=5, sa_column_kwargs={"server_default": "kg"})
    #: The price as entered, in `price_unit` (kept so the receipt prints what was agreed).
    price_entered: Decimal | None = Field(default=None, sa_type=Numeric(12, 4))
    notes: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    void_reason: str | None = Field(default=None, max_length=500)
    #: The intake warnings the clerk saw and saved over (codes with their facts: forest loss,
    #: no agreement in force, plot not organic, over the mass-balance tolerance).
    #: A lambda, not `list`: pydantic inspects the factory's signature for every object it
    #: builds, and inspect.signature(list) parses text (~0.25 ms, 2.4 s of a 10,000-ticket
    #: import, inside SQLite's write lock); a Python function's takes microseconds.
    intake_warnings: list[dict] = Field(
        default_factory=lambda: [], sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    #: The id a device gave a ticket typed offline (crypto.randomUUID): sending it again finds
    #: this delivery instead of recording a second one (offline_intake.py).
    client_id: str | None = Field(default=None, max_length=36)


def new_public_token() -> str:
    """128 random bits, URL-safe (22 characters): guessing one is hopeless (issue: public
    trace pages). Bags and lots share it."""
    return secrets.token_urlsafe(16)


class Lot(SQLModel, table=True):
    """A quantity of one product form; an origin lot (from a delivery) or a transformation's
    output."""

    __tablename__ = "lots"
    __table_args__ = (
        UniqueConstraint("organization_id", "code"),
        # A unique index rather than a constraint: SQLite adds an index in place, where a new
        # constraint would mean rebuilding the lots table that half the schema references.
        Index("ix_lots_public_token", "public_token", unique=True),
        # The last line of defence behind the row lock: no lot ever goes below zero.
        CheckConstraint("available_kg >= 0", name="available_not_negative"),
        CheckConstraint("available_kg <= quantity_kg", name="available_within_quantity"),
        CheckConstraint("quantity_kg > 0", name="quantity_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    #: Readable code, e.g. CAF-2026-000123 (pattern per organisation and crop, a setting).
    code: str = Field(max_length=40)
    #: Unguessable (128 random bits): the lot's public trace page /l/<token> and its QR code.
    #: Lot codes are sequential, so they never open a public page on their own.
    #: Nullable only because lots older than the column were filled by the migration; every
    #: lot made since gets one here.
    public_token: str | None = Field(default_factory=new_public_token, max_length=32)
    crop: str = Field(max_length=20)
    product_form: str = Field(max_length=20)
    #: What the lot held when it was made; never changes.
    quantity_kg: Decimal = Field(sa_type=KG)
    #: quantity − consumed by live transformations − live bags.
    available_kg: Decimal = Field(sa_type=KG)
    #: The day the lot came into being (delivery or transformation date).
    produced_on: date = Field(index=True)
    #: The delivery that created it, for an origin lot (one lot per delivery).
    delivery_id: int | None = Field(
        default=None, foreign_key="deliveries.id", index=True, unique=True
    )
    #: The transformation that created it, for every other lot.
    transformation_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("transformations.id"), nullable=True, index=True),
    )
    #: Set when a merge explicitly gave up the organic claim (reason on the transformation).
    downgraded: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def status(self) -> LotStatus:
        if self.voided_at is not None:
            return LotStatus.VOIDED
        return LotStatus.AVAILABLE if self.available_kg > 0 else LotStatus.DEPLETED

    @property
    def is_origin(self) -> bool:
        return self.delivery_id is not None


class Transformation(SQLModel, table=True):
    """Inputs consumed → output lots, plus what was lost or taken as a sample.

    Invariant (checked in services and by tests): Σ inputs = Σ outputs + loss_kg.
    """

    __tablename__ = "transformations"
    __table_args__ = (CheckConstraint("loss_kg >= 0", name="loss_not_negative"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    kind: str = Field(max_length=20)
    occurred_on: date
    #: Processing loss (process) or the quantity consumed by the lab (sample).
    loss_kg: Decimal = Field(default=Decimal("0"), sa_type=KG)
    #: Why the output was downgraded to conventional, when it was.
    downgrade_reason: str | None = Field(default=None, max_length=500)
    #: The user confirmed a yield outside the plausible range for the step.
    yield_confirmed: bool = Field(default=False)
    notes: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    void_reason: str | None = Field(default=None, max_length=500)


class TransformationInput(SQLModel, table=True):
    __tablename__ = "transformation_inputs"
    __table_args__ = (CheckConstraint("quantity_kg > 0", name="input_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    transformation_id: int = Field(foreign_key="transformations.id", index=True)
    lot_id: int = Field(foreign_key="lots.id", index=True)
    #: How much of the input lot this transformation consumed (partial consumption allowed).
    quantity_kg: Decimal = Field(sa_type=KG)


class LotOriginShare(SQLModel, table=True):
    """One delivery's exact share of a lot made by a transformation (issue 19 §2): written with
    the transformation that makes the lot, deleted when it is voided, so a lot's origins are one
    indexed read instead of a walk of its genealogy (origin_shares.py).

    The share is the fraction share_num / share_den of the lot; every row of a lot has the same
    denominator and the numerators add up to it exactly. They are whole numbers of any size
    (a product of gram totals along the genealogy), kept as decimal text so both databases hold
    them exactly. Origin lots (from a delivery) have no rows: a delivery lot is all itself.
    """

    __tablename__ = "lot_origin_shares"
    __table_args__ = (
        # Every read is scoped to an organisation and names its lots; with an index on the
        # organisation alone SQLite walked all of the organisation's shares to find one lot's.
        Index("ix_lot_origin_shares_organization_lot", "organization_id", "lot_id"),
    )

    lot_id: int = Field(foreign_key="lots.id", primary_key=True)
    #: The delivery's own lot.
    origin_lot_id: int = Field(foreign_key="lots.id", primary_key=True, index=True)
    organization_id: int = Field(foreign_key="organizations.id")
    delivery_id: int = Field(foreign_key="deliveries.id")
    #: Which lots hold a plot's coffee (EUDR questions) is an indexed read too.
    plot_id: int = Field(foreign_key="plots.id", index=True)
    share_num: str = Field(sa_type=Text)
    share_den: str = Field(sa_type=Text)
    #: The grams of the lot that came from this delivery: its quantity shared out by these
    #: fractions to the gram (rules.share_out_grams), so a lot's rows add up to it exactly. A
    #: lot's quantity never changes once made, so this is written once with the fraction and
    #: origins_of reads kilograms instead of dividing thousands of them on every call.
    share_g: int = Field(sa_type=BigInteger)
    #: Some lot between the delivery and this lot (this lot included) gave up the organic
    #: claim (DOMAIN.md §3).
    downgraded: bool = Field(default=False)


class Bag(SQLModel, table=True):
    """One export bag (or pitahaya box) filled from a lot; its token opens the public page."""

    __tablename__ = "bags"
    __table_args__ = (
        UniqueConstraint("organization_id", "serial"),
        UniqueConstraint("public_token"),
        CheckConstraint("net_kg > 0", name="bag_net_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    lot_id: int = Field(foreign_key="lots.id", index=True)
    #: Printed on the bag: PE-<ORG>-<YEAR>-<6 digits>.
    serial: str = Field(max_length=40)
    #: Unguessable (128 random bits), for the QR code's public URL.
    public_token: str = Field(max_length=64)
    net_kg: Decimal = Field(sa_type=KG)
    #: The shipment carrying the bag (shipments package); changes are ledger events.
    shipment_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("shipments.id"), nullable=True, index=True),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    void_reason: str | None = Field(default=None, max_length=500)


class Sequence(SQLModel, table=True):
    """Per-organisation counters for lot codes and bag serials (locked while incremented)."""

    __tablename__ = "sequences"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id")
    #: e.g. "lot:CAF:2026" or "bag:2026".
    name: str = Field(max_length=60)
    last_value: int = Field(default=0)
