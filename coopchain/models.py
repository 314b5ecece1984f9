"""Imports every table so SQLModel.metadata is complete (Alembic env, tests, create_all)."""

from coopchain.auth.models import ApiToken, Membership, Organization, User
from coopchain.certs.models import Certificate
from coopchain.farms.models import (
    Agreement,
    AgreementProducer,
    AgreementStatusChange,
    AgreementVisit,
    ForestEvidence,
    Plot,
    Producer,
)
from coopchain.forest.models import ForestAssessment, ForestDataset
from coopchain.ledger.models import LedgerEvent
from coopchain.lots.models import (
    Bag,
    Delivery,
    Lot,
    LotOriginShare,
    Sequence,
    Transformation,
    TransformationInput,
)
from coopchain.payments.models import (
    FundEntry,
    Payment,
    PaymentAllocation,
    PaymentRun,
    PremiumRule,
    ProducerDebt,
    Settlement,
    SettlementLine,
)
from coopchain.quality.models import (
    Cupper,
    CuppingSample,
    CuppingSession,
    CuppingSheet,
    GreenGrading,
    PitahayaGrading,
)
from coopchain.shipments.models import Shipment
from coopchain.trace.models import ScanEvent

__all__ = [
    "Agreement",
    "AgreementProducer",
    "AgreementStatusChange",
    "AgreementVisit",
    "ApiToken",
    "Bag",
    "Certificate",
    "ForestAssessment",
    "ForestDataset",
    "ForestEvidence",
    "Shipment",
    "Cupper",
    "CuppingSample",
    "CuppingSession",
    "CuppingSheet",
    "GreenGrading",
    "PitahayaGrading",
    "Delivery",
    "FundEntry",
    "Payment",
    "PaymentAllocation",
    "PaymentRun",
    "PremiumRule",
    "ProducerDebt",
    "Settlement",
    "SettlementLine",
    "LedgerEvent",
    "Lot",
    "LotOriginShare",
    "Membership",
    "Organization",
    "Plot",
    "Producer",
    "ScanEvent",
    "Sequence",
    "Transformation",
    "TransformationInput",
    "User",
]
