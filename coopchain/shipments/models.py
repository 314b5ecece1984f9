"""Shipments: a contract's consignment, its container and documents, and the bags it carries.

A bag belongs to at most one shipment (`bags.shipment_id`); once the shipment is *shipped* its
allocation is frozen. Every change is a ledger event, so the allocation's history is kept even
though the column is updated.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from coopchain.clock import utcnow
from coopchain.timeutil import UTCDateTime


class ShipmentStatus(StrEnum):
    PLANNED = "planned"
    LOADING = "loading"
    SHIPPED = "shipped"
    DELIVERED = "delivered"


#: The only moves a shipment makes (issue: planned → loading → shipped → delivered).
NEXT_STATUS = {
    ShipmentStatus.PLANNED: ShipmentStatus.LOADING,
    ShipmentStatus.LOADING: ShipmentStatus.SHIPPED,
    ShipmentStatus.SHIPPED: ShipmentStatus.DELIVERED,
}


class Shipment(SQLModel, table=True):
    __tablename__ = "shipments"
    __table_args__ = (UniqueConstraint("organization_id", "reference"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    #: The contract reference, unique per organisation; names the shipment in URLs.
    reference: str = Field(max_length=40)
    #: coffee or pitahaya: one crop per shipment (EUDR and phytosanitary rules differ).
    crop: str = Field(max_length=20)
    status: str = Field(default=ShipmentStatus.PLANNED, max_length=20)
    buyer_name: str = Field(max_length=200)
    #: ISO 3166-1 alpha-2.
    buyer_country: str = Field(max_length=2)
    buyer_address: str | None = Field(default=None, max_length=500)
    #: Incoterms 2020 rule (FOB, CIF, …).
    incoterm: str | None = Field(default=None, max_length=3)
    port_of_loading: str | None = Field(default=None, max_length=120)
    port_of_destination: str | None = Field(default=None, max_length=120)
    planned_loading_on: date | None = None
    planned_arrival_on: date | None = None
    #: The day it actually left (set when marked shipped); certificates are judged on it.
    shipped_on: date | None = None
    delivered_on: date | None = None
    vessel: str | None = Field(default=None, max_length=120)
    bill_of_lading: str | None = Field(default=None, max_length=60)
    #: ISO 6346 container number, check digit verified (DOMAIN.md §6).
    container_number: str | None = Field(default=None, max_length=11)
    seal_number: str | None = Field(default=None, max_length=40)
    #: ICO marks, country/exporter/serial (DOMAIN.md §6).
    ico_marks: str | None = Field(default=None, max_length=40)
    #: EU Certificate of Inspection (TRACES) number, recorded not issued (DOMAIN.md §3).
    eu_coi_number: str | None = Field(default=None, max_length=60)
    #: Organic transaction certificates (TC) covering the consignment, numbers separated by
    #: commas, recorded not issued (DOMAIN.md §3); printed on the certificate.
    transaction_certificates: str | None = Field(default=None, max_length=200)
    #: USDA NOP Import Certificate, NNN-NNNNNNNNNN-NNNNNN (DOMAIN.md §3).
    nop_certificate_number: str | None = Field(default=None, max_length=21)
    #: SENASA phytosanitary certificate (pitahaya exports, DOMAIN.md §5).
    senasa_certificate_number: str | None = Field(default=None, max_length=60)
    #: What the EU importer returns after filing the due diligence statement (DOMAIN.md §2).
    eudr_dds_reference: str | None = Field(default=None, max_length=60)
    eudr_dds_verification: str | None = Field(default=None, max_length=60)
    notes: str | None = Field(default=None, max_length=1000)
    #: Who receives the goods (bill of lading consignee) when not the buyer, and whom the
    #: carrier notifies on arrival: name and address as one text each.
    consignee: str | None = Field(default=None, max_length=500)
    notify_party: str | None = Field(default=None, max_length=500)
    #: The shipping marks stencilled on the bags, as the packing list repeats them.
    marks_and_numbers: str | None = Field(default=None, max_length=500)
    #: Harmonized System code; left empty, the crop's (0901.11 green coffee, 0810.90 pitahaya).
    hs_code: str | None = Field(default=None, max_length=12)
    #: Empty-bag weight for this shipment's gross weight; empty: the organisation's setting.
    tare_per_bag_kg: Decimal | None = Field(default=None, sa_type=Numeric(6, 3))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="users.id")

    @property
    def allocation_frozen(self) -> bool:
        return self.status in (ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED)

    @property
    def judged_on(self) -> date | None:
        """The date certificates must be valid on: shipped, else planned loading."""
        return self.shipped_on or self.planned_loading_on
