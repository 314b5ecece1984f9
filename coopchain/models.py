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
from coopchain.lots.models import (
    Bag,
    Delivery,
    Lot,
    Sequence,
    Transformation,
    TransformationInput,
)
from coopchain.quality.models import (
    Cupper,
    CuppingSample,
    CuppingSession,
    CuppingSheet,
    GreenGrading,
    PitahayaGrading,
)

__all__ = [
    "Agreement",
    "AgreementProducer",
    "AgreementStatusChange",
    "AgreementVisit",
    "ApiToken",
    "Bag",
    "Cupper",
    "CuppingSample",
    "CuppingSession",
    "CuppingSheet",
    "GreenGrading",
    "PitahayaGrading",
    "Delivery",
    "LedgerEvent",
    "Lot",
    "Membership",
    "Organization",
    "Plot",
    "Producer",
    "Sequence",
    "Transformation",
    "TransformationInput",
    "User",
]
