"""Imports every table so SQLModel.metadata is complete (Alembic env, tests, create_all)."""

from coopchain.auth.models import ApiToken, Membership, Organization, User
from coopchain.farms.models import (
    Agreement,
    AgreementProducer,
    AgreementStatusChange,
    AgreementVisit,
    Plot,
    Producer,
)
from coopchain.ledger.models import LedgerEvent

__all__ = [
    "Agreement",
    "AgreementProducer",
    "AgreementStatusChange",
    "AgreementVisit",
    "ApiToken",
    "LedgerEvent",
    "Membership",
    "Organization",
    "Plot",
    "Producer",
    "User",
]
