"""The scan log of the public trace pages: when a bag's or a lot's page was opened.

Kept so the cooperative can see how often a shipment's bags are scanned, and nothing more: no
IP address, no user agent, no cookie. The country comes from the browser's Accept-Language
region only ("de-DE" → DE), and is often unknown (issue: public trace pages).
"""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from coopchain.clock import utcnow
from coopchain.timeutil import UTCDateTime


class ScanEvent(SQLModel, table=True):
    __tablename__ = "scan_events"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    lot_id: int = Field(foreign_key="lots.id", index=True)
    #: The bag whose QR was scanned; None when the lot's own page (/l/<token>) was opened.
    bag_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("bags.id"), nullable=True, index=True)
    )
    #: The shipment the bag was on when scanned, so counts per shipment stay what they were
    #: even if a bag is later released.
    shipment_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("shipments.id"), nullable=True, index=True),
    )
    scanned_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    #: ISO 3166-1 alpha-2 region of the first Accept-Language tag that has one, else None.
    country: str | None = Field(default=None, max_length=2)
    #: The language the page was shown in (es or en).
    language: str = Field(max_length=5)
    #: How the page was reached: "bag", "lot" or "gs1" (a GS1 Digital Link URL).
    via: str = Field(max_length=10)
