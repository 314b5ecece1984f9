"""The audit ledger: one hash-chained event per write, per organisation."""

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from coopchain.clock import utcnow
from coopchain.timeutil import UTCDateTime


class LedgerEvent(SQLModel, table=True):
    __tablename__ = "ledger_events"
    __table_args__ = (UniqueConstraint("organization_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    #: 1, 2, 3 … per organisation; the chain order.
    seq: int
    #: EPCIS 2.0 event type: ObjectEvent, AggregationEvent, TransformationEvent, TransactionEvent.
    event_type: str = Field(max_length=30)
    #: EPCIS action: ADD, OBSERVE or DELETE (None for TransformationEvent).
    action: str | None = Field(default=None, max_length=10)
    #: What happened in our words, e.g. "producer.created", "plot.updated".
    kind: str = Field(max_length=60, index=True)
    subject_type: str = Field(max_length=40)
    subject_id: str = Field(max_length=64)
    event_time: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="users.id")
    #: The event body as hashed, so verification never depends on re-serialising rows.
    payload: dict = Field(sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
