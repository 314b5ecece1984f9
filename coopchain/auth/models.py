"""Organisations, users, their roles per organisation, and personal API tokens."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Column, LargeBinary, Numeric, String, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from coopchain.clock import utcnow
from coopchain.timeutil import UTCDateTime


class Role(StrEnum):
    ADMIN = "admin"
    STAFF = "staff"
    QUALITY = "quality"
    #: Read-only, may download everything (certifiers, EUDR due diligence).
    AUDITOR = "auditor"
    #: Pays producers: payment runs, settlements, debts (issue: paying producers).
    TREASURER = "treasurer"


class OrganizationKind(StrEnum):
    COOPERATIVE = "cooperative"
    ASSOCIATION = "association"


class Organization(SQLModel, table=True):
    __tablename__ = "organizations"

    id: int | None = Field(default=None, primary_key=True)
    #: Short upper-case code used in serials and lot codes (e.g. COOPAM).
    code: str = Field(sa_column=Column(String(16), nullable=False, unique=True))
    name: str = Field(max_length=200)
    kind: str = Field(default=OrganizationKind.COOPERATIVE, max_length=20)
    #: ISO 3166-1 alpha-2; "PE" for every organisation today.
    country: str = Field(default="PE", max_length=2)
    #: GS1 GTIN-14 of the organisation's export product, when it has one: its QR codes then
    #: carry GS1 Digital Link URLs (DOMAIN.md §6). Set by an admin; a ledger event.
    gtin: str | None = Field(default=None, max_length=14)
    #: GS1 Global Location Number of the cooperative (13 digits, check digit verified) and the
    #: GS1 Company Prefix it starts with: together they make the SGLN location identifiers of
    #: the EPCIS export (DOMAIN.md §9); without them locations are private URIs. Set by an admin.
    gln: str | None = Field(default=None, max_length=13)
    gs1_company_prefix: str | None = Field(default=None, max_length=12)
    #: CLDR locale for numbers and dates on pages, PDFs and exports (es_PE writes 4,504.36 and
    #: dd/mm/aaaa); the UI language is the user's choice, the formats are the cooperative's.
    locale: str = Field(
        default="es_PE", sa_column_kwargs={"server_default": "es_PE"}, max_length=10
    )
    #: Where the product is from, in the buyer's first line: "Alto Mayo, San Martín".
    region: str | None = Field(default=None, max_length=120)
    #: A short story of the cooperative for the public pages, set by an admin (optional).
    public_story: str | None = Field(default=None, max_length=1000)
    #: A photo for the public pages (JPEG/PNG/WebP bytes, size-limited), served by the app.
    public_photo: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    public_photo_type: str | None = Field(default=None, max_length=30)
    #: Price transparency on the public bag page (off by default): what the families were paid
    #: against a market reference per kg of the delivered form that an admin enters.
    price_transparency: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    market_reference_per_kg: Decimal | None = Field(default=None, sa_type=Numeric(10, 2))
    market_reference_on: date | None = None
    #: The shipper on export papers: Peru's 11-digit taxpayer number (RUC) and fiscal address.
    ruc: str | None = Field(default=None, max_length=11)
    address: str | None = Field(default=None, max_length=500)
    #: Empty-bag weight added to the net on the packing list's gross weight (jute 69 kg bag
    #: about 0.7 kg: unverified practice, so a setting); a shipment may set its own.
    bag_tare_kg: Decimal = Field(
        default=Decimal("0.700"),
        sa_type=Numeric(6, 3),
        sa_column_kwargs={"server_default": "0.700"},
    )
    #: A plot delivering more than expected × (1 + this %) blocks organic claims until an
    #: inspector's explanation is recorded (issue: mass balance an inspector signs off).
    yield_block_pct: Decimal = Field(
        default=Decimal("100"), sa_type=Numeric(6, 2), sa_column_kwargs={"server_default": "100"}
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    #: Stored lower-case; the login identifier.
    email: str = Field(sa_column=Column(String(254), nullable=False, unique=True))
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=256)
    is_active: bool = Field(default=True)
    #: Preferred UI language ("es" or "en"); None follows the browser.
    locale: str | None = Field(default=None, max_length=5)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Membership(SQLModel, table=True):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    role: str = Field(max_length=20)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(max_length=100)
    #: sha256 of the token; the token itself is shown once and never stored.
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    #: First characters of the token, so a user can tell their tokens apart.
    prefix: str = Field(max_length=12)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserSession(SQLModel, table=True):
    """A signed-in browser. The cookie carries only a random key whose hash is stored here, so
    a session can be ended on the server: logout ends one, a password change or losing a
    membership ends all of a user's sessions, and a copied cookie stops working with them."""

    __tablename__ = "user_sessions"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    #: sha256 of the key in the cookie.
    key_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: logout, password_changed, membership_removed, replaced.
    ended_reason: str | None = Field(default=None, max_length=30)


class Invitation(SQLModel, table=True):
    """An admin's offer of a role in their organisation to an email address. It becomes a
    membership only when the person holding the link accepts it, signed in as that email or
    creating the account: an admin can neither attach someone else's account nor learn
    whether an email has one."""

    __tablename__ = "invitations"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    #: Stored lower-case.
    email: str = Field(max_length=254)
    role: str = Field(max_length=20)
    invited_by: int | None = Field(default=None, foreign_key="users.id")
    #: sha256 of the token in the invitation link; the token is shown once to the admin.
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_by: int | None = Field(default=None, foreign_key="users.id")
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
