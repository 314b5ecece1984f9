"""Imports every table so SQLModel.metadata is complete (Alembic env, tests, create_all)."""

from coopchain.auth.models import ApiToken, Membership, Organization, User
from coopchain.certs.models import Certificate, OperatorCertificate, SigningKey
from coopchain.eudr.models import DdsStatement, EudrAccount
from coopchain.farms.models import (
    Agreement,
    AgreementProducer,
    AgreementStatusChange,
    AgreementVisit,
    ForestEvidence,
    Plot,
    Producer,
)
from coopchain.fieldtools.models import FieldImportMapping, FieldSubmission, FieldUpload
from coopchain.forest.models import ForestAssessment, ForestDataset
from coopchain.ics.models import IcsInspection, YieldExplanation
from coopchain.job_rows import Job, JobFile
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
    "OperatorCertificate",
    "SigningKey",
    "ForestAssessment",
    "ForestDataset",
    "ForestEvidence",
    "FieldImportMapping",
    "FieldSubmission",
    "FieldUpload",
    "Shipment",
    "Cupper",
    "CuppingSample",
    "CuppingSession",
    "CuppingSheet",
    "GreenGrading",
    "Job",
    "JobFile",
    "IcsInspection",
    "PitahayaGrading",
    "DdsStatement",
    "Delivery",
    "EudrAccount",
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
    "YieldExplanation",
]
